"""Cluster queue, cluster page and member CSV: parse the request, call a selector, render."""

from __future__ import annotations

import csv
import io
import re

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from frontend.figures.pages import cluster_figures
from frontend.forms import AnnotationForm, QueueFilterForm
from frontend.views.explorer import cluster_source, explorer_config
from investigations.exports.csv import safe_cell
from investigations.ids import parse_id
from investigations.models import AnnotationTarget, DetectionRun
from investigations.permissions import role_required
from investigations.roles import READERS
from investigations.selectors.clusters import cluster_in_run, cluster_page
from investigations.selectors.members import cluster_members, sorted_members
from investigations.selectors.networks import ClusterNetwork, split_key
from investigations.selectors.page_cache import cached
from investigations.selectors.queue import StatusPerPage, clusters_for_queue, queue_signals
from investigations.selectors.runs import run_from_param

_FILENAME_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")
QUEUE_PAGE_SIZE = 25
MEMBERS_PAGE_SIZE = 50
CSV_COLUMNS = ("account_id", "email", "status", "created_at", "status_changed_at", "plan", "country", "org_id",
               "exchanges", "reasoning_exchanges", "is_new", "first_flagged_run", "hours_to_detect")  # fmt: skip


def _run_param(request: HttpRequest) -> int | None:
    return parse_id(request.GET.get("run"))


def _run_or_404(request: HttpRequest) -> DetectionRun:
    try:
        run = run_from_param(request.GET.get("run"))
    except ValueError as exc:
        raise Http404(str(exc)) from exc
    if run is None:
        raise Http404("No finished detection run.")
    return run


@require_GET
@role_required(*READERS)
def queue(request: HttpRequest) -> HttpResponse:
    """The analyst's home: the latest run's flagged clusters, ranked, filtered and paginated."""
    try:
        run = run_from_param(request.GET.get("run"))
    except ValueError as exc:
        raise Http404(str(exc)) from exc
    form = QueueFilterForm(request.GET, signals=queue_signals(run) if run else [])
    context: dict[str, object] = {"run": run, "form": form, "page": None}
    if run is not None:
        clusters = clusters_for_queue(run, form.to_filters(), statuses=False)
        context["page"] = Paginator(StatusPerPage(clusters), QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "frontend/clusters/queue.html", context)


def network_links(request: HttpRequest, key: str, network: ClusterNetwork) -> dict[str, str]:
    """Where a click on each node leads: an account's page, a group's expansion, or an entity's page."""
    links: dict[str, str] = {}
    base = reverse("cluster", args=[key])
    run = _run_param(request)
    for node in network.nodes:
        kind, node_id = split_key(node.id)
        if kind == "account":
            links[node.id] = reverse("account", args=[node_id])
        elif network.mode == "groups" and node.id != network.expanded:
            params = {"expand": node.id, **({"run": str(run)} if run else {})}
            links[node.id] = f"{base}?{urlencode(params)}#network"
        else:
            links[node.id] = reverse("entity", args=[kind, node_id])
    return links


@require_GET
@role_required(*READERS)
def cluster_detail(request: HttpRequest, key: str) -> HttpResponse:
    """One cluster: explained score, network picture, timelines, capabilities, members, lineage, annotations."""
    run = _run_or_404(request)
    expand = request.GET.get("expand") or None
    page = cluster_page(run, key, expand=expand)
    if page is None:
        raise Http404("No cluster with this key in the run.")
    sort = request.GET.get("sort", "-exchanges")
    members = Paginator(sorted_members(page.members, sort), MEMBERS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    links = network_links(request, key, page.network)
    form = AnnotationForm(
        initial={"target": AnnotationTarget.CLUSTER, "target_id": key, "next": request.get_full_path()}
    )
    return render(
        request,
        "frontend/clusters/detail.html",
        {
            "page": page,
            "cluster": page.cluster,
            "run": run,
            # Figures of a finished run never change: build them (and the network layout) once, shared by every
            # process (their links follow from the key: the cluster, the run asked for and the open group).
            "figures": cached(
                page.cluster,
                f"figures:{page.network.expanded or ''}:{_run_param(request)}",
                lambda: cluster_figures(page, links),
            ),
            "members": members,
            "member_sort": sort,
            "group_links": {g.id: links.get(g.id, "") for g in page.network.groups},
            "annotation_form": form,
            "explorer": explorer_config(
                request, cluster_source(key, _run_param(request)), run=_run_param(request),
                fullscreen_url=reverse("explore-cluster", args=[key])
                + (f"?run={run.pk}" if _run_param(request) else ""),
            ),
        },
    )


@require_GET
@role_required(*READERS)
def members_csv(request: HttpRequest, key: str) -> HttpResponse:
    """Every member of the cluster as CSV."""
    run = _run_or_404(request)
    cluster = cluster_in_run(run, key)
    if cluster is None:
        raise Http404("No cluster with this key in the run.")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for m in sorted_members(cluster_members(cluster), "account_id"):
        writer.writerow([safe_cell(m.get(c)) for c in CSV_COLUMNS])
    filename = _FILENAME_UNSAFE.sub("_", f"cluster-{run.pk}-{cluster.key}-members.csv")
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
