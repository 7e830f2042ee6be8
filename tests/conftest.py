"""Shared fixtures: the real Neo4j graph, a real Celery worker process on Redis, and users per role.

The test command (`make test`) starts Neo4j with GDS and Redis before pytest runs; a fixture that cannot
reach them fails the test with the reason instead of skipping it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection

from graph.driver import Graph, get_graph
from graph.schema import apply_schema
from investigations.celery import app as celery_app
from investigations.roles import Role, ensure_role_groups
from investigations.services.users import create_or_update_user

ROOT = Path(__file__).resolve().parent.parent
TEST_PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="session")
def graph() -> Graph:
    """The real Neo4j server with GDS, with the schema applied; fails loudly when it cannot be reached."""
    g = get_graph()
    try:
        g.verify()
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"Neo4j is not reachable at {settings.NEO4J_URI} (start it with `make test`): {exc}")
    apply_schema(g)
    return g


def wipe_graph(g: Graph) -> None:
    """Delete every node and relationship (keeps the schema), in batches."""
    # Relationships first, in small batches, so a large graph never needs a big transaction.
    g.auto("wipe_rels", "MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 5000 ROWS")
    g.auto("wipe_nodes", "MATCH (n) CALL (n) { DELETE n } IN TRANSACTIONS OF 5000 ROWS")
    for name in [r["graphName"] for r in g.auto("gds_list", "CALL gds.graph.list() YIELD graphName RETURN graphName")]:
        g.auto("gds_drop", "CALL gds.graph.drop($graph, false) YIELD graphName RETURN graphName", graph=name)


@pytest.fixture
def clean_graph(graph: Graph) -> Iterator[Graph]:
    """An empty graph for one test."""
    wipe_graph(graph)
    yield graph


@pytest.fixture
def make_user(db: Any) -> Callable[..., User]:
    """Create a user with a role: `make_user(Role.ANALYST, "ann")`."""

    def make(role: Role, username: str | None = None) -> User:
        ensure_role_groups()
        user, _ = create_or_update_user(username or f"{role.value}-user", role=role, password=TEST_PASSWORD)
        return user

    return make


@pytest.fixture
def analyst(make_user: Callable[..., User]) -> User:
    return make_user(Role.ANALYST)


@pytest.fixture
def case_manager(make_user: Callable[..., User]) -> User:
    return make_user(Role.CASE_MANAGER)


@pytest.fixture
def admin_user(make_user: Callable[..., User]) -> User:
    return make_user(Role.ADMIN)


def _wait_for_worker(proc: subprocess.Popen[bytes], log_path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the Celery worker exited with {proc.returncode}; see {log_path}")
        if celery_app.control.ping(timeout=1.0):
            return
    pytest.fail(f"the Celery worker did not answer a ping within {timeout:.0f} s; see {log_path}")


def start_worker(
    log_name: str = "test-worker.log", extra_env: dict[str, str] | None = None, concurrency: int | None = None
) -> subprocess.Popen[bytes]:
    """Start a real Celery worker process on the test database and Redis; wait until it answers. It runs one process
    unless `concurrency` or TEST_WORKER_CONCURRENCY says more (the test command's PostgreSQL pass runs production's
    2)."""
    log_dir = Path(settings.VAR_DIR) / "log"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / log_name
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "investigations.settings.test",
        "USE_TEST_DATABASE": "1",
        **(extra_env or {}),
    }
    cmd = [
        sys.executable, "-m", "celery", "-A", "investigations", "worker", "-l", "info",
        "--concurrency", str(concurrency or os.environ.get("TEST_WORKER_CONCURRENCY", "1")), "-Q", "default,ingest,detection", "-n", f"test-{os.getpid()}@%h", "--without-mingle",
        "--without-gossip",
    ]  # fmt: skip
    with log_path.open("ab") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    _wait_for_worker(proc, log_path)
    return proc


def stop_worker(proc: subprocess.Popen[bytes]) -> None:
    """Stop a worker started by `start_worker`, and its pool processes with it."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # a pool process left behind would hold its database session


def _wait_for_other_sessions_to_end(timeout: float = 15) -> None:
    """PostgreSQL: wait until no other session uses the test database (it is dropped right after the session)."""
    if connection.vendor != "postgresql":
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            row = cursor.fetchone()
        if row is None or row[0] == 0:
            return
        time.sleep(0.2)


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup: Any, django_db_blocker: Any) -> Iterator[subprocess.Popen[bytes]]:
    """One real worker process for the session, sharing the test database file and Redis."""
    celery_app.control.purge()
    proc = start_worker()
    yield proc
    stop_worker(proc)
    with django_db_blocker.unblock():
        _wait_for_other_sessions_to_end()


FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Remember on the test item whether its set-up or body failed (the `worker` fixture's clean-up asks)."""
    report: pytest.TestReport = yield
    if report.failed:
        item.stash[FAILED] = True
    return report


def _drain_worker(timeout: float = 300) -> None:
    """After a failed test: drop what it left queued and wait until the worker has finished what it runs, so the
    next test's clean-up is not racing a job of this one (a failure then stays one failure)."""
    celery_app.control.purge()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        inspect = celery_app.control.inspect(timeout=1.0)
        held = [t["request"]["id"] for tasks in (inspect.scheduled() or {}).values() for t in tasks]
        if held:
            celery_app.control.revoke(held)
        if not any((inspect.active() or {}).values()) and not held:
            return
        time.sleep(1)
    pytest.fail(f"the worker was still running the failed test's jobs {timeout:.0f} s after it ended")


@pytest.fixture
def worker(
    request: pytest.FixtureRequest, celery_worker_process: subprocess.Popen[bytes], transactional_db: Any
) -> Iterator[subprocess.Popen[bytes]]:
    """A running worker, with the test's database writes committed so the worker sees them."""
    ensure_role_groups()
    if celery_worker_process.poll() is not None:
        pytest.fail("the session's Celery worker has died; see var/log/test-worker.log")
    yield celery_worker_process
    if request.node.stash.get(FAILED, False) and celery_worker_process.poll() is None:
        _drain_worker()


def pytest_configure(config: pytest.Config) -> None:
    """Make the folder of the test database file (shared with the worker process)."""
    test_db = getattr(settings, "TEST_DB_PATH", None)
    if test_db is not None:
        Path(test_db).parent.mkdir(parents=True, exist_ok=True)
