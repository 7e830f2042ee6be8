"""A worker killed mid-job (SIGKILL to its whole process group): the job is redelivered to a new worker,
resumes from its checkpoint, and leaves the same complete, duplicate-free graph as an uninterrupted ingest,
for a first drop and for the next day's drop added to it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from graph.driver import Graph
from graph.ingest import run_ingest
from investigations.celery import app as celery_app
from investigations.models import IngestJob, JobStatus
from investigations.services import ingest as services
from tests.conftest import start_worker, stop_worker, wipe_graph
from tests.integration.ingest.drops import duplicate_relationships, node_counts, snapshot
from tests.integration.ingest.test_jobs import wait_for_job

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]


def _wait_until(job_id: int, reached: Callable[[IngestJob], bool], timeout: float = 900) -> IngestJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = IngestJob.objects.get(pk=job_id)
        if reached(job):
            return job
        if job.is_finished:
            raise AssertionError(f"the job finished ({job.status}) before it could be interrupted")
        time.sleep(0.05)
    raise AssertionError("the job never reached the point to interrupt it at")


def _killed_then_resumed(
    drop: Path, reached: Callable[[IngestJob], bool], first_env: dict[str, str] | None = None
) -> tuple[IngestJob, dict[str, Any]]:
    """Run a job on a worker (with `first_env`), SIGKILL the worker's whole process group once `reached`, let a
    second worker (default settings) take the redelivered job; return the finished job and the checkpoint it had
    when the first worker died."""
    # a session-wide worker (from other tests) must not take this job: it stops consuming `ingest` meanwhile
    celery_app.control.cancel_consumer("ingest", reply=True, timeout=2)
    first = start_worker("test-ingest-kill-1.log", extra_env=first_env)
    second = None
    try:
        job = services.create_ingest_job(drop, source=IngestJob.Source.COMMAND, within_root=False)
        job = _wait_until(job.pk, reached)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
        job.refresh_from_db()
        assert job.status == JobStatus.RUNNING and job.attempts == 1
        at_kill = dict(job.checkpoint)
        # the new worker restores the unacknowledged message (visibility timeout passed) and runs it again
        second = start_worker("test-ingest-kill-2.log", extra_env={"CELERY_VISIBILITY_TIMEOUT": "5"})
        job = wait_for_job(job.pk, timeout=1200)
    finally:
        if second is not None:
            stop_worker(second)
        if first.poll() is None:
            stop_worker(first)
        celery_app.control.add_consumer("ingest", reply=True, timeout=2)
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.attempts >= 2
    assert "read_validate" not in job.report["timings"]  # resumed from the staged files, not read again
    return job, at_kill


def _generate(out: Path, *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "generate_drop", str(out), "--preset", "seed", "--seed", "7", "-v", "0", *args],
        cwd=ROOT, check=True, capture_output=True, timeout=300,
    )  # fmt: skip


def test_worker_killed_mid_job_completes_after_retry_without_duplicates(
    transactional_db: object, clean_graph: Graph, tmp_path: Path
) -> None:
    drop = tmp_path / "drop"
    _generate(drop, "--scale", "0.003")
    _killed_then_resumed(drop, lambda job: "templates" in job.checkpoint.get("done", []))
    assert duplicate_relationships(clean_graph) == []
    after_retry = snapshot(clean_graph)
    counts = node_counts(clean_graph)
    # an uninterrupted ingest of the same drop into an empty graph writes exactly the same graph
    wipe_graph(clean_graph)
    run_ingest(drop, clean_graph, work_dir=tmp_path / "work", quarantine_path=tmp_path / "q.csv")
    assert node_counts(clean_graph) == counts
    assert snapshot(clean_graph) == after_retry


def _writing_sessions(job: IngestJob) -> bool:
    """Part-way through the sessions: a session batch is recorded as committed (the checkpoint is saved as soon as
    one is) and the step is not over."""
    return str(job.checkpoint.get("step", "")).startswith("sessions") and job.checkpoint.get("batch", -1) >= 0


def test_worker_killed_while_adding_a_next_drop_resumes_to_the_same_graph(
    transactional_db: object, clean_graph: Graph, tmp_path: Path
) -> None:
    """The next day's drop adds its sessions' facts to accounts already in the graph: batches the first worker
    committed are not written again, and those it committed without recording are recomputed, not added twice."""
    series = tmp_path / "series"
    _generate(series, "--scale", "0.01", "--series", "2", "--period-days", "15")
    day1, day2 = series / "drop-0001", series / "drop-0002"
    run_ingest(day1, clean_graph, work_dir=tmp_path / "w1", quarantine_path=tmp_path / "q1.csv")
    # small session transactions make the sessions step long enough to be interrupted part-way on any machine; the
    # second worker runs with the default size, and must keep the first attempt's batches (its checkpoint's)
    job, at_kill = _killed_then_resumed(day2, _writing_sessions, first_env={"INGEST_SESSION_BATCH_ROWS": "20"})
    assert at_kill["session_batch_rows"] == 20
    # the retry continued after the batches recorded as committed: it wrote fewer sessions than the drop holds
    sessions = sum(1 for _ in (day2 / "sessions.csv").open()) - 1
    assert 0 < job.report["rows_written"]["sessions"] < sessions, at_kill
    assert duplicate_relationships(clean_graph) == []
    after_retry = snapshot(clean_graph)
    wipe_graph(clean_graph)
    run_ingest(day1, clean_graph, work_dir=tmp_path / "w2", quarantine_path=tmp_path / "q2.csv")
    run_ingest(day2, clean_graph, work_dir=tmp_path / "w3", quarantine_path=tmp_path / "q3.csv")
    assert snapshot(clean_graph) == after_retry
