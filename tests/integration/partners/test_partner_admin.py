"""Managing partners and publishing: the commands, the admin pages (a token shown once, only its digest kept),
revocation, and publishing from the case page and the API (only confirmed or actioned cases, every step audited)."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client

from investigations.models import (
    AuditAction,
    AuditEvent,
    Case,
    CollectionAccess,
    Partner,
    PartnerToken,
    Publication,
    TaxiiObject,
)
from investigations.services.partners import token_digest, token_for
from tests.integration.partners.conftest import Exchange

pytestmark = pytest.mark.integration


def _token_in(text: str) -> str:
    match = re.search(r"hwp_[A-Za-z0-9_-]{20,}", text)
    assert match, text
    return match.group(0)


def test_partner_commands(db: object) -> None:
    out = io.StringIO()
    call_command("create_partner", "Lab C", "--contact", "sec@lab-c.example", "--read", "Campaigns", "--write",
                 "Lab C reports", "--token", "--days", "30", stdout=out)  # fmt: skip
    token = _token_in(out.getvalue())
    partner = Partner.objects.get(name="Lab C")
    rights = {a.collection.title: (a.can_read, a.can_write) for a in CollectionAccess.objects.filter(partner=partner)}
    assert rights == {"Campaigns": (True, False), "Lab C reports": (False, True)}
    record = token_for(token)
    assert record is not None and record.partner == partner
    assert not PartnerToken.objects.filter(digest=token).exists() and record.digest == token_digest(token)
    with pytest.raises(CommandError):
        call_command("create_partner", "Lab C", stdout=io.StringIO())
    out = io.StringIO()
    call_command("issue_partner_token", "Lab C", "--label", "second", stdout=out)
    second = _token_in(out.getvalue())
    call_command("revoke_partner_token", "Lab C", "--prefix", second[:10], stdout=io.StringIO())
    assert token_for(second) is None and token_for(token) is not None
    call_command("revoke_partner_token", "Lab C", "--all", stdout=io.StringIO())
    assert token_for(token) is None
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions.count(AuditAction.PARTNER_TOKEN_ISSUED) == 2 and actions.count(AuditAction.PARTNER_TOKEN_REVOKED) == 2
    assert AuditAction.PARTNER_CHANGED in actions


def test_admin_pages_issue_a_token_once_and_revoke_it(exchange: Exchange, admin_user: User) -> None:
    page = Client()
    page.force_login(admin_user)
    assert page.post("/partners/", {"name": "<b>Authority D</b>"}).status_code == 302
    partner = Partner.objects.get(name="<b>Authority D</b>")
    listing = page.get("/partners/").content.decode()
    assert "&lt;b&gt;Authority D&lt;/b&gt;" in listing and "<b>Authority D</b>" not in listing
    issued = page.post(f"/partners/{partner.pk}/tokens/", {"label": "soc", "days": "7"})
    token = _token_in(issued.content.decode())
    assert token_for(token) is not None
    assert token not in page.get(f"/partners/{partner.pk}/").content.decode()  # shown once
    page.post(f"/partners/{partner.pk}/access/", {"collection": exchange.shared.pk, "can_read": "on"})
    assert CollectionAccess.objects.get(partner=partner).can_read
    record = PartnerToken.objects.get(partner=partner)
    page.post(f"/partners/{partner.pk}/tokens/{record.pk}/revoke/")
    assert token_for(token) is None
    page.post(f"/partners/{partner.pk}/active/", {})
    partner.refresh_from_db()
    assert not partner.active
    # Django admin shows partners read-only, never their tokens
    assert page.get("/admin/investigations/partnertoken/").status_code == 404
    assert page.get(f"/admin/investigations/partner/{partner.pk}/change/").status_code == 200
    assert page.post("/admin/investigations/partner/add/", {"name": "sneaky"}).status_code == 403


def test_publishing_from_the_case_page_and_the_api(
    exchange: Exchange, confirmed_case: Case, case_manager: User, analyst: User
) -> None:
    page = Client()
    page.force_login(case_manager)
    html = page.get(f"/cases/{confirmed_case.pk}/").content.decode()
    assert 'id="publish-form"' in html and "Distillation campaigns" in html
    done = page.post(f"/cases/{confirmed_case.pk}/publish/",
                     {"collections": [exchange.shared.pk], "tlp": "amber+strict", "note": "seen on our side too"})  # fmt: skip
    assert done.status_code == 302
    publication = Publication.objects.get(case=confirmed_case)
    assert publication.tlp == "amber+strict" and publication.objects_published > 10
    objects = TaxiiObject.objects.filter(publication=publication)
    assert {"indicator", "campaign", "intrusion-set", "relationship", "note", "marking-definition", "identity"} <= set(
        objects.values_list("stix_type", flat=True)
    )
    patterns = " ".join(o.payload.get("pattern", "") for o in objects)
    for observable in ("ipv4-addr:value", "x-payment-instrument:fingerprint", "x-signup-device:fingerprint",
                       "x-client-fingerprint:fingerprint", "x-prompt-template:"):  # fmt: skip
        assert observable in patterns
    event = AuditEvent.objects.get(case=confirmed_case, action=AuditAction.INDICATORS_PUBLISHED)
    assert event.actor == case_manager and "TLP:AMBER+STRICT" in event.summary
    assert "seen on our side too" in page.get(f"/cases/{confirmed_case.pk}/").content.decode()

    # the API: analysts read the publications, only case managers publish, only confirmed or actioned cases
    reader = Client()
    reader.force_login(analyst)
    assert len(reader.get(f"/api/cases/{confirmed_case.pk}/publications/").json()) == 1
    body = {"collections": [str(exchange.shared.pk)], "tlp": "green"}
    assert reader.post(f"/api/cases/{confirmed_case.pk}/publish/", body, content_type="application/json").status_code == 403
    published = page.post(f"/api/cases/{confirmed_case.pk}/publish/", body, content_type="application/json")
    assert published.status_code == 201 and published.json()["tlp"] == "green"
    assert page.post(f"/api/cases/{confirmed_case.pk}/publish/", {**body, "tlp": "white"},
                     content_type="application/json").status_code == 400  # fmt: skip
    confirmed_case.status = "open"
    confirmed_case.save(update_fields=["status"])
    refused = page.post(f"/api/cases/{confirmed_case.pk}/publish/", body, content_type="application/json")
    assert refused.status_code == 400 and "confirmed or actioned" in refused.json()["detail"]
    assert Publication.objects.filter(case=confirmed_case).count() == 2
