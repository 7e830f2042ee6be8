"""Django admin registrations (read-mostly; the UI is the main way in)."""

from typing import Any

from django.contrib import admin

from investigations.models import (
    Annotation,
    AuditEvent,
    Case,
    CaseAlert,
    Cluster,
    ClusterProposal,
    DetectionRun,
    IngestJob,
    IngestSchedule,
)


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Shown in Django admin but never changed there: cases, their clusters and runs change only through
    audited services, ingest jobs and schedules only through the admin pages that check INGEST_ROOT."""

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """The audit log: filterable by action and time, never editable."""

    list_display = ("created_at", "case", "actor", "action", "summary")
    list_filter = ("action", "created_at")
    search_fields = ("summary", "actor__username")


admin.site.register(
    [Case, CaseAlert, ClusterProposal, DetectionRun, Cluster, Annotation, IngestJob, IngestSchedule], ReadOnlyAdmin
)
