"""Timelines and mixes: sign-ups and bans, hourly activity, model share around releases, capabilities, lineage."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

from frontend.figures.common import ACCENT, KIND_COLOURS, MUTED, RAISES, esc, figure
from investigations.selectors.accounts import CAMPAIGN_CAPABILITIES

MODEL_COLOURS = ("#2d5bd7", "#e67e22", "#16a085", "#8e44ad", "#c0392b", "#7f8c8d", "#b9770e", "#2980b9")


def signups_figure(
    signups: Sequence[tuple[dt.date, int]],
    replacements: Sequence[tuple[dt.date, int]],
    bans: Sequence[tuple[dt.date, int]],
) -> go.Figure:
    """Daily sign-ups (replacements after bans apart) above the axis, bans below it."""
    traces = [
        go.Bar(x=[d for d, _ in signups], y=[n for _, n in signups], name="sign-ups", marker_color=ACCENT),
        go.Bar(
            x=[d for d, _ in replacements],
            y=[n for _, n in replacements],
            name="replacement sign-ups (soon after a ban)",
            marker_color="#e67e22",
        ),
        go.Bar(x=[d for d, _ in bans], y=[-n for _, n in bans], name="bans", marker_color=RAISES),
    ]
    return figure(
        traces, height=260, barmode="relative", bargap=0.15, yaxis={"title": {"text": "accounts per day"}}
    )


def hourly_figure(hourly: Sequence[tuple[dt.datetime, int]]) -> go.Figure:
    """Exchanges per UTC hour: round-the-clock activity shows as a band without nightly gaps."""
    line = go.Scatter(
        x=[h for h, _ in hourly],
        y=[n for _, n in hourly],
        mode="lines",
        line={"width": 1, "color": ACCENT},
        fill="tozeroy",
        fillcolor="rgba(45,91,215,0.15)",
        name="exchanges",
    )
    return figure([line], height=220, showlegend=False, yaxis={"title": {"text": "exchanges / hour"}})


def hour_of_day_figure(hourly: Sequence[tuple[dt.datetime, int]]) -> go.Figure:
    """Exchanges by hour of the day (UTC), summed over the period."""
    totals = [0] * 24
    for hour, n in hourly:
        totals[hour.hour] += n
    bars = go.Bar(x=list(range(24)), y=totals, marker_color=MUTED, name="exchanges")
    return figure(
        [bars], height=220, showlegend=False, xaxis={"title": {"text": "hour of day (UTC)"}, "dtick": 3}
    )


def model_share_figure(
    model_days: Mapping[str, Sequence[tuple[dt.date, float]]], releases: Sequence[tuple[str, dt.datetime]]
) -> go.Figure:
    """Share of daily traffic per model (stacked to 100%), with each release in the period marked."""
    days = sorted({d for series in model_days.values() for d, _ in series})
    traces = []
    for i, (model, series) in enumerate(model_days.items()):
        values = dict(series)
        traces.append(
            go.Scatter(
                x=days,
                y=[values.get(d, 0.0) for d in days],
                name=esc(model),
                mode="lines",
                stackgroup="share",
                groupnorm="percent",
                line={"width": 0.5, "color": MODEL_COLOURS[i % len(MODEL_COLOURS)]},
                hovertemplate="%{y:.0f}%<extra>" + esc(model) + "</extra>",
            )
        )
    shapes: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    if days:
        first = dt.datetime.combine(days[0], dt.time(), tzinfo=dt.UTC)
        last = dt.datetime.combine(days[-1], dt.time(23, 59), tzinfo=dt.UTC)
        for model, released in releases:
            if first <= released <= last:
                shapes.append({
                    "type": "line", "x0": released, "x1": released, "y0": 0, "y1": 1, "xref": "x", "yref": "paper",
                    "line": {"color": "#1d2430", "dash": "dot", "width": 1.5},
                })  # fmt: skip
                notes.append({
                    "x": released, "y": 1.0, "yref": "paper", "text": f"{esc(model)} released", "showarrow": False,
                    "xanchor": "left", "yanchor": "top", "font": {"size": 11}, "bgcolor": "rgba(255,255,255,0.8)",
                })  # fmt: skip
    return figure(
        traces,
        height=260,
        shapes=shapes,
        annotations=notes,
        yaxis={"title": {"text": "% of exchanges"}, "range": [0, 100]},
    )


def capability_figure(capabilities: Sequence[tuple[str, int]]) -> go.Figure:
    """Exchanges per capability, largest on top; capabilities campaigns aim at are highlighted."""
    ordered = sorted(capabilities, key=lambda c: c[1])
    total = sum(n for _, n in capabilities) or 1
    bars = go.Bar(
        x=[n for _, n in ordered],
        y=[esc(name.replace("_", " ")) for name, _ in ordered],
        orientation="h",
        marker_color=[KIND_COLOURS["template"] if name in CAMPAIGN_CAPABILITIES else MUTED for name, _ in ordered],
        text=[f"{100 * n / total:.0f}%" for _, n in ordered],
        textposition="outside",
        cliponaxis=False,
        hovertemplate="%{y}: %{x:,} exchanges<extra></extra>",
    )
    return figure([bars], height=260, showlegend=False, xaxis={"title": {"text": "exchanges"}})


def lineage_figure(runs: Sequence[tuple[str, float, int]]) -> go.Figure:
    """Score and size of one cluster key over successive runs (`runs`: label, score, size)."""
    labels = [esc(label) for label, _, _ in runs]
    traces = [
        go.Bar(x=labels, y=[size for _, _, size in runs], name="size (accounts)", marker_color="#c9d3ea"),
        go.Scatter(
            x=labels, y=[score for _, score, _ in runs], name="score", yaxis="y2", mode="lines+markers",
            line={"color": RAISES, "width": 2},
        ),
    ]  # fmt: skip
    return figure(
        traces,
        height=220,
        xaxis={"type": "category"},
        yaxis={"title": {"text": "accounts"}},
        yaxis2={"overlaying": "y", "side": "right", "range": [0, 1], "title": {"text": "score"}},
    )


def model_use_figure(
    models: Sequence[Mapping[str, object]], releases: Sequence[tuple[str, dt.datetime]]
) -> go.Figure:
    """One bar per model from first to last use (an account's pivot to a new model), releases as diamonds."""
    traces = []
    for i, m in enumerate(models):
        first, last = m.get("first_seen"), m.get("last_seen")
        if not isinstance(first, dt.datetime) or not isinstance(last, dt.datetime):
            continue
        colour = MODEL_COLOURS[i % len(MODEL_COLOURS)]
        name = esc(m["model"])
        traces.append(
            go.Scatter(
                x=[first, last], y=[name, name], mode="lines+markers", name=name,
                line={"width": 10, "color": colour}, marker={"size": 6, "color": colour},
                hovertemplate=f"{name}: {int(str(m.get('exchanges') or 0)):,} exchanges<extra></extra>",
            )
        )  # fmt: skip
    used = {str(m["model"]) for m in models}
    starts = [f for f in (m.get("first_seen") for m in models) if isinstance(f, dt.datetime)]
    # A release long before the account existed (a legacy model) would only stretch the axis.
    earliest = min(starts) - dt.timedelta(days=7) if starts else None
    shown = [(m, r) for m, r in releases if m in used and (earliest is None or r >= earliest)]
    if shown:
        traces.append(
            go.Scatter(
                x=[r for _, r in shown], y=[esc(m) for m, _ in shown], mode="markers", name="release",
                marker={"symbol": "diamond", "size": 11, "color": "#1d2430"},
                hovertemplate="released %{x}<extra></extra>",
            )
        )  # fmt: skip
    return figure(traces, height=max(140, 40 * len(models) + 70), showlegend=False)


DETECTION_BINS_HOURS = (0, 6, 12, 24, 48, 72, 120, 168)


def time_to_detect_figure(hours: Sequence[float]) -> go.Figure:
    """How long members ran before a run first flagged them: members per band of hours since their first exchange."""
    edges = [*DETECTION_BINS_HOURS, float("inf")]
    labels = [f"{lo}-{hi} h" for lo, hi in zip(edges[:-2], edges[1:-1], strict=True)] + [f"{edges[-2]}+ h"]
    counts = [sum(1 for h in hours if lo <= h < hi) for lo, hi in zip(edges[:-1], edges[1:], strict=True)]
    bars = go.Bar(
        x=labels, y=counts, marker_color=ACCENT, hovertemplate="%{y:,} members flagged %{x} after their first "
        "exchange<extra></extra>",
    )  # fmt: skip
    return figure(
        [bars], height=220, showlegend=False, xaxis={"type": "category", "title": {"text": "time to detect"}},
        yaxis={"title": {"text": "members"}},
    )  # fmt: skip
