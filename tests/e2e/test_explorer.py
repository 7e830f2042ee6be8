"""The graph explorer in a real browser (Playwright driving Debian's Chromium, WebGL, against the live server and the
real Neo4j): open a cluster, expand an account and then an entity past the supernode guard, page through it, undo
and collapse, filter by kind, member status and time, trace why two accounts are linked, pin and hide, save the
view into a case and reopen it from the case page. Clicks land on the nodes sigma draws; the console stays free
of errors and hostile telemetry never runs. Screenshots go to test-artifacts/ (explorer-*.png)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Browser, Page, expect

from investigations.models import AuditAction, AuditEvent, Cluster, DetectionRun, ExplorerView
from investigations.services.cases import open_case
from tests.e2e.conftest import login
from tests.e2e.test_analyst_workflow import Watch, ui_runs  # noqa: F401 - fixture
from tests.integration.ui import scenario as sc
from tests.integration.ui.conftest import scenario_graph  # noqa: F401 - fixture

pytestmark = pytest.mark.e2e
expect.set_options(timeout=30_000)
ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"
CAMPUS = f"ip|{sc.CAMPUS_IP}"


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"explorer-{name}.png"))


def _js(page: Page, expression: str, arg: Any = None) -> Any:
    return page.evaluate(f"(arg) => {{ const ex = window.explorer; return {expression}; }}", arg)


def _ready(page: Page) -> None:
    expect(page.locator("#explorer")).to_have_attribute("data-state", "ready")
    if _js(page, "ex.layout.running"):
        page.get_by_role("button", name="Stop layout").click()
    expect(page.locator("#explorer")).not_to_have_attribute("data-layout", "running")


def click_node(page: Page, key: str, *, shift: bool = False) -> None:
    """Centre the camera on node `key`, zoomed in so that no other node is near, and click it where it is drawn."""
    page.wait_for_function("(k) => !!window.explorer.renderer.getNodeDisplayData(k)", arg=key)  # drawn once
    _js(page, "void ex.renderer.getCamera().setState({...ex.renderer.getNodeDisplayData(arg), ratio: 0.01, angle: 0})", key)
    page.wait_for_timeout(250)  # the camera's frame
    box = page.locator("[data-testid=explorer-stage]").bounding_box()
    assert box is not None
    x, y = _js(page, "(p => [p.x, p.y])(ex.renderer.framedGraphToViewport(ex.renderer.getNodeDisplayData(arg)))", key)
    if shift:
        page.keyboard.down("Shift")
    page.mouse.move(box["x"] + x + 40, box["y"] + y + 40)
    page.mouse.move(box["x"] + x, box["y"] + y, steps=4)  # hover first, as a person does
    page.mouse.click(box["x"] + x, box["y"] + y)
    if shift:
        page.keyboard.up("Shift")
    expect(page.locator("[data-testid=explorer-panel]")).to_contain_text(key.split("|", 1)[1])


def _nodes(page: Page) -> int:
    return int(_js(page, "ex.graph.order"))


def _visible(page: Page, prefix: str) -> list[str]:
    return list(_js(page, "[...ex.visible].filter(k => k.startsWith(arg))", prefix))


def test_the_explorer_in_the_browser(
    browser: Browser, live_server: Any, ui_runs: dict[int, DetectionRun], case_manager: User, settings: Any  # noqa: F811
) -> None:
    settings.EXPLORER_SUPERNODE_ACCOUNTS = 3  # the campus NAT (4 accounts) asks first
    settings.EXPLORER_EXPAND_PAGE = 2
    top = Cluster.objects.get(run=ui_runs[sc.LATEST_RUN], key=sc.TOP)
    case = open_case(by=case_manager, clusters=[top], title="hydra campaign")
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    context.set_default_timeout(30_000)
    page = context.new_page()
    watch = Watch(page)
    base = live_server.url
    login(page, base, case_manager.get_username())

    # The cluster page opens the explorer on the cluster: its 84 accounts and what they share.
    page.goto(f"{base}/clusters/{sc.TOP}/")
    _ready(page)
    expect(page.locator("#explorer")).to_have_attribute("data-visible-accounts", "84")
    assert int(page.get_attribute("#explorer", "data-open-ms") or "0") > 0
    page.get_by_role("link", name="Full screen").click()
    expect(page).to_have_url(f"{base}/explore/clusters/{sc.TOP}/")
    _ready(page)
    _shot(page, "cluster")
    opened = _nodes(page)

    # Expand an account: the campus NAT it also used (shared with no other member) appears.
    assert not _js(page, "ex.graph.hasNode(arg)", CAMPUS)
    click_node(page, "account|hyd-0001")
    page.get_by_test_id("expand").click()
    expect(page.get_by_test_id("explorer-status")).to_contain_text("hyd-0001:")
    assert _js(page, "ex.graph.hasNode(arg)", CAMPUS)
    after_account = _nodes(page)
    assert after_account > opened

    # The campus NAT is held by 4 accounts, more than the guard allows: the explorer asks, then pages by 2.
    click_node(page, CAMPUS)
    page.get_by_test_id("expand").click()
    dialog = page.locator("dialog[open]")
    expect(dialog).to_contain_text("held by 4 accounts")
    page.get_by_test_id("guard-expand").click()
    expect(page.get_by_test_id("explorer-status")).to_contain_text("2 of 4 accounts shown")
    page.get_by_test_id("more").click()
    expect(page.get_by_test_id("explorer-status")).to_contain_text("4 of 4 accounts shown")
    campus_users = {f"account|user-00{i}" for i in (1, 2, 3)}
    assert all(_js(page, "ex.graph.hasNode(arg)", k) for k in campus_users)
    _shot(page, "expanded")

    # Undo takes the last page back; collapse removes what the expansion added; undo brings it back.
    page.get_by_role("button", name="Undo").click()
    assert _nodes(page) < after_account + 3
    click_node(page, CAMPUS)
    page.get_by_test_id("collapse").click()
    assert not any(_js(page, "ex.graph.hasNode(arg)", k) for k in campus_users)
    page.get_by_role("button", name="Undo").click()
    assert any(_js(page, "ex.graph.hasNode(arg)", k) for k in campus_users)

    # Filters: without network entities no IP is drawn; replacements only; a time window.
    assert _visible(page, "ip|")
    page.locator("[data-family=network]").uncheck()
    assert not _visible(page, "ip|")
    page.locator("[data-family=network]").check()
    page.locator("[data-status=replacement]").check()
    replacements = {f"account|hyd-{i:04d}" for i in range(65, 85)}
    assert set(_visible(page, "account|")) == replacements
    page.locator("[data-status=replacement]").uncheck()
    every = len(_visible(page, "account|"))
    page.get_by_test_id("time-from").focus()
    page.keyboard.press("End")  # from the last day only: accounts active then
    last_day = len(_visible(page, "account|"))
    assert 0 < last_day < every
    page.get_by_test_id("time-from").press("Home")
    assert len(_visible(page, "account|")) == every

    # Why are these two linked? The campus NAT ties a hydra account to a student.
    student = next(k for k in sorted(campus_users) if _js(page, "ex.graph.hasNode(arg)", k))
    click_node(page, "account|hyd-0001")
    click_node(page, student, shift=True)
    page.get_by_test_id("trace").click()
    expect(page.get_by_test_id("paths")).to_contain_text("1 hop: IP 198.51.100.7 (shared by 4)")
    assert _js(page, "ex.pathNodes.has(arg)", CAMPUS)
    _shot(page, "path")

    # Pin and hide.
    click_node(page, "account|hyd-0010")
    page.get_by_test_id("pin").click()
    assert _js(page, "ex.graph.getNodeAttribute(arg, 'fixed')", "account|hyd-0010") is True
    click_node(page, "account|hyd-0011")
    page.get_by_test_id("hide").click()
    expect(page.get_by_role("button", name="Show hidden (1)")).to_be_enabled()

    # Save the view into the case, then reopen it from the case page exactly as it was.
    page.locator("[data-family=content]").uncheck()
    saved_nodes = _nodes(page)
    page.get_by_test_id("save-view").click()
    page.get_by_test_id("save-case").select_option(str(case.pk))
    page.get_by_test_id("save-title").fill("Hydra and the campus NAT")
    page.get_by_test_id("save-confirm").click()
    expect(page.locator("#explorer")).to_have_attribute("data-saved-view", re.compile(r"^\d+$"))
    view = ExplorerView.objects.get()
    assert page.get_attribute("#explorer", "data-saved-view") == str(view.pk)
    assert view.case_id == case.pk and view.nodes == saved_nodes and view.image.content_type == "image/png"
    assert view.image.file.read().startswith(b"\x89PNG")
    assert AuditEvent.objects.filter(case=case, action=AuditAction.EXPLORER_VIEW_SAVED).count() == 1
    page.goto(f"{base}/cases/{case.pk}/")
    page.get_by_role("link", name="Hydra and the campus NAT").click()
    expect(page.locator("#explorer")).to_have_attribute("data-state", "ready")
    assert _nodes(page) == saved_nodes
    assert _js(page, "ex.graph.getNodeAttribute(arg, 'fixed')", "account|hyd-0010") is True
    assert _js(page, "ex.graph.getNodeAttribute(arg, 'hidden')", "account|hyd-0011") is True
    assert not page.locator("[data-family=content]").is_checked()
    assert not _visible(page, "template|")
    _shot(page, "reopened")
    assert not watch.problems, watch.problems
    context.close()


def test_hostile_telemetry_stays_text_in_the_explorer(
    browser: Browser, live_server: Any, ui_runs: dict[int, DetectionRun], analyst: User  # noqa: F811
) -> None:
    """The ring's account id and email are markup: drawn as labels and shown in the side panel, never run."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    watch = Watch(page)
    login(page, live_server.url, analyst.get_username())
    page.goto(f"{live_server.url}/explore/clusters/{sc.RING_KEY}/")
    _ready(page)
    assert not _js(page, "ex.config.can_save")  # an analyst explores, a case manager saves
    expect(page.get_by_test_id("save-view")).to_have_count(0)
    click_node(page, f"account|{sc.HOSTILE_ID}")
    expect(page.get_by_test_id("explorer-panel")).to_contain_text(sc.SCRIPT)
    assert page.locator("[data-testid=explorer-panel] script").count() == 0
    assert not watch.problems, watch.problems
    context.close()
