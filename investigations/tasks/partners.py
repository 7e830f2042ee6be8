"""Celery task of partner indicator matching: a thin, idempotent wrapper around the matching service."""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task

from investigations.services import outages
from investigations.services import partner_matching as services


@shared_task(bind=True, name=services.REMATCH_TASK, acks_late=True, max_retries=10, ignore_result=True)
def rematch_partner_indicators_task(self: Task[Any, Any], indicator_ids: list[int] | None = None) -> dict[str, int]:
    """Match partners' indicators (these, or every active one) against the graph; retry while Neo4j is away."""
    try:
        summary = services.rematch_partner_indicators(indicator_ids)
    except outages.TRANSIENT_ERRORS as exc:
        raise self.retry(exc=exc, countdown=outages.retry_countdown(self.request.retries)) from exc
    return {"indicators": summary.indicators, "matches": summary.matches, "alerts": summary.alerts}
