"""Pure-Python core of the platform: drop reading and validation, graph access, ingest and detection (no Django)."""
