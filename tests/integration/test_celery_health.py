"""A real Celery worker on Redis: a task round trip, and `manage.py health` naming what is down."""

import subprocess
import sys
import uuid
from pathlib import Path

from django.conf import settings

from investigations.health import check_database, check_redis, check_worker
from investigations.tasks.health import ping

ROOT = Path(__file__).resolve().parent.parent.parent


def test_task_round_trip_through_redis_and_worker(worker: subprocess.Popen[bytes]) -> None:
    token = uuid.uuid4().hex
    result = ping.delay(token)
    assert result.get(timeout=30) == f"pong:{token}"


def test_health_components_report_up(worker: subprocess.Popen[bytes]) -> None:
    assert check_redis().ok
    status = check_worker()
    assert status.ok, status.detail
    assert check_database().ok


def test_health_command_fails_and_names_the_service_when_neo4j_is_down() -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "investigations.settings.test",
        "NEO4J_URI": "bolt://127.0.0.1:1",
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "VAR_DIR": str(settings.VAR_DIR),
    }
    proc = subprocess.run(
        [sys.executable, "manage.py", "health"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode != 0
    assert "neo4j" in proc.stdout and "DOWN" in proc.stdout
    assert "neo4j" in proc.stderr
