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
from pathlib import Path
from typing import Any

import redis
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from graph.detection.params import DetectionParams
from graph.detection.pipeline import ClusterResult, DetectionResult, run_detection
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
from investigations.services.audit import record_audit
from investigations.services.regrowth import raise_regrowth_alerts

log = logging.getLogger(__name__)

PROGRESS_EVERY_SECONDS = 1.0
RUN_DETECTION_TASK = "investigations.run_detection"
WARM_CLUSTERS_TASK = "investigations.warm_cluster_pages"
LOCK_PREFIX = "investigations:detection-lock"
# The lock expires DETECTION_LOCK_TTL_SECONDS after its holder stops renewing it (every LOCK_RENEW_SECONDS): a
# worker killed mid-run frees the graph within two minutes instead of holding it for hours.
LOCK_RENEW_SECONDS = 20
FIRST_FLAG_CHUNK = 900  # ids per IN query (SQLite's default variable limit is 999)


class DetectionBusy(RuntimeError):
    """Another detection run is writing links and clusters to the graph."""


@contextmanager
def _detection_lock(run_id: int) -> Iterator[None]:
    """One run at a time rewrites LINKED and the Cluster nodes. The lock is renewed while the run works and expires
    when its holder dies. A run redelivered after its worker died finds the lock still held by its own first
    attempt: it waits for that lock to expire (a live first attempt would keep renewing it, and this one gives up)."""
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    ttl = settings.DETECTION_LOCK_TTL_SECONDS
    lock = client.lock(lock_key(), timeout=ttl, thread_local=False)
    token = f"{run_id}:{uuid.uuid4().hex}"
    deadline = time.monotonic() + ttl + 5
    while not lock.acquire(blocking=False, token=token):
        holder = client.get(lock_key())
        who = holder.decode() if isinstance(holder, bytes) else str(holder)
        if who.split(":")[0] != str(run_id) or time.monotonic() > deadline:
            raise DetectionBusy(f"another detection run (#{who.split(':')[0]}) is running on this graph")
        time.sleep(1)
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(min(LOCK_RENEW_SECONDS, ttl / 3)):
            try:
                lock.reacquire()
            except (redis.exceptions.LockError, redis.exceptions.ConnectionError):
                log.warning("could not renew the detection lock of run %s", run_id)

    renewer = threading.Thread(target=renew, name=f"detection-lock-{run_id}", daemon=True)
    renewer.start()
    try:
        yield
    finally:
        stop.set()
        renewer.join(timeout=5)
        try:
            lock.release()
        except redis.exceptions.LockError:  # expired: not ours to free any more
            log.warning("the detection lock of run %s had expired before the run ended", run_id)


def lock_key() -> str:
    """The lock belongs to the graph being rewritten, not to the broker (two graphs may share one Redis)."""
    return f"{LOCK_PREFIX}:{settings.NEO4J_URI}/{settings.NEO4J_DATABASE}"


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
    """Read the page aggregates (members, timelines, network) of the run's most-viewed clusters into the shared
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
    """Run the pipeline for a queued (or interrupted) run and store its clusters; idempotent on retries."""
    if run.status == JobStatus.SUCCEEDED:
        return run
    params = DetectionParams.from_dict(run.params)
    Cluster.objects.filter(run=run).delete()
    run.status, run.stage, run.progress, run.error = JobStatus.RUNNING, "starting", 0.0, ""
    run.started_at, run.finished_at = timezone.now(), None
    run.save(update_fields=["status", "stage", "progress", "error", "started_at", "finished_at"])
    try:
        with _detection_lock(run.pk):
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
                run.status, run.stage, run.progress = JobStatus.SUCCEEDED, "done", 1.0
                run.stats = {
                    **result.stats,
                    "regrowth_alerts": alerts,
                    "case_alerts": len(case_alerts),
                    "first_flagged": first_flags,
                    "previous_clusters": len(previous),
                }
                run.timings = result.timings
                run.finished_at = timezone.now()
                run.save(update_fields=["status", "stage", "progress", "stats", "timings", "finished_at"])
                transaction.on_commit(lambda: _enqueue_warming(run.pk))
    except Exception as exc:
        log.exception("detection run %s failed", run.pk)
        run.status, run.finished_at = JobStatus.FAILED, timezone.now()
        run.error = f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc(limit=8)}"
        run.save(update_fields=["status", "finished_at", "error"])
        raise
    return run


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
