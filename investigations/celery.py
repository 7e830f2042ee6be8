"""The Celery application; tasks are discovered from the Django apps."""

import logging
import os
from typing import Any

from celery import Celery
from kombu.transport import redis as kombu_redis

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "investigations.settings.dev")

log = logging.getLogger(__name__)

app = Celery("investigations")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

_restore_unacked = kombu_redis.QoS.restore_unacked


def _restore_unacked_unless_gone(self: Any, client: Any = None) -> None:
    """Kombu (5.7) puts a channel's unacknowledged messages back in the queue when the channel closes. When Redis goes
    away, the worker closes its broker connection, and that restore can find the transport already detached
    (`'NoneType' object has no attribute 'hostname'`, outside the errors Celery ignores there): the worker died with
    "Unrecoverable error" instead of reconnecting (seen when Redis restarted under a running ingest). The messages
    are still in Redis's unacknowledged set then: the task that holds one acknowledges it when it ends, or Redis
    delivers it again after the visibility timeout; the worker carries on and reconnects."""
    try:
        _restore_unacked(self, client)
    except AttributeError:
        log.warning("broker connection gone before its unacknowledged messages could be restored; Redis keeps them")


kombu_redis.QoS.restore_unacked = _restore_unacked_unless_gone  # type: ignore[method-assign]
