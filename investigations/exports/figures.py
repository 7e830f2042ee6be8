"""Pictures of a case's evidence: pure functions, plain records in and a Plotly `Figure` out."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import plotly.graph_objects as go

from investigations.models import IndicatorKind
from investigations.palette import ACCENT, EDGE, INK, MITIGATES, RAISES, kind_colour

# Small networks get their account ids written beside the nodes (the printed report has no hover).
LABEL_ACCOUNTS_UP_TO = 30
_LAYOUT: dict[str, Any] = {
    "template": "plotly_white",
    "margin": {"l": 40, "r": 20, "t": 40, "b": 40},
    "font": {"size": 11},
}


def esc(value: Any) -> str:
    """Text for a Plotly label or hover: HTML-escaped, because Plotly reads `<a href>`, `<br>` and `<span style>`
    in text as markup, so telemetry and case text (ids, indicator values, audit summaries) show as typed."""
    return html.escape("" if value is None else str(value), quote=False)


def escaped_figure(spec: Any) -> Any:
    """A Plotly figure spec with every string value escaped (keys kept): a figure attached to a case is drawn
    as its author typed it, never with their links or markup."""
    if isinstance(spec, str):
        return esc(spec)
    if isinstance(spec, list):
        return [escaped_figure(v) for v in spec]
    if isinstance(spec, dict):
        return {k: escaped_figure(v) for k, v in spec.items()}
    return spec


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None


def signal_contributions(explanation: Any) -> list[tuple[str, float]]:
    """(signal, contribution) pairs from a cluster's explanation, whatever its exact shape."""
    pairs: list[tuple[str, float]] = []
    if isinstance(explanation, Mapping):
        items: list[Any] = [{"signal": k, **v} if isinstance(v, Mapping) else {"signal": k, "contribution": v}
                            for k, v in explanation.items()]  # fmt: skip
    elif isinstance(explanation, list):
        items = explanation
    else:
        items = []
    for item in items:
        if not isinstance(item, Mapping):
            continue
        name = item.get("signal") or item.get("name") or item.get("feature") or item.get("label")
        value = _number(item.get("contribution", item.get("weight", item.get("value"))))
        if name is not None and value is not None:
            pairs.append((str(name), value))
    return sorted(pairs, key=lambda p: p[1])


def contributions_figure(key: str, score: float | None, explanation: Any) -> go.Figure:
    """Horizontal bars: each signal's contribution to the cluster's frozen risk score."""
    pairs = signal_contributions(explanation)
    fig = go.Figure(
        go.Bar(
            x=[v for _, v in pairs],
            y=[n for n, _ in pairs],
            orientation="h",
            marker_color=[RAISES if v >= 0 else MITIGATES for _, v in pairs],
            hovertemplate="%{y}: %{x:.3f}<extra></extra>",
        )
    )
    score_text = f" (score {score:.2f})" if score is not None else ""
    fig.update_layout(
        **_LAYOUT,
        title=f"{key}: signal contributions at snapshot{score_text}",
        height=max(220, 40 + 24 * len(pairs)),
        xaxis_title="contribution",
    )
    return fig


def evidence_network_figure(accounts: Sequence[str], indicators: Sequence[Mapping[str, Any]], *, limit: int = 80) -> go.Figure:
    """Accounts (outer ring) linked to the indicators they share (inner ring, coloured by kind)."""
    shown = sorted(indicators, key=lambda i: (-len(i.get("accounts", [])), str(i["kind"]), str(i["value"])))[:limit]
    account_list = sorted(set(accounts) | {a for i in shown for a in i.get("accounts", [])})
    pos: dict[str, tuple[float, float]] = {}
    for n, account in enumerate(account_list):
        angle = 2 * math.pi * n / max(1, len(account_list))
        pos["a:" + account] = (math.cos(angle), math.sin(angle))
    for n, ind in enumerate(shown):
        angle = 2 * math.pi * n / max(1, len(shown))
        pos[f"i:{ind['kind']}:{ind['value']}"] = (0.45 * math.cos(angle), 0.45 * math.sin(angle))
    edge_x: list[float | None] = []
    edge_y: list[float | None] = []
    for ind in shown:
        ix, iy = pos[f"i:{ind['kind']}:{ind['value']}"]
        for account in ind.get("accounts", []):
            ax, ay = pos["a:" + account]
            edge_x += [ix, ax, None]
            edge_y += [iy, ay, None]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=edge_x, y=edge_y, mode="lines", line={"width": 0.6, "color": EDGE},
                             hoverinfo="skip", showlegend=False))  # fmt: skip
    fig.add_trace(
        go.Scatter(
            x=[pos["a:" + a][0] for a in account_list],
            y=[pos["a:" + a][1] for a in account_list],
            mode="markers+text" if len(account_list) <= LABEL_ACCOUNTS_UP_TO else "markers",
            marker={"size": 8, "color": INK},
            text=[esc(a) for a in account_list],
            textposition="top center",
            hovertemplate="account %{text}<extra></extra>",
            name="accounts",
        )
    )
    for kind in IndicatorKind.values:
        items = [i for i in shown if i["kind"] == kind]
        if not items:
            continue
        fig.add_trace(
            go.Scatter(
                x=[pos[f"i:{i['kind']}:{i['value']}"][0] for i in items],
                y=[pos[f"i:{i['kind']}:{i['value']}"][1] for i in items],
                mode="markers",
                marker={"size": 11, "symbol": "diamond", "color": kind_colour(kind)},
                text=[f"{esc(i['value'])} ({len(i.get('accounts', []))} accounts)" for i in items],
                hovertemplate="%{text}<extra></extra>",
                name=IndicatorKind(kind).label,
            )
        )
    fig.update_layout(
        **_LAYOUT,
        title=f"Accounts and shared indicators ({len(account_list)} accounts, {len(shown)} indicators shown)",
        height=520,
        xaxis={"visible": False},
        yaxis={"visible": False, "scaleanchor": "x"},
    )
    return fig


def timeline_figure(events: Sequence[tuple[datetime, str, str]]) -> go.Figure:
    """The case's history: one marker per audit event (time, action label, summary)."""
    labels = sorted({label for _, label, _ in events})
    fig = go.Figure(
        go.Scatter(
            x=[t for t, _, _ in events],
            y=[label for _, label, _ in events],
            mode="markers",
            marker={"size": 10, "color": ACCENT},
            text=[esc(summary) for _, _, summary in events],
            hovertemplate="%{x}<br>%{text}<extra></extra>",
        )
    )
    fig.update_layout(
        **_LAYOUT,
        title="Case timeline",
        height=max(240, 60 + 28 * len(labels)),
        yaxis={"categoryorder": "array", "categoryarray": labels},
    )
    return fig
