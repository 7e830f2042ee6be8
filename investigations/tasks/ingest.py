"""Celery tasks of ingest: thin, idempotent wrappers that take ids and call the ingest service."""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task

from investigations.services import ingest as services
from investigations.services import ingest_schedules as schedules
from investigations.services import outages


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
        raise self.retry(exc=exc, countdown=outages.BUSY_RETRY_SECONDS) from exc
    except outages.TransientFailure as exc:
        raise self.retry(exc=exc, countdown=outages.retry_countdown(self.request.retries)) from exc


@shared_task(name=services.SCAN_FOLDER_TASK, acks_late=True, ignore_result=True)
def scan_ingest_folder_task(schedule_id: int) -> list[int]:
    """Start a job for every new drop in a schedule's folder."""
    return schedules.scan_schedule_folder(schedule_id)


@shared_task(name=services.RECOVER_TASK, ignore_result=True)
def recover_ingest_jobs_task() -> list[int]:
    """Re-queue jobs whose worker died (no heartbeat), or fail them after too many attempts."""
    return services.recover_stale_jobs()
