"""Reads: queries the views and API use."""
