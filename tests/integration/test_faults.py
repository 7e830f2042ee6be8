"""Real faults on the real services (marker `faults`): a worker killed with SIGKILL in the middle of a detection run,
Redis (the broker, the locks) restarted in the middle of an ingest, Neo4j stopped and restarted in the middle of an
ingest and of a detection run, and an ingest job and a detection run queued together. Each ends complete and exact,
or failed with a clear error and nothing half-written; no job stays "running". Recovery times are printed
(bench/bench_faults.py measures them on bigger drops)."""

from __future__ import annotations

import json
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

from graph.detection.timeliness import data_horizon
from graph.driver import Graph
from graph.ingest import run_ingest
from investigations.celery import app as celery_app
from investigations.celery import reset_broker_connections
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


RUN_ENDED = (JobStatus.SUCCEEDED, JobStatus.FAILED)


def _run_under_way(run_id: int, share: float) -> DetectionRun:
    """Wait until the run has done `share` of its work; it must still be running, to be interrupted."""
    run = _poll(lambda: DetectionRun.objects.get(pk=run_id), lambda r: r.progress >= share or r.status in RUN_ENDED,
                120, "the run never got under way")  # fmt: skip
    assert run.status == JobStatus.RUNNING, f"the run ended ({run.status}) before it could be interrupted"
    return run


def _run_ended(run_id: int, timeout: float) -> DetectionRun:
    return _poll(lambda: DetectionRun.objects.get(pk=run_id), lambda r: r.status in RUN_ENDED, timeout,
                 "the interrupted run never finished")  # fmt: skip


def _assert_stored_once(graph: Graph, run: DetectionRun) -> None:
    """The run succeeded and its clusters are stored once, not once per attempt, in Django and in the graph, where
    nothing is left of another attempt."""
    assert run.status == JobStatus.SUCCEEDED, run.error
    clusters = list(Cluster.objects.filter(run=run).values_list("key", flat=True))
    assert clusters and len(clusters) == len(set(clusters))
    in_graph = graph.auto("n", "MATCH (c:Cluster) RETURN c.run_id AS run, count(c) AS n")
    assert in_graph == [{"run": run.pk, "n": len(clusters)}]
    assert duplicate_relationships(graph) == []


def test_worker_killed_mid_detection_run_finishes_it_exactly_once(
    transactional_db: object, clean_graph: Graph, tmp_path: Path
) -> None:
    run_ingest(_generate(tmp_path / "drop", "0.01"), clean_graph, work_dir=tmp_path / "w", quarantine_path=tmp_path / "q")
    # a session-wide worker must not take the run: it stops consuming `detection` meanwhile
    celery_app.control.cancel_consumer("detection", reply=True, timeout=2)
    first = start_worker("test-detect-kill-1.log", extra_env={"DETECTION_LOCK_TTL_SECONDS": "6"})
    second = None
    try:
        run = _run_under_way(start_detection().pk, 0.2)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
        killed_at = time.monotonic()
        assert DetectionRun.objects.get(pk=run.pk).status == JobStatus.RUNNING
        second = start_worker("test-detect-kill-2.log", extra_env={"CELERY_VISIBILITY_TIMEOUT": "5"})
        run = _run_ended(run.pk, 300)
        recovery = time.monotonic() - killed_at
    finally:
        if second is not None:
            stop_worker(second)
        if first.poll() is None:
            stop_worker(first)
        celery_app.control.add_consumer("detection", reply=True, timeout=2)
    print(f"\nworker killed mid-detection: run #{run.pk} {run.status} {recovery:.1f} s after the kill")
    _assert_stored_once(clean_graph, run)


def _redis(action: str) -> None:
    """The test Redis, through its deploy script (the port and VAR_DIR the test command started it with)."""
    port = str(urlparse(settings.CELERY_BROKER_URL).port or 6379)
    subprocess.run(["bash", str(ROOT / "deploy" / "redis.sh"), action], cwd=ROOT, check=True, capture_output=True,
                   timeout=120, env={**os.environ, "REDIS_PORT": port})  # fmt: skip


