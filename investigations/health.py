"""Health of every part of the platform: Neo4j and GDS, Redis, Celery worker and beat, the database."""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from graph.driver import get_graph
from graph.schema import server_versions
from investigations.celery import app as celery_app

BEAT_HEARTBEAT_KEY = "hydra:beat:heartbeat"
BEAT_STALE_SECONDS = 180


@dataclass(frozen=True)
class ComponentStatus:
    """One part of the platform: whether it is up and what it reported."""

    name: str
    ok: bool
    detail: str


def check_neo4j() -> list[ComponentStatus]:
    """Neo4j's version and GDS's version, both through the real Bolt connection."""
    try:
        versions = server_versions(get_graph())
    except Exception as exc:  # noqa: BLE001 - any failure means the part is down
        return [
            ComponentStatus("neo4j", False, f"unreachable at {settings.NEO4J_URI}: {exc}"),
            ComponentStatus("gds", False, "unknown: Neo4j is down"),
        ]
    gds = versions.get("gds", "missing")
    return [
        ComponentStatus("neo4j", True, f"Neo4j {versions.get('neo4j')} {versions.get('edition')} at {settings.NEO4J_URI}"),
        ComponentStatus("gds", gds != "missing", f"Graph Data Science {gds}"),
    ]


def check_redis() -> ComponentStatus:
    """Redis answers PING."""
    try:
        client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=3)
        client.ping()
        info = client.info("server")
        return ComponentStatus("redis", True, f"Redis {info.get('redis_version')} at {settings.CELERY_BROKER_URL}")
    except Exception as exc:  # noqa: BLE001
        return ComponentStatus("redis", False, f"unreachable at {settings.CELERY_BROKER_URL}: {exc}")


def check_worker() -> ComponentStatus:
    """At least one Celery worker answers a ping."""
    try:
        replies = celery_app.control.ping(timeout=3.0)
    except Exception as exc:  # noqa: BLE001
        return ComponentStatus("celery worker", False, f"ping failed: {exc}")
    if not replies:
        return ComponentStatus("celery worker", False, "no worker answered a ping within 3 s")
    names = sorted(name for reply in replies for name in reply)
    return ComponentStatus("celery worker", True, f"{len(names)} worker(s): {', '.join(names)}")


def check_beat() -> ComponentStatus:
    """Celery beat is alive when its heartbeat task ran recently (beat schedules it, a worker runs it)."""
    try:
        client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=3)
        raw = client.get(BEAT_HEARTBEAT_KEY)
    except Exception as exc:  # noqa: BLE001
        return ComponentStatus("celery beat", False, f"cannot read heartbeat: {exc}")
    if raw is None:
        return ComponentStatus("celery beat", False, "no heartbeat recorded yet")
    age = time.time() - float(raw)
    if age > BEAT_STALE_SECONDS:
        return ComponentStatus("celery beat", False, f"last heartbeat {age:.0f} s ago")
    return ComponentStatus("celery beat", True, f"last heartbeat {age:.0f} s ago")


def check_database() -> ComponentStatus:
    """The relational database answers and has no unapplied migrations."""
    try:
        connection.ensure_connection()
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:  # noqa: BLE001
        return ComponentStatus("database", False, f"unreachable: {exc}")
    vendor = f"{connection.vendor} {connection.settings_dict.get('NAME')}"
    if pending:
        return ComponentStatus("database", False, f"{vendor}: {len(pending)} migration(s) not applied")
    return ComponentStatus("database", True, vendor)


def check_all() -> list[ComponentStatus]:
    """Every component, in a fixed order."""
    return [*check_neo4j(), check_redis(), check_worker(), check_beat(), check_database()]
