"""Every task lands on a queue the deployed workers listen on (routes live in one place, `TASK_ROUTES`)."""

from __future__ import annotations

import re
from pathlib import Path

import investigations.tasks  # noqa: F401 - registers the tasks
from investigations.celery import app
from investigations.queues import TASK_ROUTES, Queue

WORKER_SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "celery.sh"


def _queue(name: str) -> str:
    return str(app.amqp.router.route({}, name, (), {})["queue"].name)


def test_every_routed_task_exists_and_every_task_reaches_a_known_queue() -> None:
    ours = sorted(n for n in app.tasks if n.startswith("investigations."))
    assert set(TASK_ROUTES) <= set(ours), set(TASK_ROUTES) - set(ours)
    known = {q.value for q in Queue}
    assert {_queue(n) for n in ours} <= known
    assert _queue("investigations.run_ingest") == Queue.INGEST
    assert _queue("investigations.run_detection") == Queue.DETECTION


def test_the_deployed_worker_listens_on_every_queue() -> None:
    default = re.search(r'QUEUES="\$\{CELERY_QUEUES:-([^}]*)\}"', WORKER_SCRIPT.read_text(encoding="utf-8"))
    assert default is not None
    assert set(default.group(1).split(",")) == {q.value for q in Queue}
