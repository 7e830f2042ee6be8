"""Search: one hit opens it, several are listed."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from frontend.forms import SearchForm
from investigations.permissions import role_required
from investigations.roles import READERS
from investigations.selectors.search import SearchHit, search


def hit_url(hit: SearchHit) -> str:
    """The page of a search hit."""
    if hit.kind == "account":
        return reverse("account", args=[hit.id])
    return reverse("entity", args=[hit.kind, hit.id])


@require_GET
@role_required(*READERS)
def search_view(request: HttpRequest) -> HttpResponse:
    """Find accounts and entities by id, email, IP, payment, device or prompt fingerprint."""
    form = SearchForm(request.GET)
    term = form.cleaned_data.get("q", "") if form.is_valid() else ""
    hits = search(term) if term else []
    if len(hits) == 1:
        return redirect(hit_url(hits[0]))
    return render(
        request,
        "frontend/search/results.html",
        {"form": form, "term": term, "hits": [(h, hit_url(h)) for h in hits]},
    )
