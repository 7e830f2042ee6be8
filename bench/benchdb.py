"""What the Django-side benchmarks share (import after `django.setup()`): a fresh benchmark database and one
detection run as the Celery task runs it."""

from __future__ import annotations

import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connections

from graph.detection.params import DetectionParams
from investigations.models import DetectionRun
from investigations.roles import ensure_role_groups
from investigations.services.detection import execute_detection


def fresh_database(own_file: str) -> None:
    """An empty benchmark database: runs, first flags and cases of an earlier benchmark must not count. Only a
    SQLite file named `own_file` (the benchmark's own) is deleted; any other database is only migrated."""
    path = Path(settings.DATABASES["default"]["NAME"])
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3") and path.name == own_file:
        connections.close_all()  # an open connection would go on writing to the unlinked file
        for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            stale.unlink(missing_ok=True)
    call_command("migrate", verbosity=0)
    ensure_role_groups()


def detect() -> tuple[DetectionRun, float]:
    """One detection run as the Celery task runs it; returns it and its wall seconds."""
    run = DetectionRun.objects.create(params=DetectionParams().to_dict())
    started = time.perf_counter()
    run = execute_detection(run)
    return run, time.perf_counter() - started
