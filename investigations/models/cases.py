"""Cases: investigations opened from clusters or accounts, with frozen evidence, work items and an audit log."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import connections, models, router, transaction
from django.utils import timezone

from investigations.audit_chain import ADVISORY_LOCK, entry_digest
from investigations.models.detection import Cluster, DetectionRun, RegrowthAlert


class CaseStatus(models.TextChoices):
    """Where a case stands in its workflow (allowed moves: `TRANSITIONS`)."""

    OPEN = "open", "Open"
    INVESTIGATING = "investigating", "Investigating"
    CONFIRMED = "confirmed", "Confirmed"
    DISMISSED = "dismissed", "Dismissed"
    ACTIONED = "actioned", "Actioned"
    CLOSED = "closed", "Closed"


# The whole workflow in one place: from a status, the statuses a case may move to.
# Reopening (dismissed/closed -> investigating) is allowed so a wrong call or a regrowth can be picked up again.
TRANSITIONS: dict[CaseStatus, tuple[CaseStatus, ...]] = {
    CaseStatus.OPEN: (CaseStatus.INVESTIGATING, CaseStatus.DISMISSED),
    CaseStatus.INVESTIGATING: (CaseStatus.CONFIRMED, CaseStatus.DISMISSED),
    CaseStatus.CONFIRMED: (CaseStatus.ACTIONED, CaseStatus.INVESTIGATING, CaseStatus.DISMISSED),
    CaseStatus.ACTIONED: (CaseStatus.CLOSED,),
    CaseStatus.DISMISSED: (CaseStatus.CLOSED, CaseStatus.INVESTIGATING),
    CaseStatus.CLOSED: (CaseStatus.INVESTIGATING,),
}

# Moves that need a written reason (they undo or end work).
REASON_REQUIRED: frozenset[tuple[CaseStatus, CaseStatus]] = frozenset(
    {
        (CaseStatus.OPEN, CaseStatus.DISMISSED),
        (CaseStatus.INVESTIGATING, CaseStatus.DISMISSED),
        (CaseStatus.CONFIRMED, CaseStatus.DISMISSED),
        (CaseStatus.DISMISSED, CaseStatus.INVESTIGATING),
        (CaseStatus.CLOSED, CaseStatus.INVESTIGATING),
    }
)

# Work is still going on: shown as "open", can be overdue.
ACTIVE_STATUSES: tuple[CaseStatus, ...] = (CaseStatus.OPEN, CaseStatus.INVESTIGATING, CaseStatus.CONFIRMED)
# Clusters of these cases are watched for regrowth (plus closed cases that were actioned).
WATCHED_STATUSES: tuple[CaseStatus, ...] = (*ACTIVE_STATUSES, CaseStatus.ACTIONED)


class CasePriority(models.TextChoices):
    """How urgent a case is."""

    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class IndicatorKind(models.TextChoices):
    """Kinds of indicator a case holds and shares with partners."""

    PAYMENT_FINGERPRINT = "payment_fingerprint", "Payment fingerprint"
    IP = "ip", "IP address"
    SUBNET = "subnet", "Subnet"
    DEVICE = "device", "Sign-up device"
    PROMPT_TEMPLATE = "prompt_template", "Prompt template"
    EMAIL_DOMAIN = "email_domain", "Email domain"
    CLIENT_FINGERPRINT = "client_fingerprint", "Client fingerprint"


class Case(models.Model):
    """An investigation of one or more clusters or accounts, from opening to enforcement and closure."""

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=CaseStatus.choices, default=CaseStatus.OPEN, db_index=True)
    priority = models.CharField(max_length=16, choices=CasePriority.choices, default=CasePriority.MEDIUM, db_index=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="assigned_cases"
    )
    due_date = models.DateField(null=True, blank=True)
    tags = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="created_cases")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    actioned_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"case #{self.pk} {self.title}"

    @property
    def is_active(self) -> bool:
        """Work is still going on."""
        return self.status in ACTIVE_STATUSES

    @property
    def is_overdue(self) -> bool:
        """Past its due date while still active."""
        return self.is_active and self.due_date is not None and self.due_date < timezone.localdate()

    def allowed_transitions(self) -> tuple[CaseStatus, ...]:
        """The statuses this case may move to next."""
        return TRANSITIONS[CaseStatus(self.status)]


class CaseCluster(models.Model):
    """A cluster linked to a case, with the evidence frozen as it was when it was added."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="case_clusters")
    cluster_key = models.CharField(max_length=32, db_index=True)
    cluster = models.ForeignKey(Cluster, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    run = models.ForeignKey(DetectionRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    snapshot = models.JSONField(
        default=dict, help_text="Cluster scores, explanation, members and shared indicators at snapshot time."
    )
    snapshot_at = models.DateTimeField(default=timezone.now)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["snapshot_at", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "cluster_key"], name="case_cluster_unique")]

    def __str__(self) -> str:
        return f"{self.cluster_key} in case #{self.case_id}"


