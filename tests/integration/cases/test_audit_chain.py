"""The audit log below Python: database triggers refuse UPDATE and DELETE from any client, and the hash chain
shows where an entry was changed, removed or inserted behind the triggers' back (`manage.py verify_audit`)."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from investigations.audit_chain import SQLITE_FUNCTION, SQLITE_TRIGGERS, TABLE, create_triggers, drop_triggers
from investigations.models import AuditAction, AuditEvent, Case
from investigations.services.audit import record_audit

pytestmark = pytest.mark.django_db


def _events(case_manager: User, n: int = 4) -> list[AuditEvent]:
    case = Case.objects.create(title="Campaign", created_by=case_manager)
    return [
        record_audit(case, case_manager, AuditAction.COMMENT_ADDED, f"comment {i}", after={"text": f"<b>{i}</b>", "n": i})
        for i in range(n)
    ]


def _verify() -> str:
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    return out.getvalue()


def test_raw_sql_cannot_change_or_delete_audit_events(case_manager: User) -> None:
    events = _events(case_manager)
    for statement in (
        "UPDATE investigations_auditevent SET summary = 'nothing happened'",
        f"DELETE FROM investigations_auditevent WHERE id = {events[1].pk}",
        "DELETE FROM investigations_auditevent",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    assert list(AuditEvent.objects.order_by("id").values_list("summary", flat=True)) == [f"comment {i}" for i in range(4)]
    assert "intact: 4 event(s)" in _verify()


def test_a_client_without_the_platform_cannot_delete_either(tmp_path: Path) -> None:
    """A plain sqlite3 client (no function registered by the app) is refused by the same triggers."""
    with sqlite3.connect(tmp_path / "copy.sqlite3") as raw:
        raw.execute(f"CREATE TABLE {TABLE} (id INTEGER PRIMARY KEY, summary TEXT)")
        for statement in SQLITE_TRIGGERS:
            raw.execute(statement)
        raw.execute(f"INSERT INTO {TABLE} (summary) VALUES ('opened')")
        with pytest.raises(sqlite3.OperationalError, match=SQLITE_FUNCTION):
            raw.execute(f"DELETE FROM {TABLE}")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            raw.execute(f"UPDATE {TABLE} SET summary = 'x'")
        assert raw.execute(f"SELECT summary FROM {TABLE}").fetchall() == [("opened",)]


def test_verify_audit_finds_the_first_changed_or_removed_entry(case_manager: User) -> None:
    events = _events(case_manager)
    assert events[0].previous_hash == "" and events[1].previous_hash == events[0].entry_hash
    assert "intact: 4 event(s)" in _verify()
    drop_triggers(connection)  # someone with the database drops the triggers and edits history
    with connection.cursor() as cursor:
        cursor.execute("UPDATE investigations_auditevent SET summary = 'rewritten' WHERE id = %s", [events[2].pk])
    with pytest.raises(CommandError, match=f"broken at event #{events[2].pk} .*changed after it was written"):
        _verify()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE investigations_auditevent SET summary = 'comment 2' WHERE id = %s", [events[2].pk])
    assert "intact" in _verify()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM investigations_auditevent WHERE id = %s", [events[1].pk])
    with pytest.raises(CommandError, match=f"broken at event #{events[2].pk} .*removed or inserted"):
        _verify()
    create_triggers(connection)


@pytest.mark.django_db(transaction=True)
def test_flush_still_empties_the_database(case_manager: User) -> None:
    _events(case_manager, 2)
    call_command("flush", interactive=False, verbosity=0)
    assert AuditEvent.objects.count() == 0
    # the triggers are still there afterwards
    User.objects.create_user("someone", password="x" * 12)
    case = Case.objects.create(title="Again", created_by=User.objects.get(username="someone"))
    record_audit(case, None, AuditAction.CASE_OPENED, "opened")
    with pytest.raises(DatabaseError, match="append-only"), connection.cursor() as cursor:
        cursor.execute("DELETE FROM investigations_auditevent")


@pytest.mark.django_db(transaction=True)
def test_a_second_connection_to_the_same_database_is_refused(case_manager: User) -> None:
    """Another client on the platform's own database (committed entries): SQLite or PostgreSQL, whichever the test
    command runs on, refuses it the same way."""
    _events(case_manager, 2)
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        import psycopg  # noqa: PLC0415  # only on the PostgreSQL pass

        conninfo = {"dbname": db["NAME"], "user": db["USER"], "password": db["PASSWORD"], "host": db["HOST"],
                    "port": db["PORT"]}  # fmt: skip
        with psycopg.connect(**conninfo, autocommit=True) as raw:
            for statement in (f"UPDATE {TABLE} SET summary = 'x'", f"DELETE FROM {TABLE}", f"TRUNCATE {TABLE}"):
                with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                    raw.execute(statement)
    else:
        with sqlite3.connect(db["NAME"]) as raw:
            with pytest.raises(sqlite3.OperationalError, match=SQLITE_FUNCTION):
                raw.execute(f"DELETE FROM {TABLE}")
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                raw.execute(f"UPDATE {TABLE} SET summary = 'x'")
    assert list(AuditEvent.objects.values_list("summary", flat=True).order_by("id")) == ["comment 0", "comment 1"]
