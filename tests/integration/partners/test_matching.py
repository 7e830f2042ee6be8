"""Partners' indicators matched against the graph: an imported indicator naming campaign accounts (a card, a
template SimHash one bit away, a network of proxy addresses) raises an alert in the queue and a "partner match"
signal on the campaign's cluster, shows on the account page, is idempotent, and goes away when the partner revokes
it; an ingest re-matches (through the real worker), and uploads by an admin are validated whole."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from graph.driver import Graph
from investigations.models import (
    AuditAction,
    AuditEvent,
    Case,
    Cluster,
    DetectionRun,
    PartnerAlert,
    PartnerIndicator,
    PartnerMatch,
)
from investigations.selectors.partners import PARTNER_SIGNAL, case_partner_reports, partner_signal_rows
from investigations.services.partner_imports import import_objects
from investigations.services.partner_matching import rematch_partner_indicators
from tests.integration.ingest.drops import small_drop
from tests.integration.partners.conftest import Exchange
from tests.integration.ui.scenario import HYDRA_CARDS, LATEST_RUN, RING_IP, TOP

pytestmark = pytest.mark.integration
CARD_ID = "indicator--5d1e8c6a-7b3f-4e2a-9c1d-0a9b8c7d6e01"
TEMPLATE_ID = "indicator--5d1e8c6a-7b3f-4e2a-9c1d-0a9b8c7d6e02"
NETWORK_ID = "indicator--5d1e8c6a-7b3f-4e2a-9c1d-0a9b8c7d6e03"
NOTHING_ID = "indicator--5d1e8c6a-7b3f-4e2a-9c1d-0a9b8c7d6e04"


def indicator(stix_id: str, pattern: str, *, modified: str = "2026-11-20T00:00:00.000Z", **extra: Any) -> dict[str, Any]:
    """A partner's indicator as it would POST it."""
    return {"type": "indicator", "spec_version": "2.1", "id": stix_id, "created": "2026-11-20T00:00:00.000Z",
            "modified": modified, "name": f"Lab A {stix_id[-2:]}", "pattern": pattern, "pattern_type": "stix",
            "valid_from": "2026-11-20T00:00:00Z", **extra}  # fmt: skip


def hydra_holders(graph: Graph, card: str) -> list[str]:
    rows = graph.read_text("t", "MATCH (a:Account)-[:PAID_WITH]->(:PaymentInstrument {fingerprint: $c}) "
                                "RETURN a.account_id AS id ORDER BY id", c=card)  # fmt: skip
    return [r["id"] for r in rows]


def test_an_imported_indicator_matching_campaign_accounts_raises_the_alert_and_the_signal(
    runs: dict[int, DetectionRun], exchange: Exchange, analyst: User, scenario_graph: Graph,
    django_capture_on_commit_callbacks: Any,
) -> None:  # fmt: skip
    objects = [
        indicator(CARD_ID, f"[x-payment-instrument:fingerprint = '{HYDRA_CARDS[0].upper()}']"),
        indicator(TEMPLATE_ID, "[x-prompt-template:simhash = '0f0f0f0f0f0f0f0e']"),  # 1 bit from tpl-reason-01
        indicator(NETWORK_ID, "[ipv4-addr:value ISSUBSET '203.0.113.8/29']"),  # the proxies .10-.15, not the ring's .77
        indicator(NOTHING_ID, "[ipv4-addr:value = '192.0.2.250'] OR [x-signup-device:fingerprint = 'ffffffff00000000']"),
    ]
    with django_capture_on_commit_callbacks() as queued:
        import_objects(exchange.a, objects, collection=exchange.inbox, by=None)
    assert len(queued) == 1  # the matching task, sent when the import commits
    summary = rematch_partner_indicators()
    assert summary.indicators == 4 and summary.alerts == 3

    card = PartnerIndicator.objects.get(stix_id=CARD_ID)
    holders = hydra_holders(scenario_graph, HYDRA_CARDS[0])
    assert len(holders) == 28
    alert = PartnerAlert.objects.get(indicator=card)
    assert alert.account_ids == holders and TOP in alert.cluster_keys
    assert "Lab A" in alert.reason and "payment instrument" in alert.reason
    template_matches = PartnerMatch.objects.filter(indicator__stix_id=TEMPLATE_ID)
    assert template_matches.exists() and {m.distance for m in template_matches} == {1}
    assert {m.value for m in template_matches} == {"tpl-reason-01"}
    network_ips = set(PartnerMatch.objects.filter(indicator__stix_id=NETWORK_ID).values_list("value", flat=True))
    assert network_ips and all(ip.startswith("203.0.113.1") for ip in network_ips) and RING_IP not in network_ips
    assert not PartnerMatch.objects.filter(indicator__stix_id=NOTHING_ID).exists()
    assert AuditEvent.objects.filter(action=AuditAction.PARTNER_MATCH_RAISED).count() == 3

    # the campaign's cluster carries the signal, with the partner and the indicator as evidence
    top = Cluster.objects.get(run=runs[LATEST_RUN], key=TOP)
    (row,) = partner_signal_rows(top)
    assert row.signal == PARTNER_SIGNAL and "Lab A" in row.label and not row.scored  # evidence, not score
    assert any(e.kind == "payment_instrument" and e.id == HYDRA_CARDS[0] and CARD_ID in e.detail for e in row.evidence)
    assert any(e.kind == "template" and "1 bits" in e.detail for e in row.evidence)
    page = Client()
    page.force_login(analyst)
    cluster_html = page.get(f"/clusters/{TOP}/").content.decode()
    assert 'data-signal="partner_match"' in cluster_html and CARD_ID in cluster_html
    queue_html = page.get("/clusters/").content.decode()
    assert f'data-partner-alert="{alert.pk}"' in queue_html
    account_html = page.get(f"/account/{holders[0]}/").content.decode()
    assert 'id="partner-matches"' in account_html and CARD_ID in account_html

    # matching again changes nothing and raises nothing
    assert rematch_partner_indicators().alerts == 0
    assert PartnerAlert.objects.count() == 3

    # an analyst acknowledges the alert from the queue (API too)
    answer = page.post(f"/api/partner-alerts/{alert.pk}/acknowledge/")
    assert answer.status_code == 200 and answer.json()["acknowledged_at"]
    assert f'data-partner-alert="{alert.pk}"' not in page.get("/clusters/").content.decode()

    # the partner revokes the card indicator: its matches and its evidence go
    import_objects(exchange.a, [indicator(CARD_ID, card.pattern, modified="2026-11-21T00:00:00.000Z", revoked=True)],
                   collection=exchange.inbox, by=None)  # fmt: skip
    assert not PartnerMatch.objects.filter(indicator=card).exists()
    (row,) = partner_signal_rows(top)
    assert not any(e.kind == "payment_instrument" for e in row.evidence)
    # an older version arriving late changes nothing
    import_objects(exchange.a, [indicator(CARD_ID, card.pattern, modified="2026-11-20T12:00:00.000Z")],
                   collection=exchange.inbox, by=None)  # fmt: skip
    assert PartnerIndicator.objects.get(stix_id=CARD_ID).revoked


