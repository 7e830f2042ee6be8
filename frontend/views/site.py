"""Thin views: parse the request, call one selector or service, render."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from frontend.views import clusters
from investigations.health import check_all
from investigations.permissions import role_required
from investigations.roles import READERS, Role, has_role


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The landing page after login: the cluster queue for everyone who may read clusters."""
    if has_role(request.user, *READERS):
        return clusters.queue(request)
    return render(request, "frontend/home.html")


@require_GET
@role_required(Role.ADMIN)
def health(request: HttpRequest) -> HttpResponse:
    """Every component's status (admins only)."""
    statuses = check_all()
    return render(
        request, "frontend/health.html", {"statuses": statuses, "all_ok": all(s.ok for s in statuses)}
    )


@require_GET
@login_not_required
def live(request: HttpRequest) -> HttpResponse:
    """Liveness probe for process managers: the web process answers; it reveals nothing else."""
    return HttpResponse("ok", content_type="text/plain")
