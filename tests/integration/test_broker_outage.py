"""The worker's broker connection, closed under it (Redis went away): what kombu 5.7 does then must not end the worker.
Against the test Redis, without a worker: the channel of a closed connection is asked to acknowledge a message and
to restore its unacknowledged ones, as Celery's consumer does when Redis drops it and when a task ends after the
worker reconnected."""

from __future__ import annotations

import logging
from urllib.parse import urlparse

import pytest
import redis
from django.conf import settings
from kombu import Connection

import investigations.celery  # noqa: F401 - its guard on kombu's Redis channel is what is tested

pytestmark = pytest.mark.integration


def _broker_url() -> str:
    url = urlparse(settings.CELERY_BROKER_URL)
    return f"redis://{url.hostname}:{url.port or 6379}/9"  # a database of its own


def test_a_message_of_a_closed_connection_is_left_to_redis_not_fatal(caplog: pytest.LogCaptureFixture) -> None:
    client = redis.Redis.from_url(_broker_url())
    client.flushdb()
    connection = Connection(_broker_url())
    try:
        queue = connection.SimpleQueue("outage-test")
        queue.put({"job": 1})
        message = queue.get(timeout=5)
        connection._do_close_transport()  # noqa: SLF001 - what the consumer's reconnect leaves behind
        message.channel._pool = None  # noqa: SLF001
        with caplog.at_level(logging.WARNING, logger="investigations.celery"):
            message.ack()  # kombu alone: AttributeError 'NoneType' object has no attribute 'hostname'
            message.channel.qos.restore_unacked_once()
        assert "ack on a closed broker connection skipped" in caplog.text
        # still in Redis's unacknowledged set: delivered again after the visibility timeout
        assert client.hlen("unacked") == 1
    finally:
        client.flushdb()
