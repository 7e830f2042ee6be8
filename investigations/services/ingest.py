"""Writes for ingest: create and run ingest jobs, keep their progress and checkpoints (schedules are
`ingest_schedules.py`, the folders ingest may read `ingest_paths.py`).

A job runs in a Celery task on the `ingest` queue (acks_late). One job writes to the graph at a time (a
Redis lock with a short expiry, refreshed by a heartbeat thread), so a message delivered twice, or a job
whose worker died, never runs twice at once; the retried job resumes from its checkpoint.
"""

from __future__ import annotations

import logging
import shutil
import threading
import traceback
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import redis
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.utils import timezone

from graph.driver import get_graph
from graph.drop import DropRejected
from graph.ingest import IngestResult, drop_fingerprint, run_ingest
from investigations.celery import app as celery_app
from investigations.models import AuditAction, IngestJob, IngestSchedule, JobStatus
from investigations.queues import Queue
from investigations.services import graph_locks
from investigations.services.audit import record_audit
from investigations.services.detection import start_detection
from investigations.services.ingest_paths import PathRefused, resolve_drop_path
from investigations.services.outages import TRANSIENT_ERRORS, TransientFailure
from investigations.services.partner_matching import queue_rematch

log = logging.getLogger(__name__)

RUN_INGEST_TASK = "investigations.run_ingest"
SCAN_FOLDER_TASK = "investigations.scan_ingest_folder"
RECOVER_TASK = "investigations.recover_ingest_jobs"
LOCK_KEY = graph_locks.WRITER_LOCK_KEY
LOCK_TTL_SECONDS = 30
HEARTBEAT_SECONDS = 5
STALE_AFTER = timedelta(minutes=3)
MAX_ATTEMPTS = 3
SETTLE_SECONDS = 2.0  # a drop folder whose files changed more recently is still being copied in


class IngestBusy(RuntimeError):
    """Another ingest job holds the graph writer lock; try again later."""



# ---------------------------------------------------------------------------------- paths


def work_dir(job: IngestJob) -> Path:
    """Where a job stages its validated rows (kept between attempts, deleted when the job finishes)."""
    return Path(settings.VAR_DIR) / "ingest" / "work" / f"job-{job.pk}"


def quarantine_path(job: IngestJob) -> Path:
    """The CSV of every quarantined row of a job."""
    return Path(settings.VAR_DIR) / "ingest" / "quarantine" / f"job-{job.pk}.csv"


# ---------------------------------------------------------------------------------- jobs


def create_ingest_job(
    drop_path: str | Path,
    *,
    source: str = IngestJob.Source.MANUAL,
    by: User | None = None,
    schedule: IngestSchedule | None = None,
    run_detection: bool = False,
    within_root: bool = True,
    fingerprint: str = "",
    claim: str | None = None,
) -> IngestJob:
    """Create a queued job for an existing drop directory and send it to the ingest queue on commit."""
    path = resolve_drop_path(drop_path, within_root=within_root)
    job = IngestJob.objects.create(
        drop_path=str(path),
        drop_fingerprint=fingerprint,
        source=source,
        schedule=schedule,
        run_detection=run_detection,
        created_by=by,
        stage="queued",
        claim=claim,
    )
    transaction.on_commit(lambda: enqueue_ingest_job(job.pk))
    return job


def enqueue_ingest_job(job_id: int, countdown: float | None = None) -> None:
    """Send the job's task (by name: the tasks module imports this one, never the other way round)."""
    result = celery_app.send_task(RUN_INGEST_TASK, args=[job_id], queue=Queue.INGEST, countdown=countdown)
    IngestJob.objects.filter(pk=job_id).update(celery_task_id=result.id)


@transaction.atomic
def start_ingest_by_hand(drop_path: str, *, by: User | None, run_detection: bool = False) -> IngestJob:
    """An admin starts a job for a drop under INGEST_ROOT (recorded in the audit log)."""
    job = create_ingest_job(drop_path, source=IngestJob.Source.MANUAL, by=by, run_detection=run_detection)
    _audit_started(job, by, f"ingest job #{job.pk} started for {job.drop_path}")
    return job


@transaction.atomic
def retry_ingest_job(job: IngestJob, *, by: User | None = None) -> IngestJob:
    """Run a failed job's drop again as a new job (ingest is idempotent, so nothing is doubled). A retry from
    the web reads only under INGEST_ROOT, even for a job first started from the command line elsewhere."""
    retry = create_ingest_job(
        job.drop_path, source=IngestJob.Source.MANUAL, by=by, run_detection=job.run_detection, within_root=True
    )
    _audit_started(retry, by, f"ingest job #{retry.pk} started again for {retry.drop_path} (retry of #{job.pk})")
    return retry


