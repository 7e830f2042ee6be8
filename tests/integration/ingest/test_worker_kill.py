"""A worker killed mid-job (SIGKILL to its whole process group): the job is redelivered to a new worker,
resumes from its checkpoint, and leaves the same complete, duplicate-free graph as an uninterrupted ingest."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

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


def _wait_until_loading_sessions(job_id: int, timeout: float = 900) -> IngestJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = IngestJob.objects.get(pk=job_id)
        if "templates" in job.checkpoint.get("done", []):
            return job
        if job.is_finished:
            raise AssertionError(f"the job finished ({job.status}) before it could be interrupted")
        time.sleep(0.2)
    raise AssertionError("the job never reached the session step")


def test_worker_killed_mid_job_completes_after_retry_without_duplicates(
    transactional_db: object, clean_graph: Graph, tmp_path: Path
) -> None:
    drop = tmp_path / "drop"
    subprocess.run(
        [sys.executable, "manage.py", "generate_drop", str(drop), "--preset", "seed", "--scale", "0.003", "--seed", "7",
         "-v", "0"],
        cwd=ROOT, check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    # a session-wide worker (from other tests) must not take this job: it stops consuming `ingest` meanwhile
    celery_app.control.cancel_consumer("ingest", reply=True, timeout=2)
    first = start_worker("test-ingest-kill-1.log")
    second = None
    try:
        job = services.create_ingest_job(drop, source=IngestJob.Source.COMMAND, within_root=False)
        job = _wait_until_loading_sessions(job.pk)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
        job.refresh_from_db()
        assert job.status == JobStatus.RUNNING and job.attempts == 1
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
    assert duplicate_relationships(clean_graph) == []
    after_retry = snapshot(clean_graph)
    counts = node_counts(clean_graph)
    # an uninterrupted ingest of the same drop into an empty graph writes exactly the same graph
    wipe_graph(clean_graph)
    run_ingest(drop, clean_graph, work_dir=tmp_path / "work", quarantine_path=tmp_path / "q.csv")
    assert node_counts(clean_graph) == counts
    assert snapshot(clean_graph) == after_retry
