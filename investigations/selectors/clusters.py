"""Reads for the cluster queue and the cluster page: status, filters, explanation, members, timelines, network.

A cluster of a finished run never changes, so the graph aggregates behind its page (members, timelines,
network) are cached under a key naming the cluster row and its run's creation time.
"""

from __future__ import annotations

import bisect
import datetime as dt
import ipaddress
import logging
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import models
from django.db.models import Case as CaseWhen
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce

from graph.reads import in_parallel, read, start_reads
from investigations.ids import parse_id
from investigations.models import (
    Annotation,
    AnnotationLabel,
    AnnotationTarget,
    Cluster,
    ClusterMember,
    DetectionRun,
    JobStatus,
    RegrowthAlert,
)
from investigations.selectors.accounts import (
    CAMPAIGN_CAPABILITIES,
    CAPABILITIES,
    EntityKind,
    hour_start,
    kind_label,
)
from investigations.selectors.cases import watched_case_clusters
from investigations.selectors.networks import ClusterNetwork, read_network, with_group_open
from investigations.selectors.page_cache import cached
from investigations.selectors.timeliness import DetectionTiming, detection_timing, first_flags

MEMBER_LIMIT = 50_000  # members read from the graph for one cluster
REPLACEMENT_HOURS = 72  # a sign-up this soon after a ban in the same cluster counts as a replacement

T = TypeVar("T")
log = logging.getLogger(__name__)


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


def graph_cluster_id(cluster: Cluster) -> str:
    """The id of the cluster's node in the graph: `<run id>:<key>`."""
    return f"{cluster.run_id}:{cluster.key}"


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


def clusters_for_queue(run: DetectionRun, filters: QueueFilters) -> QuerySet[Cluster]:
    """The run's clusters (flagged only unless asked), filtered and sorted, each with `status` and `open_alerts`."""
    qs = with_status(Cluster.objects.filter(run=run).select_related("run"))
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
_PLAIN_KEY_KINDS = {
    EntityKind.PAYMENT_INSTRUMENT, EntityKind.DEVICE, EntityKind.CLIENT_FINGERPRINT,
    EntityKind.BILLING_ADDRESS, EntityKind.BILLING_NAME,
}  # fmt: skip
_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_.:-]+$")


@dataclass(frozen=True)
class Evidence:
    """One piece of evidence behind a signal: an entity (or time window) and how many members share it."""

    kind: str
    id: str
    accounts: int | None
    account_ids: tuple[str, ...]
    detail: str
    label: str = ""
    """A human name for the entity when its key is opaque (a card's issuing BIN, an address's country)."""

    @property
    def kind_label(self) -> str:
        """Human label of the kind."""
        return kind_label(self.kind)

    @property
    def link_id(self) -> str | None:
        """The natural id of the entity page this evidence opens, or None (a time window, a BIN range...)."""
        if not self.id or self.kind not in EntityKind.values:
            return None
        if self.kind in _PLAIN_KEY_KINDS:
            return self.id if _PLAIN_KEY.match(self.id) else None
        if self.kind == EntityKind.ASN:
            number = self.id.upper().removeprefix("AS")
            return number if parse_id(number) is not None else None
        if self.kind in (EntityKind.IP, EntityKind.SUBNET):
            try:
                return str(
                    ipaddress.ip_address(self.id)
                    if self.kind == EntityKind.IP
                    else ipaddress.ip_network(self.id)
                )
            except ValueError:
                return None
        return self.id


@dataclass(frozen=True)
class SignalRow:
    """One signal of a cluster's score: its value, its contribution and the evidence behind it."""

    signal: str
    label: str
    value: Any
    contribution: float
    evidence: tuple[Evidence, ...]

    @property
    def raises(self) -> bool:
        """True when the signal raises the score (False when it mitigates it)."""
        return self.contribution >= 0


def _evidence(item: Any) -> Evidence | None:
    if not isinstance(item, dict):
        return None
    accounts = item.get("accounts")
    ids: tuple[str, ...] = ()
    if isinstance(accounts, list):
        ids = tuple(str(a) for a in accounts)
        count: int | None = len(ids)
    elif isinstance(accounts, int | float):
        count = int(accounts)
    else:
        count = None
    return Evidence(
        kind=str(item.get("kind") or ""),
        id="" if item.get("id") is None else str(item.get("id")),
        accounts=count,
        account_ids=ids,
        detail="" if item.get("detail") is None else str(item.get("detail")),
        label="" if item.get("label") is None else str(item.get("label")),
    )