def _audit_started(job: IngestJob, by: User | None, summary: str) -> None:
    record_audit(None, by, AuditAction.INGEST_STARTED, summary,
                 after={"job": job.pk, "drop": job.drop_path, "run_detection": job.run_detection})  # fmt: skip


class _WriterLock:
    """The Redis lock that lets one ingest job write at a time; expires unless its holder's heartbeat renews it.
    Its token names the job (`<job id>:<random>`), so a stale-job check can tell who holds it."""

    def __init__(self, job_id: int) -> None:
        self.client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
        self.token = f"{job_id}:{uuid.uuid4().hex}"
        # not thread-local: the heartbeat thread renews what the job's thread acquired
        self.lock = self.client.lock(LOCK_KEY, timeout=LOCK_TTL_SECONDS, thread_local=False)

    def acquire(self) -> bool:
        return bool(self.lock.acquire(blocking=False, token=self.token))

    def refresh(self) -> bool:
        try:
            return bool(self.lock.reacquire())
        except redis.exceptions.LockError:
            return False

    def release(self) -> None:
        try:
            self.lock.release()
        except redis.exceptions.LockError:  # expired meanwhile, or taken over after expiring: not ours to free
            pass

    def holder(self) -> str | None:
        return graph_locks.holder(self.client, LOCK_KEY)


class _Heartbeat(threading.Thread):
    """Refreshes the writer lock and the job's heartbeat while the pipeline runs."""

    def __init__(self, job_id: int, lock: _WriterLock) -> None:
        super().__init__(name=f"ingest-heartbeat-{job_id}", daemon=True)
        self.job_id = job_id
        self.lock = lock
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(HEARTBEAT_SECONDS):
                self.lock.refresh()
                IngestJob.objects.filter(pk=self.job_id).update(heartbeat_at=timezone.now())
        except Exception:  # noqa: BLE001 - a missed heartbeat only risks a later retry, never data
            log.exception("ingest heartbeat of job %s failed", self.job_id)
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=10)


def _progress_writer(job_id: int) -> Callable[[str, float], None]:
    last_at = [0.0]
    last_stage = [""]

    def write(stage: str, share: float) -> None:
        now = timezone.now().timestamp()
        if stage == last_stage[0] and now - last_at[0] < 1.0:
            return
        last_at[0], last_stage[0] = now, stage
        IngestJob.objects.filter(pk=job_id).update(
            stage=stage[:64], progress=round(min(1.0, max(0.0, share)), 4), heartbeat_at=timezone.now()
        )

    return write


def _checkpoint_writer(job_id: int) -> Callable[[dict[str, Any]], None]:
    def write(state: dict[str, Any]) -> None:
        IngestJob.objects.filter(pk=job_id).update(checkpoint=state, heartbeat_at=timezone.now())

    return write


def execute_ingest_job(job_id: int) -> IngestJob:
    """Run (or resume) one job; idempotent: a finished job is left alone.

    Raises IngestBusy when another job holds the writer lock and TransientFailure when Neo4j or Redis
    failed and the job may be retried; the Celery task turns both into a later retry.
    """
    job = IngestJob.objects.get(pk=job_id)
    if job.is_finished:
        return job
    lock = _WriterLock(job.pk)
    if not lock.acquire():
        who = graph_locks.describe_writer(lock.holder())
        IngestJob.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(stage=f"waiting: {who} writes"[:64])
        raise IngestBusy(f"the graph is being written by {who}")
    heartbeat = _Heartbeat(job.pk, lock)
    try:
        job.status, job.stage, job.error = JobStatus.RUNNING, "starting", ""
        job.attempts += 1
        job.started_at = job.started_at or timezone.now()
        job.heartbeat_at = timezone.now()
        job.quarantine_path = str(quarantine_path(job))
        job.save(
            update_fields=[
                "status",
                "stage",
                "error",
                "attempts",
                "started_at",
                "heartbeat_at",
                "quarantine_path",
            ]
        )
        heartbeat.start()
        return _run(job)
    finally:
        heartbeat.stop()
        lock.release()


