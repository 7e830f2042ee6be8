"""Reads for cases: the filtered case list, a case with its work items, the audit log, and hooks for detection."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from investigations.models import (
    ACTIVE_STATUSES,
    WATCHED_STATUSES,
    Attachment,
    AuditEvent,
    Case,
    CaseAlert,
    CaseCluster,
    CaseStatus,
    Cluster,
    ClusterProposal,
    DetectionRun,
    ProposalStatus,
)
from investigations.roles import CASE_MANAGERS, READERS
from investigations.selectors.case_evidence import CaseChanges, Indicator, case_changes, case_indicators
from investigations.selectors.runs import completed_runs, latest_run

_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9_.-]")


@dataclass(frozen=True)
class CaseFilters:
    """What the case list is narrowed to; every field is optional."""

    mine: bool = False
    mentioned: bool = False
    open: bool = False
    overdue: bool = False
    status: tuple[str, ...] = ()
    priority: tuple[str, ...] = ()
    assignee: str = ""
    tag: str = ""
    q: str = ""


@dataclass(frozen=True)
class AuditFilters:
    """What the admin audit log is narrowed to."""

    actor: str = ""
    action: str = ""
    case: int | None = None
    since: datetime | date | None = None
    until: datetime | date | None = None


@dataclass
class CaseView:
    """A case with everything its page shows."""

    case: Case
    clusters: list[CaseCluster]
    changes: CaseChanges
    indicators: list[Indicator]
    accounts: list[Any]
    comments: list[Any]
    tasks: list[Any]
    attachments: list[Any]
    alerts: list[CaseAlert]
    timeline: list[AuditEvent]
    proposals: list[ClusterProposal] = field(default_factory=list)


def _with_counts(qs: QuerySet[Case]) -> QuerySet[Case]:
    return qs.select_related("assignee", "created_by").annotate(
        n_clusters=Count("case_clusters", distinct=True),
        n_accounts=Count("case_accounts", distinct=True),
        n_open_alerts=Count("alerts", filter=Q(alerts__acknowledged_at__isnull=True), distinct=True),
    )


def cases_for_list(user: AbstractBaseUser | AnonymousUser, filters: CaseFilters) -> QuerySet[Case]:
    """Cases matching `filters`, newest first, with cluster/account/alert counts."""
    qs = Case.objects.all()
    if filters.mine:
        qs = qs.filter(assignee_id=user.pk)
    if filters.mentioned:
        qs = qs.filter(comments__mentions__username=user.get_username())
    if filters.open:
        qs = qs.filter(status__in=ACTIVE_STATUSES)
    if filters.overdue:
        qs = qs.filter(status__in=ACTIVE_STATUSES, due_date__lt=timezone.localdate())
    if filters.status:
        qs = qs.filter(status__in=filters.status)
    if filters.priority:
        qs = qs.filter(priority__in=filters.priority)
    if filters.assignee:
        qs = qs.filter(assignee__username=filters.assignee)
    if filters.tag:
        # Tags are slugs (validated by the service), so the quoted tag matches exactly one JSON list element.
        qs = qs.filter(tags__icontains=f'"{filters.tag}"')
    if filters.q:
        qs = qs.filter(
            Q(title__icontains=filters.q)
            | Q(case_clusters__cluster_key__iexact=filters.q)
            | Q(case_accounts__account_id=filters.q)
        )
    return _with_counts(qs.distinct()).order_by("-created_at", "-id")


def get_case(case_id: int) -> Case:
    """One case by id (raises Case.DoesNotExist)."""
    return _with_counts(Case.objects.filter(pk=case_id)).get()


def case_view(case: Case, *, with_graph: bool = True) -> CaseView:
    """A case with its frozen clusters, changes since, indicators and every work item, for its page and report."""
    return CaseView(
        case=case,
        clusters=list(case.case_clusters.select_related("added_by")),
        changes=case_changes(case, with_graph=with_graph),
        indicators=case_indicators(case),
        accounts=list(case.case_accounts.select_related("actioned_by")),
        comments=list(case.comments.select_related("author").prefetch_related("mentions")),
        tasks=list(case.tasks.select_related("assignee")),
        attachments=list(case.attachments.select_related("added_by")),
        alerts=list(case.alerts.select_related("acknowledged_by")),
        timeline=list(case_audit(case)),
        proposals=list(case.proposals.filter(status=ProposalStatus.PENDING).select_related("proposed_by")),
    )


def case_audit(case: Case) -> QuerySet[AuditEvent]:
    """The case's audit events in the order they happened."""
    return AuditEvent.objects.filter(case=case).select_related("actor").order_by("created_at", "id")


def audit_events(filters: AuditFilters) -> QuerySet[AuditEvent]:
    """The whole audit log, narrowed by actor, action, case and time, in order."""
    qs = AuditEvent.objects.select_related("actor", "case")
    if filters.actor:
        qs = qs.filter(actor__username=filters.actor)
    if filters.action:
        qs = qs.filter(action=filters.action)
    if filters.case is not None:
        qs = qs.filter(case_id=filters.case)
    if filters.since is not None:
        qs = qs.filter(created_at__date__gte=filters.since) if _is_date(filters.since) else qs.filter(
            created_at__gte=filters.since
        )
    if filters.until is not None:
        qs = qs.filter(created_at__date__lte=filters.until) if _is_date(filters.until) else qs.filter(
            created_at__lte=filters.until
        )
    return qs.order_by("created_at", "id")


