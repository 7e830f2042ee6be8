"""Account pages and entity pages: parse the request, call a selector, render."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from frontend.figures.pages import account_figures
from frontend.forms import AnnotationForm
from frontend.views.explorer import account_source, entity_source, explorer_config
from investigations.models import AnnotationTarget
from investigations.permissions import role_required
from investigations.roles import READERS
from investigations.selectors.accounts import (
    account_overview,
    account_sessions,
    clusters_holding,
    entity,
    entity_account_ids,
    entity_accounts,
)
from investigations.selectors.clusters import annotations_on
from investigations.selectors.explorer import KIND_FAMILY
from investigations.selectors.networks import split_key
from investigations.selectors.runs import latest_run

SESSIONS_PAGE_SIZE = 25
ENTITY_PAGE_SIZE = 50


def _expand_param(request: HttpRequest) -> tuple[str, str] | None:
    value = request.GET.get("expand", "")
    kind, entity_id = split_key(value)
    return (kind, entity_id) if kind and entity_id else None


@require_GET
@role_required(*READERS)
def account_detail(request: HttpRequest, account_id: str) -> HttpResponse:
    """One account: profile, billing, sessions, activity, capabilities, templates, neighbours, clusters."""
    expand = _expand_param(request)
    overview = account_overview(account_id, expand=expand)
    if overview is None:
        raise Http404("No account with this id.")
    sessions = Paginator(account_sessions(account_id, overview.sessions), SESSIONS_PAGE_SIZE)
    form = AnnotationForm(
        initial={"target": AnnotationTarget.ACCOUNT, "target_id": account_id, "next": request.get_full_path()}
    )
    return render(
        request,
        "frontend/accounts/detail.html",
        {
            "o": overview,
            "account_id": account_id,
            "sessions": sessions.get_page(request.GET.get("sessions_page")),
            "expanded": "|".join(expand) if expand else "",
            "figures": account_figures(overview),
            "annotations": list(annotations_on(AnnotationTarget.ACCOUNT, account_id)),
            "annotation_form": form,
            "explorer": explorer_config(request, account_source(account_id),
                                        fullscreen_url=reverse("explore-account", args=[account_id])),  # fmt: skip
        },
    )


@require_GET
@role_required(*READERS)
def entity_detail(request: HttpRequest, kind: str, entity_id: str) -> HttpResponse:
    """One shared entity: what it is, the accounts holding it and the clusters of the latest run they are in."""
    found = entity(kind, entity_id)
    if found is None:
        raise Http404("No such entity.")
    account_ids = entity_account_ids(kind, entity_id)
    accounts = Paginator(entity_accounts(account_ids), ENTITY_PAGE_SIZE).get_page(request.GET.get("page"))
    run = latest_run()
    return render(
        request,
        "frontend/accounts/entity.html",
        {
            "entity": found,
            "accounts": accounts,
            "listed": len(account_ids),
            "run": run,
            "clusters": clusters_holding(account_ids, run),
            "explorer": explorer_config(request, entity_source(kind, entity_id),
                                        fullscreen_url=reverse("explore-entity", args=[kind, entity_id]))
            if kind in KIND_FAMILY
            else None,
        },
    )
