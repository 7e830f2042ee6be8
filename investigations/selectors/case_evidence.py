"""Reads behind a case's evidence: snapshots of clusters and accounts, the indicators they hold (their values and
spellings: `indicators.py`), and what changed since."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.utils import timezone

from graph.driver import get_graph
from investigations.models import (
    Case,
    CaseAccount,
    CaseCluster,
    Cluster,
    ClusterMember,
    IndicatorKind,
    JobStatus,
)
from investigations.selectors.indicators import (
    explanation_candidates,
    graph_indicator_value,
    indicator_key,
    normalise_indicator,
)
from investigations.selectors.runs import latest_first

SNAPSHOT_VERSION = 1

# Cluster indicators are entities shared by at least this many of its members ("shared indicators").
MIN_SHARED_ACCOUNTS = 2


@dataclass(frozen=True)
class Indicator:
    """One indicator a case holds: what it is, which of the case's accounts share it, how common it is overall."""

    kind: IndicatorKind
    value: str
    accounts: tuple[str, ...]
    accounts_total: int
    sources: tuple[str, ...]
    first_frozen_at: str
    template_id: str = ""

    @property
    def specificity(self) -> float:
        """Share of the graph's accounts using it that belong to the case (1.0: only the case's accounts)."""
        if self.accounts_total <= 0:
            return 1.0
        return min(1.0, len(self.accounts) / self.accounts_total)


@dataclass(frozen=True)
class ClusterChange:
    """How one of a case's clusters differs now from its frozen snapshot."""

    cluster_key: str
    snapshot_run_id: int | None
    current_run_id: int | None
    snapshot_score: float | None
    current_score: float | None
    new_members: tuple[str, ...]
    departed_members: tuple[str, ...]


@dataclass(frozen=True)
class StatusChange:
    """An account of the case whose enforcement status changed since it was frozen (for example a ban)."""

    account_id: str
    before: str
    now: str
    changed_at: str


@dataclass
class CaseChanges:
    """Everything that changed since a case's evidence was frozen."""

    clusters: list[ClusterChange] = field(default_factory=list)
    statuses: list[StatusChange] = field(default_factory=list)
    graph_error: str = ""

    @property
    def new_member_count(self) -> int:
        """New accounts across the case's clusters."""
        return sum(len(c.new_members) for c in self.clusters)


# ---------------------------------------------------------------- plain-data helpers


def _jsonable(value: Any) -> Any:
    """Neo4j temporal values and Python dates as ISO strings; everything else unchanged."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "iso_format"):
        return value.iso_format()
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


# ---------------------------------------------------------------- graph reads


def graph_shared_entities(account_ids: list[str], *, min_accounts: int) -> list[dict[str, Any]]:
    """Entities used by at least `min_accounts` of `account_ids`, with their overall use (case_shared_entities)."""
    if not account_ids:
        return []
    return get_graph().read("case_shared_entities", account_ids=account_ids, min_accounts=min_accounts)


def graph_account_facts(account_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Status, sign-up and exchange facts of the accounts as the graph holds them now (case_account_facts)."""
    if not account_ids:
        return {}
    rows = get_graph().read("case_account_facts", account_ids=account_ids)
    return {row["account_id"]: _jsonable(row) for row in rows}


def _indicator_rows(account_ids: list[str], explanation: Any, *, min_accounts: int) -> list[dict[str, Any]]:
    """Indicator records for a snapshot: the graph's shared entities plus valid values the explanation names."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    aliases: dict[tuple[str, str], tuple[str, str]] = {}
    for row in graph_shared_entities(account_ids, min_accounts=min_accounts):
        kind = IndicatorKind(row["kind"])
        value = graph_indicator_value(kind, row["value"])
        if value is None:
            continue
        key = (kind.value, value)
        rows[key] = {
            "kind": kind.value,
            "value": value,
            "template_id": row.get("template_id") or "",
            "accounts": sorted(row["accounts"]),
            "accounts_total": int(row["accounts_total"] or 0),
            "sources": ["graph"],
        }
        aliases[indicator_key(kind, value)] = key
        if row.get("template_id"):
            aliases[indicator_key(kind, str(row["template_id"]))] = key
    for kind, text in explanation_candidates(explanation):
        key_or_none = aliases.get(indicator_key(kind, text))
        if key_or_none is not None:
            if "explanation" not in rows[key_or_none]["sources"]:
                rows[key_or_none]["sources"].append("explanation")
            continue
        value = normalise_indicator(kind, text)  # not in the graph's answer: only well-formed values
        if value is None or (kind.value, value) in rows:
            continue
        rows[(kind.value, value)] = {
            "kind": kind.value, "value": value, "template_id": "", "accounts": [], "accounts_total": 0,
            "sources": ["explanation"],
        }  # fmt: skip
        aliases[indicator_key(kind, value)] = (kind.value, value)
    return [rows[k] for k in sorted(rows)]


# ---------------------------------------------------------------- snapshots


def cluster_snapshot(cluster: Cluster) -> dict[str, Any]:
    """The frozen evidence of a cluster: its scores and explanation, its members and the indicators they share."""
    members = list(cluster.members.order_by("account_id").values("account_id", "exchanges", "is_new"))
    account_ids = [m["account_id"] for m in members]
    facts = graph_account_facts(account_ids)
    return {
        "version": SNAPSHOT_VERSION,
        "taken_at": timezone.now().isoformat(),
        "cluster": {
            "key": cluster.key,
            "id": cluster.pk,
            "run_id": cluster.run_id,
            "size": cluster.size,
            "score": cluster.score,
            "flagged": cluster.flagged,
            "exchanges": cluster.exchanges,
            "features": _jsonable(cluster.features),
            "explanation": _jsonable(cluster.explanation),
            "top_signals": _jsonable(cluster.top_signals),
            "lineage": _jsonable(cluster.lineage),
            "new_members": cluster.new_members,
            "dominant_capability": cluster.dominant_capability,
        },
        "members": [
            {
                **member,
                "status": facts.get(member["account_id"], {}).get("status") or "",
                "status_changed_at": facts.get(member["account_id"], {}).get("status_changed_at"),
                "created_at": facts.get(member["account_id"], {}).get("created_at"),
                "email_domain": facts.get(member["account_id"], {}).get("email_domain") or "",
            }
            for member in members
        ],
        "indicators": _indicator_rows(account_ids, cluster.explanation, min_accounts=MIN_SHARED_ACCOUNTS),
    }


def account_snapshots(account_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The frozen evidence of directly added accounts: their facts and every entity each one uses."""
    facts = graph_account_facts(account_ids)
    per_account: dict[str, list[dict[str, Any]]] = {a: [] for a in account_ids}
    for row in _indicator_rows(account_ids, None, min_accounts=1):
        for account_id in row["accounts"]:
            per_account.setdefault(account_id, []).append(row)
    taken_at = timezone.now().isoformat()
    return {
        account_id: {
            "version": SNAPSHOT_VERSION,
            "taken_at": taken_at,
            "in_graph": account_id in facts,
            **{k: v for k, v in facts.get(account_id, {}).items() if k != "account_id"},
            "indicators": per_account.get(account_id, []),
        }
        for account_id in account_ids
    }


