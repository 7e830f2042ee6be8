"""Waiting out an outage of Neo4j or Redis: a job that failed because one of them went away waits, in its task, until
both answer again and is retried at once, instead of sleeping a fixed back-off (and spending attempts) while the
server is still starting."""

from __future__ import annotations

import logging
import time

import redis
from django.conf import settings
from neo4j.exceptions import ServiceUnavailable, SessionExpired, TransientError

from graph.driver import get_graph

log = logging.getLogger(__name__)

OUTAGE_WAIT_SECONDS = 300
# What a job may be retried after: Neo4j or Redis unreachable, a lost connection, a transient server error.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    ServiceUnavailable,
    SessionExpired,
    TransientError,
    redis.exceptions.ConnectionError,
    ConnectionError,
)
POLL_SECONDS = 2.0
BUSY_RETRY_SECONDS = 10  # another job holds the graph: look again this much later
BACKOFF_SECONDS = (15, 60, 180)  # Neo4j or Redis still down after OUTAGE_WAIT_SECONDS: the n-th retry waits this


class TransientFailure(RuntimeError):
    """Neo4j or Redis went away during a job; the job is queued again (an ingest resumes, a detection starts over)."""


def reachable() -> bool:
    """Whether Neo4j and the Redis broker both answer now."""
    try:
        get_graph().verify()
        return bool(redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=2).ping())
    except Exception:  # noqa: BLE001 - any failure means: not back yet
        return False


def wait_until_reachable(timeout: float = OUTAGE_WAIT_SECONDS) -> bool:
    """Block until Neo4j and Redis answer (True), or `timeout` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while not reachable():
        if time.monotonic() > deadline:
            log.warning("Neo4j or Redis still unreachable after %.0f s", timeout)
            return False
        time.sleep(POLL_SECONDS)
    return True


def retry_countdown(retries: int) -> int:
    """Seconds before a job that failed on an outage runs again: wait here until Neo4j and Redis answer, then go again
    at once (a restart costs seconds, not a fixed back-off); if they stay down, back off by the retry count."""
    if wait_until_reachable():
        return 1
    return BACKOFF_SECONDS[min(retries, len(BACKOFF_SECONDS) - 1)]
