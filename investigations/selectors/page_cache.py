"""The aggregates behind cluster pages (members, timelines, networks, figures), cached in two tiers: a small
per-process LRU (no pickling on the hot path) in front of the shared Django cache (Redis), so that a big cluster
read once by any web process, or warmed by the worker after its detection run, is fast in every other process too.

An entry is keyed by the cluster, its run and the latest finished ingest, so a newer ingest is never answered from
an older entry, and a rebuilt graph never meets an old one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar, cast

from cachetools import LRUCache, TTLCache
from cachetools import cached as memoised
from django.conf import settings
from django.core.cache import caches
from django.db import models

from investigations.models import Cluster, IngestJob

log = logging.getLogger(__name__)
T = TypeVar("T")

LOCAL_ENTRIES = 256  # aggregates kept per process (members, timelines, one network per group, figures)
SHARED_PREFIX = "cluster-page:v3:"  # bump when the shape of a cached aggregate changes
_MISSING = object()
_local: LRUCache[str, Any] = LRUCache(maxsize=LOCAL_ENTRIES)
_local_lock = threading.Lock()


def _shared_get(key: str) -> Any:
    """The value under `key` in the shared cache, or `_MISSING` (also when the cache is unreachable: the page is
    then computed, never failed, and the outage shows in `manage.py health`)."""
    try:
        return caches["default"].get(SHARED_PREFIX + key, _MISSING)
    except Exception:  # noqa: BLE001 - a cache outage must not take the page down
        log.warning("shared cache unavailable for %s", key, exc_info=True)
        return _MISSING


def _shared_set(key: str, value: Any) -> None:
    try:
        caches["default"].set(SHARED_PREFIX + key, value, timeout=settings.CLUSTER_CACHE_SECONDS)
    except Exception:  # noqa: BLE001
        log.warning("could not store %s in the shared cache", key, exc_info=True)


@memoised(TTLCache(maxsize=1, ttl=1.0), lock=threading.Lock())
def _graph_stamp() -> float:
    """When the graph last changed under finished runs: the latest finished ingest (account totals and status on a
    member table come from the graph). Read at most once a second per process: a page asks once per part."""
    latest = IngestJob.objects.filter(finished_at__isnull=False).aggregate(m=models.Max("finished_at"))["m"]
    return latest.timestamp() if latest else 0.0


def cache_key(cluster: Cluster, part: str) -> str:
    """A key naming the cluster row, its run's creation time, the latest ingest and the part."""
    stamp = cluster.run.created_at.timestamp() if cluster.run.created_at else 0
    return f"{cluster.pk}:{stamp}:{_graph_stamp()}:{part}"


def cached(cluster: Cluster, part: str, compute: Callable[[], T], *, shared: bool = True) -> T:
    """`compute()` once for this cluster and part, kept in this process and (if `shared`) in the shared cache.
    Pass `shared=False` for values that depend on the request (such as figures holding its links)."""
    key = cache_key(cluster, part)
    with _local_lock:
        if key in _local:
            return _local[key]  # type: ignore[no-any-return]
    found = _shared_get(key) if shared else _MISSING
    if found is _MISSING:
        value = compute()  # outside the lock: two threads may both compute once, never block each other
        if shared:
            _shared_set(key, value)
    else:
        value = cast(T, found)
    with _local_lock:
        _local[key] = value
    return value


def clear_cluster_cache() -> None:
    """Forget every cached cluster aggregate of this process (tests; after a graph was rebuilt). Shared entries
    need no clearing: their keys name the run and the latest ingest, so a rebuilt graph never meets them."""
    with _local_lock:
        _local.clear()
    _graph_stamp.cache_clear()