def member_ids(snapshot: Mapping[str, Any]) -> list[str]:
    """Account ids frozen in a cluster snapshot."""
    return [str(m["account_id"]) for m in snapshot.get("members", [])]


# ---------------------------------------------------------------- indicators and changes


def case_indicators(case: Case) -> list[Indicator]:
    """Every indicator the case holds, from its frozen snapshots only (never from the live graph)."""
    merged: dict[tuple[str, str], dict[str, Any]] = {}

    def add(row: Mapping[str, Any], source: str, frozen_at: str, accounts: Iterable[str]) -> None:
        key = (str(row["kind"]), str(row["value"]))
        entry = merged.setdefault(
            key,
            {"accounts": set(), "total": 0, "sources": set(), "frozen": frozen_at, "template_id": ""},
        )
        entry["accounts"].update(accounts)
        entry["total"] = max(entry["total"], int(row.get("accounts_total") or 0))
        entry["sources"].add(source)
        entry["frozen"] = min(entry["frozen"], frozen_at)
        entry["template_id"] = entry["template_id"] or str(row.get("template_id") or "")

    for cc in case.case_clusters.all():
        frozen = cc.snapshot.get("taken_at") or cc.snapshot_at.isoformat()
        for row in cc.snapshot.get("indicators", []):
            add(row, cc.cluster_key, frozen, row.get("accounts", []))
    for ca in case.case_accounts.filter(cluster_key=""):
        frozen = ca.snapshot.get("taken_at") or ca.added_at.isoformat()
        for row in ca.snapshot.get("indicators", []):
            add(row, f"account:{ca.account_id}", frozen, [ca.account_id])
    return [
        Indicator(
            kind=IndicatorKind(kind),
            value=value,
            accounts=tuple(sorted(entry["accounts"])),
            accounts_total=max(entry["total"], len(entry["accounts"])),
            sources=tuple(sorted(entry["sources"])),
            first_frozen_at=entry["frozen"],
            template_id=entry["template_id"],
        )
        for (kind, value), entry in sorted(merged.items())
    ]


def latest_cluster_with_key(key: str) -> Cluster | None:
    """The cluster with this stable key in the most recent successful run that has it."""
    return (
        Cluster.objects.filter(key=key, run__status=JobStatus.SUCCEEDED)
        .select_related("run")
        .order_by(*latest_first("run__"))
        .first()
    )


def cluster_change(cc: CaseCluster) -> ClusterChange:
    """Members that joined or left the cluster since its snapshot, and its score then and now."""
    frozen = set(member_ids(cc.snapshot))
    current = latest_cluster_with_key(cc.cluster_key)
    now = (
        set(ClusterMember.objects.filter(cluster=current).values_list("account_id", flat=True))
        if current is not None
        else set()
    )
    return ClusterChange(
        cluster_key=cc.cluster_key,
        snapshot_run_id=cc.snapshot.get("cluster", {}).get("run_id"),
        current_run_id=current.run_id if current is not None else None,
        snapshot_score=cc.snapshot.get("cluster", {}).get("score"),
        current_score=current.score if current is not None else None,
        new_members=tuple(sorted(now - frozen)) if current is not None else (),
        departed_members=tuple(sorted(frozen - now)) if current is not None else (),
    )


def case_changes(case: Case, *, with_graph: bool = True) -> CaseChanges:
    """What changed since the case's evidence was frozen: cluster membership and account statuses (bans)."""
    changes = CaseChanges(clusters=[cluster_change(cc) for cc in case.case_clusters.all()])
    if not with_graph:
        return changes
    accounts: list[CaseAccount] = list(case.case_accounts.all())
    try:
        now = graph_account_facts([a.account_id for a in accounts])
    except Exception as exc:  # noqa: BLE001 - the page still shows the snapshot when the graph is down
        changes.graph_error = f"The graph could not be read, so current account statuses are not shown: {exc}"
        return changes
    for account in accounts:
        before = str(account.snapshot.get("status") or "")
        current = now.get(account.account_id, {})
        status = str(current.get("status") or "")
        if status and status != before:
            changes.statuses.append(
                StatusChange(account.account_id, before, status, str(current.get("status_changed_at") or ""))
            )
    return changes
