"""Login is required everywhere; role permissions are enforced on pages and API endpoints."""

import io

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client

from investigations.roles import Role, roles_of
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
    user = authenticate(username="carol", password=TEST_PASSWORD)
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
    user = authenticate(username="dave", password=password)
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
