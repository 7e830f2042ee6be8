"""An admin schedules ingest in a real browser: the schedule is created, a new drop appears in the watched
folder, celery beat and a real worker ingest it, and the job's report shows in the job list; an analyst
cannot open the ingest pages. Screenshots go to test-artifacts/."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from playwright.sync_api import Browser, expect
from playwright.sync_api import Error as PlaywrightError

from graph.driver import Graph
from investigations.celery import app as celery_app
from investigations.models import IngestJob, IngestSchedule, JobStatus
from tests.e2e.conftest import login
from tests.integration.ingest.drops import small_drop

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parent.parent.parent
ARTIFACTS = ROOT / "test-artifacts"
expect.set_options(timeout=30_000)


@pytest.fixture
def beat(worker: Any, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A real celery beat process reading schedules from the test database."""
    log_dir = Path(settings.VAR_DIR) / "log"
    log_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "investigations.settings.test", "USE_TEST_DATABASE": "1"}
    cmd = [sys.executable, "-m", "celery", "-A", "investigations", "beat", "-l", "info",
           "--pidfile", str(tmp_path / "beat.pid"), "--max-interval", "2"]  # fmt: skip
    with (log_dir / "test-ingest-beat.log").open("ab") as log:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
    # Folder scans beat sent and no worker took yet must not outlive the test: after the database is emptied, a
    # later test's schedule gets the same id, and a stale scan would take its drops (and ingest them into its graph).
    celery_app.control.purge()


@pytest.fixture
def watched() -> Iterator[Path]:
    """A folder under INGEST_ROOT for the schedule to watch."""
    folder = Path(settings.INGEST_ROOT) / f"e2e-{uuid.uuid4().hex[:8]}"
    folder.mkdir(parents=True)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)



def test_admin_schedules_ingest_and_sees_the_report(
    browser: Browser,
    live_server: Any,
    beat: subprocess.Popen[bytes],
    clean_graph: Graph,
    watched: Path,
    admin_user: User,
    analyst: User,
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    base = live_server.url
    page = browser.new_page()
    login(page, base, admin_user.get_username())
    page.click("nav.menu >> text=Ingest")
    expect(page.locator("h1")).to_have_text("Ingest")
    form = page.locator("#new-schedule")
    form.locator("input[name=name]").fill("nightly drops")
    form.locator("input[name=folder]").fill(watched.name)
    form.locator("input[name=interval_minutes]").fill("1")
    form.locator("button[type=submit]").click()
    expect(page.locator(".messages")).to_contain_text("Schedule 'nightly drops' created.")
    expect(page.locator("#schedules")).to_contain_text("nightly drops")
    expect(page.locator("#schedules")).to_contain_text("active")
    page.screenshot(path=str(ARTIFACTS / "ingest-1-schedule-created.png"), full_page=True)
    schedule = IngestSchedule.objects.get(name="nightly drops")
    assert schedule.periodic_task is not None and schedule.periodic_task.interval.every == 1  # type: ignore[union-attr]

    # a new drop appears in the watched folder (written elsewhere, then moved in, as an exporter would)
    small_drop(watched.parent / f".{watched.name}-staging")
    (watched.parent / f".{watched.name}-staging").rename(watched / "2026-09-03")
    past = time.time() - 60
    for p in (watched / "2026-09-03").iterdir():
        os.utime(p, (past, past))

    deadline = time.monotonic() + 300
    row = page.locator("#jobs tr[data-status=succeeded]")
    while time.monotonic() < deadline and row.count() == 0:
        time.sleep(3)
        try:
            page.goto(f"{base}/ingest/")
        except PlaywrightError:  # the page's own refresh (while a job runs) may win the race
            page.wait_for_load_state()
    expect(row).to_have_count(1)
    expect(row).to_contain_text("2026-09-03")
    expect(row).to_contain_text("exchanges: 7")
    expect(row).to_contain_text("Schedule (nightly drops)")
    page.screenshot(path=str(ARTIFACTS / "ingest-2-job-succeeded.png"), full_page=True)
    job = IngestJob.objects.get(schedule=schedule)
    assert job.status == JobStatus.SUCCEEDED

    row.locator("a").first.click()
    expect(page.locator("#job-status")).to_have_text("Succeeded")
    expect(page.locator("#job-files tr[data-file=exchanges]")).to_contain_text("7")
    expect(page.locator("#job-files tr[data-file=sessions]")).to_contain_text("4")
    page.screenshot(path=str(ARTIFACTS / "ingest-3-job-report.png"), full_page=True)

    page.goto(f"{base}/ingest/")
    page.locator(f"#schedules tr[data-schedule='{schedule.pk}'] button", has_text="Pause").click()
    expect(page.locator(f"#schedules tr[data-schedule='{schedule.pk}']")).to_contain_text("paused")
    schedule.refresh_from_db()
    assert not schedule.enabled

    other = browser.new_page()
    login(other, base, analyst.get_username())
    expect(other.locator("nav.menu")).not_to_contain_text("Ingest")
    response = other.goto(f"{base}/ingest/")
    assert response is not None and response.status == 403
    assert other.goto(f"{base}/ingest/jobs/{job.pk}/").status == 403  # type: ignore[union-attr]
    other.screenshot(path=str(ARTIFACTS / "ingest-4-analyst-forbidden.png"), full_page=True)
    other.close()
    page.close()
