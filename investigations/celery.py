"""The Celery application; tasks are discovered from the Django apps."""

import functools
import logging
import os
from collections.abc import Callable
from typing import Any

from celery import Celery
from kombu import pools as kombu_pools
from kombu.transport import redis as kombu_redis

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "investigations.settings.dev")

log = logging.getLogger(__name__)

app = Celery("investigations")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def reset_broker_connections() -> None:
    """Forget this process's pooled broker connections and the producers on them (they died with a Redis server that
    restarted), so that the next task sent connects again. Workers reconnect by themselves; this is for a process that
    sends tasks and outlives a broker restart."""
    kombu_pools.reset()  # closes every pooled connection and forgets the pools
    app._pool = None  # noqa: SLF001 - Celery builds a new pool on next use
    app.amqp._producer_pool = None  # noqa: SLF001


def _unless_detached(method: Callable[..., Any]) -> Callable[..., Any]:
    """Kombu 5.7's Redis channel raises AttributeError (`'NoneType' object has no attribute 'hostname'` or
    `'client'`) when it is used after its broker connection was closed: restoring its unacknowledged messages as the
    worker drops a connection to a Redis that went away, or acknowledging a message of the old connection when the
    task that held it ends after the worker reconnected. Celery does not expect that error there and the worker died
    with "Unrecoverable error" (found by bench/bench_faults.py restarting Redis under an ingest). The message stays in
    Redis's unacknowledged set instead, and Redis delivers it again after the visibility timeout, to a task that
    finds its job done (tasks are idempotent); the worker carries on and reconnects."""

    @functools.wraps(method)
    def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except AttributeError:
            log.warning("%s on a closed broker connection skipped; Redis keeps the message", method.__name__)
            return None

    return guarded


for _name in ("restore_unacked", "ack", "reject"):
    setattr(kombu_redis.QoS, _name, _unless_detached(getattr(kombu_redis.QoS, _name)))
