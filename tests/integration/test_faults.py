"""Real faults on the real services (marker `faults`): a worker killed with SIGKILL in the middle of a detection run,
and Redis (the broker, the locks) restarted in the middle of an ingest. Each ends complete and exact, or failed with
a clear error and nothing half-written; no job stays "running". Recovery times are printed (bench/bench_faults.py
measures them on bigger drops)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from django.conf import settings
from kombu import pools as kombu_pools

from graph.driver import Graph
from graph.ingest import run_ingest
from investigations.celery import app as celery_app
from investigations.models import Cluster, DetectionRun, IngestJob, JobStatus
from investigations.services import ingest as ingest_services
from investigations.services.detection import start_detection
from tests.conftest import start_worker, stop_worker
from tests.integration.ingest.drops import duplicate_relationships, node_counts, snapshot
from tests.integration.ingest.test_jobs import wait_for_job

pytestmark = [pytest.mark.integration, pytest.mark.faults]
ROOT = Path(__file__).resolve().parents[2]


def _generate(out: Path, scale: str) -> Path:
    subprocess.run(
        [sys.executable, "manage.py", "generate_drop", str(out), "--preset", "seed", "--seed", "11", "-v", "0",
         "--scale", scale],
        cwd=ROOT, check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    return out


def _poll(get: Callable[[], Any], until: Callable[[Any], bool], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = get()
        if until(value):
            return value
        time.sleep(0.05)
    raise AssertionError(f"{what} within {timeout:.0f} s")


def test_worker_killed_mid_detection_run_finishes_it_exactly_once(
    transactional_db: object, clean_graph: Graph, tmp_path: Path
) -> None:
    run_ingest(_generate(tmp_path / "drop", "0.01"), clean_graph, work_dir=tmp_path / "w", quarantine_path=tmp_path / "q")
    # a session-wide worker must not take the run: it stops consuming `detection` meanwhile
    celery_app.control.cancel_consumer("detection", reply=True, timeout=2)
    first = start_worker("test-detect-kill-1.log", extra_env={"DETECTION_LOCK_TTL_SECONDS": "6"})
    second = None
    try:
        run = start_detection()
        run = _poll(lambda: DetectionRun.objects.get(pk=run.pk),
                    lambda r: r.progress >= 0.2 or r.status in (JobStatus.SUCCEEDED, JobStatus.FAILED), 120,
                    "the run never got under way")  # fmt: skip
        assert run.status == JobStatus.RUNNING, f"the run ended ({run.status}) before it could be interrupted"
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
        killed_at = time.monotonic()
        assert DetectionRun.objects.get(pk=run.pk).status == JobStatus.RUNNING
        second = start_worker("test-detect-kill-2.log", extra_env={"CELERY_VISIBILITY_TIMEOUT": "5"})
        run = _poll(lambda: DetectionRun.objects.get(pk=run.pk), lambda r: r.status in (JobStatus.SUCCEEDED,
                    JobStatus.FAILED), 300, "the killed run was never finished")  # fmt: skip
        recovery = time.monotonic() - killed_at
    finally:
        if second is not None:
            stop_worker(second)
        if first.poll() is None:
            stop_worker(first)
        celery_app.control.add_consumer("detection", reply=True, timeout=2)
    print(f"\nworker killed mid-detection: run #{run.pk} {run.status} {recovery:.1f} s after the kill")
    assert run.status == JobStatus.SUCCEEDED, run.error
    clusters = list(Cluster.objects.filter(run=run).values_list("key", flat=True))
    assert clusters and len(clusters) == len(set(clusters))  # stored once, not once per attempt
    in_graph = clean_graph.auto(
        "n", "MATCH (c:Cluster {run_id: $run}) RETURN count(c) AS n", run=run.pk
    )[0]["n"]
    assert in_graph == len(clusters)
    assert duplicate_relationships(clean_graph) == []


def _fresh_broker_connections() -> None:
    """This process's pooled broker connections died with the old Redis server: drop them, and the producers on
    them, so the next use connects again."""
    kombu_pools.reset()  # closes every pooled connection and forgets the pools
    celery_app._pool = None  # noqa: SLF001  # Celery builds a new pool on next use
    celery_app.amqp._producer_pool = None  # noqa: SLF001


def _redis(action: str) -> None:
    """The test Redis, through its deploy script (the port and VAR_DIR the test command started it with)."""
    port = str(urlparse(settings.CELERY_BROKER_URL).port or 6379)
    subprocess.run(["bash", str(ROOT / "deploy" / "redis.sh"), action], cwd=ROOT, check=True, capture_output=True,
                   timeout=120, env={**os.environ, "REDIS_PORT": port})  # fmt: skip


def test_redis_restarted_mid_ingest_leaves_the_exact_graph(
    transactional_db: object, clean_graph: Graph, tmp_path: Path
) -> None:
    drop = _generate(tmp_path / "drop", "0.01")
    run_ingest(drop, clean_graph, work_dir=tmp_path / "ref", quarantine_path=tmp_path / "q0")
    reference = snapshot(clean_graph), node_counts(clean_graph)
    clean_graph.auto("wipe", "MATCH (n) DETACH DELETE n")
    celery_app.control.cancel_consumer("ingest", reply=True, timeout=2)
    worker = start_worker("test-redis-restart.log", extra_env={"CELERY_VISIBILITY_TIMEOUT": "5"})
    try:
        job = ingest_services.create_ingest_job(drop, source=IngestJob.Source.COMMAND, within_root=False)
        _poll(lambda: IngestJob.objects.get(pk=job.pk), lambda j: "sessions" in j.stage or j.is_finished, 300,
              "the job never reached its sessions")  # fmt: skip
        restarted_at = time.monotonic()
        _redis("stop")
        time.sleep(2)
        _redis("start")
        job = wait_for_job(job.pk, timeout=600)
        recovery = time.monotonic() - restarted_at
    finally:
        stop_worker(worker)
        _fresh_broker_connections()
        celery_app.control.add_consumer("ingest", reply=True, timeout=2)
    print(f"\nredis restarted mid-ingest: job #{job.pk} {job.status} {recovery:.1f} s after the restart")
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert node_counts(clean_graph) == reference[1]
    assert snapshot(clean_graph) == reference[0]
    assert duplicate_relationships(clean_graph) == []