class CaseAccount(models.Model):
    """An account linked to a case (as a member of a snapshot cluster or directly), and its enforcement."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="case_accounts")
    account_id = models.CharField(max_length=64, db_index=True)
    cluster_key = models.CharField(max_length=32, blank=True, help_text="Empty when the account was added directly.")
    snapshot = models.JSONField(default=dict, help_text="Status, exchanges and shared entities at snapshot time.")
    added_at = models.DateTimeField(default=timezone.now)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    actioned_at = models.DateTimeField(null=True, blank=True)
    actioned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["account_id"]
        constraints = [models.UniqueConstraint(fields=["case", "account_id"], name="case_account_unique")]

    def __str__(self) -> str:
        return f"{self.account_id} in case #{self.case_id}"


class Comment(models.Model):
    """A comment on a case; `@username` mentions are resolved to users when it is posted."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="case_comments")
    body = models.TextField()
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="case_mentions")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"comment #{self.pk} on case #{self.case_id}"


class CaseTask(models.Model):
    """A piece of work on a case, assigned to someone."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(max_length=200)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="case_tasks"
    )
    due_date = models.DateField(null=True, blank=True)
    done = models.BooleanField(default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["done", "created_at", "id"]

    def __str__(self) -> str:
        return f"task {self.title} on case #{self.case_id}"


class AttachmentKind(models.TextChoices):
    """What a finding attached to a case is."""

    NOTE = "note", "Note"
    FILE = "file", "File"
    FIGURE = "figure", "Figure (Plotly JSON)"


def attachment_storage() -> FileSystemStorage:
    """Attachments live under VAR_DIR/media and are only served through role-checked views."""
    return FileSystemStorage(location=Path(settings.VAR_DIR) / "media", base_url=None)


class Attachment(models.Model):
    """A finding attached to a case: a text note, an uploaded file, or an exported Plotly figure."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(max_length=16, choices=AttachmentKind.choices)
    title = models.CharField(max_length=200)
    text = models.TextField(blank=True, help_text="The note, or the figure's Plotly JSON.")
    file = models.FileField(upload_to="cases/%Y/%m/", storage=attachment_storage, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.title} on case #{self.case_id}"


