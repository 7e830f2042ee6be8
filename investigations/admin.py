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

admin.site.register([IngestJob, IngestSchedule, DetectionRun, Cluster, Annotation])


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Shown in Django admin but never changed there: cases change only through audited services."""

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


admin.site.register([Case, CaseAlert, ClusterProposal], ReadOnlyAdmin)
