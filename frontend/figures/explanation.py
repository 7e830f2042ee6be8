"""The explained score: each signal's contribution as a bar, raising in red, mitigating in green."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go

from frontend.figures.common import MITIGATES, RAISES, esc, figure
from investigations.selectors.explanations import SignalRow


def format_value(value: Any) -> str:
    """A signal's raw value for display: numbers rounded, the rest as text."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, int):
        return f"{value:,}"
    return "" if value is None else str(value)


def explanation_figure(rows: Sequence[SignalRow]) -> go.Figure:
    """Horizontal bars of signal contributions, strongest at the top (evidence shown beside the score, such as a
    partner's match, has no bar)."""
    rows = [r for r in rows if r.scored]
    ordered = list(reversed(rows))  # Plotly draws the first category at the bottom
    low = min([0.0, *(r.contribution for r in rows)])
    high = max([0.0, *(r.contribution for r in rows)])
    pad = 0.25 * ((high - low) or 1.0)  # room for the value labels outside the bars
    bar = go.Bar(
        x=[r.contribution for r in ordered],
        y=[esc(r.label) for r in ordered],
        orientation="h",
        marker={"color": [RAISES if r.raises else MITIGATES for r in ordered]},
        text=[f"{r.contribution:+.3f}" for r in ordered],
        textposition="outside",
        cliponaxis=False,
        hovertext=[
            f"<b>{esc(r.label)}</b><br>value: {esc(format_value(r.value))}<br>contribution: {r.contribution:+.3f}"
            f"<br>{len(r.evidence)} pieces of evidence"
            for r in ordered
        ],
        hoverinfo="text",
    )
    return figure(
        [bar],
        height=max(160, 34 * len(rows) + 40),
        showlegend=False,
        bargap=0.35,
        xaxis={
            "title": {"text": "contribution to the score"},
            "zeroline": True,
            "zerolinewidth": 2,
            "range": [low - pad * (low < 0), high + pad],
        },
    )
