"""The Redis locks that keep the graph's writers apart.

One writer at a time: an ingest job (it takes the *writer* lock) or a detection run (it takes the *detection* lock
of its graph and the writer lock as well, so that it reads a complete drop and no ingest changes the accounts it is
linking). Each lock's token names its holder (`<job id>:<random>` for ingest, `detection-<run id>:<random>` for a
detection run's hold on the writer lock) so that waiting work can say what it waits for, and a stale-job check can
tell who holds it. Locks expire unless their holder renews them: a killed worker frees the graph by itself.
"""

from __future__ import annotations

import redis
from django.conf import settings

WRITER_LOCK_KEY = "hydra:ingest:writer"
DETECTION_LOCK_PREFIX = "investigations:detection-lock"
DETECTION_HOLDER_PREFIX = "detection-"


def client() -> redis.Redis:
    return redis.Redis.from_url(settings.CELERY_BROKER_URL)


def detection_lock_key() -> str:
    """The detection lock belongs to the graph being rewritten, not to the broker (two graphs may share one Redis)."""
    return f"{DETECTION_LOCK_PREFIX}:{settings.NEO4J_URI}/{settings.NEO4J_DATABASE}"


def holder(connection: redis.Redis, key: str) -> str | None:
    """The token of whoever holds `key`, or None."""
    value = connection.get(key)
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)


def describe_writer(token: str | None) -> str:
    """`ingest job #12` or `detection run #5` for a writer-lock token."""
    if token is None:
        return "nobody"
    owner = token.split(":")[0]
    if owner.startswith(DETECTION_HOLDER_PREFIX):
        return f"detection run #{owner.removeprefix(DETECTION_HOLDER_PREFIX)}"
    return f"ingest job #{owner}"
