"""Login is required everywhere; role permissions are enforced on pages and API endpoints."""

import io
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.test import Client, RequestFactory
from django.utils import timezone

from investigations.roles import Role, roles_of
from investigations.services.tokens import issue_token
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/", "/health/"])
def test_pages_redirect_anonymous_users_to_login(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("path", ["/api/me/", "/api/health/", "/api/schema/"])
def test_api_refuses_anonymous_users(client: Client, path: str) -> None:
    assert client.get(path).status_code in (401, 403)


def test_health_page_is_for_admins_only(client: Client, analyst: User, case_manager: User) -> None:
    for user in (analyst, case_manager):
        client.force_login(user)
        assert client.get("/health/").status_code == 403
        assert client.get("/api/health/").status_code == 403


def test_liveness_probe_needs_no_login_and_tells_nothing(client: Client) -> None:
    response = client.get("/health/live/")
    assert response.status_code == 200
    assert response.content == b"ok"


def test_create_user_command_with_password_from_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(TEST_PASSWORD + "\n"))
    out = io.StringIO()
    call_command("create_user", "carol", "--role", "case_manager", "--password-stdin", stdout=out)
    assert "created user carol" in out.getvalue()
    user = authenticate(RequestFactory().post("/accounts/login/"), username="carol", password=TEST_PASSWORD)
    assert user is not None
    assert roles_of(user) == {Role.CASE_MANAGER}


@pytest.mark.parametrize("name", ["", "   ", "bad name!/x"])
def test_create_user_command_refuses_bad_user_names(name: str) -> None:
    with pytest.raises(CommandError, match="user name"):
        call_command("create_user", name, "--role", "analyst", stdout=io.StringIO())
    assert not get_user_model().objects.exists()


def test_create_user_command_generates_a_password() -> None:
    out = io.StringIO()
    call_command("create_user", "dave", "--role", "analyst", stdout=out)
    password = out.getvalue().split("password: ")[1].strip()
    user = authenticate(RequestFactory().post("/accounts/login/"), username="dave", password=password)
    assert user is not None and roles_of(user) == {Role.ANALYST}


def test_api_me_reports_roles(client: Client, admin_user: User) -> None:
    client.force_login(admin_user)
    assert client.get("/api/me/").json() == {"username": "admin-user", "roles": ["admin"]}


def test_django_admin_refuses_non_admins(client: Client, analyst: User, admin_user: User) -> None:
    client.force_login(analyst)
    assert client.get("/admin/").status_code == 403
    client.force_login(admin_user)
    assert client.get("/admin/").status_code == 200


def test_api_docs_are_served_without_a_cdn(client: Client, analyst: User) -> None:
    client.force_login(analyst)
    html = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in html
    assert "cdn.jsdelivr" not in html and "unpkg.com" not in html


@pytest.mark.parametrize("password", ["4815162342108", "carol-secure", "Carol-Secure!"])
def test_weak_passwords_are_refused(monkeypatch: pytest.MonkeyPatch, password: str) -> None:
    """All digits, or too close to the user name: refused, and no user is created."""
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    with pytest.raises(CommandError):
        call_command("create_user", "carol-secure", "--role", "analyst", "--password-stdin", stdout=io.StringIO())
    assert not get_user_model().objects.exists()


def test_signed_in_answers_are_never_cached(client: Client, analyst: User) -> None:
    assert "no-store" not in client.get("/health/live/").get("Cache-Control", "")
    client.force_login(analyst)
    for path in ("/", "/clusters/", "/cases/", "/api/me/"):
        cache_control = client.get(path)["Cache-Control"]
        assert "no-store" in cache_control and "private" in cache_control, path
    token, _ = issue_token(analyst)
    api = Client(HTTP_AUTHORIZATION=f"Token {token}")
    response = api.get("/api/me/")
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]


def test_a_session_expires_after_idle_time_and_requests_renew_it(client: Client, analyst: User) -> None:
    client.force_login(analyst)
    assert client.get("/clusters/").status_code == 200
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    session = Session.objects.get(session_key=key)
    assert abs((session.expire_date - timezone.now()).total_seconds() - settings.SESSION_COOKIE_AGE) < 120
    # a request more than a minute after the last renewal renews the expiry
    store = client.session
    store["_renewed"] = 0
    store.save()
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() + timedelta(seconds=30))
    assert client.get("/clusters/").status_code == 200
    renewed = Session.objects.get(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value).expire_date
    assert (renewed - timezone.now()).total_seconds() > settings.SESSION_COOKIE_AGE - 120
    # idle past the timeout: signed out
    Session.objects.all().update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get("/clusters/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("login_url", ["/accounts/login/", "/admin/login/"])
def test_repeated_wrong_passwords_lock_the_user_name_out(client: Client, admin_user: User, login_url: str) -> None:
    """Ten wrong passwords in a row, then the right one: refused (429) and not signed in, on both login pages."""
    for _ in range(10):
        response = client.post(login_url, {"username": admin_user.username, "password": "wrong-password-1"})
        assert response.status_code in (200, 429)
    response = client.post(login_url, {"username": admin_user.username, "password": TEST_PASSWORD})
    assert response.status_code == 429 and "Too many failed sign-ins" in response.content.decode()
    assert client.get("/api/me/").status_code in (401, 403)
    # another user name from the same address is not locked
    other = get_user_model().objects.create_user("erin", password=TEST_PASSWORD)
    response = client.post("/accounts/login/", {"username": other.username, "password": TEST_PASSWORD})
    assert response.status_code == 302
