"""Ingest: read a telemetry drop in chunks, validate it, aggregate exchanges into facts, group prompt
fingerprints into templates, and write it all to Neo4j idempotently (see graph/model.md)."""

from graph.ingest.pipeline import FileCounts, IngestResult, drop_fingerprint, run_ingest

__all__ = ["FileCounts", "IngestResult", "drop_fingerprint", "run_ingest"]
