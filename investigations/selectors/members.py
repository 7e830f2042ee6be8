"""A cluster's members: the accounts recorded for its run, enriched from the graph (profile, totals, when each was
first flagged), cached with the page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from graph.reads import read
from investigations.models import Cluster, ClusterMember
from investigations.selectors.page_cache import cached
from investigations.selectors.timeliness import first_flags

MEMBER_LIMIT = 50_000  # members read from the graph for one cluster


def graph_cluster_id(cluster: Cluster) -> str:
    """The id of the cluster's node in the graph: `<run id>:<key>`."""
    return f"{cluster.run_id}:{cluster.key}"


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
