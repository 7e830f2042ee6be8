"""What every chart shares: colours per kind, text escaping for Plotly labels, and safe JSON for templates."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from investigations.exports.figures import esc  # noqa: F401 - one escaping rule for every picture
from investigations.palette import ACCENT, KIND_COLOURS, MITIGATES, MUTED, RAISES, kind_colour  # noqa: F401 - one palette

FONT = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif"

# Plotly renders label text as pseudo-HTML; these escapes make telemetry show verbatim (and inert).
_JSON_SCRIPT_ESCAPES = {
    ord("<"): "\\u003C",
    ord(">"): "\\u003E",
    ord("&"): "\\u0026",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}


def short(value: Any, length: int = 18) -> str:
    """A long id cut to `length` characters with an ellipsis (escaped)."""
    text = "" if value is None else str(value)
    return esc(text if len(text) <= length else text[: length - 1] + "…")


AXIS: dict[str, Any] = {"gridcolor": "#eef1f6", "zerolinecolor": "#dde2ea", "automargin": True}


def merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """`base` updated by `extra`, nested dicts merged key by key (neither is changed)."""
    out = dict(base)
    for key, value in extra.items():
        out[key] = (
            merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
        )
    return out


def layout(*, height: int = 300, **extra: Any) -> dict[str, Any]:
    """The house style (tight margins, system font, white background, light grid) updated by `extra`."""
    base = {
        "template": "none",  # colours are set here; the default template would add ~8 KB to every figure
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 30, "b": 10},
        "font": {"family": FONT, "size": 12, "color": "#1d2430"},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "hoverlabel": {"font": {"family": FONT}},
        "legend": {"orientation": "h", "x": 0, "y": 1.02, "xanchor": "left", "yanchor": "bottom"},
        "xaxis": AXIS,
        "yaxis": AXIS,
    }
    return merge(base, extra)


def figure(traces: list[Any], *, height: int = 300, **extra: Any) -> go.Figure:
    """A figure in the house style, built in one constructor call (Plotly validates each update separately)."""
    return go.Figure(data=traces, layout=layout(height=height, **extra))


def figure_json(fig: go.Figure) -> str:
    """The figure as JSON safe to place inside <script type="application/json"> (no `<`, `>` or `&`)."""
    return fig.to_json(validate=False).translate(_JSON_SCRIPT_ESCAPES)
