"""Django admin: read-only views of the platform's records for users with the admin role (the README's "`/admin/`
shows records read-only"). Nothing is added, changed or deleted there, by anyone: cases, their clusters and runs
change only through audited services, ingest jobs and schedules only through the Ingest pages that check
INGEST_ROOT, users only with `manage.py create_user`. The third-party admins follow the same rule: users, groups,
Celery beat's periodic tasks (which could run any task with any arguments) and django-axes' login records are
shown read-only; API tokens and partners' TAXII tokens are not shown at all (a token is a credential)."""

from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)
from knox.models import AuthToken

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
    Partner,
    PartnerAlert,
    PartnerIndicator,
    Publication,
    TaxiiCollection,
)
from investigations.roles import Role, has_role


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Shown to admins (the role, not Django's model permissions), never changed here."""

    def has_module_permission(self, request: Any) -> bool:
        return has_role(request.user, Role.ADMIN)

    def has_view_permission(self, request: Any, obj: Any = None) -> bool:
        return has_role(request.user, Role.ADMIN)

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


class UserAdmin(ReadOnlyAdmin):
    """Who may sign in, with which role; never the password hash."""

    fields = ("username", "first_name", "last_name", "email", "groups", "is_active", "last_login", "date_joined")
    list_display = ("username", "email", "is_active", "last_login")
    list_filter = ("groups", "is_active")
    search_fields = ("username", "email")


admin.site.register(
    [Case, CaseAlert, ClusterProposal, DetectionRun, Cluster, Annotation, IngestJob, IngestSchedule], ReadOnlyAdmin
)
# Partners, collections, publications and partners' indicators and alerts; partner tokens are credentials: not shown.
admin.site.register([Partner, TaxiiCollection, Publication, PartnerIndicator, PartnerAlert], ReadOnlyAdmin)

THIRD_PARTY = [
    Group, PeriodicTask, IntervalSchedule, CrontabSchedule, SolarSchedule, ClockedSchedule,
    AccessAttempt, AccessLog, AccessFailureLog,
]  # fmt: skip
for model in [User, AuthToken, *THIRD_PARTY]:
    if admin.site.is_registered(model):
        admin.site.unregister(model)
admin.site.register(User, UserAdmin)
admin.site.register(THIRD_PARTY, ReadOnlyAdmin)
