"""The figures of each page, as template-ready JSON (an empty string where there is nothing to draw)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from frontend.figures.common import figure_json
from frontend.figures.explanation import explanation_figure
from frontend.figures.network import network_figure
from frontend.figures.timelines import (
    capability_figure,
    hour_of_day_figure,
    hourly_figure,
    lineage_figure,
    model_share_figure,
    model_use_figure,
    signups_figure,
    time_to_detect_figure,
)
from investigations.selectors.accounts import AccountOverview
from investigations.selectors.clusters import ClusterPage
from investigations.selectors.networks import ClusterNetwork


def network_json(network: ClusterNetwork, links: Mapping[str, str]) -> str:
    """The network picture (empty when the cluster has no members in the graph)."""
    return figure_json(network_figure(network.nodes, network.edges, links)) if network.nodes else ""


def cluster_figures(page: ClusterPage, links: Mapping[str, str]) -> dict[str, str]:
    """Every chart of the cluster page; `links` maps network node ids to the URL a click opens."""
    t = page.timelines
    return {
        "explanation": figure_json(explanation_figure(page.signals)) if any(s.scored for s in page.signals) else "",
        "network": network_json(page.network, links),
        "signups": figure_json(signups_figure(t.signups, t.replacements, t.bans))
        if (t.signups or t.replacements or t.bans)
        else "",
        "hourly": figure_json(hourly_figure(t.hourly)) if t.hourly else "",
        "hour_of_day": figure_json(hour_of_day_figure(t.hourly)) if t.hourly else "",
        "models": figure_json(model_share_figure(t.model_days, t.releases)) if t.model_days else "",
        "capabilities": figure_json(capability_figure(t.capabilities)) if t.exchanges else "",
        "lineage": figure_json(lineage_figure([(f"run {c.run_id}", c.score, c.size) for c in page.history]))
        if len(page.history) > 1
        else "",
        "time_to_detect": figure_json(time_to_detect_figure(page.timing.hours)) if page.timing.hours else "",
    }


def account_figures(overview: AccountOverview) -> dict[str, str]:
    """Every chart of the account page (memoised on their inputs: the same facts give the same charts)."""
    models = tuple(
        (
            str(m["model"]),
            m.get("first_seen"),
            m.get("last_seen"),
            int(m.get("exchanges") or 0),
            m.get("released_at"),
        )
        for m in overview.models
    )
    return dict(_account_figures(tuple(overview.hourly), tuple(overview.capabilities), models))


Hourly = tuple[tuple[dt.datetime, int], ...]
Models = tuple[tuple[str, Any, Any, int, Any], ...]


@lru_cache(maxsize=512)
def _account_figures(
    hourly: Hourly, capabilities: tuple[tuple[str, int], ...], models: Models
) -> tuple[tuple[str, str], ...]:
    rows = [{"model": m, "first_seen": f, "last_seen": la, "exchanges": n} for m, f, la, n, _ in models]
    releases = [(m, r) for m, _, _, _, r in models if r is not None]
    return (
        ("hourly", figure_json(hourly_figure(hourly)) if hourly else ""),
        (
            "capabilities",
            figure_json(capability_figure(capabilities)) if any(n for _, n in capabilities) else "",
        ),
        ("models", figure_json(model_use_figure(rows, releases)) if rows else ""),
    )
