"""Writes for detection: start a run, execute it (graph pipeline + Django records, then regrowth alerts)."""

from __future__ import annotations

import csv
import logging
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import redis
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.utils import timezone

from graph.detection.params import DetectionParams
from graph.detection.pipeline import ClusterResult, DetectionResult, clear_run_clusters, run_detection
from graph.detection.timeliness import data_horizon, first_seen
from graph.driver import get_graph
from investigations.celery import app as celery_app
from investigations.models import (
    AuditAction,
    Cluster,
    ClusterMember,
    DetectionRun,
    FirstFlag,
    JobStatus,
    RegrowthAlert,
)
from investigations.queues import Queue
from investigations.selectors import detection as selectors
from investigations.selectors.clusters import warm_cluster
from investigations.services import graph_locks
from investigations.services.audit import record_audit
from investigations.services.outages import TRANSIENT_ERRORS, TransientFailure
from investigations.services.regrowth import raise_regrowth_alerts

log = logging.getLogger(__name__)

PROGRESS_EVERY_SECONDS = 1.0
RUN_DETECTION_TASK = "investigations.run_detection"
WARM_CLUSTERS_TASK = "investigations.warm_cluster_pages"
RECOVER_TASK = "investigations.recover_detection_runs"
# The locks expire DETECTION_LOCK_TTL_SECONDS after their holder stops renewing them (every LOCK_RENEW_SECONDS): a
# worker killed mid-run frees the graph within two minutes instead of holding it for hours.
LOCK_RENEW_SECONDS = 20
INGEST_WAIT_SECONDS = 30  # wait this long in the task for an ingest job to finish before retrying later
MAX_ATTEMPTS = 3
FIRST_FLAG_CHUNK = 900  # ids per IN query (SQLite's default variable limit is 999)


class DetectionBusy(RuntimeError):
    """Another detection run, or an ingest job, is writing to the graph: the run waits and tries again later."""



class _AlreadyFinished(Exception):
    """An earlier attempt of this run, alive after all, finished it while this delivery waited."""


def lock_key() -> str:
    return graph_locks.detection_lock_key()


@contextmanager
def _graph_locks(run: DetectionRun) -> Iterator[None]:
    """Hold the graph for one run: its detection lock (one run at a time rewrites LINKED and the Cluster nodes) and
    the writer lock (no ingest job changes the accounts while they are linked, and the run sees whole drops).

    Both are renewed, with the run's heartbeat, while the run works, and expire when its worker dies. A run
    redelivered while its own earlier attempt holds the lock waits: a dead attempt's lock expires within the TTL
    and this delivery takes over; a live one finishes the run and this delivery leaves it alone. Raises
    DetectionBusy at once when another run holds the graph, and after INGEST_WAIT_SECONDS while an ingest job
    writes."""
    client = graph_locks.client()
    ttl = settings.DETECTION_LOCK_TTL_SECONDS
    detection = client.lock(lock_key(), timeout=ttl, thread_local=False)
    writer = client.lock(graph_locks.WRITER_LOCK_KEY, timeout=ttl, thread_local=False)
    token = f"{run.pk}:{uuid.uuid4().hex}"
    writer_token = f"{graph_locks.DETECTION_HOLDER_PREFIX}{token}"
    ingest_deadline = time.monotonic() + INGEST_WAIT_SECONDS
    while True:
        if detection.acquire(blocking=False, token=token):
            if writer.acquire(blocking=False, token=writer_token):
                break
            detection.release()
            if time.monotonic() > ingest_deadline:
                who = graph_locks.holder(client, graph_locks.WRITER_LOCK_KEY)
                raise DetectionBusy(f"{graph_locks.describe_writer(who)} is writing to the graph")
        else:
            who = graph_locks.holder(client, lock_key())
            if who is not None and who.split(":")[0] != str(run.pk):
                raise DetectionBusy(f"another detection run (#{who.split(':')[0]}) is running on this graph")
            if DetectionRun.objects.filter(pk=run.pk, status__in=(JobStatus.SUCCEEDED, JobStatus.FAILED)).exists():
                raise _AlreadyFinished
        time.sleep(1)
    stop = threading.Event()

    def renew() -> None:
        try:
            while not stop.wait(min(LOCK_RENEW_SECONDS, ttl / 3)):
                try:
                    detection.reacquire()
                    writer.reacquire()
                except (redis.exceptions.LockError, redis.exceptions.ConnectionError):
                    log.warning("could not renew the graph locks of detection run %s", run.pk)
                DetectionRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now())
        except Exception:  # noqa: BLE001 - a missed heartbeat only risks an early re-queue, never data
            log.exception("heartbeat of detection run %s failed", run.pk)
        finally:
            connection.close()

    renewer = threading.Thread(target=renew, name=f"detection-lock-{run.pk}", daemon=True)
    renewer.start()
    try:
        yield
    finally:
        stop.set()
        renewer.join(timeout=5)
        for lock in (writer, detection):
            try:
                lock.release()
            except (redis.exceptions.LockError, redis.exceptions.ConnectionError):
                log.warning("a graph lock of detection run %s had expired before the run ended", run.pk)


