"""Every workspace page and endpoint checks the role; analysts never reach admin pages or admin endpoints."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from investigations.models import DetectionRun
from tests.integration.ui.scenario import CAMPUS_IP, TOP

PAGES = [
    "/clusters/",
    f"/clusters/{TOP}/",
    f"/clusters/{TOP}/members.csv",
    "/account/hyd-0001/",
    f"/entity/ip/{CAMPUS_IP}/",
    "/search/?q=nothing-matches-this",
]
ENDPOINTS = [
    "/api/clusters/",
    f"/api/clusters/{TOP}/",
    f"/api/clusters/{TOP}/members/",
    f"/api/clusters/{TOP}/network/",
    f"/api/clusters/{TOP}/timelines/",
    f"/api/clusters/{TOP}/history/",
    "/api/accounts/hyd-0001/",
    "/api/accounts/hyd-0001/sessions/",
    f"/api/entities/ip/{CAMPUS_IP}/",
    f"/api/entities/ip/{CAMPUS_IP}/accounts/",
    "/api/search/?q=x",
    "/api/annotations/",
]
ADMIN_PAGES = ["/health/"]
ADMIN_ENDPOINTS = ["/api/health/", "/api/audit/"]
# Admin-only parts written by colleagues (ingest jobs, schedules) are found by route name, so new ones are covered.
ADMIN_ROUTE_WORDS = ("ingest", "schedule")


@pytest.fixture
def nobody(db: Any) -> User:
    """A logged-in user without any role."""
    return get_user_model().objects.create_user("nobody", password="correct-horse-battery")


def test_anonymous_users_are_sent_to_login_or_refused(runs: dict[int, DetectionRun], client: Client) -> None:
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url
    assert (
        client.post("/annotations/", {"target": "cluster", "target_id": TOP, "label": "benign"}).status_code
        == 302
    )
    api = APIClient()
    for url in ENDPOINTS:
        assert api.get(url).status_code in (401, 403), url


def test_users_without_a_role_are_refused(
    runs: dict[int, DetectionRun], client: Client, nobody: User
) -> None:
    client.force_login(nobody)  # type: ignore[arg-type]
    for url in PAGES:
        assert client.get(url).status_code == 403, url
    assert (
        client.post("/annotations/", {"target": "cluster", "target_id": TOP, "label": "benign"}).status_code
        == 403
    )
    assert "Cluster queue" not in client.get("/").content.decode()
    api = APIClient()
    api.force_authenticate(nobody)
    for url in ENDPOINTS:
        assert api.get(url).status_code == 403, url


@pytest.mark.parametrize("role", ["analyst", "case_manager", "admin_user"])
def test_every_role_reads_the_workspace(
    runs: dict[int, DetectionRun], client: Client, role: str, request: pytest.FixtureRequest
) -> None:
    user = request.getfixturevalue(role)
    client.force_login(user)
    for url in ["/", *PAGES]:
        assert client.get(url).status_code == 200, url
    api = APIClient()
    api.force_authenticate(user)
    for url in ENDPOINTS:
        assert api.get(url).status_code == 200, url


def _admin_routes() -> list[str]:
    """Paths of every named route whose name says ingest or schedule, with placeholder arguments."""
    found: list[str] = []

    def walk(patterns: list[Any]) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                if not p.namespace:  # Django's admin site (namespace "admin") is checked on its own below
                    walk(p.url_patterns)
            elif isinstance(p, URLPattern) and p.name and any(w in p.name for w in ADMIN_ROUTE_WORDS):
                groups = list(p.pattern.regex.groupindex)
                if "format" not in groups:  # DRF's ".json" suffix variants add nothing
                    found.append(reverse(p.name, kwargs=dict.fromkeys(groups, "1")))

    walk(get_resolver().url_patterns)
    return sorted(set(found))


@pytest.mark.parametrize("role", ["analyst", "case_manager"])
def test_analysts_and_case_managers_get_403_on_admin_pages_and_endpoints(
    runs: dict[int, DetectionRun], client: Client, role: str, request: pytest.FixtureRequest
) -> None:
    user = request.getfixturevalue(role)
    client.force_login(user)
    for url in [*ADMIN_PAGES, *_admin_routes()]:
        if url.startswith("/api/"):
            continue
        get, post = client.get(url), client.post(url, {})
        assert get.status_code in (403, 405) and post.status_code in (403, 405), url
        assert 403 in (get.status_code, post.status_code), url
    api = APIClient()
    api.force_authenticate(user)
    for url in [*ADMIN_ENDPOINTS, *(u for u in _admin_routes() if u.startswith("/api/"))]:
        assert api.get(url).status_code in (403, 405) and api.post(url, {}).status_code in (403, 405), url
    assert api.post("/api/detection-runs/", {}, format="json").status_code == 403
    # Django's own admin site is for admins only: a signed-in analyst gets 403, never a second login form.
    assert client.get("/admin/").status_code == 403
    menu = client.get("/").content.decode().split('<nav class="menu">')[1].split("</nav>")[0]
    assert 'href="/health/"' not in menu


def test_admins_see_the_admin_menu_entries(
    runs: dict[int, DetectionRun], client: Client, admin_user: User
) -> None:
    client.force_login(admin_user)  # type: ignore[arg-type]
    menu = client.get("/").content.decode().split('<nav class="menu">')[1].split("</nav>")[0]
    assert 'href="/health/"' in menu and 'href="/clusters/"' in menu


def test_plotly_is_served_from_the_package_without_login(client: Client) -> None:
    response = client.get("/assets/plotly-x.min.js", HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200 and response["Content-Encoding"] == "gzip"
    assert response["Cache-Control"].startswith("public, max-age=31536000")
    plain = client.get("/assets/plotly-x.min.js")
    assert b"plotly.js" in plain.content[:2000] and len(plain.content) > 1_000_000
    assert client.get("/assets/plotly-x.min.js", HTTP_IF_NONE_MATCH=plain["ETag"]).status_code == 304