def explanation_rows(cluster: Cluster) -> list[SignalRow]:
    """The cluster's explanation as typed rows, strongest contribution first (bad entries are skipped)."""
    rows: list[SignalRow] = []
    for item in cluster.explanation or []:
        if not isinstance(item, dict) or "signal" not in item:
            continue
        try:
            contribution = float(item.get("contribution") or 0.0)
        except (TypeError, ValueError):
            contribution = 0.0
        evidence = tuple(e for e in (_evidence(x) for x in item.get("evidence") or []) if e is not None)
        rows.append(
            SignalRow(
                signal=str(item["signal"]),
                label=str(item.get("label") or item["signal"]),
                value=item.get("value"),
                contribution=contribution,
                evidence=evidence,
            )
        )
    return sorted(rows, key=lambda r: (-abs(r.contribution), r.signal))


# --- members and timelines (from the graph, cached) ----------------------------------------------------------


def warm_cluster(cluster: Cluster) -> None:
    """Compute and share the graph aggregates behind a cluster's page (members, timelines, network)."""
    cluster_members(cluster)
    cluster_timelines(cluster)
    cluster_network(cluster)


def cluster_members(cluster: Cluster) -> list[dict[str, Any]]:
    """Every member with profile and totals: the members recorded for the run, enriched from the graph."""
    return cached(cluster, "members", lambda: _members(cluster))


def _members(cluster: Cluster) -> list[dict[str, Any]]:
    recorded = {
        m.account_id: m
        for m in ClusterMember.objects.filter(cluster=cluster).only("account_id", "is_new", "exchanges")
    }
    rows = {
        r["account_id"]: r
        for r in read("ui_cluster_members", cluster_id=graph_cluster_id(cluster), limit=MEMBER_LIMIT)
    }
    ids = sorted(set(recorded) | set(rows))
    flags = first_flags(ids, up_to=cluster.run)
    members: list[dict[str, Any]] = []
    for account_id in ids:
        row = dict(rows.get(account_id) or {"account_id": account_id})
        member = recorded.get(account_id)
        if member is not None:
            row["is_new"] = member.is_new
            row["exchanges"] = max(int(row.get("exchanges") or 0), member.exchanges)
        row.setdefault("exchanges", 0)
        row.setdefault("is_new", False)
        flag = flags.get(account_id)
        row["first_flagged_run"] = flag.run_id if flag else None
        row["hours_to_detect"] = flag.hours_after(row.get("first_seen")) if flag else None
        members.append(row)
    return members


MEMBER_SORTS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "account_id": lambda m: m["account_id"],
    "email": lambda m: m.get("email") or "",
    "created_at": lambda m: m.get("created_at") or dt.datetime.min.replace(tzinfo=dt.UTC),
    "status": lambda m: m.get("status") or "",
    "exchanges": lambda m: m.get("exchanges") or 0,
    "is_new": lambda m: bool(m.get("is_new")),
    "hours_to_detect": lambda m: (m.get("hours_to_detect") is None, m.get("hours_to_detect") or 0.0),
}


def sorted_members(members: list[dict[str, Any]], sort: str) -> list[dict[str, Any]]:
    """Members ordered by a column name, `-` prefix for descending (unknown columns: busiest first)."""
    column = sort.lstrip("-")
    if column not in MEMBER_SORTS:
        column, sort = "exchanges", "-exchanges"
    return sorted(members, key=MEMBER_SORTS[column], reverse=sort.startswith("-"))


@dataclass
class ClusterTimelines:
    """Daily sign-ups (replacements apart) and bans, hourly activity, model share per day and capability mix."""

    signups: list[tuple[dt.date, int]] = field(default_factory=list)
    replacements: list[tuple[dt.date, int]] = field(default_factory=list)
    bans: list[tuple[dt.date, int]] = field(default_factory=list)
    hourly: list[tuple[dt.datetime, int]] = field(default_factory=list)
    model_days: dict[str, list[tuple[dt.date, float]]] = field(default_factory=dict)
    releases: list[tuple[str, dt.datetime]] = field(default_factory=list)
    capabilities: list[tuple[str, int]] = field(default_factory=list)
    exchanges: int = 0
    reasoning_exchanges: int = 0

    @property
    def reasoning_share(self) -> float | None:
        """Share of the cluster's exchanges that asked for a full reasoning trace."""
        return self.reasoning_exchanges / self.exchanges if self.exchanges else None

    @property
    def replacement_total(self) -> int:
        """Sign-ups that came within REPLACEMENT_HOURS of a ban in the cluster."""
        return sum(n for _, n in self.replacements)

    @property
    def ban_total(self) -> int:
        """Members banned."""
        return sum(n for _, n in self.bans)


