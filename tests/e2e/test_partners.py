"""Indicator exchange in real Chromium: a case manager publishes a confirmed case from its page, an analyst sees a
partner's indicator as an alert at the top of the queue, as the "partner match" signal of the campaign's cluster
and on the account page, and an admin issues a partner token that the page shows once; no page breaks the CSP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Browser, expect

from investigations.models import Cluster, DetectionRun, Publication
from investigations.services.case_workflow import transition_case
from investigations.services.cases import open_case
from investigations.services.partner_imports import import_objects
from investigations.services.partner_matching import rematch_partner_indicators
from investigations.services.partners import create_collection, create_partner, grant_collection
from tests.e2e.conftest import login
from tests.e2e.test_analyst_workflow import ui_runs  # noqa: F401 - fixture
from tests.e2e.test_csp import Violations
from tests.integration.ui import scenario as sc
from tests.integration.ui.conftest import scenario_graph  # noqa: F401 - fixture

pytestmark = pytest.mark.e2e
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CARD_INDICATOR = "indicator--7a1e8c6a-7b3f-4e2a-9c1d-0a9b8c7d6e01"


def test_publish_and_partner_matches_in_the_browser(
    browser: Browser, live_server: Any, ui_runs: dict[int, DetectionRun], admin_user: User,  # noqa: F811
    case_manager: User,
) -> None:  # fmt: skip
    partner = create_partner("Lab A", by=admin_user)
    collection = create_collection("Distillation campaigns", by=admin_user)
    grant_collection(partner, collection, can_read=True, can_write=True, by=admin_user)
    top = Cluster.objects.get(run_id=sc.LATEST_RUN, key=sc.TOP)
    case = open_case(by=case_manager, clusters=[top], title="Hydra campaign")
    transition_case(case, "investigating", by=case_manager)
    transition_case(case, "confirmed", by=case_manager)
    import_objects(partner, [{
        "type": "indicator", "spec_version": "2.1", "id": CARD_INDICATOR, "created": "2026-11-20T00:00:00.000Z",
        "modified": "2026-11-20T00:00:00.000Z", "name": "prepaid card seen on Lab A", "pattern_type": "stix",
        "pattern": f"[x-payment-instrument:fingerprint = '{sc.HYDRA_CARDS[0]}']", "valid_from": "2026-11-20T00:00:00Z",
    }], collection=collection, by=None)  # fmt: skip
    rematch_partner_indicators()
    SHOTS.mkdir(exist_ok=True)
    base = live_server.url

    context = browser.new_context(viewport={"width": 1300, "height": 900})
    page = context.new_page()
    violations = Violations(page)
    login(page, base, case_manager.get_username())
    page.goto(f"{base}/cases/{case.pk}/#publishing")
    form = page.locator("#publish-form")
    form.locator("select[name=collections]").select_option(label="Distillation campaigns")
    form.locator("select[name=tlp]").select_option("green")
    form.locator("textarea[name=note]").fill("Seen on our side since October <script>alert(1)</script>")
    form.locator("button[type=submit]").click()
    expect(page.locator("#publishing [data-publication]")).to_contain_text("TLP:GREEN")
    expect(page.locator("#publishing")).to_contain_text("<script>alert(1)</script>")  # shown as text
    page.locator("#publishing").screenshot(path=str(SHOTS / "partners-case-publishing.png"))
    assert Publication.objects.get(case=case).tlp == "green"

    page.goto(f"{base}/clusters/")
    alert = page.locator("#partner-alerts [data-partner-alert]")
    expect(alert).to_contain_text("Lab A")
    expect(alert).to_contain_text(sc.TOP)
    page.locator("#partner-alerts").screenshot(path=str(SHOTS / "partners-queue-alert.png"))
    page.goto(f"{base}/clusters/{sc.TOP}/")
    signal = page.locator("#signal-list li[data-signal=partner_match]")
    expect(signal).to_contain_text("Partner match (Lab A)")
    expect(signal).to_contain_text(CARD_INDICATOR)
    expect(signal.locator(".contrib")).to_have_text("evidence")  # beside the score, not a "+0.000" part of it
    signal.screenshot(path=str(SHOTS / "partners-cluster-signal.png"))
    page.goto(f"{base}/account/hyd-0001/")
    expect(page.locator("#partner-matches")).to_contain_text("prepaid card seen on Lab A")
    context.close()

    context = browser.new_context(viewport={"width": 1300, "height": 900})
    page = context.new_page()
    admin_violations = Violations(page)
    login(page, base, admin_user.get_username())
    page.goto(f"{base}/partners/{partner.pk}/")
    page.locator("#tokens input[name=label]").fill("SOC tooling")
    page.locator("#tokens button.primary").click()
    token = page.locator("#token-value").inner_text()
    assert token.startswith("hwp_")
    page.screenshot(path=str(SHOTS / "partners-token.png"), full_page=True)
    page.goto(f"{base}/partners/{partner.pk}/")
    expect(page.locator("#new-token")).to_have_count(0)  # shown once
    assert token not in page.content()
    context.close()
    assert violations.seen == [] and admin_violations.seen == []
