"""The analyst's day in a real browser (Playwright driving Debian's Chromium against the live server and the
real Neo4j): log in, open the top cluster, see its network picture and explanation, expand a group, open an
account, annotate the cluster, find an account by IP through search; hostile telemetry stays inert text.
Screenshots go to test-artifacts/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page, expect

from graph.driver import Graph
from investigations.models import Annotation, DetectionRun
from investigations.selectors.page_cache import clear_cluster_cache
from tests.conftest import TEST_PASSWORD
from tests.integration.ui import scenario as sc
from tests.integration.ui.conftest import scenario_graph  # noqa: F401 - fixture

pytestmark = pytest.mark.e2e
expect.set_options(timeout=30_000)  # a loaded machine needs a while to parse plotly.js
ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"




@pytest.fixture
def ui_runs(scenario_graph: Graph, transactional_db: Any) -> dict[int, DetectionRun]:  # noqa: F811
    """The scenario's runs, committed so that the live server sees them."""
    clear_cluster_cache()
    return sc.create_records()


class Watch:
    """Fails the test on any alert/confirm dialog (an executed script) or page error."""

    def __init__(self, page: Page) -> None:
        self.problems: list[str] = []
        page.on("dialog", self.on_dialog)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("console", self.on_console)

    def on_dialog(self, dialog: Dialog) -> None:
        self.problems.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.problems.append(f"console: {message.text}")


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"analyst-{name}.png"), full_page=True)


def _charts_drawn(page: Page, *ids: str) -> None:
    for element_id in ids:
        expect(page.locator(f"#{element_id}[data-rendered='1'] .main-svg").first).to_be_visible()


def test_analyst_workflow_in_the_browser(
    browser: Browser, live_server: Any, ui_runs: dict[int, DetectionRun], analyst: User
) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(30_000)
    page = context.new_page()
    watch = Watch(page)
    base = live_server.url

    # Log in: the home page is the cluster queue, the top cluster first.
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", analyst.get_username())
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Cluster queue")
    rows = page.locator("#queue-table tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_have_attribute("data-cluster", sc.TOP)
    expect(rows.first).to_contain_text("regrowth")
    _shot(page, "1-queue")

    # Open the top cluster: its explanation and network picture are drawn.
    rows.first.locator("a.cluster-link").click()
    expect(page.locator("#cluster-score")).to_have_text("0.93")
    _charts_drawn(page, "fig-explanation", "fig-network", "fig-signups", "fig-models", "fig-capabilities")
    expect(page.locator("#signal-list li").first).to_contain_text("Prepaid cards shared across accounts")
    expect(page.locator("#fig-network .legendtext", has_text="Account")).to_have_count(0)
    expect(page.locator("#fig-network .scatterlayer .point").first).to_be_visible()
    _shot(page, "2-cluster")

    # Expand a group: its member accounts join the picture.
    group = page.locator("#network-groups a.expand-link", has_text=sc.HYDRA_DEVICES[0])
    group.click()
    expect(page.locator("#network-groups li.open")).to_contain_text(sc.HYDRA_DEVICES[0])
    _charts_drawn(page, "fig-network")
    expect(page.locator("#fig-network .legendtext", has_text="Account")).to_have_count(1)
    page.locator("#network").screenshot(path=str(ARTIFACTS / "analyst-3-expanded-group.png"))

    # Open an account from the member table.
    page.locator("#members-table a.member-link").first.click()
    expect(page.locator("#account-id")).to_have_text("hyd-0001")
    _charts_drawn(page, "fig-account-hourly", "fig-account-capabilities")
    expect(page.locator("#sessions-table tbody tr")).to_have_count(4)
    _shot(page, "4-account")

    # Annotate the cluster; the note (with markup in it) is shown as typed.
    page.goto(f"{base}/clusters/{sc.TOP}/")
    page.select_option("#id_label", "confirmed_campaign")
    page.fill("#id_note", f"Same prepaid BINs as last month {sc.SCRIPT}")
    page.fill("#id_tags", "hydra, prepaid")
    page.click("#annotate-submit")
    expect(page.locator(".messages")).to_contain_text("Annotation saved.")
    annotation = page.locator("#annotations .annotation").first
    expect(annotation).to_contain_text("Confirmed campaign")
    expect(annotation.locator(".note")).to_have_text(f"Same prepaid BINs as last month {sc.SCRIPT}")
    expect(page.locator("#cluster-status")).to_have_text("Annotated")
    assert Annotation.objects.filter(target_id=sc.TOP, label="confirmed_campaign").count() == 1
    page.locator("#annotations").screenshot(path=str(ARTIFACTS / "analyst-5-annotated.png"))

    # Find an account by IP through the search box: the IP's page lists its accounts and their clusters.
    page.fill("#topsearch-q", sc.CAMPUS_IP)
    page.press("#topsearch-q", "Enter")
    expect(page.locator("#entity-id")).to_have_text(sc.CAMPUS_IP)
    expect(page.locator("#entity-clusters")).to_contain_text(sc.TOP)
    _shot(page, "6-search-ip")
    page.locator("#entity-accounts-table a.account-link", has_text="user-002").click()
    expect(page.locator("#account-id")).to_have_text("user-002")

    # Hostile telemetry: shown verbatim, never run.
    page.goto(f"{base}/clusters/{sc.RING_KEY}/")
    _charts_drawn(page, "fig-network")
    expect(page.locator("#members-table")).to_contain_text(sc.HOSTILE_ID)
    expect(page.locator("#members-table")).to_contain_text(sc.HOSTILE_EMAIL)
    page.locator("#members-table a.member-link", has_text=sc.HOSTILE_ID).click()
    expect(page.locator("#account-id")).to_have_text(sc.HOSTILE_ID)
    expect(page.locator("#sessions-table")).to_contain_text(sc.HOSTILE_UA)
    expect(page.locator("#sessions-table")).to_contain_text(sc.HOSTILE_ASN_NAME)
    _shot(page, "7-hostile-account")
    page.fill("#topsearch-q", f"{sc.SCRIPT} {sc.CYPHER}")
    page.press("#topsearch-q", "Enter")
    expect(page.locator("#search-empty")).to_contain_text(f"{sc.SCRIPT} {sc.CYPHER}")
    assert watch.problems == []
    context.close()
