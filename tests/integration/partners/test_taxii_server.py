"""The TAXII 2.1 server against the live app, used through taxii2-client as a partner's tool would: discovery,
collections, paging through published objects, added_after, manifest and versions, POSTing an envelope and polling
its status; partners confined to their own collections and to TAXII; errors as TAXII error objects."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from django.contrib.auth.models import User
from django.test import Client
from stix2validator import ValidationOptions, validate_parsed_json
from taxii2client.v21 import Collection, Server, as_pages

from investigations.models import (
    AuditAction,
    AuditEvent,
    Case,
    PartnerIndicator,
    TaxiiObject,
    TaxiiStatus,
)
from investigations.services.case_workflow import transition_case
from investigations.services.publishing import publish_case
from investigations.services.tokens import issue_token
from tests.integration.partners.conftest import Exchange

pytestmark = pytest.mark.integration
TAXII = "application/taxii+json;version=2.1"


def _server(live_server: Any, token: str) -> Server:
    return Server(f"{live_server.url}/taxii2/", user="partner", password=token)


def _collection(live_server: Any, token: str, collection_id: Any) -> Collection:
    return Collection(f"{live_server.url}/taxii2/hydra/collections/{collection_id}/", user="partner", password=token)


def _get(live_server: Any, path: str, *, token: str | None = None, accept: str = TAXII, **kw: Any) -> requests.Response:
    headers = {"Accept": accept, **({"Authorization": f"Bearer {token}"} if token else {}), **kw.pop("headers", {})}
    return requests.get(f"{live_server.url}{path}", headers=headers, timeout=30, **kw)


def _indicator(stix_id: str, pattern: str, **extra: Any) -> dict[str, Any]:
    return {"type": "indicator", "spec_version": "2.1", "id": stix_id, "created": "2026-11-20T00:00:00.000Z",
            "modified": "2026-11-20T00:00:00.000Z", "name": "reported by Lab A", "pattern": pattern,
            "pattern_type": "stix", "valid_from": "2026-11-20T00:00:00Z", **extra}  # fmt: skip


def test_a_partner_discovers_pages_and_filters_published_objects(
    live_server: Any, exchange: Exchange, confirmed_case: Case, case_manager: User
) -> None:
    publication = publish_case(confirmed_case, collections=[exchange.shared], tlp="amber", note="hydra", by=case_manager)
    server = _server(live_server, exchange.token_a)
    assert server.title == "Hydra Watch indicator exchange"
    (root,) = server.api_roots
    assert server.default.url == root.url and root.versions == [TAXII]
    titles = sorted(c.title for c in root.collections)
    assert titles == ["Distillation campaigns", "Lab A reports"]  # never Cloud B's
    shared = next(c for c in root.collections if c.title == "Distillation campaigns")
    assert shared.can_read and not shared.can_write

    pages = list(as_pages(shared.get_objects, per_request=5))
    objects = [o for page in pages for o in page.get("objects", [])]
    assert len(pages) == -(-publication.objects_published // 5) and len(objects) == publication.objects_published
    assert all(page["more"] for page in pages[:-1]) and not pages[-1]["more"]
    assert len({o["id"] for o in objects}) == len(objects)
    indicators = [o for o in objects if o["type"] == "indicator"]
    assert indicators and all(o["object_marking_refs"] == ["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"]
                              for o in indicators)  # fmt: skip
    # the whole publication is valid STIX 2.1, as stix2-validator reads it
    bundle = {"type": "bundle", "id": "bundle--8f2b6c1e-5d0a-4c1b-9a3e-2f6d7c8b9a01", "objects": objects}
    assert validate_parsed_json(bundle, ValidationOptions(version="2.1")).is_valid

    # paging headers and added_after
    first = _get(live_server, f"/taxii2/hydra/collections/{exchange.shared.pk}/objects/?limit=3", token=exchange.token_a)
    assert first.status_code == 200 and first.headers["Content-Type"].startswith("application/taxii+json")
    last_added = first.headers["X-TAXII-Date-Added-Last"]
    assert first.headers["X-TAXII-Date-Added-First"] <= last_added
    rest = shared.get_objects(added_after=last_added, limit=1000)["objects"]  # strictly later: the other rows
    assert len(rest) == publication.objects_published - 3 and {o["id"] for o in rest}.isdisjoint(
        o["id"] for o in first.json()["objects"]
    )
    time.sleep(0.01)  # a moment after the last object was added, to the microsecond (not the second: flaky)
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert "objects" not in shared.get_objects(added_after=now)
    manifest = shared.get_manifest()
    assert len(manifest["objects"]) == len(objects) and all(r["media_type"].startswith("application/stix+json")
                                                           for r in manifest["objects"])  # fmt: skip
    one = indicators[0]["id"]
    assert shared.get_object(one)["objects"][0]["id"] == one
    assert shared.object_versions(one)["versions"] == [indicators[0]["modified"]]
    assert shared.get_objects(type="indicator")["objects"][0]["type"] == "indicator"

    # republishing adds a version; the default is the last version, match[version]=all gives both
    time.sleep(0.01)
    publish_case(confirmed_case, collections=[exchange.shared], tlp="amber", by=case_manager)
    versions = shared.object_versions(one)["versions"]
    assert len(versions) == 2 and versions[0] < versions[1]
    assert shared.get_object(one)["objects"][0]["modified"] == versions[1]
    assert len(shared.get_object(one, version="all")["objects"]) == 2
    assert shared.get_object(one, version="first")["objects"][0]["modified"] == versions[0]


def test_a_partner_posts_an_envelope_and_polls_its_status(live_server: Any, exchange: Exchange) -> None:
    inbox = _collection(live_server, exchange.token_a, exchange.inbox.pk)
    envelope = {"objects": [_indicator("indicator--1f0c8d38-6b8e-4b8f-9a56-2c2b5f0f8d01",
                                       "[x-payment-instrument:fingerprint = 'a1b2c3d4e5f60001']")]}  # fmt: skip
    status = inbox.add_objects(json.dumps(envelope), wait_for_completion=True, poll_interval=1, timeout=30)
    assert status.status == "complete" and status.success_count == 1 and status.failure_count == 0
    assert status.successes[0]["id"] == envelope["objects"][0]["id"]
    status.refresh()  # GET /status/<id>/ as the partner polls it
    assert status.total_count == 1
    # its own submission is visible to it in the collection; a status is not another partner's to read
    assert inbox.get_objects()["objects"][0]["id"] == envelope["objects"][0]["id"]
    other = _get(live_server, f"/taxii2/hydra/status/{status.id}/", token=exchange.token_b)
    assert other.status_code == 404 and other.json()["http_status"] == "404"
    assert PartnerIndicator.objects.get(stix_id=envelope["objects"][0]["id"]).observables == [
        ["payment_fingerprint", "a1b2c3d4e5f60001"]
    ]
    assert AuditEvent.objects.filter(action=AuditAction.INDICATORS_IMPORTED).count() == 1


def test_bad_envelopes_get_a_taxii_error_and_nothing_is_stored(live_server: Any, exchange: Exchange) -> None:
    url = f"{live_server.url}/taxii2/hydra/collections/{exchange.inbox.pk}/objects/"
    headers = {"Accept": TAXII, "Content-Type": TAXII, "Authorization": f"Bearer {exchange.token_a}"}
    good = _indicator("indicator--2a0c8d38-6b8e-4b8f-9a56-2c2b5f0f8d02", "[ipv4-addr:value = '203.0.113.10']")
    bad = _indicator("indicator--3b0c8d38-6b8e-4b8f-9a56-2c2b5f0f8d03", "[ipv4-addr:value = ")
    cases = [
        (b"{not json", 400, "JSON"),
        (json.dumps([good]).encode(), 400, "objects"),
        (json.dumps({"objects": []}).encode(), 400, "empty"),
        (json.dumps({"objects": [good, {"no": "id"}]}).encode(), 422, "objects[1]"),
        (json.dumps({"objects": [good, bad]}).encode(), 422, "indicator--3b0c8d38"),
    ]
    for body, code, named in cases:
        response = requests.post(url, data=body, headers=headers, timeout=30)
        error = response.json()
        assert response.status_code == code, (body, response.text)
        assert error["http_status"] == str(code) and error["title"] and named in error["description"], error
    wrong_type = requests.post(url, data=json.dumps({"objects": [good]}), timeout=30,
                               headers={**headers, "Content-Type": "application/json"})  # fmt: skip
    assert wrong_type.status_code == 415 and wrong_type.json()["http_status"] == "415"
    assert not TaxiiObject.objects.exists() and not PartnerIndicator.objects.exists() and not TaxiiStatus.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.INDICATORS_IMPORTED).exists()


def test_partners_are_confined_to_their_collections_and_to_taxii(
    live_server: Any, exchange: Exchange, confirmed_case: Case, case_manager: User
) -> None:
    publish_case(confirmed_case, collections=[exchange.shared], tlp="green", by=case_manager)
    b_reads_a = _get(live_server, f"/taxii2/hydra/collections/{exchange.shared.pk}/objects/", token=exchange.token_b)
    assert b_reads_a.status_code == 403 and b_reads_a.json()["title"] == "Forbidden"
    with pytest.raises(requests.HTTPError) as refused:
        _collection(live_server, exchange.token_b, exchange.shared.pk).get_objects()
    assert refused.value.response is not None and refused.value.response.status_code == 403
    a_writes_shared = requests.post(
        f"{live_server.url}/taxii2/hydra/collections/{exchange.shared.pk}/objects/", timeout=30,
        data=json.dumps({"objects": [_indicator("indicator--4c0c8d38-6b8e-4b8f-9a56-2c2b5f0f8d04",
                                                "[ipv4-addr:value = '203.0.113.10']")]}),
        headers={"Accept": TAXII, "Content-Type": TAXII, "Authorization": f"Bearer {exchange.token_a}"},
    )  # fmt: skip
    assert a_writes_shared.status_code == 403
    unknown = _get(live_server, "/taxii2/hydra/collections/00000000-0000-4000-8000-000000000000/", token=exchange.token_a)
    assert unknown.status_code == 404
    # a partner token opens no other door: API, pages, admin
    for path in ("/api/me/", "/api/cases/", f"/api/cases/{confirmed_case.pk}/publications/", "/api/partner-alerts/"):
        for scheme in ("Bearer", "Token"):
            r = requests.get(f"{live_server.url}{path}", headers={"Authorization": f"{scheme} {exchange.token_a}"}, timeout=30)
            assert r.status_code in (401, 403), (path, scheme, r.status_code)
    for path in ("/clusters/", f"/cases/{confirmed_case.pk}/", "/partners/", "/admin/"):
        r = requests.get(f"{live_server.url}{path}", headers={"Authorization": f"Bearer {exchange.token_a}"},
                         timeout=30, allow_redirects=False)  # fmt: skip
        assert r.status_code == 302 and "/login/" in r.headers["Location"], (path, r.status_code)
    # and a user's session or API token opens no TAXII door
    user_token, _ = issue_token(case_manager)
    assert _get(live_server, "/taxii2/", headers={"Authorization": f"Token {user_token}"}).status_code == 401
    browser = Client()
    browser.force_login(case_manager)
    assert browser.get("/taxii2/", HTTP_ACCEPT=TAXII).status_code == 401
    assert _get(live_server, "/taxii2/").status_code == 401
    assert _get(live_server, "/taxii2/", token="hwp_not-a-token").status_code == 401


def test_negotiation_revoked_tokens_and_rate_limit(live_server: Any, exchange: Exchange, settings: Any) -> None:
    assert _get(live_server, "/taxii2/", token=exchange.token_a, accept="text/html").status_code == 406
    assert _get(live_server, "/taxii2/", token=exchange.token_a, accept="application/taxii+json;version=2.0").status_code == 406
    assert _get(live_server, "/taxii2/nope/", token=exchange.token_a).status_code == 404
    bad_filter = _get(live_server, f"/taxii2/hydra/collections/{exchange.inbox.pk}/objects/?added_after=yesterday",
                      token=exchange.token_a)  # fmt: skip
    assert bad_filter.status_code == 400 and "added_after" in bad_filter.json()["description"]
    token = exchange.a.tokens.order_by("-id").first()
    assert token is not None and token.last_used_at is not None
    from investigations.services.partners import issue_partner_token, revoke_partner_token

    fresh, record = issue_partner_token(exchange.a, by=None)
    assert _get(live_server, "/taxii2/", token=fresh).status_code == 200
    revoke_partner_token(record, by=None)
    assert _get(live_server, "/taxii2/", token=fresh).status_code == 401
    assert AuditEvent.objects.filter(action=AuditAction.PARTNER_TOKEN_REVOKED).count() == 1
    settings.TAXII_RATE = "3/min"
    limited, _ = issue_partner_token(exchange.a, by=None)
    codes = [_get(live_server, "/taxii2/", token=limited).status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
    throttled = _get(live_server, "/taxii2/", token=limited)
    assert throttled.json()["http_status"] == "429" and int(throttled.headers["Retry-After"]) > 0
    assert _get(live_server, "/taxii2/", token=exchange.token_b).status_code == 200  # per token, not per server


def test_dismissing_a_published_case_revokes_its_objects_for_partners(
    live_server: Any, exchange: Exchange, confirmed_case: Case, case_manager: User
) -> None:
    first = publish_case(confirmed_case, collections=[exchange.shared], tlp="amber", by=case_manager)
    shared = _collection(live_server, exchange.token_a, exchange.shared.pk)
    before = {o["id"]: o for o in shared.get_objects(limit=1000)["objects"]}
    time.sleep(0.01)
    transition_case(confirmed_case, "dismissed", by=case_manager, reason="a reseller's customers after all")
    after = {o["id"]: o for o in shared.get_objects(limit=1000)["objects"]}
    case_types = {"indicator", "campaign", "intrusion-set", "relationship"}
    revoked = [o for o in after.values() if o["type"] in case_types]
    assert revoked and all(o["revoked"] is True and o["modified"] > before[o["id"]]["modified"] for o in revoked)
    assert all(not o.get("revoked") for o in after.values() if o["type"] not in case_types)  # shared identity, marking
    first.refresh_from_db()
    assert first.revoked_at is not None and "dismissed" in first.revoked_reason
    assert AuditEvent.objects.filter(case=confirmed_case, action=AuditAction.INDICATORS_REVOKED).count() == 1
    # reopened and confirmed again, it publishes under new ids (a revoked id never gets a new version)
    transition_case(confirmed_case, "investigating", by=case_manager, reason="new evidence")
    transition_case(confirmed_case, "confirmed", by=case_manager)
    publish_case(confirmed_case, collections=[exchange.shared], tlp="amber", by=case_manager)
    latest = shared.get_objects(limit=1000, type="indicator")["objects"]
    live = [o for o in latest if not o.get("revoked")]
    assert live and {o["id"] for o in live}.isdisjoint(before)