def _is_date(value: datetime | date) -> bool:
    return isinstance(value, date) and not isinstance(value, datetime)


def attachment_download(attachment: Attachment) -> tuple[str, bytes]:
    """A safe file name and the bytes of an attached file (files are limited to 20 MB when attached)."""
    name = _UNSAFE_FILENAME.sub("_", attachment.file.name.rsplit("/", 1)[-1]) or "attachment"
    with attachment.file.open("rb") as handle:
        return name, handle.read()


def case_cluster_keys() -> set[str]:
    """Stable keys of clusters under a case that is open or was actioned: detection links and watches these."""
    return set(
        CaseCluster.objects.filter(
            Q(case__status__in=WATCHED_STATUSES) | Q(case__status=CaseStatus.CLOSED, case__actioned_at__isnull=False)
        ).values_list("cluster_key", flat=True)
    )


def watched_case_clusters() -> QuerySet[CaseCluster]:
    """Case clusters whose regrowth raises alerts: cases open or actioned (also actioned then closed)."""
    return CaseCluster.objects.filter(
        Q(case__status__in=WATCHED_STATUSES) | Q(case__status=CaseStatus.CLOSED, case__actioned_at__isnull=False)
    ).select_related("case", "run")


def _lineage_sources(key: str, lineage: object) -> set[str]:
    """The keys a cluster carries on: its own, its predecessor's, the one it split from and those merged into it."""
    found = lineage if isinstance(lineage, dict) else {}
    sources = [key, found.get("predecessor"), found.get("split_from"), *(found.get("merged_from") or [])]
    return {s for s in sources if isinstance(s, str)}


def key_aliases(run: DetectionRun, keys: set[str], since: DetectionRun | None) -> dict[str, set[str]]:
    """For each key: every key that carried it on in the successful runs from `since` up to (not including) `run`,
    following splits and merges run after run, so a case keeps following its campaign however often the
    cluster's key changes (each run's lineage names only the run before it)."""
    aliases = {key: {key} for key in keys}
    if since is None or not keys:
        return aliases
    runs = completed_runs().filter(pk__gte=since.pk, pk__lt=run.pk).order_by("finished_at", "pk")
    for earlier in runs:
        carried = [
            (key, _lineage_sources(key, lineage)) for key, lineage in earlier.clusters.values_list("key", "lineage")
        ]
        for followed in aliases.values():
            followed.update(key for key, sources in carried if sources & followed)
    return aliases


def successor_clusters(
    run: DetectionRun, keys: set[str], since: DetectionRun | None = None
) -> dict[str, list[Cluster]]:
    """For each key: the run's clusters that carry it on (same key first, then by lineage: split or merge), the key
    followed through every run from `since` (see `key_aliases`; only the run's own lineage without it)."""
    aliases = key_aliases(run, keys, since)
    found: dict[str, list[Cluster]] = {}
    for cluster in run.clusters.order_by("key"):
        sources = _lineage_sources(cluster.key, cluster.lineage)
        for key in sorted(keys):
            if sources & aliases[key]:
                bucket = found.setdefault(key, [])
                if cluster.key == key:
                    bucket.insert(0, cluster)
                else:
                    bucket.append(cluster)
    return found


def top_clusters(limit: int = 20) -> list[Cluster]:
    """The highest-scoring clusters of the latest successful run, flagged first (to open cases from)."""
    run = latest_run()
    if run is None:
        return []
    return list(run.clusters.order_by("-flagged", "-score", "-size", "key")[:limit])


def cluster_by_id(cluster_id: int) -> Cluster:
    """One cluster of any run (raises Cluster.DoesNotExist)."""
    return Cluster.objects.select_related("run").get(pk=cluster_id)


def cases_with_cluster_key(key: str) -> QuerySet[Case]:
    """Cases that hold a cluster with this stable key."""
    return Case.objects.filter(case_clusters__cluster_key=key).distinct()


def cases_with_account(account_id: str) -> QuerySet[Case]:
    """Cases that hold this account."""
    return Case.objects.filter(case_accounts__account_id=account_id).distinct()


def cases_accepting_evidence() -> QuerySet[Case]:
    """Cases a cluster or account can still be added to (not dismissed or closed)."""
    return Case.objects.exclude(status__in=[CaseStatus.DISMISSED, CaseStatus.CLOSED]).order_by("-created_at")


def assignable_users() -> QuerySet[Any]:
    """Users holding a role, by username (assignees of cases and tasks)."""
    user_model = get_user_model()
    return (
        user_model.objects.filter(Q(groups__name__in=[r.value for r in READERS]) | Q(is_superuser=True))
        .filter(is_active=True)
        .distinct()
        .order_by("username")
    )


def case_manager_users() -> QuerySet[Any]:
    """Users who may own a case (case managers and admins)."""
    user_model = get_user_model()
    return (
        user_model.objects.filter(
            Q(groups__name__in=[r.value for r in CASE_MANAGERS]) | Q(is_superuser=True)
        )
        .filter(is_active=True)
        .distinct()
        .order_by("username")
    )


def pending_proposals() -> QuerySet[ClusterProposal]:
    """Analysts' cluster proposals waiting for a case manager."""
    return ClusterProposal.objects.filter(status=ProposalStatus.PENDING).select_related(
        "cluster", "case", "proposed_by"
    )


def open_case_alerts() -> QuerySet[CaseAlert]:
    """Regrowth alerts on cases that nobody has acknowledged yet."""
    return CaseAlert.objects.filter(acknowledged_at__isnull=True).select_related("case")
