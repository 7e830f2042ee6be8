"""Posting an annotation from a cluster or account page."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from frontend.forms import AnnotationForm
from investigations.models import AnnotationTarget
from investigations.permissions import role_required
from investigations.roles import READERS
from investigations.services.annotations import annotate


def _back(request: HttpRequest, form: AnnotationForm, *, saved: bool) -> str:
    """The page the annotation came from (same site only), else the annotated thing's page, else home."""
    target = str(form.data.get("next", ""))
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return f"{target.split('#', 1)[0]}#annotations"
    target_id = str(form.data.get("target_id", ""))
    if not saved or not target_id:
        return reverse("home")
    if form.data.get("target") == AnnotationTarget.CLUSTER:
        return reverse("cluster", args=[target_id]) + "#annotations"
    return reverse("account", args=[target_id]) + "#annotations"


@require_POST
@role_required(*READERS)
def annotation_create(request: HttpRequest) -> HttpResponse:
    """Record a label, note and tags on a cluster or account, then go back to its page."""
    form = AnnotationForm(request.POST)
    if not form.is_valid():
        problems = "; ".join(
            f"{field}: {' '.join(str(e) for e in errs)}" for field, errs in form.errors.items()
        )
        messages.error(request, f"The annotation was not saved: {problems}")
        return redirect(_back(request, form, saved=False))
    data = form.cleaned_data
    try:
        annotate(
            target=data["target"],
            target_id=data["target_id"],
            author=request.user,
            label=data["label"],
            note=data["note"],
            tags=data["tags"],
        )
    except ValidationError as exc:
        messages.error(request, "The annotation was not saved: " + " ".join(exc.messages))
        return redirect(_back(request, form, saved=False))
    messages.success(request, "Annotation saved.")
    return redirect(_back(request, form, saved=True))