def start_detection(*, by: User | None = None, params: dict[str, Any] | None = None) -> DetectionRun:
    """Create a queued run with validated parameters and send it to the detection queue."""
    resolved = DetectionParams.from_dict(params)
    with transaction.atomic():
        run = DetectionRun.objects.create(
            status=JobStatus.QUEUED, stage="queued", params=resolved.to_dict(), created_by=by
        )
        record_audit(None, by, AuditAction.DETECTION_STARTED, f"detection run #{run.pk} started",
                     after={"run": run.pk, "overrides": params or {}})  # fmt: skip
    transaction.on_commit(lambda: _enqueue(run.pk))
    return run


def _enqueue(run_id: int) -> None:
    # By name: the tasks module imports this one, never the other way round.
    result = celery_app.send_task(RUN_DETECTION_TASK, args=[run_id], queue=Queue.DETECTION)
    DetectionRun.objects.filter(pk=run_id).update(celery_task_id=result.id)


def _enqueue_warming(run_id: int) -> None:
    try:
        celery_app.send_task(WARM_CLUSTERS_TASK, args=[run_id], queue=Queue.DEFAULT)
    except Exception:  # noqa: BLE001 - warming is an optimisation; the run itself has succeeded
        log.warning("could not queue page warming for detection run %s", run_id, exc_info=True)


def clusters_to_warm(run: DetectionRun, count: int) -> list[Cluster]:
    """The clusters analysts open first: the top `count` flagged by score, and the largest few of the run."""
    clusters = Cluster.objects.filter(run=run).select_related("run")
    top = list(clusters.filter(flagged=True).order_by("-score", "key")[:count])
    largest = list(clusters.order_by("-size", "key")[:3])
    seen: set[int] = set()
    return [c for c in [*top, *largest] if not (c.pk in seen or seen.add(c.pk))]  # type: ignore[func-returns-value]


def warm_cluster_pages(run_id: int, count: int | None = None) -> int:
    """Read the page aggregates (members, timelines, network, explorer) of the run's most-viewed clusters into the shared
    cache, so that the first analyst to open even a 10,000-account cluster does not wait for the graph."""
    run = DetectionRun.objects.get(pk=run_id)
    warmed = 0
    for cluster in clusters_to_warm(run, settings.CLUSTER_WARM_COUNT if count is None else count):
        warm_cluster(cluster)
        warmed += 1
    return warmed


def _progress_writer(run: DetectionRun) -> Callable[[str, float], None]:
    last_at = [0.0]
    last_stage = [""]

    def write(stage: str, share: float) -> None:
        now = time.monotonic()
        if stage == last_stage[0] and now - last_at[0] < PROGRESS_EVERY_SECONDS:
            return
        last_at[0], last_stage[0] = now, stage
        DetectionRun.objects.filter(pk=run.pk).update(stage=stage[:64], progress=round(min(1.0, share), 4))

    return write


