"""The graph explorer's pages: full screen for a cluster, an account, an entity or a view saved in a case, and the
configuration the explorer section of the cluster, account and entity pages reads (as JSON, never as script)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_GET

from investigations.models import ACTIVE_STATUSES, Case, ExplorerView
from investigations.permissions import role_required
from investigations.roles import CASE_MANAGERS, READERS, has_role
from investigations.selectors.accounts import known_kind_and_id
from investigations.selectors.explorer import EXPAND_MAX, KIND_FAMILY, PATH_MAX_DEGREE


def _base(name: str, *args: str) -> str:
    """The URL of route `name` with its last argument left off (the explorer appends it)."""
    url = reverse(name, args=[*args, "x"])
    return url[: -len("x/")]


def explorer_config(request: HttpRequest, source: dict[str, Any], *, run: int | None = None,
                    fullscreen_url: str | None = None) -> dict[str, Any]:  # fmt: skip
    """What the explorer needs: what to open, the API it calls, its limits, and where it may save."""
    can_save = has_role(request.user, *CASE_MANAGERS)
    cases = (
        list(
            Case.objects.filter(status__in=ACTIVE_STATUSES)
            .order_by("-updated_at", "-pk")
            .values_list("pk", "title")[:100]
        )
        if can_save
        else []
    )
    return {
        "source": source,
        "run": run,
        "api": {
            "account": _base("api-explorer-account"),
            "entity": _base("api-explorer-entity", "kind")[: -len("kind/")],
            "path": reverse("api-explorer-path"),
            "views": reverse("api-explorer-views"),
        },
        "pages": {"account": _base("account"), "entity": _base("entity", "kind")[: -len("kind/")]},
        "worker_url": static("frontend/dist/layout-worker.js"),
        "supernode": settings.EXPLORER_SUPERNODE_ACCOUNTS,
        "expand_page": min(settings.EXPLORER_EXPAND_PAGE, EXPAND_MAX),
        "path_max_degree": PATH_MAX_DEGREE,
        "can_save": can_save,
        "cases": [[pk, title] for pk, title in cases],
        "fullscreen_url": fullscreen_url,
    }


def cluster_source(key: str, run: int | None) -> dict[str, Any]:
    """The explorer opening a cluster of a run (the latest when None)."""
    url = reverse("api-explorer-cluster", args=[key]) + (f"?run={run}" if run else "")
    return {"type": "cluster", "key": key, "url": url}


def account_source(account_id: str) -> dict[str, Any]:
    """The explorer opening an account."""
    return {"type": "account", "key": account_id, "url": reverse("api-explorer-account", args=[account_id])}


def entity_source(kind: str, entity_id: str) -> dict[str, Any]:
    """The explorer opening an entity (its first page of accounts)."""
    return {
        "type": "entity",
        "key": f"{kind}|{entity_id}",
        "url": reverse("api-explorer-entity", args=[kind, entity_id]),
    }


def _page(request: HttpRequest, title: str, config: dict[str, Any]) -> HttpResponse:
    return render(request, "frontend/explorer.html", {"title": title, "explorer": config})


@require_GET
@role_required(*READERS)
def explore_cluster(request: HttpRequest, key: str) -> HttpResponse:
    """A cluster in the explorer, full screen."""
    run = request.GET.get("run", "")
    run_id = int(run) if run.isdigit() and len(run) < 19 else None
    return _page(request, f"Cluster {key}", explorer_config(request, cluster_source(key, run_id), run=run_id))


@require_GET
@role_required(*READERS)
def explore_account(request: HttpRequest, account_id: str) -> HttpResponse:
    """An account in the explorer, full screen."""
    return _page(request, f"Account {account_id}", explorer_config(request, account_source(account_id)))


@require_GET
@role_required(*READERS)
def explore_entity(request: HttpRequest, kind: str, entity_id: str) -> HttpResponse:
    """An entity in the explorer, full screen."""
    if kind not in KIND_FAMILY or not known_kind_and_id(kind, entity_id):
        raise Http404("No such entity.")
    return _page(request, f"{kind} {entity_id}", explorer_config(request, entity_source(kind, entity_id)))


@require_GET
@role_required(*READERS)
def explore_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A view saved in a case, reopened as it was saved."""
    view = ExplorerView.objects.filter(pk=pk).first()
    if view is None:
        raise Http404("No such saved view.")
    source = {"type": "view", "key": str(view.pk), "url": reverse("api-explorer-view", args=[view.pk])}
    return _page(request, f"{view.title} (case #{view.case_id})", explorer_config(request, source))