class ExplorerView(models.Model):
    """A view of the graph explorer saved into a case as evidence: the nodes drawn with their positions and facts,
    the ties, the filters, colour and camera, and its picture (a PNG attachment of the same case)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="explorer_views")
    title = models.CharField(max_length=200)
    state = models.JSONField(help_text="What the explorer draws again when the view is reopened.")
    nodes = models.PositiveIntegerField(default=0)
    image = models.ForeignKey(Attachment, on_delete=models.PROTECT, related_name="+")
    saved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"explorer view {self.title} on case #{self.case_id}"


class AuditAction(models.TextChoices):
    """Kinds of change the audit log records."""

    CASE_OPENED = "case_opened", "Case opened"
    DETAILS_CHANGED = "details_changed", "Details changed"
    STATUS_CHANGED = "status_changed", "Status changed"
    ASSIGNED = "assigned", "Assigned"
    EVIDENCE_ADDED = "evidence_added", "Evidence added"
    ACCOUNTS_ACTIONED = "accounts_actioned", "Accounts actioned"
    COMMENT_ADDED = "comment_added", "Comment added"
    TASK_ADDED = "task_added", "Task added"
    TASK_CHANGED = "task_changed", "Task changed"
    ATTACHMENT_ADDED = "attachment_added", "Attachment added"
    EXPORTED = "exported", "Exported"
    ALERT_RAISED = "alert_raised", "Regrowth alert raised"
    ALERT_ACKNOWLEDGED = "alert_acknowledged", "Alert acknowledged"
    CLUSTER_PROPOSED = "cluster_proposed", "Cluster proposed"
    PROPOSAL_DECIDED = "proposal_decided", "Proposal decided"
    INGEST_STARTED = "ingest_started", "Ingest started"
    SCHEDULE_CREATED = "schedule_created", "Ingest schedule created"
    SCHEDULE_CHANGED = "schedule_changed", "Ingest schedule paused or resumed"
    SCHEDULE_DELETED = "schedule_deleted", "Ingest schedule deleted"
    DETECTION_STARTED = "detection_started", "Detection run started"
    ANNOTATION_ADDED = "annotation_added", "Annotation added"
    EXPLORER_VIEW_SAVED = "explorer_view_saved", "Explorer view saved"
    PARTNER_CHANGED = "partner_changed", "Partner created or changed"
    PARTNER_TOKEN_ISSUED = "partner_token_issued", "Partner token issued"
    PARTNER_TOKEN_REVOKED = "partner_token_revoked", "Partner token revoked"
    INDICATORS_PUBLISHED = "indicators_published", "Indicators published to partners"
    INDICATORS_REVOKED = "indicators_revoked", "Published indicators revoked"
    INDICATORS_IMPORTED = "indicators_imported", "Partner indicators imported"
    PARTNER_MATCH_RAISED = "partner_match_raised", "Partner match alert raised"
    PARTNER_ALERT_ACKNOWLEDGED = "partner_alert_acked", "Partner match alert acknowledged"


class AuditLogIsAppendOnly(Exception):
    """Raised on any attempt to change or delete an audit event."""


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    """Audit events can be added and read, never updated or deleted in bulk."""

    def update(self, **kwargs: Any) -> int:
        raise AuditLogIsAppendOnly("audit events cannot be changed")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AuditLogIsAppendOnly("audit events cannot be deleted")


class AuditEvent(models.Model):
    """One recorded change: who did what to which case, when, with the state before and after (append-only: in
    Python, by database triggers, and checkable through its hash chain, see `investigations/audit_chain.py`)."""

    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="audit_events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="audit_events"
    )
    action = models.CharField(max_length=32, choices=AuditAction.choices, db_index=True)
    summary = models.CharField(max_length=300)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    previous_hash = models.CharField(max_length=64, default="", editable=False)
    entry_hash = models.CharField(max_length=64, default="", editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.action} case #{self.case_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Insert only, chained to the last entry: saving an event that already exists raises."""
        if not self._state.adding or self.pk is not None:
            raise AuditLogIsAppendOnly("audit events cannot be changed")
        using = kwargs.get("using") or router.db_for_write(AuditEvent)
        with transaction.atomic(using=using):
            connection = connections[using]
            if connection.vendor == "postgresql":  # SQLite transactions take the write lock at BEGIN already
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK])
            last = AuditEvent.objects.using(using).order_by("-id").values_list("entry_hash", flat=True).first()
            self.previous_hash = last or ""
            self.entry_hash = entry_digest(self.previous_hash, {
                "case_id": self.case_id, "actor_id": self.actor_id, "action": str(self.action),
                "summary": self.summary, "before": self.before, "after": self.after, "created_at": self.created_at,
            })  # fmt: skip
            super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        """Never allowed."""
        raise AuditLogIsAppendOnly("audit events cannot be deleted")


class CaseAlert(models.Model):
    """New accounts joined one of a case's clusters after its snapshot (regrowth / ban evasion)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="alerts")
    cluster_key = models.CharField(max_length=32, db_index=True)
    run = models.ForeignKey(DetectionRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    regrowth_alert = models.ForeignKey(
        RegrowthAlert, null=True, blank=True, on_delete=models.SET_NULL, related_name="case_alerts"
    )
    account_ids = models.JSONField(default=list)
    reason = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["case", "run", "cluster_key"], name="case_alert_once_per_run")]

    def __str__(self) -> str:
        return f"regrowth in {self.cluster_key} on case #{self.case_id}: {len(self.account_ids)} new"


class ProposalStatus(models.TextChoices):
    """Whether a case manager has acted on a proposal."""

    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"


class ClusterProposal(models.Model):
    """An analyst's proposal to put a cluster under a case (an existing one, or a new one)."""

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="+")
    cluster_key = models.CharField(max_length=32, db_index=True)
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.CASCADE, related_name="proposals")
    note = models.TextField(blank=True)
    status = models.CharField(
        max_length=16, choices=ProposalStatus.choices, default=ProposalStatus.PENDING, db_index=True
    )
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    resulting_case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"proposal {self.cluster_key} ({self.status})"
