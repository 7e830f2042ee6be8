"""Pages for indicator exchange: partners, their tokens and collection rights (admins), uploading a partner's
bundle, publishing a case's indicators (case managers), and acknowledging partner-match alerts (the queue)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontend.forms_partners import (
    AccessForm,
    ActiveForm,
    CollectionForm,
    PartnerForm,
    PublishForm,
    TokenForm,
    UploadForm,
)
from investigations.models import Case, Partner, PartnerAlert, PartnerToken
from investigations.permissions import role_required
from investigations.roles import CASE_MANAGERS, READERS, Role
from investigations.selectors import partners as selectors
from investigations.services import partner_imports, partner_matching, partners, publishing
from investigations.services.cases import CaseError, CasePermissionError


def _partner(pk: int) -> Partner:
    return get_object_or_404(Partner, pk=pk)


def _detail(request: HttpRequest, partner: Partner, **extra: Any) -> HttpResponse:
    context = {
        "partner": partner,
        "tokens": partner.tokens.all(),
        "access": partner.access.select_related("collection"),
        "indicators": selectors.partner_indicators(partner),
        "token_form": TokenForm(),
        "access_form": AccessForm(),
        "upload_form": UploadForm(),
        **extra,
    }
    return render(request, "frontend/partners/detail.html", context)


def _errors(request: HttpRequest, form: Any) -> None:
    for field, errors in form.errors.items():
        messages.error(request, f"{field}: {' '.join(errors)}")


@require_http_methods(["GET", "POST"])
@role_required(Role.ADMIN)
def partner_list(request: HttpRequest) -> HttpResponse:
    """Partners and collections; a new partner."""
    form = PartnerForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                partner = partners.create_partner(form.cleaned_data["name"], contact=form.cleaned_data["contact"], by=request.user)
            except partners.PartnerError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, f"Partner {partner.name} created.")
                return redirect("partner", partner.pk)
        else:
            _errors(request, form)
    context = {"partners": selectors.partners_overview(), "collections": selectors.all_collections(),
               "form": PartnerForm(), "collection_form": CollectionForm()}  # fmt: skip
    return render(request, "frontend/partners/list.html", context)


@require_POST
@role_required(Role.ADMIN)
def collection_create(request: HttpRequest) -> HttpResponse:
    """A new TAXII collection."""
    form = CollectionForm(request.POST)
    if form.is_valid():
        try:
            c = partners.create_collection(form.cleaned_data["title"], description=form.cleaned_data["description"], by=request.user)
            messages.success(request, f"Collection {c.title} created.")
        except partners.PartnerError as exc:
            messages.error(request, str(exc))
    else:
        _errors(request, form)
    return redirect("partners")


@require_GET
@role_required(Role.ADMIN)
def partner_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A partner: tokens, collection rights, the indicators it sent."""
    return _detail(request, _partner(pk))


@require_POST
@role_required(Role.ADMIN)
def token_issue(request: HttpRequest, pk: int) -> HttpResponse:
    """Issue a token; the page shows it once (it is not stored, and never travels in a redirect or cookie)."""
    partner = _partner(pk)
    form = TokenForm(request.POST)
    if not form.is_valid():
        _errors(request, form)
        return redirect("partner", pk)
    try:
        token, record = partners.issue_partner_token(
            partner, days=form.cleaned_data["days"], label=form.cleaned_data["label"], by=request.user
        )
    except partners.PartnerError as exc:
        messages.error(request, str(exc))
        return redirect("partner", pk)
    return _detail(request, partner, new_token=token, new_record=record)


@require_POST
@role_required(Role.ADMIN)
def token_revoke(request: HttpRequest, pk: int, token_id: int) -> HttpResponse:
    """Revoke one of the partner's tokens."""
    record = get_object_or_404(PartnerToken, pk=token_id, partner_id=pk)
    if partners.revoke_partner_token(record, by=request.user):
        messages.success(request, f"Token {record.prefix}… revoked.")
    return redirect("partner", pk)


@require_POST
@role_required(Role.ADMIN)
def access_set(request: HttpRequest, pk: int) -> HttpResponse:
    """Set the partner's rights on a collection."""
    partner = _partner(pk)
    form = AccessForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        partners.grant_collection(partner, d["collection"], can_read=d["can_read"], can_write=d["can_write"], by=request.user)
        messages.success(request, f"Rights on {d['collection'].title} saved.")
    else:
        _errors(request, form)
    return redirect("partner", pk)


@require_POST
@role_required(Role.ADMIN)
def partner_active(request: HttpRequest, pk: int) -> HttpResponse:
    """Suspend a partner or let it back in."""
    form = ActiveForm(request.POST)
    form.is_valid()
    partners.set_partner_active(_partner(pk), bool(form.cleaned_data.get("active")), by=request.user)
    return redirect("partner", pk)


@require_POST
@role_required(Role.ADMIN)
def partner_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """Import a bundle the partner sent another way (validated whole first, then matched against the graph)."""
    partner = _partner(pk)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        _errors(request, form)
        return redirect("partner", pk)
    upload = form.cleaned_data["bundle"]
    try:
        if upload.size > 10 * 1024 * 1024:
            raise partner_imports.EnvelopeRejected("Too large", "A bundle of at most 10 MiB.", 413)
        objects = partner_imports.parse_upload(upload.read())
        result = partner_imports.import_objects(partner, objects, collection=None, by=request.user)
    except partner_imports.EnvelopeRejected as exc:
        messages.error(request, f"Bundle refused ({exc.title}): {exc.description}")
    else:
        messages.success(request, f"{result.objects} objects imported ({len(result.indicators)} indicators); matching queued.")
    return redirect("partner", pk)


@require_POST
@role_required(*CASE_MANAGERS)
def case_publish(request: HttpRequest, pk: int) -> HttpResponse:
    """Publish a case's indicators to partners' collections."""
    case = get_object_or_404(Case, pk=pk)
    form = PublishForm(request.POST)
    if not form.is_valid():
        _errors(request, form)
        return redirect(reverse("case", args=[pk]) + "#publishing")
    d = form.cleaned_data
    try:
        pub = publishing.publish_case(case, collections=list(d["collections"]), tlp=d["tlp"], note=d["note"], by=request.user)
    except CasePermissionError as exc:
        raise PermissionDenied(str(exc)) from exc
    except CaseError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Published: {pub.objects_published} new object versions.")
    return redirect(reverse("case", args=[pk]) + "#publishing")


@require_POST
@role_required(*READERS)
def partner_alert_ack(request: HttpRequest, pk: int) -> HttpResponse:
    """Acknowledge a partner-match alert from the queue."""
    alert = get_object_or_404(PartnerAlert, pk=pk)
    partner_matching.acknowledge_partner_alert(alert, by=request.user)
    messages.success(request, "Partner match alert acknowledged.")
    return redirect(reverse("clusters") + "#partner-alerts")
