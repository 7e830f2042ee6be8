"""Django's `flush` (empty every table), with the audit log's delete trigger opened for this connection only:
emptying the whole database is the one way audit events leave it (the test suite flushes between tests)."""

from typing import Any

from django.core.management.commands.flush import Command as FlushCommand
from django.db import connections

from investigations.audit_chain import flush_allowed


class Command(FlushCommand):
    """Django's flush, allowed to empty the append-only audit table."""

    def handle(self, **options: Any) -> None:
        with flush_allowed(connections[options["database"]]):
            super().handle(**options)
