"""Template helpers of the analyst workspace: embedded figures, kind colours, percentages, score classes."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from frontend.views.assets import PLOTLY_VERSION
from investigations.models import AnnotationLabel
from investigations.palette import kind_colour as palette_colour
from investigations.selectors.queue import ClusterStatus

register = template.Library()


@register.simple_tag
def figure(figure_json: str, element_id: str, *, clickable: bool = False, css: str = "plot") -> SafeString:
    """A chart container and its figure JSON (already escaped for a script element); charts.js draws it."""
    if not figure_json:
        return mark_safe('<p class="empty">No data for this chart.</p>')  # noqa: S308 - a constant
    return format_html(
        '<div class="{}" id="{}" data-figure="{}-data"{}></div>'
        '<script type="application/json" id="{}-data">{}</script>',
        css,
        element_id,
        element_id,
        mark_safe(' data-clickable="1"') if clickable else "",
        element_id,
        mark_safe(figure_json),  # noqa: S308 - figure_json() escapes <, > and & (no markup can close the script)
    )


@register.filter
def kind_colour(kind: str) -> str:
    """The colour of a node or entity kind."""
    return palette_colour(str(kind))


@register.filter
def pct(value: Any, digits: int = 0) -> str:
    """A share in [0, 1] as a percentage ("—" when unknown)."""
    if value is None or value == "":
        return "—"
    return f"{100 * float(value):.{int(digits)}f}%"


@register.filter
def score_class(score: Any) -> str:
    """CSS class of a risk score: high, medium or low."""
    value = float(score or 0)
    return "high" if value >= 0.7 else "medium" if value >= 0.4 else "low"


@register.filter
def humanize_signal(name: Any) -> str:
    """A signal name for display: underscores as spaces."""
    return str(name or "").replace("_", " ")


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """`mapping[key]` in a template (None when missing)."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.simple_tag
def plotly_url() -> str:
    """URL of plotly.min.js served from the installed plotly package (versioned for caching)."""
    return reverse("plotly-js", args=[PLOTLY_VERSION])


@register.filter
def status_label(status: Any) -> str:
    """Human label of a cluster status."""
    try:
        return str(ClusterStatus(status).label)
    except ValueError:
        return str(status or "")


@register.filter
def label_label(label: Any) -> str:
    """Human label of an annotation label."""
    try:
        return str(AnnotationLabel(label).label)
    except ValueError:
        return str(label or "")


@register.filter
def signed(value: Any, digits: int = 3) -> str:
    """A number with its sign: +0.310, -0.120."""
    try:
        return f"{float(value):+.{int(digits)}f}"
    except (TypeError, ValueError):
        return ""


@register.filter
def hours(value: Any) -> str:
    """A duration in hours for people: "45 min", "18 h", "3.2 days"; a dash when unknown."""
    if value is None or value == "":
        return "—"
    h = float(value)
    if h < 1:
        return f"{round(h * 60)} min"
    if h < 48:
        return f"{h:.0f} h"
    return f"{h / 24:.1f} days"
