"""Check the audit log's hash chain: every entry's hash matches its content and its predecessor's hash."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from investigations.audit_chain import first_broken_link
from investigations.models import AuditEvent

FIELDS = ("id", "case_id", "actor_id", "action", "summary", "before", "after", "created_at", "previous_hash", "entry_hash")


class Command(BaseCommand):
    help = "Verify the audit log's hash chain; report the first broken link (exit status 1) or that it holds."

    def handle(self, *args: Any, **options: Any) -> None:
        entries = AuditEvent.objects.order_by("id").values(*FIELDS).iterator(chunk_size=2000)
        checked, broken = first_broken_link(entries)
        if broken is not None:
            raise CommandError(
                f"audit log chain broken at event #{broken.entry_id} (entry {checked} in id order): {broken.reason}"
            )
        self.stdout.write(f"audit log intact: {checked} event(s), every hash chained to the one before")
