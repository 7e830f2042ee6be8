"""The network picture of a cluster: accounts and the entities that tie them, with a deterministic layout."""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Mapping, Sequence

import igraph
import plotly.graph_objects as go

from frontend.figures.common import esc, figure, kind_colour, short
from investigations.selectors.accounts import kind_label
from investigations.selectors.networks import NetworkEdge, NetworkNode

LAYOUT_SEED = 20260901
LABELS = 12  # groups named on the picture
_layout_lock = threading.Lock()


def layout(node_ids: Sequence[str], edges: Sequence[NetworkEdge]) -> dict[str, tuple[float, float]]:
    """Fruchterman-Reingold positions in [-1, 1]², the same for the same nodes and edges every time."""
    if not node_ids:
        return {}
    index = {n: i for i, n in enumerate(node_ids)}
    pairs = [(index[e.source], index[e.target]) for e in edges if e.source in index and e.target in index]
    g = igraph.Graph(n=len(node_ids), edges=pairs)
    weights = [max(1.0, math.log1p(e.weight)) for e in edges if e.source in index and e.target in index]
    # igraph draws its random numbers from one process-wide generator: swap in a seeded one under a lock.
    with _layout_lock:
        igraph.set_random_number_generator(random.Random(LAYOUT_SEED))
        try:
            coords = g.layout_fruchterman_reingold(weights=weights or None, niter=500).coords
        finally:
            igraph.set_random_number_generator(random)
    xs, ys = [c[0] for c in coords], [c[1] for c in coords]
    span = max(max(xs) - min(xs), max(ys) - min(ys), 1e-9)
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    return {n: ((coords[i][0] - cx) * 2 / span, (coords[i][1] - cy) * 2 / span) for n, i in index.items()}


def _size(node: NetworkNode, biggest_members: int, biggest_exchanges: int) -> float:
    """Marker size: groups by accounts tied, accounts by traffic volume."""
    if node.kind == "account":
        return 8 + 16 * math.sqrt(node.exchanges / max(1, biggest_exchanges))
    return 14 + 34 * math.sqrt(node.members / max(1, biggest_members))


def _hover(node: NetworkNode) -> str:
    if node.kind == "account":
        status = f"<br>status: {esc(node.status)}" if node.status else ""
        return f"<b>account {esc(node.label)}</b>{status}<br>exchanges: {node.exchanges:,}"
    return (
        f"<b>{esc(kind_label(node.kind))}</b><br>{esc(node.label)}"
        f"<br>shared by {node.members:,} members<br>their exchanges: {node.exchanges:,}"
    )


def network_figure(
    nodes: Sequence[NetworkNode], edges: Sequence[NetworkEdge], links: Mapping[str, str], *, height: int = 540
) -> go.Figure:
    """Scatter of nodes coloured by kind and sized by volume, edges as lines; `links` maps node id to a URL."""
    positions = layout([n.id for n in nodes], edges)
    biggest_members = max((n.members for n in nodes if n.kind != "account"), default=1)
    biggest_exchanges = max((n.exchanges for n in nodes if n.kind == "account"), default=1)
    traces: list[go.Scatter] = []
    # Edges in three widths, by how many accounts they stand for.
    top = max((e.weight for e in edges), default=1)
    for lo, hi, width in ((0, 0.2, 0.6), (0.2, 0.6, 1.6), (0.6, 1.01, 3.2)):
        xs: list[float | None] = []
        ys: list[float | None] = []
        for e in edges:
            share = e.weight / top
            if lo <= share < hi and e.source in positions and e.target in positions:
                (x0, y0), (x1, y1) = positions[e.source], positions[e.target]
                xs += [x0, x1, None]
                ys += [y0, y1, None]
        if xs:
            traces.append(
                go.Scatter(
                    x=xs, y=ys, mode="lines", hoverinfo="skip", showlegend=False,
                    line={"width": width, "color": "rgba(90,100,120,0.35)"},
                )
            )  # fmt: skip
    kinds = sorted({n.kind for n in nodes}, key=lambda k: (k != "account", k))
    # Name only the biggest groups on the picture (the rest in hover and in the list beside it).
    labelled = {
        n.id for n in sorted((n for n in nodes if n.kind != "account"), key=lambda n: -n.members)[:LABELS]
    }
    for kind in kinds:
        members = [n for n in nodes if n.kind == kind]
        is_group = kind != "account"
        traces.append(
            go.Scatter(
                x=[positions[n.id][0] for n in members],
                y=[positions[n.id][1] for n in members],
                mode="markers+text" if is_group else "markers",
                name=esc("Account" if kind == "account" else kind_label(kind)),
                text=[short(n.label, 14) if n.id in labelled else "" for n in members],
                textposition="top center",
                textfont={"size": 10, "color": "#5b6678"},
                hovertext=[_hover(n) for n in members],
                hoverinfo="text",
                customdata=[links.get(n.id, "") for n in members],
                marker={
                    "size": [_size(n, biggest_members, biggest_exchanges) for n in members],
                    "color": kind_colour(kind),
                    "symbol": "circle" if kind == "account" else "diamond",
                    "opacity": 0.9,
                    "line": {
                        "width": [2.5 if n.status == "banned" else 0.8 for n in members],
                        "color": ["#c0392b" if n.status == "banned" else "white" for n in members],
                    },
                },
            )
        )
    return figure(
        traces,
        height=height,
        legend={"orientation": "h", "y": -0.02, "yanchor": "top"},
        hovermode="closest",
        dragmode="pan",
        xaxis={"visible": False, "range": [-1.25, 1.25]},
        yaxis={"visible": False, "range": [-1.2, 1.2], "scaleanchor": "x", "scaleratio": 1},
    )