def execute_detection(run: DetectionRun) -> DetectionRun:
    """Run the pipeline for a queued (or interrupted) run and store its clusters; idempotent on retries.

    Raises DetectionBusy while another run or an ingest job holds the graph (the run stays queued) and
    TransientFailure when Neo4j or Redis failed and the run may start over; the Celery task retries both later.
    """
    if run.status == JobStatus.SUCCEEDED:
        return run
    try:
        with _graph_locks(run):
            run.refresh_from_db()
            if run.status in (JobStatus.SUCCEEDED, JobStatus.FAILED):
                return run
            _work(run)
    except _AlreadyFinished:
        run.refresh_from_db()
    return run


def _work(run: DetectionRun) -> None:
    params = DetectionParams.from_dict(run.params)
    Cluster.objects.filter(run=run).delete()
    run.status, run.stage, run.progress = JobStatus.RUNNING, "starting", 0.0
    run.attempts += 1
    run.started_at, run.finished_at, run.heartbeat_at = timezone.now(), None, timezone.now()
    run.save(update_fields=["status", "stage", "progress", "attempts", "started_at", "finished_at", "heartbeat_at"])
    try:
        run.data_as_of = data_horizon(get_graph())
        run.save(update_fields=["data_as_of"])
        previous = selectors.previous_clusters(run)
        keep = selectors.recent_run_ids(max(0, params.keep_runs_in_graph - 1))
        result = run_detection(
            get_graph(), run.pk, params, previous=previous, next_number=selectors.next_cluster_number(),
            keep_runs=keep, progress=_progress_writer(run),
        )  # fmt: skip
        _progress_writer(run)("saving clusters", 0.95)
        with transaction.atomic():
            store_result(run, result)
            first_flags = record_first_flags(run, result)
            # New members of watched clusters alert the analyst queue and the cases that hold them.
            case_alerts = raise_regrowth_alerts(run)
            alerts = RegrowthAlert.objects.filter(run=run).count()
            run.status, run.stage, run.progress, run.error = JobStatus.SUCCEEDED, "done", 1.0, ""
            run.stats = {
                **result.stats,
                "regrowth_alerts": alerts,
                "case_alerts": len(case_alerts),
                "first_flagged": first_flags,
                "previous_clusters": len(previous),
            }
            run.timings = result.timings
            run.finished_at = timezone.now()
            run.save(update_fields=["status", "stage", "progress", "error", "stats", "timings", "finished_at"])
            transaction.on_commit(lambda: _enqueue_warming(run.pk))
    except TRANSIENT_ERRORS as exc:
        reason = f"{type(exc).__name__}: {exc}"
        log.warning("detection run %s, attempt %s: %s", run.pk, run.attempts, reason)
        _forget_graph_clusters(run)
        if run.attempts < MAX_ATTEMPTS:
            DetectionRun.objects.filter(pk=run.pk).update(
                status=JobStatus.QUEUED, stage="waiting to retry", error=f"attempt {run.attempts} failed: {reason}"
            )
            raise TransientFailure(reason) from exc
        _fail(run, f"failed after {run.attempts} attempts: {reason}")
    except Exception as exc:
        log.exception("detection run %s failed", run.pk)
        _forget_graph_clusters(run)
        _fail(run, f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc(limit=8)}")
        raise


def _fail(run: DetectionRun, error: str) -> None:
    run.status, run.finished_at, run.error = JobStatus.FAILED, timezone.now(), error
    run.save(update_fields=["status", "finished_at", "error"])


def _forget_graph_clusters(run: DetectionRun) -> None:
    """Remove what the failed attempt wrote of the run's Cluster nodes (LINKED is rewritten whole by the next run;
    a graph that is unreachable now is cleaned by the next run's pruning of runs it does not keep)."""
    try:
        clear_run_clusters(get_graph(), run.pk)
    except Exception:  # noqa: BLE001 - best effort: the failure itself is what gets reported
        log.warning("could not remove the Cluster nodes of failed detection run %s", run.pk, exc_info=True)


