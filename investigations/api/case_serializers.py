"""Serializers of the cases API: input validated once here, output shapes for cases and their work items."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from rest_framework import serializers

from investigations.ids import MAX_ID
from investigations.models import (
    Attachment,
    AttachmentKind,
    AuditAction,
    AuditEvent,
    Case,
    CaseAccount,
    CaseAlert,
    CaseCluster,
    CasePriority,
    CaseStatus,
    CaseTask,
    ClusterProposal,
    Comment,
    IndicatorKind,
)

User = get_user_model()


def _username(**kwargs: Any) -> serializers.SlugRelatedField[Any]:
    return serializers.SlugRelatedField(slug_field="username", read_only=True, **kwargs)


def _username_field(**kwargs: Any) -> serializers.SlugRelatedField[Any]:
    return serializers.SlugRelatedField(slug_field="username", queryset=User.objects.filter(is_active=True), **kwargs)


# ---------------------------------------------------------------- input


class CaseFilterSerializer(serializers.Serializer[Any]):
    """Query parameters of the case list."""

    mine = serializers.BooleanField(required=False, default=False, help_text="Only cases assigned to me.")
    mentioned = serializers.BooleanField(required=False, default=False, help_text="Only cases whose comments mention me.")
    open = serializers.BooleanField(required=False, default=False, help_text="Only open, investigating or confirmed cases.")
    overdue = serializers.BooleanField(required=False, default=False, help_text="Only active cases past their due date.")
    status = serializers.ListField(child=serializers.ChoiceField(choices=CaseStatus.choices), required=False, default=list)
    priority = serializers.ListField(
        child=serializers.ChoiceField(choices=CasePriority.choices), required=False, default=list
    )
    assignee = serializers.CharField(required=False, default="", help_text="Username of the assignee.")
    tag = serializers.CharField(required=False, default="")
    q = serializers.CharField(required=False, default="", help_text="Title text, cluster key or account id.")


class AuditFilterSerializer(serializers.Serializer[Any]):
    """Query parameters of the admin audit log."""

    actor = serializers.CharField(required=False, default="", help_text="Username.")
    action = serializers.ChoiceField(choices=AuditAction.choices, required=False, default="")
    case = serializers.IntegerField(required=False, default=None, allow_null=True, min_value=1, max_value=MAX_ID)
    since = serializers.DateField(required=False, default=None, allow_null=True, help_text="From this day (UTC).")
    until = serializers.DateField(required=False, default=None, allow_null=True, help_text="Up to this day (UTC).")


class CaseOpenSerializer(serializers.Serializer[Any]):
    """Open a case from clusters (by id, any run) and/or accounts."""

    title = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    description = serializers.CharField(required=False, default="", allow_blank=True)
    priority = serializers.ChoiceField(choices=CasePriority.choices, default=CasePriority.MEDIUM)
    assignee = _username_field(required=False, allow_null=True, default=None)
    due_date = serializers.DateField(required=False, allow_null=True, default=None)
    tags = serializers.ListField(child=serializers.CharField(max_length=40), required=False, default=list)
    cluster_ids = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=MAX_ID), required=False, default=list)
    account_ids = serializers.ListField(child=serializers.CharField(max_length=64), required=False, default=list)


class CaseUpdateSerializer(serializers.Serializer[Any]):
    """Change a case's details (only the fields given)."""

    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    priority = serializers.ChoiceField(choices=CasePriority.choices, required=False)
    due_date = serializers.DateField(required=False, allow_null=True)
    tags = serializers.ListField(child=serializers.CharField(max_length=40), required=False)


class TransitionSerializer(serializers.Serializer[Any]):
    """Move a case to another status; `actioned_accounts` (default: all not yet actioned) when moving to actioned."""

    status = serializers.CharField(help_text="Target status: " + ", ".join(CaseStatus.values))
    reason = serializers.CharField(required=False, default="", allow_blank=True)
    actioned_accounts = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, allow_null=True, default=None
    )


class AssignSerializer(serializers.Serializer[Any]):
    """Give a case to a user (null: unassign)."""

    assignee = _username_field(allow_null=True)


class BulkAssignSerializer(serializers.Serializer[Any]):
    """Give several cases to a user."""

    cases = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=MAX_ID), min_length=1)
    assignee = _username_field(allow_null=True)