def _ingest_through_fault(
    clean_graph: Graph, tmp_path: Path, log_name: str, fault: Callable[[], float], worker_env: dict[str, str]
) -> tuple[IngestJob, float, float]:
    """Ingest a drop through a worker, make `fault` happen in its sessions step, and check the job ends with exactly
    the graph of an undisturbed ingest. Returns the job, the seconds the service was gone and the seconds from its
    return to the job's end."""
    drop = _generate(tmp_path / "drop", "0.01")
    run_ingest(drop, clean_graph, work_dir=tmp_path / "ref", quarantine_path=tmp_path / "q0")
    reference = snapshot(clean_graph), node_counts(clean_graph)
    clean_graph.auto("wipe", "MATCH (n) DETACH DELETE n")
    celery_app.control.cancel_consumer("ingest", reply=True, timeout=2)
    worker = start_worker(log_name, extra_env=worker_env)
    try:
        job = ingest_services.create_ingest_job(drop, source=IngestJob.Source.COMMAND, within_root=False)
        job = _poll(lambda: IngestJob.objects.get(pk=job.pk), lambda j: "sessions" in j.stage or j.is_finished, 300,
                    "the job never reached its sessions")  # fmt: skip
        assert not job.is_finished, f"the job ended ({job.status}) before the fault"
        down = fault()
        back_at = time.monotonic()
        job = wait_for_job(job.pk, timeout=600)
        recovery = time.monotonic() - back_at
        time.sleep(3)
        # the worker lives on: it reconnected (a broker connection closed under it used to end it, Unrecoverable error)
        assert worker.poll() is None, f"the worker exited with {worker.returncode}; see its log {log_name}"
    finally:
        stop_worker(worker)
        reset_broker_connections()
        celery_app.control.add_consumer("ingest", reply=True, timeout=2)
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert node_counts(clean_graph) == reference[1]
    assert snapshot(clean_graph) == reference[0]
    assert duplicate_relationships(clean_graph) == []
    return job, down, recovery


def _restart_redis() -> float:
    stopped_at = time.monotonic()
    _redis("stop")
    time.sleep(2)
    _redis("start")
    return time.monotonic() - stopped_at


def test_redis_restarted_mid_ingest_leaves_the_exact_graph(
    transactional_db: object, clean_graph: Graph, tmp_path: Path
) -> None:
    job, down, recovery = _ingest_through_fault(clean_graph, tmp_path, "test-redis-restart.log", _restart_redis,
                                                {"CELERY_VISIBILITY_TIMEOUT": "5"})  # fmt: skip
    print(f"\nredis restarted mid-ingest: down {down:.1f} s; job #{job.pk} done {recovery:.1f} s after the restart")


def test_a_job_queued_when_redis_is_killed_still_runs(transactional_db: object, clean_graph: Graph, tmp_path: Path) -> None:
    """Redis dies with SIGKILL (no clean save) while an ingest job waits in its queue: the broker's append-only file
    brings the message back with Redis, and a worker runs the job to the end."""
    drop = _generate(tmp_path / "drop", "0.01")
    celery_app.control.cancel_consumer("ingest", reply=True, timeout=2)
    worker = None
    try:
        job = ingest_services.create_ingest_job(drop, source=IngestJob.Source.COMMAND, within_root=False)
        time.sleep(1.5)  # the append-only file is written to disk once a second
        pid = int((Path(settings.VAR_DIR) / "run" / "redis.pid").read_text().split()[0])
        os.kill(pid, signal.SIGKILL)
        _poll(lambda: _alive(pid), lambda alive: not alive, 30, "Redis did not die")
        _redis("start")
        reset_broker_connections()
        worker = start_worker("test-redis-killed.log")
        job = wait_for_job(job.pk, timeout=300)
    finally:
        if worker is not None:
            stop_worker(worker)
        reset_broker_connections()
        celery_app.control.add_consumer("ingest", reply=True, timeout=2)
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert node_counts(clean_graph)["Account"] > 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()


def _neo4j(action: str) -> None:
    """The test Neo4j, through its deploy script (the port and VAR_DIR the test command started it with; `start`
    returns once Bolt answers)."""
    subprocess.run(["bash", str(ROOT / "deploy" / "neo4j.sh"), action], cwd=ROOT, check=True, capture_output=True,
                   timeout=400, env={**os.environ, "NEO4J_BOLT_PORT": str(urlparse(settings.NEO4J_URI).port or 7687)})  # fmt: skip


def _restart_neo4j() -> float:
    """Stop and start the test Neo4j; returns when it answers again, with the seconds it was gone."""
    stopped_at = time.monotonic()
    _neo4j("stop")
    _neo4j("start")
    return time.monotonic() - stopped_at


def test_neo4j_restarted_mid_ingest_leaves_the_exact_graph(
    transactional_db: object, clean_graph: Graph, tmp_path: Path
) -> None:
    # small session transactions keep the sessions step going while the server goes down
    job, down, recovery = _ingest_through_fault(clean_graph, tmp_path, "test-neo4j-restart-ingest.log", _restart_neo4j,
                                                {"INGEST_SESSION_BATCH_ROWS": "50"})  # fmt: skip
    print(f"\nneo4j restarted mid-ingest: down {down:.1f} s; job #{job.pk} done after {job.attempts} attempt(s), "
          f"{recovery:.1f} s after Neo4j was back")  # fmt: skip


