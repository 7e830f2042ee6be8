"""Faults around a job: Neo4j unreachable (retried, then failed with the reason), a second delivery of a
running job (waits for the writer lock), and a job whose worker stopped beating (re-queued)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from neo4j.exceptions import ServiceUnavailable

from graph.ingest import FileCounts, IngestResult
from investigations.models import DetectionRun, IngestJob, JobStatus
from investigations.services import ingest as services
from tests.integration.ingest.drops import small_drop

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_queue(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record jobs sent to Celery instead of sending them (no worker in these tests)."""
    sent: list[int] = []
    monkeypatch.setattr(services, "enqueue_ingest_job", lambda job_id, countdown=None: sent.append(job_id))
    return sent


def _unreachable(*args: Any, **kwargs: Any) -> None:
    raise ServiceUnavailable("Couldn't connect to 127.0.0.1:7687")


def test_neo4j_down_is_retried_then_fails_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "run_ingest", _unreachable)
    job = services.create_ingest_job(
        small_drop(tmp_path / "drop"), source=IngestJob.Source.COMMAND, within_root=False
    )
    for attempt in range(1, services.MAX_ATTEMPTS):
        with pytest.raises(services.TransientFailure):
            services.execute_ingest_job(job.pk)
        job.refresh_from_db()
        assert job.status == JobStatus.QUEUED and job.attempts == attempt
        assert "ServiceUnavailable" in job.error
    services.execute_ingest_job(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.finished_at is not None
    assert job.error.startswith(f"failed after {services.MAX_ATTEMPTS} attempts: ServiceUnavailable")


def test_a_second_delivery_waits_for_the_running_job(tmp_path: Path) -> None:
    job = services.create_ingest_job(
        small_drop(tmp_path / "drop"), source=IngestJob.Source.COMMAND, within_root=False
    )
    holder = services._WriterLock(job.pk)
    assert holder.acquire()
    try:
        with pytest.raises(services.IngestBusy):
            services.execute_ingest_job(job.pk)
        job.refresh_from_db()
        assert job.status == JobStatus.QUEUED and job.attempts == 0
    finally:
        holder.release()


def test_a_job_whose_worker_died_is_requeued_then_given_up(tmp_path: Path, _no_queue: list[int]) -> None:
    stale = timezone.now() - services.STALE_AFTER - timedelta(seconds=5)
    job = IngestJob.objects.create(
        drop_path=str(tmp_path), status=JobStatus.RUNNING, attempts=1, heartbeat_at=stale
    )
    assert services.recover_stale_jobs() == [job.pk]
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED and _no_queue == [job.pk]
    IngestJob.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, attempts=services.MAX_ATTEMPTS, heartbeat_at=stale
    )
    assert services.recover_stale_jobs() == []
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "worker lost" in job.error


def test_a_successful_job_can_start_a_detection_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = IngestResult(
        drop_dir=str(tmp_path), fingerprint="f", files=(FileCounts("accounts", "a.csv", 3, 3, 0, 0, 0.1, ()),),
        warnings=(), quarantined=0, exchanges=0, rows_written={}, new_accounts=3, recomputed_accounts=0,
        templates_new=0, templates_extended=0, templates_merged=0, retried={}, timings={"total": 1.0},
        query_timings={},
    )  # fmt: skip
    monkeypatch.setattr(services, "run_ingest", lambda *a, **k: result)
    job = services.create_ingest_job(
        small_drop(tmp_path / "drop"), source=IngestJob.Source.COMMAND, within_root=False, run_detection=True
    )
    services.execute_ingest_job(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and job.counts == {
        "accounts": {"read": 3, "loaded": 3, "quarantined": 0, "duplicates": 0}
    }
    assert job.detection_run is not None and DetectionRun.objects.filter(pk=job.detection_run.pk).exists()
