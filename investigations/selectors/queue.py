"""Reads for the cluster queue: where each cluster stands with the analysts, and the queue's filters and orderings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import overload

from django.db import models
from django.db.models import Case as CaseWhen
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce

from investigations.models import (
    Annotation,
    AnnotationLabel,
    AnnotationTarget,
    Cluster,
    DetectionRun,
    RegrowthAlert,
)
from investigations.selectors.accounts import CAMPAIGN_CAPABILITIES, CAPABILITIES
from investigations.selectors.cases import watched_case_clusters


class ClusterStatus(models.TextChoices):
    """Where a cluster stands with the analysts (derived from annotations and case links, never stored)."""

    NEW = "new", "New"
    UNDER_REVIEW = "under_review", "Under review"
    ANNOTATED = "annotated", "Annotated"
    IN_CASE = "in_case", "In a case"


class QueueSort(models.TextChoices):
    """Orderings of the cluster queue."""

    SCORE = "-score", "Score (highest first)"
    SIZE = "-size", "Size (largest first)"
    EXCHANGES = "-exchanges", "Volume (highest first)"
    NEW_MEMBERS = "-new_members", "New members (most first)"
    SCORE_ASC = "score", "Score (lowest first)"
    SIZE_ASC = "size", "Size (smallest first)"
    KEY = "key", "Cluster id"


CAPABILITY_CAMPAIGN = "campaign"  # the capability filter's "any capability campaigns aim at" choice


@dataclass(frozen=True)
class QueueFilters:
    """What the queue is narrowed to; every field is optional."""

    min_score: float | None = None
    max_score: float | None = None
    min_size: int | None = None
    max_size: int | None = None
    signal: str = ""
    status: str = ""
    capability: str = ""
    include_unflagged: bool = False
    sort: str = QueueSort.SCORE


def with_status(qs: QuerySet[Cluster]) -> QuerySet[Cluster]:
    """Annotate each cluster with `status` (ClusterStatus) and `open_alerts` (unacknowledged regrowth alerts)."""
    notes = Annotation.objects.filter(target=AnnotationTarget.CLUSTER, target_id=OuterRef("key"))
    latest_label = notes.exclude(label="").order_by("-created_at", "-pk").values("label")[:1]
    alerts = (
        RegrowthAlert.objects.filter(cluster=OuterRef("pk"), acknowledged_at__isnull=True)
        .values("cluster")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return qs.annotate(
        _in_case=Exists(watched_case_clusters().filter(cluster_key=OuterRef("key"))),
        _latest_label=Subquery(latest_label),
        _noted=Exists(notes),
        open_alerts=Coalesce(Subquery(alerts, output_field=IntegerField()), Value(0)),
    ).annotate(
        status=CaseWhen(
            When(_in_case=True, then=Value(ClusterStatus.IN_CASE.value)),
            When(
                _latest_label=AnnotationLabel.NEEDS_REVIEW.value, then=Value(ClusterStatus.UNDER_REVIEW.value)
            ),
            When(_noted=True, then=Value(ClusterStatus.ANNOTATED.value)),
            default=Value(ClusterStatus.NEW.value),
            output_field=models.CharField(),
        )
    )


def clusters_for_queue(run: DetectionRun, filters: QueueFilters, *, statuses: bool = True) -> QuerySet[Cluster]:
    """The run's clusters (flagged only unless asked), filtered and sorted, each with `status` and `open_alerts`
    (`statuses=False`: only when the status filter needs them, for StatusPerPage, which derives them per page)."""
    qs = Cluster.objects.filter(run=run)
    if statuses or filters.status:
        qs = with_status(qs)
    if not filters.include_unflagged:
        qs = qs.filter(flagged=True)
    if filters.min_score is not None:
        qs = qs.filter(score__gte=filters.min_score)
    if filters.max_score is not None:
        qs = qs.filter(score__lte=filters.max_score)
    if filters.min_size is not None:
        qs = qs.filter(size__gte=filters.min_size)
    if filters.max_size is not None:
        qs = qs.filter(size__lte=filters.max_size)
    if filters.signal:
        s = filters.signal
        qs = qs.filter(Q(top_signals__0=s) | Q(top_signals__1=s) | Q(top_signals__2=s))
    if filters.status:
        qs = qs.filter(status=filters.status)  # type: ignore[misc]  # annotated by with_status()
    if filters.capability == CAPABILITY_CAMPAIGN:
        qs = qs.filter(dominant_capability__in=CAMPAIGN_CAPABILITIES)
    elif filters.capability:
        qs = qs.filter(dominant_capability=filters.capability)
    sort = filters.sort if filters.sort in QueueSort.values else QueueSort.SCORE
    return qs.order_by(sort, "-score" if sort != "-score" else "-size", "key")


class StatusPerPage(Sequence[Cluster]):
    """A queue for a paginator: counts and sorts the bare rows and annotates (`with_status`) only the page asked
    for, without the large JSON columns the queue never shows. Annotated before the sort, every cluster of the run
    pays for the status subqueries (SQLite evaluates them before it sorts): 39 ms for the last page of ~1,000
    clusters, against 5 ms this way."""

    def __init__(self, ordered: QuerySet[Cluster]) -> None:
        self._ordered = ordered

    def __len__(self) -> int:  # a paginator counts once (Paginator.count is cached)
        return self._ordered.count()

    @overload
    def __getitem__(self, index: int) -> Cluster: ...

    @overload
    def __getitem__(self, index: slice) -> list[Cluster]: ...

    def __getitem__(self, index: int | slice) -> Cluster | list[Cluster]:
        if isinstance(index, int):
            return self[index : index + 1][0]
        ids = list(self._ordered.values_list("pk", flat=True)[index])
        rows = with_status(Cluster.objects.filter(pk__in=ids))  # no run: one run's JSON columns per row otherwise
        by_id = {c.pk: c for c in rows.defer("features", "explanation", "lineage")}
        return [by_id[pk] for pk in ids]


def queue_signals(run: DetectionRun) -> list[str]:
    """Every signal name that is among some cluster's top signals in the run (the signal filter's choices)."""
    names: set[str] = set()
    for signals in Cluster.objects.filter(run=run).values_list("top_signals", flat=True):
        names.update(str(s) for s in (signals or []))
    return sorted(names)


def queue_capabilities() -> list[tuple[str, str]]:
    """Choices of the capability filter: campaign-like, then each capability."""
    return [(CAPABILITY_CAMPAIGN, "Campaign-like (reasoning, coding, agentic, tool use)")] + [
        (c, c.replace("_", " ")) for c in CAPABILITIES
    ]