class AddClusterSerializer(serializers.Serializer[Any]):
    """Add a cluster (by id) to a case, freezing its evidence."""

    cluster_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)


class AccountIdsSerializer(serializers.Serializer[Any]):
    """A list of account ids."""

    account_ids = serializers.ListField(child=serializers.CharField(max_length=64), min_length=1)


class CommentInSerializer(serializers.Serializer[Any]):
    """A new comment; @username mentions are recognised."""

    body = serializers.CharField(max_length=20_000)


class TaskInSerializer(serializers.Serializer[Any]):
    """A new task."""

    title = serializers.CharField(max_length=200)
    assignee = _username_field(required=False, allow_null=True, default=None)
    due_date = serializers.DateField(required=False, allow_null=True, default=None)


class TaskUpdateSerializer(serializers.Serializer[Any]):
    """Change a task (only the fields given)."""

    done = serializers.BooleanField(required=False)
    title = serializers.CharField(max_length=200, required=False)
    assignee = _username_field(required=False, allow_null=True)


class AttachmentInSerializer(serializers.Serializer[Any]):
    """A finding: a note (text), a Plotly figure (text: its JSON) or a file (multipart upload)."""

    kind = serializers.ChoiceField(choices=AttachmentKind.choices)
    title = serializers.CharField(max_length=200)
    text = serializers.CharField(required=False, default="", allow_blank=True)
    file = serializers.FileField(required=False, allow_null=True, default=None)


class AcknowledgeSerializer(serializers.Serializer[Any]):
    """Acknowledge a regrowth alert, optionally freezing its new accounts into the case."""

    add_accounts = serializers.BooleanField(required=False, default=False)


class ProposalInSerializer(serializers.Serializer[Any]):
    """Propose a cluster for a case (omit `case` to propose a new case)."""

    cluster_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    case = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1, max_value=MAX_ID)
    note = serializers.CharField(required=False, default="", allow_blank=True)


class DecisionSerializer(serializers.Serializer[Any]):
    """Accept or decline a proposal."""

    accept = serializers.BooleanField()
    title = serializers.CharField(required=False, default="", allow_blank=True, help_text="Title of a new case.")


# ---------------------------------------------------------------- output


class CaseSerializer(serializers.ModelSerializer[Case]):
    """A case as listed."""

    assignee = _username()
    created_by = _username()
    overdue = serializers.BooleanField(source="is_overdue", read_only=True)
    cluster_keys = serializers.SerializerMethodField()
    accounts = serializers.IntegerField(source="n_accounts", read_only=True, default=0)
    open_alerts = serializers.IntegerField(source="n_open_alerts", read_only=True, default=0)
    allowed_transitions = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "id", "title", "description", "status", "priority", "assignee", "due_date", "overdue", "tags",
            "created_by", "created_at", "updated_at", "actioned_at", "closed_at", "cluster_keys", "accounts",
            "open_alerts", "allowed_transitions",
        ]  # fmt: skip
        read_only_fields = fields

    def get_cluster_keys(self, case: Case) -> list[str]:
        """Stable keys of the case's clusters."""
        return [cc.cluster_key for cc in case.case_clusters.all()]

    def get_allowed_transitions(self, case: Case) -> list[str]:
        """Statuses the case may move to next."""
        return [s.value for s in case.allowed_transitions()]


class CaseClusterSerializer(serializers.ModelSerializer[CaseCluster]):
    """A cluster of a case with its frozen snapshot."""

    added_by = _username()

    class Meta:
        model = CaseCluster
        fields = ["cluster_key", "cluster", "run", "snapshot_at", "added_by", "snapshot"]
        read_only_fields = fields


class ClusterChangeSerializer(serializers.Serializer[Any]):
    """How a case cluster differs now from its snapshot."""

    cluster_key = serializers.CharField()
    snapshot_run_id = serializers.IntegerField(allow_null=True)
    current_run_id = serializers.IntegerField(allow_null=True)
    snapshot_score = serializers.FloatField(allow_null=True)
    current_score = serializers.FloatField(allow_null=True)
    new_members = serializers.ListField(child=serializers.CharField())
    departed_members = serializers.ListField(child=serializers.CharField())


