"""The audit log's guarantees below Python: a hash chain over its entries and database triggers that refuse
UPDATE and DELETE on its table.

Every entry stores the hash of the entry before it (`previous_hash`) and its own `entry_hash`, a SHA-256 of the
previous hash and its canonical content (case, actor, action, summary, before, after, time). Changing, removing or
inserting an entry anywhere breaks the chain from there on, which `manage.py verify_audit` reports.

The triggers (created by a migration, SQLite and PostgreSQL) refuse every UPDATE and DELETE, from any client: a
raw SQL statement, a migration or a bug that bypasses the model. The one exception is `manage.py flush` (which
empties the whole database; the test suite uses it between tests): it opens the lock for its own connection only
(`flush_allowed`).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

TABLE = "investigations_auditevent"
SQLITE_FUNCTION = "hydra_audit_flush"  # 1 while `flush_allowed` runs on this process, else 0
PG_SETTING = "hydra.audit_flush"
ADVISORY_LOCK = 0x617564  # PostgreSQL: serialises appends so two entries never claim the same predecessor
_flush = threading.local()

SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER IF NOT EXISTS hydra_audit_no_update BEFORE UPDATE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: audit events cannot be changed'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS hydra_audit_no_delete BEFORE DELETE ON {TABLE} WHEN {SQLITE_FUNCTION}() = 0
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: audit events cannot be deleted'); END""",
)
SQLITE_DROP = ("DROP TRIGGER IF EXISTS hydra_audit_no_update", "DROP TRIGGER IF EXISTS hydra_audit_no_delete")
PG_TRIGGERS = (
    f"""CREATE OR REPLACE FUNCTION hydra_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP IN ('DELETE', 'TRUNCATE') AND coalesce(current_setting('{PG_SETTING}', true), '') = 'on' THEN
        IF TG_LEVEL = 'ROW' THEN RETURN OLD; END IF;
        RETURN NULL;
      END IF;
      RAISE EXCEPTION 'the audit log is append-only: % refused on %', TG_OP, TG_TABLE_NAME;
    END $$""",
    f"""CREATE TRIGGER hydra_audit_no_change BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION hydra_audit_append_only()""",
    f"""CREATE TRIGGER hydra_audit_no_truncate BEFORE TRUNCATE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION hydra_audit_append_only()""",
)
PG_DROP = (
    f"DROP TRIGGER IF EXISTS hydra_audit_no_change ON {TABLE}",
    f"DROP TRIGGER IF EXISTS hydra_audit_no_truncate ON {TABLE}",
    "DROP FUNCTION IF EXISTS hydra_audit_append_only()",
)


def entry_digest(previous_hash: str, entry: Mapping[str, Any]) -> str:
    """The hash of one entry: its predecessor's hash and its content, canonically serialised."""
    created = entry["created_at"]
    content = {
        "previous": previous_hash,
        "case": entry["case_id"],
        "actor": entry["actor_id"],
        "action": entry["action"],
        "summary": entry["summary"],
        "before": entry["before"],
        "after": entry["after"],
        "at": created.isoformat() if isinstance(created, datetime) else str(created),
    }
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class BrokenLink:
    """The first entry where the chain does not hold, and why."""

    entry_id: int
    reason: str


def first_broken_link(entries: Iterable[Mapping[str, Any]]) -> tuple[int, BrokenLink | None]:
    """Walk entries in id order: how many were checked, and the first broken link (None when the chain holds)."""
    previous = ""
    checked = 0
    for entry in entries:
        checked += 1
        if entry["previous_hash"] != previous:
            return checked, BrokenLink(
                entry["id"], "its previous_hash is not the hash of the entry before it (an entry was removed or inserted)"
            )
        if entry_digest(previous, entry) != entry["entry_hash"]:
            return checked, BrokenLink(entry["id"], "its content does not match its hash (it was changed after it was written)")
        previous = entry["entry_hash"]
    return checked, None


def flush_open() -> int:
    """1 while this thread runs `flush_allowed` (the SQLite trigger asks it through a function), else 0."""
    return 1 if getattr(_flush, "open", False) else 0


def register_sqlite_function(connection: BaseDatabaseWrapper) -> None:
    """Give a new SQLite connection the function its delete trigger asks (a client without it cannot delete)."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(SQLITE_FUNCTION, 0, flush_open)


@contextmanager
def flush_allowed(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """Let this connection empty the audit table while the block runs (used by `manage.py flush` only)."""
    _flush.open = True
    try:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"SET {PG_SETTING} = 'on'")
        yield
    finally:
        _flush.open = False
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"RESET {PG_SETTING}")


def create_triggers(connection: BaseDatabaseWrapper) -> None:
    """Install the append-only triggers for this database's vendor."""
    statements = {"sqlite": SQLITE_TRIGGERS, "postgresql": (*PG_DROP[:2], *PG_TRIGGERS)}.get(connection.vendor)
    if statements is None:
        raise RuntimeError(f"no append-only audit triggers for the {connection.vendor} database")
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def ensure_triggers(alias: str) -> None:
    """Install the triggers on database `alias` if its audit table exists (after every migrate)."""
    from django.db import connections

    connection = connections[alias]
    if connection.vendor in ("sqlite", "postgresql") and TABLE in connection.introspection.table_names():
        create_triggers(connection)


def drop_triggers(connection: BaseDatabaseWrapper) -> None:
    """Remove them (the migration's reverse)."""
    with connection.cursor() as cursor:
        for statement in SQLITE_DROP if connection.vendor == "sqlite" else PG_DROP:
            cursor.execute(statement)