def _run(job: IngestJob) -> IngestJob:
    try:
        # checked again when it runs: the folder or a file in it may have become a symlink since it was queued
        drop = resolve_drop_path(job.drop_path, within_root=job.source != IngestJob.Source.COMMAND)
    except PathRefused as exc:
        _finish(job, JobStatus.REJECTED, error=f"drop refused: {exc}")
        return job
    try:
        if not job.drop_fingerprint:
            job.drop_fingerprint = drop_fingerprint(drop)
            job.save(update_fields=["drop_fingerprint"])
        result = run_ingest(
            drop,
            get_graph(),
            work_dir=work_dir(job),
            quarantine_path=quarantine_path(job),
            chunk_rows=settings.INGEST_CHUNK_ROWS,
            session_batch_rows=settings.INGEST_SESSION_BATCH_ROWS,
            checkpoint=job.checkpoint,
            on_checkpoint=_checkpoint_writer(job.pk),
            progress=_progress_writer(job.pk),
            fingerprint=job.drop_fingerprint,
        )
    except DropRejected as exc:
        _finish(job, JobStatus.REJECTED, error=f"drop rejected: {exc}", report={"rejected": exc.to_dict()})
        return job
    except TRANSIENT_ERRORS as exc:
        reason = f"{type(exc).__name__}: {exc}"
        if job.attempts < MAX_ATTEMPTS:
            IngestJob.objects.filter(pk=job.pk).update(
                status=JobStatus.QUEUED,
                stage="waiting to retry",
                error=f"attempt {job.attempts} failed: {reason}",
            )
            raise TransientFailure(reason) from exc
        _finish(job, JobStatus.FAILED, error=f"failed after {job.attempts} attempts: {reason}")
        return job
    except Exception as exc:
        log.exception("ingest job %s failed", job.pk)
        _finish(
            job, JobStatus.FAILED, error=f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc(limit=8)}"
        )
        return job
    _succeed(job, result)
    return job


def _succeed(job: IngestJob, result: IngestResult) -> None:
    report = result.to_dict()
    job.counts = {
        f.file: {"read": f.read, "loaded": f.loaded, "quarantined": f.quarantined, "duplicates": f.duplicates}
        for f in result.files
    }
    job.warnings = list(result.warnings)
    job.timings = {**result.timings, **{f"read:{f.file}": f.seconds for f in result.files}}
    job.quarantined_total = result.quarantined
    with transaction.atomic():
        # the run is queued when this commits; a job is never seen finished without the run it asked for
        if job.run_detection:
            job.detection_run = start_detection(by=job.created_by)
        _finish(job, JobStatus.SUCCEEDED, report=report, extra_fields=["detection_run"] if job.run_detection else [])
        queue_rematch()  # partners' indicators are matched against the graph as this drop left it


def _finish(
    job: IngestJob, status: str, *, error: str = "", report: dict[str, Any] | None = None, extra_fields: list[str] | None = None
) -> None:
    job.status = status
    job.error = error
    job.report = report or {}
    job.stage = "done" if status == JobStatus.SUCCEEDED else str(status)
    job.finished_at = timezone.now()
    fields = [
        "status",
        "error",
        "report",
        "stage",
        "finished_at",
        "counts",
        "warnings",
        "timings",
        "quarantined_total",
    ]
    if status == JobStatus.SUCCEEDED:
        job.progress = 1.0
        fields.append("progress")
    job.save(update_fields=fields + (extra_fields or []))
    shutil.rmtree(work_dir(job), ignore_errors=True)


def mark_ingest_failed(job_id: int, reason: str) -> None:
    """Give up on a job (its task ran out of retries): status failed with the reason."""
    job = IngestJob.objects.get(pk=job_id)
    if not job.is_finished:
        _finish(job, JobStatus.FAILED, error=reason)


def recover_stale_jobs() -> list[int]:
    """Re-queue running jobs whose worker stopped beating (killed), or fail them after MAX_ATTEMPTS."""
    lock = _WriterLock(0)
    holder = lock.holder()
    requeued: list[int] = []
    cutoff = timezone.now() - STALE_AFTER
    for job in IngestJob.objects.filter(status=JobStatus.RUNNING, heartbeat_at__lt=cutoff):
        if holder is not None and holder.startswith(f"{job.pk}:"):
            continue
        if job.attempts >= MAX_ATTEMPTS:
            _finish(job, JobStatus.FAILED, error=f"worker lost {job.attempts} times; giving up")
            continue
        IngestJob.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
            status=JobStatus.QUEUED, stage="worker lost, re-queued", error="the worker stopped during the job"
        )
        enqueue_ingest_job(job.pk)
        requeued.append(job.pk)
    return requeued


# ---------------------------------------------------------------------------------- schedules


def worker_can_reach_redis() -> bool:
    """Whether the broker answers (the command checks it before queueing a job)."""
    try:
        return bool(redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=2).ping())
    except redis.exceptions.RedisError:
        return False
