"""Case pictures draw telemetry and case text as typed: Plotly reads `<a href>`, `<br>` and styles in label and
hover text as markup, so every such string reaches the figure escaped."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import plotly.graph_objects as go

from investigations.exports import figures
from investigations.palette import KIND_COLOURS, kind_colour

LINK = '<a href="https://evil.example/sso">Session expired, sign in</a>'


def _texts(fig: go.Figure) -> list[str]:
    out: list[str] = []
    for trace in fig.to_plotly_json()["data"]:
        text = trace.get("text")
        if isinstance(text, str):
            out.append(text)
        elif text is not None:
            out.extend(str(t) for t in text)
    return out


def test_network_escapes_account_ids_and_indicator_values() -> None:
    account = '<b onmouseover="x">acct</b>'
    fig = figures.evidence_network_figure(
        [account, "acct_2"], [{"kind": "ip", "value": LINK, "accounts": [account, "acct_2"]}]
    )
    texts = _texts(fig)
    assert "&lt;b onmouseover=\"x\"&gt;acct&lt;/b&gt;" in texts
    assert any(t.startswith("&lt;a href=") and t.endswith("(2 accounts)") for t in texts)
    assert not any("<a" in t or "<b" in t for t in texts)


def test_timeline_escapes_audit_summaries() -> None:
    fig = figures.timeline_figure([(datetime(2026, 11, 1, tzinfo=UTC), "Status changed", LINK)])
    assert _texts(fig) == ['&lt;a href="https://evil.example/sso"&gt;Session expired, sign in&lt;/a&gt;']


def test_attached_figure_strings_are_escaped_and_its_structure_kept() -> None:
    spec: dict[str, Any] = {
        "data": [{"type": "bar", "x": ["<i>a</i>", "b"], "y": [1, 2], "text": [LINK, "ok"],
                  "hovertemplate": "%{text}<br>%{y}", "marker": {"color": "#c0392b"}}],
        "layout": {"title": {"text": "<b>Ring & co</b>"}, "height": 300},
    }  # fmt: skip
    fig = go.Figure(figures.escaped_figure(json.loads(json.dumps(spec))))
    out = fig.to_plotly_json()
    bar = out["data"][0]
    assert list(bar["x"]) == ["&lt;i&gt;a&lt;/i&gt;", "b"] and list(bar["y"]) == [1, 2]
    assert bar["text"][0].startswith("&lt;a href=") and bar["text"][1] == "ok"
    assert bar["hovertemplate"] == "%{text}&lt;br&gt;%{y}" and bar["marker"]["color"] == "#c0392b"
    assert out["layout"]["title"]["text"] == "&lt;b&gt;Ring &amp; co&lt;/b&gt;" and out["layout"]["height"] == 300


def test_case_pictures_colour_each_kind_as_the_workspace_does() -> None:
    fig = figures.evidence_network_figure(
        ["a1", "a2"],
        [{"kind": "payment_fingerprint", "value": "card", "accounts": ["a1", "a2"]},
         {"kind": "prompt_template", "value": "pt-1", "accounts": ["a1", "a2"]}],
    )  # fmt: skip
    colours = {t["name"]: t["marker"]["color"] for t in fig.to_plotly_json()["data"] if t.get("name")}
    assert colours["Payment fingerprint"] == KIND_COLOURS["payment_instrument"] == kind_colour("payment_fingerprint")
    assert colours["Prompt template"] == KIND_COLOURS["template"]
