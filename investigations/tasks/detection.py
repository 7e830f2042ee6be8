"""Celery tasks of detection: thin, idempotent wrappers that take a run id and call the service."""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task

from investigations.models import DetectionRun
from investigations.services import detection as services
from investigations.services import outages


@shared_task(bind=True, name=services.RUN_DETECTION_TASK, acks_late=True, max_retries=None)
def run_detection_task(self: Task[Any, Any], run_id: int) -> None:
    """Execute one detection run: wait while another run or an ingest job holds the graph, start over after a
    Neo4j or Redis failure (a retry after a lost worker starts the run over too)."""
    try:
        services.execute_detection(DetectionRun.objects.get(pk=run_id))
    except services.DetectionBusy as exc:
        services.mark_waiting(run_id, str(exc))
        raise self.retry(exc=exc, countdown=outages.BUSY_RETRY_SECONDS) from exc
    except outages.TransientFailure as exc:
        raise self.retry(exc=exc, countdown=outages.retry_countdown(self.request.retries)) from exc


@shared_task(name=services.RECOVER_TASK, ignore_result=True)
def recover_detection_runs_task() -> list[int]:
    """Re-queue runs whose worker died (no heartbeat), or fail them after too many attempts."""
    return services.recover_stale_runs()


@shared_task(name=services.WARM_CLUSTERS_TASK, acks_late=True)
def warm_cluster_pages_task(run_id: int) -> int:
    """Put the run's most-viewed cluster pages into the shared cache (after a detection run)."""
    return services.warm_cluster_pages(run_id)
