"""API tokens: stored only as a digest, expire, can be revoked; issued and revoked with management commands; the
plain-text tokens of before are hashed by a migration and their table dropped."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.utils import timezone
from knox.models import AuthToken

from investigations.services.tokens import issue_token, revoke_tokens

pytestmark = pytest.mark.django_db


def _me(token: str) -> int:
    return Client(HTTP_AUTHORIZATION=f"Token {token}").get("/api/me/").status_code


REFUSED = (401, 403)  # DRF answers 403 when the first authenticator (the session) sends no challenge


def test_a_token_works_and_only_its_digest_is_stored(analyst: User) -> None:
    token, expiry = issue_token(analyst)
    assert _me(token) == 200
    assert timedelta(days=29) < expiry - timezone.now() <= timedelta(days=30)
    stored = AuthToken.objects.get(user=analyst)
    assert token not in (stored.digest, stored.token_key) and stored.token_key == token[:15]
    with connection.cursor() as cursor:  # nowhere in the table, in any column
        cursor.execute("SELECT * FROM knox_authtoken")
        assert not any(token in str(value) for row in cursor.fetchall() for value in row)
    assert _me(token[:-1] + ("0" if token[-1] != "0" else "1")) in REFUSED


def test_an_expired_token_is_refused(analyst: User) -> None:
    token, _ = issue_token(analyst, hours=1)
    AuthToken.objects.filter(user=analyst).update(expiry=timezone.now() - timedelta(seconds=1))
    assert _me(token) in REFUSED


def test_a_revoked_token_is_refused(analyst: User, case_manager: User) -> None:
    token, _ = issue_token(analyst)
    other, _ = issue_token(case_manager)
    assert revoke_tokens(analyst) == 1
    assert _me(token) in REFUSED
    assert _me(other) == 200


def test_commands_issue_and_revoke(analyst: User) -> None:
    out = io.StringIO()
    call_command("create_token", analyst.username, "--hours", "2", stdout=out)
    token = out.getvalue().strip().splitlines()[-1]
    assert _me(token) == 200
    expiry = AuthToken.objects.get(user=analyst).expiry
    assert expiry is not None and expiry - timezone.now() <= timedelta(hours=2)
    out = io.StringIO()
    call_command("revoke_tokens", analyst.username, stdout=out)
    assert "revoked 1 token" in out.getvalue() and _me(token) in REFUSED
    with pytest.raises(CommandError, match="no user named"):
        call_command("create_token", "nobody-at-all")
    with pytest.raises(CommandError, match="at least one hour"):
        call_command("create_token", analyst.username, "--hours", "0")


def test_no_plain_text_token_table_is_left() -> None:
    assert "authtoken_token" not in connection.introspection.table_names()


def test_the_migration_hashes_legacy_tokens(analyst: User) -> None:
    """What migration 0009 does to a database that still has DRF's plain tokens: they keep working, hashed."""
    from importlib import import_module  # noqa: PLC0415

    from django.apps import apps  # noqa: PLC0415

    migration = import_module("investigations.migrations.0009_hash_legacy_api_tokens")
    legacy = "0123456789abcdef0123456789abcdef01234567"
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, user_id integer, created timestamp)")
        cursor.execute("INSERT INTO authtoken_token (key, user_id, created) VALUES (%s, %s, %s)",
                       [legacy, analyst.pk, timezone.now()])  # fmt: skip
    class Editor:  # what RunPython hands the function: the connection, and a way to run DDL on it
        connection = connection

        def execute(self, sql: str) -> None:
            with connection.cursor() as c:
                c.execute(sql)

    migration.hash_legacy_tokens(apps, Editor())
    assert "authtoken_token" not in connection.introspection.table_names()
    assert _me(legacy) == 200
    assert not AuthToken.objects.filter(digest=legacy).exists()