def test_a_case_shows_what_partners_report_about_its_accounts(
    exchange: Exchange, confirmed_case: Case, analyst: User, scenario_graph: Graph
) -> None:
    page = Client()
    page.force_login(analyst)
    assert "No partner indicator names this case" in page.get(f"/cases/{confirmed_case.pk}/").content.decode()
    import_objects(exchange.a, [
        indicator(CARD_ID, f"[x-payment-instrument:fingerprint = '{HYDRA_CARDS[0]}']"),
        indicator(NOTHING_ID, "[ipv4-addr:value = '192.0.2.250']"),
    ], collection=exchange.inbox, by=None)  # fmt: skip
    rematch_partner_indicators()
    in_case = set(confirmed_case.case_accounts.values_list("account_id", flat=True))
    holders = set(hydra_holders(scenario_graph, HYDRA_CARDS[0])) & in_case
    (report,) = case_partner_reports(confirmed_case)
    assert report.indicator.stix_id == CARD_ID and set(report.account_ids) == holders and len(holders) > 1
    assert report.matched == (f"payment instrument {HYDRA_CARDS[0]}",)
    html = page.get(f"/cases/{confirmed_case.pk}/").content.decode()
    assert f'data-indicator="{CARD_ID}"' in html and f'data-indicator="{NOTHING_ID}"' not in html
    # once the partner revokes it, the case no longer shows it
    import_objects(exchange.a, [indicator(CARD_ID, f"[x-payment-instrument:fingerprint = '{HYDRA_CARDS[0]}']",
                                          modified="2026-11-21T00:00:00.000Z", revoked=True)],
                   collection=exchange.inbox, by=None)  # fmt: skip
    assert case_partner_reports(confirmed_case) == []


def test_an_admin_uploads_a_bundle_validated_whole(runs: dict[int, DetectionRun], exchange: Exchange, admin_user: User) -> None:
    page = Client()
    page.force_login(admin_user)
    good = indicator(CARD_ID, f"[x-payment-instrument:fingerprint = '{HYDRA_CARDS[1]}']")
    bad = indicator(TEMPLATE_ID, "[x-prompt-template:simhash = ")
    bundle = {"type": "bundle", "id": "bundle--5d1e8c6a-7b3f-4e2a-9c1d-0a9b8c7d6e99", "objects": [good, bad]}
    upload = io.BytesIO(json.dumps(bundle).encode())
    upload.name = "bundle.json"
    refused = page.post("/api/partner-imports/", {"partner": exchange.a.pk, "bundle": upload})
    assert refused.status_code == 422 and TEMPLATE_ID in refused.json()["detail"]
    assert not PartnerIndicator.objects.exists()
    bundle["objects"] = [good]
    upload = io.BytesIO(json.dumps(bundle).encode())
    upload.name = "bundle.json"
    stored = page.post(f"/partners/{exchange.a.pk}/upload/", {"bundle": upload})
    assert stored.status_code == 302
    assert PartnerIndicator.objects.get(stix_id=CARD_ID).observables == [["payment_fingerprint", HYDRA_CARDS[1]]]
    event = AuditEvent.objects.get(action=AuditAction.INDICATORS_IMPORTED)
    assert event.actor == admin_user and "uploaded" in event.summary


def test_each_ingest_rematches_through_the_worker(worker: object, clean_graph: Graph, exchange: Exchange, tmp_path: Path) -> None:
    """A partner's card, unknown when it arrives, is matched once a drop brings accounts that paid with it."""
    import_objects(exchange.a, [indicator(CARD_ID, "[x-payment-instrument:fingerprint = 'aaaa0000aaaa0000']")],
                   collection=exchange.inbox, by=None)  # fmt: skip
    assert not PartnerMatch.objects.exists()
    call_command("ingest", str(small_drop(tmp_path / "drop")), "--wait", stdout=io.StringIO())
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not PartnerAlert.objects.exists():
        time.sleep(0.5)
    alert = PartnerAlert.objects.get()
    assert alert.account_ids == ["acct_1", "acct_2"]
    assert set(PartnerMatch.objects.values_list("value", flat=True)) == {"aaaa0000aaaa0000"}
