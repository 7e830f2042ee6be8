"""Writes: every state change goes through a function here (views and tasks call them)."""
