"""Chart builders are pure functions: records in, Plotly figure out; deterministic and safe to embed."""

from __future__ import annotations

import datetime as dt
import json
import random

from frontend.figures.common import figure_json
from frontend.figures.explanation import explanation_figure
from frontend.figures.network import layout, network_figure
from frontend.figures.timelines import model_share_figure, signups_figure
from investigations.exports.csv import safe_cell
from investigations.selectors.explanations import Evidence, SignalRow
from investigations.selectors.networks import NetworkEdge, NetworkNode

SCRIPT = "<script>alert(1)</script>"


def _signal(name: str, contribution: float) -> SignalRow:
    return SignalRow(signal=name, label=f"{name} {SCRIPT}", value=1, contribution=contribution, evidence=(
        Evidence(kind="device", id="d1", accounts=3, account_ids=(), detail=""),
    ))  # fmt: skip


def test_explanation_bars_strongest_on_top_coloured_by_sign_and_escaped() -> None:
    fig = explanation_figure([_signal("a", 0.3), _signal("b", 0.1), _signal("c", -0.05)])
    bar = fig.data[0]
    assert list(bar.x) == [-0.05, 0.1, 0.3]  # Plotly draws the first category at the bottom
    assert bar.y[-1] == "a &lt;script&gt;alert(1)&lt;/script&gt;"
    assert bar.marker.color[0] != bar.marker.color[-1]
    assert fig.layout.xaxis.range[0] < -0.05 and fig.layout.xaxis.range[1] > 0.3


def test_evidence_beside_the_score_gets_no_bar() -> None:
    beside = SignalRow(signal="partner_match", label="Partner match", value="1 of 3", contribution=0.0, evidence=(),
                       scored=False)  # fmt: skip
    fig = explanation_figure([_signal("a", 0.3), beside])
    assert list(fig.data[0].x) == [0.3] and len(fig.data[0].y) == 1


def _star(n: int) -> tuple[list[NetworkNode], list[NetworkEdge]]:
    hub = NetworkNode(id="device|d1", kind="device", label="d1", members=n, exchanges=100 * n)
    accounts = [
        NetworkNode(id=f"account|a{i}", kind="account", label=f"a{i}", members=1, exchanges=10 * (i + 1),
                    status="banned" if i == 0 else "active")
        for i in range(n)
    ]  # fmt: skip
    return [hub, *accounts], [NetworkEdge(source=a.id, target=hub.id, weight=1) for a in accounts]


def test_layout_is_deterministic_whatever_the_random_state() -> None:
    nodes, edges = _star(12)
    random.seed(1)
    first = layout([n.id for n in nodes], edges)
    random.seed(99)
    random.random()
    assert layout([n.id for n in nodes], edges) == first
    assert all(-1.0001 <= x <= 1.0001 and -1.0001 <= y <= 1.0001 for x, y in first.values())
    # The layout neither uses nor disturbs the process-wide generator.
    random.seed(5)
    layout([n.id for n in nodes], edges)
    after = random.random()
    random.seed(5)
    assert random.random() == after


def test_network_figure_colours_by_kind_sizes_by_volume_and_links_nodes() -> None:
    nodes, edges = _star(5)
    links = {n.id: f"/account/{n.label}/" for n in nodes if n.kind == "account"}
    fig = network_figure(nodes, edges, links)
    traces = {t.name: t for t in fig.data if t.mode != "lines"}
    assert set(traces) == {"Account", "Sign-up device"}
    accounts = traces["Account"]
    assert list(accounts.customdata) == [f"/account/a{i}/" for i in range(5)]
    sizes = list(accounts.marker.size)
    assert sizes == sorted(sizes)  # a0..a4 have growing volume
    assert accounts.marker.line.color[0] != accounts.marker.line.color[1]  # a0 is banned: red ring
    assert traces["Sign-up device"].marker.symbol == "diamond"
    assert json.loads(figure_json(fig))["data"][0]["mode"] == "lines"


def test_figure_json_never_closes_a_script_element() -> None:
    fig = explanation_figure([_signal("x", 0.2)])
    text = figure_json(fig)
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text)["data"][0]["y"][0] == "x &lt;script&gt;alert(1)&lt;/script&gt;"


def test_timeline_figures() -> None:
    day = dt.date(2026, 9, 10)
    fig = signups_figure([(day, 5)], [(day, 3)], [(day, 4)])
    assert [list(t.y) for t in fig.data] == [[5], [3], [-4]] and fig.layout.barmode == "relative"
    days = {
        "old": [(day, 10.0), (day + dt.timedelta(days=1), 0.0)],
        "new": [(day + dt.timedelta(days=1), 5.0)],
    }
    inside = dt.datetime(2026, 9, 10, 16, tzinfo=dt.UTC)
    outside = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    fig = model_share_figure(days, [("new", inside), ("old", outside)])
    assert len(fig.layout.shapes) == 1 and fig.layout.annotations[0].text == "new released"
    assert all(t.stackgroup == "share" and t.groupnorm == "percent" for t in fig.data)


def test_csv_cells_cannot_run_as_formulas() -> None:
    _csv_cell = safe_cell  # the one rule of every CSV export: member lists, case exports, quarantine rows
    assert _csv_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert _csv_cell("+1") == "'+1" and _csv_cell("@x") == "'@x"
    assert _csv_cell("-2+3|cmd") == "'-2+3|cmd"
    assert _csv_cell("-abc_1.x:y") == "-abc_1.x:y"  # a plain id of the contract's charset stays exact
    assert _csv_cell(SCRIPT) == SCRIPT and _csv_cell(None) == "" and _csv_cell(12) == "12"