def cluster_timelines(cluster: Cluster) -> ClusterTimelines:
    """The cluster's timelines and capability mix (cached)."""
    return cached(cluster, "timelines", lambda: _timelines(cluster))


def _timelines(cluster: Cluster) -> ClusterTimelines:
    cid = graph_cluster_id(cluster)
    # The aggregates are read while the members are (their query is the slowest for a big cluster).
    reads = start_reads(
        {
            "hourly": ("ui_cluster_hourly", {"cluster_id": cid}),
            "models": ("ui_cluster_models", {"cluster_id": cid}),
            "releases": ("ui_model_releases", {}),
        }
    )
    members = cluster_members(cluster)
    out = ClusterTimelines()
    ban_times = sorted(
        m["status_changed_at"] for m in members if m.get("status") == "banned" and m.get("status_changed_at")
    )
    signups: dict[dt.date, int] = defaultdict(int)
    replacements: dict[dt.date, int] = defaultdict(int)
    bans: dict[dt.date, int] = defaultdict(int)
    window = dt.timedelta(hours=REPLACEMENT_HOURS)
    for m in members:
        created = m.get("created_at")
        if created is not None:
            i = bisect.bisect_right(ban_times, created)
            is_replacement = i > 0 and created - ban_times[i - 1] <= window
            (replacements if is_replacement else signups)[created.date()] += 1
    for b in ban_times:
        bans[b.date()] += 1
    out.signups, out.replacements, out.bans = (sorted(d.items()) for d in (signups, replacements, bans))
    caps = [0] * len(CAPABILITIES)
    for m in members:
        for i, n in enumerate((m.get("cap_counts") or [])[: len(CAPABILITIES)]):
            caps[i] += int(n or 0)
        out.exchanges += int(m.get("exchanges") or 0)
        out.reasoning_exchanges += int(m.get("reasoning_exchanges") or 0)
    out.capabilities = list(zip(CAPABILITIES, caps, strict=True))
    rows = {label: future.result() for label, future in reads.items()}
    out.hourly = [(hour_start(r["hour"]), int(r["exchanges"])) for r in rows["hourly"]]
    out.model_days = _spread_model_days(rows["models"])
    out.releases = [(r["model"], r["released_at"]) for r in rows["releases"]]
    return out


def _spread_model_days(rows: list[dict[str, Any]]) -> dict[str, list[tuple[dt.date, float]]]:
    """Exchanges per model per day, each group's use spread evenly from its first to its last (epoch) day."""
    per_model: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for r in rows:
        first, last, total = r["first_day"], r["last_day"], float(r["exchanges"] or 0)
        if first is None or last is None or last < first:
            continue
        days = int(last) - int(first) + 1
        for day in range(int(first), int(last) + 1):
            per_model[r["model"]][day] += total / days
    epoch = dt.date(1970, 1, 1)
    return {
        model: [(epoch + dt.timedelta(days=d), n) for d, n in sorted(days.items())]
        for model, days in sorted(per_model.items())
    }


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


def cluster_page(run: DetectionRun, key: str, *, expand: str | None = None) -> ClusterPage | None:
    """The cluster with this key in `run` and everything its page shows, or None when it does not exist."""
    cluster = cluster_in_run(run, key)
    if cluster is None:
        return None
    # The network and the timelines (which read the members) come from independent graph queries.
    network, timelines = in_parallel(
        lambda: cluster_network(cluster, expand=expand), lambda: cluster_timelines(cluster)
    )
    members = cluster_members(cluster)
    return ClusterPage(
        cluster=cluster,
        signals=explanation_rows(cluster),
        network=network,
        timelines=timelines,
        members=members,
        timing=detection_timing(members),
        history=cluster_history(key),
        alerts=list(cluster_alerts(cluster)),
        annotations=list(cluster_annotations(key)),
    )
