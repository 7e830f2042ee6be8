"""A cluster's timelines from its members and the graph: daily sign-ups (hydra replacements apart) and bans,
hourly activity, model share per day around releases, and the capability mix (cached with the page)."""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from graph.detection.params import DetectionParams
from graph.reads import start_reads
from investigations.models import Cluster
from investigations.selectors.accounts import CAPABILITIES, hour_start
from investigations.selectors.members import cluster_members, graph_cluster_id
from investigations.selectors.page_cache import cached


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
        """Sign-ups that came within the run's replacement window after a ban in the cluster."""
        return sum(n for _, n in self.replacements)

    @property
    def ban_total(self) -> int:
        """Members banned."""
        return sum(n for _, n in self.bans)


def replacement_window_hours(cluster: Cluster) -> float:
    """A sign-up this soon after a ban in the same cluster is a replacement: the rule its run scored with (the
    default for a run whose stored parameters this version cannot read)."""
    try:
        return DetectionParams.from_dict(cluster.run.params).replacement_window_hours
    except ValueError:
        return DetectionParams().replacement_window_hours


def _ban_times(members: list[dict[str, Any]]) -> list[dt.datetime]:
    return sorted(m["status_changed_at"] for m in members if m.get("status") == "banned" and m.get("status_changed_at"))


def replacement_ids(members: list[dict[str, Any]], window_hours: float) -> set[str]:
    """Members (rows with `account_id`, `status`, `status_changed_at`, `created_at`) that signed up within
    `window_hours` after a ban of another member: the hydra pattern (the timelines and the explorer's mark)."""
    ban_times = _ban_times(members)
    window = dt.timedelta(hours=window_hours)
    found = set()
    for m in members:
        created = m.get("created_at")
        if created is not None:
            i = bisect.bisect_right(ban_times, created)
            if i > 0 and created - ban_times[i - 1] <= window:
                found.add(m["account_id"])
    return found


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
    signups: dict[dt.date, int] = defaultdict(int)
    replacements: dict[dt.date, int] = defaultdict(int)
    bans: dict[dt.date, int] = defaultdict(int)
    replaced = replacement_ids(members, replacement_window_hours(cluster))
    for m in members:
        created = m.get("created_at")
        if created is not None:
            (replacements if m["account_id"] in replaced else signups)[created.date()] += 1
    for b in _ban_times(members):
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
