"""Celery tasks of ingest: thin, idempotent wrappers that take ids and call the ingest service."""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task

from investigations.services import ingest as services
from investigations.services import ingest_schedules as schedules
from investigations.services import outages

BUSY_RETRY_SECONDS = 10
TRANSIENT_RETRY_SECONDS = (15, 60, 180)


@shared_task(
    bind=True,
    name=services.RUN_INGEST_TASK,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,
)
def run_ingest_task(self: Task[Any, Any], job_id: int) -> None:
    """Run or resume one ingest job; wait while another job writes, retry after Neo4j or Redis failures."""
    try:
        services.execute_ingest_job(job_id)
    except services.IngestBusy as exc:
        raise self.retry(exc=exc, countdown=BUSY_RETRY_SECONDS) from exc
    except services.TransientFailure as exc:
        # Neo4j or Redis went away: wait here until both answer and go again at once (a restart costs seconds)
        attempt = min(self.request.retries, len(TRANSIENT_RETRY_SECONDS) - 1)
        countdown = 1 if outages.wait_until_reachable() else TRANSIENT_RETRY_SECONDS[attempt]
        raise self.retry(exc=exc, countdown=countdown) from exc


@shared_task(name=services.SCAN_FOLDER_TASK, acks_late=True, ignore_result=True)
def scan_ingest_folder_task(schedule_id: int) -> list[int]:
    """Start a job for every new drop in a schedule's folder."""
    return schedules.scan_schedule_folder(schedule_id)


@shared_task(name=services.RECOVER_TASK, ignore_result=True)
def recover_ingest_jobs_task() -> list[int]:
    """Re-queue jobs whose worker died (no heartbeat), or fail them after too many attempts."""
    return services.recover_stale_jobs()
