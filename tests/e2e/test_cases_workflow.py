"""Cases in a real browser (Playwright driving Debian's Chromium against the live server and the real Neo4j):
a case manager opens a case from the top cluster, assigns, comments, moves it through the workflow, exports
STIX and the report; a later ingest shows up as a regrowth alert beside the frozen snapshot; an analyst cannot
change the status; an admin reads every step in the audit log, in order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import stix2
from django.contrib.auth.models import User
from playwright.sync_api import Browser, BrowserContext, Page, expect

from investigations.exports.stix import stix_pattern
from investigations.models import Case
from investigations.services.regrowth import raise_regrowth_alerts
from tests.e2e.conftest import login
from tests.integration.cases.conftest import (  # noqa: F401 - fixtures
    EXPECTED_INDICATORS,
    RING,
    Scenario,
    later_ingest,
    make_run,
    scenario,
    second_manager,
)

pytestmark = pytest.mark.e2e
ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"




def _context(browser: Browser) -> BrowserContext:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    context.set_default_timeout(20_000)
    return context



def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"cases-{name}.png"), full_page=True)


def _csrf(context: BrowserContext) -> str:
    return next(c["value"] for c in context.cookies() if c["name"] == "csrftoken")


def test_case_lifecycle_in_the_browser(
    browser: Browser,
    live_server: Any,
    scenario: Scenario,  # noqa: F811
    case_manager: User,
    second_manager: User,  # noqa: F811
    analyst: User,
    admin_user: User,
    tmp_path: Path,
) -> None:
    base = live_server.url
    context = _context(browser)
    page = context.new_page()
    login(page, base, "case_manager-user")

    # Open a case from the top cluster of the latest run.
    page.click("nav.menu >> text=Cases")
    page.click("#new-case")
    expect(page.locator("#open-case-form fieldset label").first).to_contain_text("C-000001")
    page.check("#cluster-C-000001")
    page.fill("#id_title", "Card ring C-000001")
    page.select_option("#id_priority", "high")
    page.click("#open-case-submit")
    expect(page.locator("#case-status")).to_have_text("Open")
    expect(page.locator(".messages")).to_contain_text("evidence is frozen")
    case = Case.objects.get()
    expect(page.locator('article[data-cluster="C-000001"] tr[data-account]')).to_have_count(len(RING))
    expect(page.locator("#indicator-table tbody tr")).to_have_count(len(EXPECTED_INDICATORS))
    expect(page.locator("#fig-network[data-rendered='1']")).to_have_count(1, timeout=30_000)  # plotly.js: 4.6 MB
    _shot(page, "1-opened")

    # Assign and comment.
    page.select_option("#assign-form select", "casey")
    page.click("#assign-submit")
    expect(page.locator("#case-assignee")).to_have_text("casey")
    page.fill("#comment-form textarea", "Same card as the March ring, @casey please check billing.")
    page.click("#comment-submit")
    expect(page.locator(".comment").last).to_contain_text("mentions @casey")

    # An invalid transition (a form tampered to skip steps) is refused with a clear message.
    page.locator('form.transition[data-target="investigating"] input[name=status]').evaluate(
        "el => el.value = 'actioned'"
    )
    page.click("#to-investigating")
    expect(page.locator(".messages .error")).to_have_text(
        "A case cannot go from open to actioned; from open it can go to: investigating, dismissed."
    )
    expect(page.locator("#case-status")).to_have_text("Open")

    # The workflow, through the buttons the page offers.
    page.click("#to-investigating")
    expect(page.locator("#case-status")).to_have_text("Investigating")
    page.click("#to-confirmed")
    expect(page.locator("#case-status")).to_have_text("Confirmed")
    page.click("#to-actioned")
    expect(page.locator("#case-status")).to_have_text("Actioned")
    expect(page.locator("#case-accounts .actioned")).to_have_count(len(RING))
    expect(page.locator("#to-closed")).to_be_visible()
    _shot(page, "2-actioned")

    # Exports: the STIX bundle parses and holds exactly the case's indicators; the report shows its pictures.
    with page.expect_download() as download:
        page.click("#export-stix")
    bundle = stix2.parse(Path(download.value.path()).read_text())
    patterns = {o.pattern for o in bundle.objects if o.type == "indicator"}
    assert patterns == {stix_pattern(kind, value) for kind, value, _, _ in EXPECTED_INDICATORS}
    with context.expect_page() as popup:
        page.click("#export-report")
    report = popup.value
    expect(report.locator("#report-title")).to_contain_text("Card ring C-000001")
    expect(report.locator("#fig-network .main-svg").first).to_be_visible(timeout=30_000)
    expect(report.locator("#report-indicators tbody tr")).to_have_count(len(EXPECTED_INDICATORS))
    report.screenshot(path=str(ARTIFACTS / "cases-3-report.png"), full_page=True)
    report.close()

    # A later ingest adds r5 to the cluster; detection's next run raises the alert.
    later_ingest(scenario.graph)
    raise_regrowth_alerts(make_run({"C-000001": ([*RING, "r5"], 0.93)}, new={"r5"}))
    page.reload()
    expect(page.locator("#alerts .alertrow.open")).to_contain_text("r5")
    frozen = page.locator('article[data-cluster="C-000001"]')
    expect(frozen.locator("tr[data-account]")).to_have_count(len(RING))  # the snapshot is unchanged
    expect(frozen.locator(".newlist")).to_contain_text("r5")
    expect(frozen.locator('tr[data-account="r2"] .changed')).to_have_text("banned")
    _shot(page, "4-regrowth")
    page.click("#to-closed")
    expect(page.locator("#case-status")).to_have_text("Closed")
    page.click("nav.menu >> text=Cases")
    expect(page.locator(f'tr[data-case="{case.pk}"] .assignee')).to_have_text("casey")
    page.check("#id_open")
    page.click("#case-filters button[type=submit]")
    expect(page.locator("#case-table tbody")).to_contain_text("No cases match.")
    _shot(page, "6-list")

    # An analyst sees the case and comments, but cannot change its status.
    analyst_context = _context(browser)
    analyst_page = analyst_context.new_page()
    login(analyst_page, base, "analyst-user")
    analyst_page.goto(f"{base}/cases/{case.pk}/")
    expect(analyst_page.locator("#workflow")).to_have_count(0)
    expect(analyst_page.locator("#exports")).to_have_count(0)
    refused = analyst_page.request.post(
        f"{base}/cases/{case.pk}/transition/",
        form={"status": "investigating", "reason": "reopen"},
        headers={"X-CSRFToken": _csrf(analyst_context), "Referer": f"{base}/cases/{case.pk}/"},
    )
    assert refused.status == 403
    api_refused = analyst_page.request.post(
        f"{base}/api/cases/{case.pk}/transition/",
        data={"status": "investigating", "reason": "reopen"},
        headers={"X-CSRFToken": _csrf(analyst_context), "Referer": f"{base}/cases/{case.pk}/"},
    )
    assert api_refused.status == 403
    analyst_page.fill("#comment-form textarea", "r5 signed up from the same device")
    analyst_page.click("#comment-submit")
    expect(analyst_page.locator(".comment").last).to_contain_text("r5 signed up")
    analyst_context.close()
    case.refresh_from_db()
    assert case.status == "closed"

    # An admin reads every step in the audit log, in order.
    admin_context = _context(browser)
    admin_page = admin_context.new_page()
    login(admin_page, base, "admin-user")
    admin_page.goto(f"{base}/cases/audit/?case={case.pk}")
    actions = admin_page.locator("#audit-table tbody tr").evaluate_all("rows => rows.map(r => r.dataset.action)")
    assert actions == [
        "case_opened", "evidence_added", "assigned", "comment_added", "status_changed", "status_changed",
        "accounts_actioned", "status_changed", "exported", "exported", "alert_raised", "status_changed",
        "comment_added",
    ]  # fmt: skip
    statuses = admin_page.locator('#audit-table tr[data-action="status_changed"] td:nth-child(7)').all_inner_texts()
    assert [s.split("status: ")[1].split("\n")[0] for s in statuses] == ["investigating", "confirmed", "actioned", "closed"]
    _shot(admin_page, "5-audit")
    admin_context.close()
    context.close()


def test_cluster_page_offers_the_case_controls(
    browser: Browser,
    live_server: Any,
    scenario: Scenario,  # noqa: F811
    case_manager: User,
    analyst: User,
) -> None:
    base = live_server.url
    context = _context(browser)
    page = context.new_page()
    login(page, base, "case_manager-user")
    page.goto(f"{base}/clusters/C-000001/?run={scenario.run.pk}")
    page.click("#open-case")
    expect(page.locator("#cluster-C-000001")).to_be_checked()
    page.click("#open-case-submit")
    expect(page.locator("#case-status")).to_have_text("Open")
    context.close()

    context = _context(browser)
    page = context.new_page()
    login(page, base, "analyst-user")
    page.goto(f"{base}/clusters/C-000002/?run={scenario.run.pk}")
    expect(page.locator("#open-case")).to_have_count(0)
    page.click("#propose-case")
    page.fill("#id_note", "Same device as C-000001")
    page.click("#propose-submit")
    expect(page.locator(".messages")).to_contain_text("proposed")
    context.close()
