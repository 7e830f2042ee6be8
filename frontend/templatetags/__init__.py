"""Template tags of the UI."""
