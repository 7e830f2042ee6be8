"""Celery tasks of detection: thin, idempotent wrappers that take a run id and call the service."""

from __future__ import annotations

from celery import shared_task

from investigations.models import DetectionRun
from investigations.services import detection as services


@shared_task(name=services.RUN_DETECTION_TASK, acks_late=True)
def run_detection_task(run_id: int) -> None:
    """Execute one detection run (a retry after a lost worker starts the run over)."""
    services.execute_detection(DetectionRun.objects.get(pk=run_id))


@shared_task(name=services.WARM_CLUSTERS_TASK, acks_late=True)
def warm_cluster_pages_task(run_id: int) -> int:
    """Put the run's most-viewed cluster pages into the shared cache (after a detection run)."""
    return services.warm_cluster_pages(run_id)
