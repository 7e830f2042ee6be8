"""Forms of the analyst workspace: queue filters, annotations, search (input validated here, once)."""

from __future__ import annotations

from typing import Any

from django import forms

from investigations.models import AnnotationLabel, AnnotationTarget
from investigations.selectors.queue import ClusterStatus, QueueFilters, QueueSort, queue_capabilities


class QueueFilterForm(forms.Form):
    """Filters and sort order of the cluster queue (GET parameters)."""

    min_score = forms.FloatField(required=False, min_value=0, max_value=1, label="Score from")
    max_score = forms.FloatField(required=False, min_value=0, max_value=1, label="to")
    min_size = forms.IntegerField(required=False, min_value=0, label="Size from")
    max_size = forms.IntegerField(required=False, min_value=0, label="to")
    signal = forms.ChoiceField(required=False, label="Signal")
    status = forms.ChoiceField(
        required=False, choices=[("", "any status"), *ClusterStatus.choices], label="Status"
    )
    capability = forms.ChoiceField(required=False, label="Capability")
    unflagged = forms.BooleanField(required=False, label="Show unflagged clusters too")
    sort = forms.ChoiceField(required=False, choices=QueueSort.choices, label="Sort")

    def __init__(self, *args: Any, signals: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        signal_field = self.fields["signal"]
        assert isinstance(signal_field, forms.ChoiceField)
        signal_field.choices = [("", "any signal"), *((s, s.replace("_", " ")) for s in signals or [])]
        capability_field = self.fields["capability"]
        assert isinstance(capability_field, forms.ChoiceField)
        capability_field.choices = [("", "any capability"), *queue_capabilities()]

    def to_filters(self) -> QueueFilters:
        """The validated filters (invalid fields are ignored, so a bad link still shows the queue)."""
        self.is_valid()  # fills cleaned_data with the fields that are valid
        data = self.cleaned_data
        return QueueFilters(
            min_score=data.get("min_score"),
            max_score=data.get("max_score"),
            min_size=data.get("min_size"),
            max_size=data.get("max_size"),
            signal=data.get("signal") or "",
            status=data.get("status") or "",
            capability=data.get("capability") or "",
            include_unflagged=bool(data.get("unflagged")),
            sort=data.get("sort") or QueueSort.SCORE,
        )


class AnnotationForm(forms.Form):
    """An analyst's label, note and tags on a cluster or an account."""

    target = forms.ChoiceField(choices=AnnotationTarget.choices, widget=forms.HiddenInput)
    target_id = forms.CharField(max_length=64, widget=forms.HiddenInput)
    label = forms.ChoiceField(required=False, choices=[("", "— no label —"), *AnnotationLabel.choices])
    note = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3, "placeholder": "What you saw"})
    )
    tags = forms.CharField(
        required=False,
        max_length=900,
        widget=forms.TextInput(attrs={"placeholder": "comma, separated, tags"}),
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class SearchForm(forms.Form):
    """The search box."""

    q = forms.CharField(max_length=300, required=False, label="Search")
