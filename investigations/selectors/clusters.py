"""Reads for the cluster page: the cluster of a run, its alerts, history and annotations, its network picture, and
the whole page. The queue, the explanation, the members and the timelines have modules of their own.

A cluster of a finished run never changes, so the graph aggregates behind its page are cached
(`selectors/page_cache.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import connections
from django.db.models import QuerySet

from graph.reads import in_parallel
from investigations.models import (
    Annotation,
    AnnotationTarget,
    Cluster,
    DetectionRun,
    JobStatus,
    RegrowthAlert,
)
from investigations.selectors.cluster_timelines import ClusterTimelines, cluster_timelines
from investigations.selectors.explanations import SignalRow, explanation_rows
from investigations.selectors.explorer import cluster_view
from investigations.selectors.members import cluster_members, graph_cluster_id
from investigations.selectors.networks import ClusterNetwork, read_network, with_group_open
from investigations.selectors.page_cache import cached
from investigations.selectors.partners import partner_signal_rows
from investigations.selectors.queue import with_status
from investigations.selectors.timeliness import DetectionTiming, detection_timing

T = TypeVar("T")


def cluster_in_run(run: DetectionRun, key: str) -> Cluster | None:
    """The cluster with this key in the run, with `status` and `open_alerts`."""
    return with_status(Cluster.objects.filter(run=run, key=key).select_related("run")).first()


def cluster_alerts(cluster: Cluster) -> QuerySet[RegrowthAlert]:
    """Regrowth alerts raised on this cluster in its run."""
    return RegrowthAlert.objects.filter(cluster=cluster).order_by("-created_at")


def cluster_history(key: str) -> list[Cluster]:
    """The cluster with this key in every successful run, oldest run first (its lineage)."""
    return list(
        Cluster.objects.filter(key=key, run__status=JobStatus.SUCCEEDED)
        .select_related("run")
        .order_by("run__created_at", "run_id")[:200]
    )


def cluster_annotations(key: str) -> QuerySet[Annotation]:
    """Annotations on a cluster (by stable key, across runs), newest first."""
    return annotations_on(AnnotationTarget.CLUSTER, key)


def annotations_on(target: AnnotationTarget, target_id: str) -> QuerySet[Annotation]:
    """Annotations on one cluster or account, newest first, with their authors."""
    return Annotation.objects.filter(target=target, target_id=target_id).select_related("author")


# --- explanation ---------------------------------------------------------------------------------------------


# Kinds whose natural key is a fingerprint or hash: evidence like "BIN 404163" names a group, not one entity.
def warm_cluster(cluster: Cluster) -> None:
    """Compute and share the graph aggregates behind a cluster's page (members, timelines, network, explorer)."""
    cluster_members(cluster)
    cluster_timelines(cluster)
    cluster_network(cluster)
    cluster_view(cluster)


# --- network picture (drawn from the graph by investigations.selectors.networks, cached here) ------------------


def cluster_network(cluster: Cluster, *, expand: str | None = None) -> ClusterNetwork:
    """The cluster's network picture (aggregated by shared entity above 60 accounts), with group `expand` open."""
    cid = graph_cluster_id(cluster)
    groups = cached(cluster, "network", lambda: read_network(cid, cluster.size))
    if not expand:
        return groups
    # Opening a group reuses the groups and their ties; only the group's members are read.
    return cached(cluster, f"network:{expand}", lambda: with_group_open(cid, groups, expand))


# --- the whole page ---------------------------------------------------------------------------------------


@dataclass
class ClusterPage:
    """Everything the cluster page shows."""

    cluster: Cluster
    signals: list[SignalRow]
    network: ClusterNetwork
    timelines: ClusterTimelines
    members: list[dict[str, Any]]
    timing: DetectionTiming
    history: list[Cluster]
    alerts: list[RegrowthAlert]
    annotations: list[Annotation]


def closing_db(call: Callable[[], T]) -> Callable[[], T]:
    """`call` for a pool thread: the database connection it opens there is closed when it returns (Django closes
    a request's connection, not one a pool thread keeps; on PostgreSQL each would stay an idle session)."""

    def run() -> T:
        try:
            return call()
        finally:
            connections.close_all()

    return run


def cluster_page(run: DetectionRun, key: str, *, expand: str | None = None) -> ClusterPage | None:
    """The cluster with this key in `run` and everything its page shows, or None when it does not exist."""
    cluster = cluster_in_run(run, key)
    if cluster is None:
        return None
    # The network and the timelines (which read the members) come from independent graph queries.
    network, timelines = in_parallel(
        closing_db(lambda: cluster_network(cluster, expand=expand)), closing_db(lambda: cluster_timelines(cluster))
    )
    members = cluster_members(cluster)
    return ClusterPage(
        cluster=cluster,
        signals=[*partner_signal_rows(cluster), *explanation_rows(cluster)],  # partners' reports first
        network=network,
        timelines=timelines,
        members=members,
        timing=detection_timing(members),
        history=cluster_history(key),
        alerts=list(cluster_alerts(cluster)),
        annotations=list(cluster_annotations(key)),
    )
