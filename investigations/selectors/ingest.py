"""Reads for ingest: job lists and details, schedules, and the quarantined rows of a job."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from django.db.models import QuerySet

from investigations.exports.csv import safe_cell
from investigations.models import IngestJob, IngestSchedule


def ingest_jobs(*, limit: int | None = None) -> QuerySet[IngestJob]:
    """Jobs, newest first, with their schedule."""
    qs = IngestJob.objects.select_related("schedule", "created_by").order_by("-created_at")
    return qs[:limit] if limit else qs


def ingest_job(pk: int) -> IngestJob:
    """One job (IngestJob.DoesNotExist when there is none)."""
    return IngestJob.objects.select_related("schedule", "created_by", "detection_run").get(pk=pk)


def ingest_schedules() -> QuerySet[IngestSchedule]:
    """Schedules by name."""
    return IngestSchedule.objects.select_related("created_by").order_by("name")


def ingest_schedule(pk: int) -> IngestSchedule:
    """One schedule."""
    return IngestSchedule.objects.get(pk=pk)


def quarantine_file(job: IngestJob) -> Path | None:
    """The CSV of the job's quarantined rows, when the job wrote one."""
    if not job.quarantine_path:
        return None
    path = Path(job.quarantine_path)
    return path if path.is_file() else None


def quarantine_chunks(job: IngestJob, chunk_bytes: int = 1 << 16) -> Iterator[bytes]:
    """The quarantine CSV in chunks, for a streaming download (empty when there is none). The stored file
    keeps the rejected values verbatim; here a cell a spreadsheet would run as a formula gets a leading quote,
    as in every other CSV export."""
    path = quarantine_file(job)
    if path is None:
        yield b"file,row,column,reason,value\r\n"
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh):
            writer.writerow([safe_cell(v) for v in row])
            if buffer.tell() >= chunk_bytes:
                yield buffer.getvalue().encode("utf-8")
                buffer.seek(0)
                buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")


def quarantine_preview(job: IngestJob, limit: int = 50) -> list[dict[str, str]]:
    """The first quarantined rows of a job (file, row, column, reason, value)."""
    path = quarantine_file(job)
    if path is None:
        return []
    rows: list[dict[str, str]] = []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            rows.append(row)
            if len(rows) >= limit:
                break
    return rows
