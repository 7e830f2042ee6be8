"""Celery tasks of the platform's own health: a ping through Redis and a worker, and beat's heartbeat."""

from __future__ import annotations

import time

import redis
from celery import shared_task
from django.conf import settings

from investigations.health import BEAT_HEARTBEAT_KEY


@shared_task(name="investigations.ping")
def ping(value: str) -> str:
    """Echo `value` back: a round trip through Redis and a worker."""
    return f"pong:{value}"


@shared_task(name="investigations.beat_heartbeat", ignore_result=True)
def beat_heartbeat() -> None:
    """Record that beat scheduled and a worker ran this task just now."""
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.set(BEAT_HEARTBEAT_KEY, str(time.time()), ex=3600)
