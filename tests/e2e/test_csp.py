"""The Content-Security-Policy in real Chromium: every kind of page (queue, cluster with its charts, account,
entity, search, cases, case, proposals, audit, ingest, health, API docs, Django admin, the case report whose inline
scripts carry the response's nonce) loads without one CSP
violation or script error, its charts still draw, and the policy really blocks what it is for: an inline event
handler slipped into a page does not run."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from investigations.models import Cluster, DetectionRun, IngestJob, JobStatus
from investigations.services.cases import open_case
from tests.e2e.conftest import login
from tests.e2e.test_analyst_workflow import ui_runs  # noqa: F401 - fixture
from tests.integration.ui import scenario as sc
from tests.integration.ui.conftest import scenario_graph  # noqa: F401 - fixture

pytestmark = pytest.mark.e2e
expect.set_options(timeout=30_000)




class Violations:
    """Every CSP violation and script error the page reports."""

    def __init__(self, page: Page) -> None:
        self.seen: list[str] = []
        page.on("pageerror", lambda error: self.seen.append(f"{page.url}: page error: {error}"))
        page.on("console", self.on_console)

    def on_console(self, message: ConsoleMessage) -> None:
        # Django admin and Swagger UI declare no icon, so Chromium asks for /favicon.ico: a 404, not a policy matter.
        if message.location.get("url", "").endswith("/favicon.ico"):
            return
        if message.type == "error" or "Content Security Policy" in message.text:
            self.seen.append(f"{message.location.get('url', '')}: {message.text}")


def test_every_page_loads_under_the_policy(
    browser: Browser, live_server: Any, ui_runs: dict[int, DetectionRun], admin_user: User  # noqa: F811
) -> None:
    top = Cluster.objects.get(run_id=sc.LATEST_RUN, key=sc.TOP)
    case = open_case(by=admin_user, clusters=[top], title="CSP case")
    job = IngestJob.objects.create(drop_path="drops/day-1", status=JobStatus.SUCCEEDED, created_by=admin_user)
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    page = context.new_page()
    violations = Violations(page)
    base = live_server.url
    login(page, base, admin_user.get_username())

    header = page.request.get(f"{base}/clusters/").headers["content-security-policy"]
    assert "script-src 'self'" in header and "object-src 'none'" in header and "frame-ancestors 'none'" in header
    assert "unsafe-eval" not in header and "'unsafe-inline'" not in header.split("script-src")[1].split(";")[0]

    pages = [
        "/", f"/clusters/{sc.TOP}/", "/account/hyd-0001/", f"/entity/ip/{sc.CAMPUS_IP}/",
        "/search/?q=nothing-matches-this", "/cases/", f"/cases/{case.pk}/", "/cases/proposals/", "/cases/audit/",
        "/ingest/", f"/ingest/jobs/{job.pk}/", "/health/", "/api/docs/", "/admin/",
        "/admin/investigations/auditevent/", f"/cases/{case.pk}/export/report/",
    ]  # fmt: skip
    for path in pages:
        page.goto(f"{base}{path}")
        page.wait_for_load_state("networkidle")
        if path == f"/clusters/{sc.TOP}/":
            for chart in ("fig-explanation", "fig-network", "fig-signups"):
                expect(page.locator(f"#{chart}[data-rendered='1'] .main-svg").first).to_be_visible()
        if path.endswith("/export/report/"):
            expect(page.locator("div.plot .main-svg").first).to_be_visible()
        if path == "/api/docs/":
            expect(page.locator(".swagger-ui .info .title")).to_contain_text("Hydra Watch API")
        if path == "/cases/":
            page.check("#select-all")  # the page script (a static file now) still works
            expect(page.locator('input[name="cases"]').first).to_be_checked()
    assert violations.seen == [], violations.seen

    # The policy is not decoration: markup with an inline handler, slipped into a page, does not run.
    page.goto(f"{base}/clusters/")
    page.evaluate(
        "document.body.insertAdjacentHTML('beforeend', '<img src=\"/missing.png\" onerror=\"window.pwned = 1\">')"
    )
    page.wait_for_timeout(500)
    assert page.evaluate("window.pwned") is None
    assert any("Content Security Policy" in v for v in violations.seen), violations.seen
    context.close()