class StatusChangeSerializer(serializers.Serializer[Any]):
    """An account whose enforcement status changed since it was frozen."""

    account_id = serializers.CharField()
    before = serializers.CharField()
    now = serializers.CharField()
    changed_at = serializers.CharField()


class CaseChangesSerializer(serializers.Serializer[Any]):
    """Everything that changed since the evidence was frozen."""

    clusters = ClusterChangeSerializer(many=True)
    statuses = StatusChangeSerializer(many=True)
    graph_error = serializers.CharField()


class CaseAlertSerializer(serializers.ModelSerializer[CaseAlert]):
    """A regrowth alert on a case."""

    acknowledged_by = _username()

    class Meta:
        model = CaseAlert
        fields = ["id", "cluster_key", "run", "account_ids", "reason", "created_at", "acknowledged_by", "acknowledged_at"]
        read_only_fields = fields


class ProposalSerializer(serializers.ModelSerializer[ClusterProposal]):
    """An analyst's proposal of a cluster for a case."""

    proposed_by = _username()
    decided_by = _username()

    class Meta:
        model = ClusterProposal
        fields = [
            "id", "cluster", "cluster_key", "case", "note", "status", "proposed_by", "created_at", "decided_by",
            "decided_at", "resulting_case",
        ]  # fmt: skip
        read_only_fields = fields


class CaseDetailSerializer(serializers.Serializer[Any]):
    """A case with its frozen clusters, what changed since, alerts and pending proposals."""

    case = CaseSerializer()
    clusters = CaseClusterSerializer(many=True)
    changes = CaseChangesSerializer()
    alerts = CaseAlertSerializer(many=True)
    proposals = ProposalSerializer(many=True)
    indicator_count = serializers.SerializerMethodField()

    def get_indicator_count(self, view: Any) -> int:
        """How many indicators the case holds."""
        return len(view.indicators)


class CaseAccountSerializer(serializers.ModelSerializer[CaseAccount]):
    """An account of a case, as frozen, and whether it was actioned."""

    actioned_by = _username()

    class Meta:
        model = CaseAccount
        fields = ["account_id", "cluster_key", "added_at", "snapshot", "actioned_at", "actioned_by"]
        read_only_fields = fields


class IndicatorSerializer(serializers.Serializer[Any]):
    """One indicator the case holds (from its frozen evidence)."""

    kind = serializers.ChoiceField(choices=IndicatorKind.choices)
    value = serializers.CharField()
    template_id = serializers.CharField()
    accounts = serializers.ListField(child=serializers.CharField())
    accounts_total = serializers.IntegerField()
    specificity = serializers.FloatField()
    sources = serializers.ListField(child=serializers.CharField())
    first_frozen_at = serializers.CharField()


class CommentSerializer(serializers.ModelSerializer[Comment]):
    """A comment and the users it mentions."""

    author = _username()
    mentions = _username(many=True)

    class Meta:
        model = Comment
        fields = ["id", "author", "body", "mentions", "created_at"]
        read_only_fields = fields


class TaskSerializer(serializers.ModelSerializer[CaseTask]):
    """A task on a case."""

    assignee = _username()
    created_by = _username()

    class Meta:
        model = CaseTask
        fields = ["id", "title", "assignee", "due_date", "done", "created_by", "created_at", "completed_at"]
        read_only_fields = fields


class AttachmentSerializer(serializers.ModelSerializer[Attachment]):
    """A finding attached to a case (files are downloaded through their own endpoint)."""

    added_by = _username()
    has_file = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "kind", "title", "text", "has_file", "content_type", "size", "added_by", "created_at"]
        read_only_fields = fields

    def get_has_file(self, attachment: Attachment) -> bool:
        """Whether a file can be downloaded."""
        return bool(attachment.file)


class AuditEventSerializer(serializers.ModelSerializer[AuditEvent]):
    """One audit event: who, when, what, before and after."""

    actor = _username()

    class Meta:
        model = AuditEvent
        fields = ["id", "case", "actor", "action", "summary", "before", "after", "created_at"]
        read_only_fields = fields


class CountSerializer(serializers.Serializer[Any]):
    """How many items a bulk request changed."""

    changed = serializers.IntegerField()


class AccountListSerializer(serializers.Serializer[Any]):
    """Account ids a request acted on."""

    accounts = serializers.ListField(child=serializers.CharField())
