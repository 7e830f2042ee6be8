"""The case as one self-contained, printable HTML file: frozen evidence, changes since, work, audit and pictures."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import plotly.offline
from django.template import Context, Engine
from django.utils import timezone

from investigations.exports import figures
from investigations.models import AttachmentKind
from investigations.selectors.case_evidence import member_ids
from investigations.selectors.cases import CaseView

TEMPLATES = Path(__file__).resolve().parent / "templates"
# Images small enough to embed in the report as data URIs (others are listed by name).
EMBED_IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/svg+xml", "image/webp"}
EMBED_MAX_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class ReportFigure:
    """A figure in the report: its element id, caption and Plotly JSON (safe to place inside a script tag)."""

    element_id: str
    caption: str
    json: str


@cache
def _engine() -> Engine:
    # A dedicated engine so the report does not depend on the UI's template folders; autoescape is on.
    return Engine(dirs=[str(TEMPLATES)], autoescape=True)


@cache
def plotly_js() -> str:
    """plotly.js from the installed Python package (never a CDN)."""
    return plotly.offline.get_plotlyjs()


def script_safe_json(fig: go.Figure) -> str:
    """A figure's JSON with <, > and & escaped, so telemetry text can never close the script element."""
    text = fig.to_json()
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def case_figures(view: CaseView) -> list[ReportFigure]:
    """The report's pictures: each cluster's signal contributions, the evidence network, the timeline, attached figures."""
    out: list[ReportFigure] = []
    for n, cc in enumerate(view.clusters):
        cluster = cc.snapshot.get("cluster", {})
        if figures.signal_contributions(cluster.get("explanation")):
            fig = figures.contributions_figure(cc.cluster_key, cluster.get("score"), cluster.get("explanation"))
            out.append(ReportFigure(f"fig-signals-{n}", f"{cc.cluster_key}: risk signals at snapshot", script_safe_json(fig)))
    accounts = [a.account_id for a in view.accounts]
    indicators = [
        {"kind": i.kind.value, "value": i.value, "accounts": list(i.accounts)} for i in view.indicators
    ]
    if accounts:
        fig = figures.evidence_network_figure(accounts, indicators)
        out.append(ReportFigure("fig-network", "Accounts and the indicators they share (frozen)", script_safe_json(fig)))
    events = [(e.created_at, e.get_action_display(), e.summary) for e in view.timeline]
    if events:
        out.append(ReportFigure("fig-timeline", "Timeline", script_safe_json(figures.timeline_figure(events))))
    for attachment in view.attachments:
        if attachment.kind != AttachmentKind.FIGURE:
            continue
        try:
            fig = go.Figure(figures.escaped_figure(json.loads(attachment.text)))
        except (ValueError, TypeError):
            continue
        out.append(ReportFigure(f"fig-attachment-{attachment.pk}", attachment.title, script_safe_json(fig)))
    return out


def _embedded_images(view: CaseView) -> dict[int, str]:
    images: dict[int, str] = {}
    for attachment in view.attachments:
        if attachment.kind != AttachmentKind.FILE or not attachment.file:
            continue
        if attachment.content_type not in EMBED_IMAGE_TYPES or attachment.size > EMBED_MAX_BYTES:
            continue
        with attachment.file.open("rb") as handle:
            data = base64.b64encode(handle.read()).decode("ascii")
        images[attachment.pk] = f"data:{attachment.content_type};base64,{data}"
    return images


def render_report(view: CaseView, *, generated_by: str, script_nonce: str = "") -> str:
    """The case report as a self-contained HTML document. Its two scripts (Plotly and the drawing) carry
    `script_nonce` when given: the app serves the report under a Content-Security-Policy without inline scripts."""
    clusters = [
        {
            "cc": cc,
            "cluster": cc.snapshot.get("cluster", {}),
            "members": cc.snapshot.get("members", []),
            "member_count": len(member_ids(cc.snapshot)),
            "signals": list(reversed(figures.signal_contributions(cc.snapshot.get("cluster", {}).get("explanation")))),
        }
        for cc in view.clusters
    ]
    images = _embedded_images(view)
    context: dict[str, Any] = {
        "view": view,
        "case": view.case,
        "clusters": clusters,
        "figures": case_figures(view),
        "attachments": [{"a": a, "image": images.get(a.pk)} for a in view.attachments],
        "plotly_js": plotly_js(),
        "generated_at": timezone.now(),
        "generated_by": generated_by,
        "nonce": script_nonce,
    }
    template = _engine().get_template("case_report.html")
    return template.render(Context(context))
