"""Template tags of indicator exchange, so the case, account and queue pages show it with one line each: what a
case published (and the form to publish), an account's partner matches, and the open partner-match alerts."""

from __future__ import annotations

from typing import Any

from django import template

from frontend.forms_partners import PublishForm
from investigations.models import Case
from investigations.selectors import partners as selectors
from investigations.services.publishing import PUBLISHABLE

register = template.Library()


@register.inclusion_tag("frontend/partners/_case_publishing.html", takes_context=True)
def case_publishing(context: dict[str, Any], case: Case) -> dict[str, Any]:
    """The case's publications and, for case managers, the publish form."""
    return {
        "case": case, "publications": list(selectors.case_publications(case)), "form": PublishForm(),
        "reports": selectors.case_partner_reports(case),
        "publishable": case.status in PUBLISHABLE, "is_case_manager": context.get("is_case_manager", False),
        "csrf_token": context.get("csrf_token"),
    }  # fmt: skip


@register.inclusion_tag("frontend/partners/_account_matches.html")
def account_partner_matches(account_id: str) -> dict[str, Any]:
    """Partner indicators that name this account."""
    return {"matches": selectors.account_partner_matches(account_id)}


@register.inclusion_tag("frontend/partners/_alerts.html", takes_context=True)
def partner_alerts(context: dict[str, Any]) -> dict[str, Any]:
    """Open partner-match alerts for the analyst queue."""
    return {"alerts": selectors.open_partner_alerts(), "csrf_token": context.get("csrf_token")}