def recover_stale_runs() -> list[int]:
    """Re-queue running detection runs whose worker stopped beating (killed, or its machine gone), or fail them after
    MAX_ATTEMPTS. A run is stale when it has not renewed its heartbeat for DETECTION_LOCK_TTL_SECONDS plus a minute
    and nobody holds its lock."""
    cutoff = timezone.now() - timedelta(seconds=settings.DETECTION_LOCK_TTL_SECONDS + 60)
    holder = graph_locks.holder(graph_locks.client(), lock_key())
    requeued: list[int] = []
    for run in DetectionRun.objects.filter(status=JobStatus.RUNNING, heartbeat_at__lt=cutoff):
        if holder is not None and holder.split(":")[0] == str(run.pk):
            continue
        if run.attempts >= MAX_ATTEMPTS:
            _fail(run, f"worker lost {run.attempts} times; giving up")
            continue
        if DetectionRun.objects.filter(pk=run.pk, status=JobStatus.RUNNING).update(
            status=JobStatus.QUEUED, stage="worker lost, re-queued", error="the worker stopped during the run"
        ):
            _enqueue(run.pk)
            requeued.append(run.pk)
    return requeued


def mark_waiting(run_id: int, reason: str) -> None:
    """The run waits for the graph (another run or an ingest job holds it): say so on its page."""
    DetectionRun.objects.filter(pk=run_id, status=JobStatus.QUEUED).update(stage=f"waiting: {reason}"[:64])


def store_result(run: DetectionRun, result: DetectionResult) -> None:
    """Write the run's Cluster and ClusterMember rows."""
    rows = [_cluster_row(run, c) for c in result.clusters]
    Cluster.objects.bulk_create(rows, batch_size=500)
    by_key = {c.key: c for c in Cluster.objects.filter(run=run)}
    members = [
        ClusterMember(
            cluster=by_key[c.key], account_id=a, is_new=a in c.lineage.new_members,
            exchanges=c.profile.member_exchanges.get(a, 0),
        )
        for c in result.clusters
        for a in c.accounts
    ]  # fmt: skip
    ClusterMember.objects.bulk_create(members, batch_size=5_000)


def record_first_flags(run: DetectionRun, result: DetectionResult) -> int:
    """Record this run as the first to flag every member of its flagged clusters that no earlier run flagged (with
    the account's first exchange, for its time-to-detect); returns how many accounts were flagged for the first
    time."""
    flagged = {a: c.key for c in result.clusters if c.score.flagged for a in c.accounts}
    ids = sorted(flagged)
    known: set[str] = set()
    for start in range(0, len(ids), FIRST_FLAG_CHUNK):
        chunk = ids[start : start + FIRST_FLAG_CHUNK]
        known.update(FirstFlag.objects.filter(account_id__in=chunk).values_list("account_id", flat=True))
    fresh = [a for a in ids if a not in known]
    seen = first_seen(get_graph(), fresh)
    FirstFlag.objects.bulk_create(
        [
            FirstFlag(account_id=a, run=run, cluster_key=flagged[a], first_seen=seen.get(a), data_as_of=run.data_as_of)
            for a in fresh
        ],
        batch_size=2_000,
        ignore_conflicts=True,
    )  # fmt: skip
    return len(fresh)


def _cluster_row(run: DetectionRun, c: ClusterResult) -> Cluster:
    return Cluster(
        run=run,
        key=c.key,
        size=len(c.accounts),
        score=c.score.score,
        flagged=c.score.flagged,
        exchanges=c.profile.exchanges,
        features={**c.profile.features, "raw_score": c.score.raw},
        explanation=c.score.explanation(),
        top_signals=c.score.top_signals,
        lineage=c.lineage.to_dict(),
        new_members=len(c.lineage.new_members),
        dominant_capability=c.profile.dominant_capability,
    )


def export_clusters(path: Path, run: DetectionRun) -> int:
    """Write the output-contract CSV (account_id, cluster_id, risk_score, flagged) of a run; returns rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["account_id", "cluster_id", "risk_score", "flagged"])
        for account_id, key, score, flagged in selectors.export_rows(run):
            writer.writerow([account_id, key, f"{score:.4f}", "true" if flagged else "false"])
            n += 1
    return n