def test_neo4j_restarted_mid_detection_run_finishes_it_exactly_once(
    transactional_db: object, clean_graph: Graph, tmp_path: Path
) -> None:
    run_ingest(_generate(tmp_path / "drop", "0.01"), clean_graph, work_dir=tmp_path / "w", quarantine_path=tmp_path / "q")
    celery_app.control.cancel_consumer("detection", reply=True, timeout=2)
    worker = start_worker("test-neo4j-restart-detect.log")
    try:
        run = _run_under_way(start_detection().pk, 0.1)
        down = _restart_neo4j()
        back_at = time.monotonic()
        run = _run_ended(run.pk, 400)
        recovery = time.monotonic() - back_at
    finally:
        stop_worker(worker)
        celery_app.control.add_consumer("detection", reply=True, timeout=2)
    print(f"\nneo4j restarted mid-detection: down {down:.1f} s; run #{run.pk} {run.status} after {run.attempts} "
          f"attempt(s), {recovery:.1f} s after Neo4j was back")  # fmt: skip
    _assert_stored_once(clean_graph, run)


def _series(out: Path) -> list[Path]:
    subprocess.run(
        [sys.executable, "manage.py", "generate_drop", str(out), "--preset", "test", "--seed", "12", "-v", "0",
         "--series", "2", "--period-days", "3"],
        cwd=ROOT, check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    return [out / "drop-0001", out / "drop-0002"]


def _ingested(graph: Graph) -> list[str]:
    """The snapshot of what ingest wrote: without detection's Cluster nodes, LINKED and MEMBER_OF."""
    def ours(line: str) -> bool:
        item = json.loads(line)
        return "Cluster" not in item.get("labels", ()) and item.get("type") not in ("LINKED", "MEMBER_OF")

    return [line for line in snapshot(graph) if ours(line)]


def _apart(job: IngestJob, run: DetectionRun) -> bool:
    """Whether the job's time on the graph and the run's work did not overlap."""
    assert job.started_at and job.finished_at and run.started_at and run.finished_at
    return run.finished_at <= job.started_at or job.finished_at <= run.started_at


def test_ingest_and_detection_queued_together_take_turns_on_the_graph(
    transactional_db: object, clean_graph: Graph, tmp_path: Path
) -> None:
    """Production's worker (two processes) gets an ingest job and a detection run at once, then a run followed by
    the next day's drop while it works: they never hold the graph together, the graph is exact, and a run that
    waited for a drop sees all of it."""
    day1, day2 = _series(tmp_path / "series")
    references = []
    for n, day in enumerate((day1, day2)):
        run_ingest(day, clean_graph, work_dir=tmp_path / f"ref{n}", quarantine_path=tmp_path / f"q{n}")
        references.append(_ingested(clean_graph))
    clean_graph.auto("wipe", "MATCH (n) DETACH DELETE n")
    for queue in ("ingest", "detection"):
        celery_app.control.cancel_consumer(queue, reply=True, timeout=2)
    worker = start_worker("test-ingest-with-detection.log", concurrency=2)
    try:
        job = ingest_services.create_ingest_job(day1, source=IngestJob.Source.COMMAND, within_root=False)
        run = start_detection()
        job = wait_for_job(job.pk, timeout=600)
        run = _run_ended(run.pk, 600)
        assert job.status == JobStatus.SUCCEEDED, job.error
        assert run.status == JobStatus.SUCCEEDED, run.error
        assert _apart(job, run)
        assert _ingested(clean_graph) == references[0]
        ingest_first = bool(run.started_at and job.finished_at and run.started_at >= job.finished_at)
        if ingest_first:
            assert run.data_as_of == data_horizon(clean_graph)  # it waited for the whole drop
        first_order = "ingest, then detection" if ingest_first else "detection, then ingest"

        run = start_detection()
        _poll(lambda: DetectionRun.objects.get(pk=run.pk), lambda r: r.status != JobStatus.QUEUED, 120,
              "the second run never started")  # fmt: skip
        job = ingest_services.create_ingest_job(day2, source=IngestJob.Source.COMMAND, within_root=False)
        job = wait_for_job(job.pk, timeout=600)
        run = DetectionRun.objects.get(pk=run.pk)
    finally:
        stop_worker(worker)
        for queue in ("ingest", "detection"):
            celery_app.control.add_consumer(queue, reply=True, timeout=2)
    assert run.status == JobStatus.SUCCEEDED, run.error
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.started_at and run.finished_at
    print(f"\nqueued together: {first_order}; the next drop waited {(job.started_at - job.created_at).total_seconds():.1f} s "
          f"for the running detection")  # fmt: skip
    assert job.started_at >= run.finished_at  # the drop waited for the run on the graph
    assert _ingested(clean_graph) == references[1]
    assert duplicate_relationships(clean_graph) == []
