"""Forms of the case pages: input validated here, once, then handed to a service or selector."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from investigations.ids import MAX_ID, parse_id
from investigations.models import AttachmentKind, AuditAction, Case, CasePriority, CaseStatus
from investigations.selectors.cases import AuditFilters, CaseFilters, assignable_users

_SPLIT = re.compile(r"[\s,;]+")
DATE = forms.DateInput(attrs={"type": "date"})


def split_list(text: str) -> list[str]:
    """Items of a comma-, space- or newline-separated list."""
    return [item for item in _SPLIT.split(text or "") if item]


class UserChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A user picked by username."""

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.get_username())


def _users(**kwargs: Any) -> UserChoiceField:
    return UserChoiceField(queryset=assignable_users(), to_field_name="username", **kwargs)


class CaseFilterForm(forms.Form):
    """Filters of the case list (GET parameters)."""

    mine = forms.BooleanField(required=False, label="Assigned to me")
    mentioned = forms.BooleanField(required=False, label="Mentioning me")
    open = forms.BooleanField(required=False, label="Open only")
    overdue = forms.BooleanField(required=False, label="Overdue")
    status = forms.ChoiceField(required=False, choices=[("", "any status"), *CaseStatus.choices])
    priority = forms.ChoiceField(required=False, choices=[("", "any priority"), *CasePriority.choices])
    q = forms.CharField(required=False, max_length=100, label="Title, cluster or account")

    def to_filters(self) -> CaseFilters:
        """The valid filters (invalid fields are ignored so a bad link still shows the list)."""
        self.is_valid()
        data = self.cleaned_data
        return CaseFilters(
            mine=bool(data.get("mine")),
            mentioned=bool(data.get("mentioned")),
            open=bool(data.get("open")),
            overdue=bool(data.get("overdue")),
            status=(data["status"],) if data.get("status") else (),
            priority=(data["priority"],) if data.get("priority") else (),
            q=(data.get("q") or "").strip(),
        )


class OpenCaseForm(forms.Form):
    """Open a case from clusters (ids of any run) and/or account ids."""

    title = forms.CharField(max_length=200, required=False, help_text="Defaults to the cluster key.")
    priority = forms.ChoiceField(choices=CasePriority.choices, initial=CasePriority.MEDIUM)
    assignee = _users(required=False, empty_label="— unassigned —")
    due_date = forms.DateField(required=False, widget=DATE)
    tags = forms.CharField(required=False, max_length=400, help_text="Comma-separated.")
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    clusters = forms.TypedMultipleChoiceField(coerce=int, required=False, widget=forms.CheckboxSelectMultiple)
    accounts = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Account ids")

    def __init__(
        self, *args: Any, cluster_choices: list[tuple[int, str]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["clusters"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        field.choices = cluster_choices or []

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("clusters") and not split_list(data.get("accounts", "")):
            raise forms.ValidationError("Choose at least one cluster or give at least one account id.")
        return data


class CaseChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A case picked from a list, shown with its number, title and status."""

    def label_from_instance(self, obj: Any) -> str:
        return f"#{obj.pk} {obj.title} ({obj.get_status_display().lower()})"


class PickCaseForm(forms.Form):
    """Choose a case to add a cluster or accounts to."""

    case = CaseChoiceField(queryset=Case.objects.none(), empty_label=None)

    def __init__(self, *args: Any, cases: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["case"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = cases if cases is not None else Case.objects.none()


class ProposalForm(PickCaseForm):
    """Propose a cluster for an existing case or a new one."""

    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["case"]
        assert isinstance(field, forms.ModelChoiceField)
        field.required = False
        field.empty_label = "— a new case —"


class TransitionForm(forms.Form):
    """Move a case to another status."""

    status = forms.ChoiceField(choices=CaseStatus.choices)
    reason = forms.CharField(required=False, max_length=2000)
    actioned_accounts = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def accounts(self) -> list[str] | None:
        """The accounts to record as actioned (None: every account not yet actioned)."""
        items = split_list(self.cleaned_data.get("actioned_accounts", ""))
        return items or None


class AssignForm(forms.Form):
    """Give a case (or several) to someone, or to nobody."""

    assignee = _users(required=False, empty_label="— unassigned —")


class _CaseChoices(forms.ModelMultipleChoiceField):
    """Ticked cases by id; a value that is no case id is "not a case", never a database error."""

    def clean(self, value: Any) -> Any:
        for item in value or []:
            if parse_id(item) is None:
                raise forms.ValidationError(f"{str(item)[:40]!r} is not a case.", code="invalid_pk_value")
        return super().clean(value)


class BulkAssignForm(AssignForm):
    """Give the ticked cases to someone."""

    cases = _CaseChoices(queryset=Case.objects.all(), error_messages={"required": "Tick at least one case."})


class DetailsForm(forms.Form):
    """A case's title, priority, due date, tags and description."""

    title = forms.CharField(max_length=200)
    priority = forms.ChoiceField(choices=CasePriority.choices)
    due_date = forms.DateField(required=False, widget=DATE)
    tags = forms.CharField(required=False, max_length=400)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def changes(self) -> dict[str, Any]:
        """The cleaned values in the shape `update_case` takes."""
        data = dict(self.cleaned_data)
        data["tags"] = split_list(data.get("tags", "").replace(" ", ","))
        return data


class CommentForm(forms.Form):
    """A comment; @username mentions are recognised."""

    body = forms.CharField(max_length=20_000, widget=forms.Textarea(attrs={"rows": 3}))


class TaskForm(forms.Form):
    """A new task."""

    title = forms.CharField(max_length=200)
    assignee = _users(required=False, empty_label="— nobody —")
    due_date = forms.DateField(required=False, widget=DATE)


class TaskDoneForm(forms.Form):
    """Mark a task done or not done."""

    done = forms.BooleanField(required=False)


class AttachmentForm(forms.Form):
    """A finding: a note, a Plotly figure's JSON or a file."""

    kind = forms.ChoiceField(choices=AttachmentKind.choices)
    title = forms.CharField(max_length=200)
    text = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    file = forms.FileField(required=False)


class AcknowledgeForm(forms.Form):
    """Acknowledge a regrowth alert."""

    add_accounts = forms.BooleanField(required=False, label="Also freeze the new accounts into the case")


class DecisionForm(forms.Form):
    """Accept or decline a proposal."""

    accept = forms.TypedChoiceField(coerce=lambda v: v == "1", choices=[("1", "accept"), ("0", "decline")])


class AuditFilterForm(forms.Form):
    """Filters of the admin audit log (GET parameters)."""

    actor = forms.CharField(required=False, max_length=150)
    action = forms.ChoiceField(required=False, choices=[("", "any action"), *AuditAction.choices])
    case = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    since = forms.DateField(required=False, widget=DATE)
    until = forms.DateField(required=False, widget=DATE)

    def to_filters(self) -> AuditFilters:
        """The valid filters."""
        self.is_valid()
        data = self.cleaned_data
        return AuditFilters(
            actor=(data.get("actor") or "").strip(),
            action=data.get("action") or "",
            case=data.get("case"),
            since=data.get("since"),
            until=data.get("until"),
        )
