"""Forms of the partner pages and of publishing a case: input validated here, once, then handed to a service."""

from __future__ import annotations

from django import forms

from investigations.models import TaxiiCollection, TlpLevel


class PartnerForm(forms.Form):
    """A new partner organisation."""

    name = forms.CharField(max_length=200)
    contact = forms.CharField(max_length=200, required=False)


class CollectionForm(forms.Form):
    """A new TAXII collection."""

    title = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class TokenForm(forms.Form):
    """A new partner token."""

    label = forms.CharField(max_length=100, required=False)
    days = forms.IntegerField(min_value=1, max_value=3650, required=False, label="Valid for (days)")


class AccessForm(forms.Form):
    """A partner's rights on one collection (neither box: no access)."""

    collection = forms.ModelChoiceField(queryset=TaxiiCollection.objects.order_by("title"))
    can_read = forms.BooleanField(required=False, label="Read")
    can_write = forms.BooleanField(required=False, label="Write")


class ActiveForm(forms.Form):
    """Suspend a partner or let it back in."""

    active = forms.BooleanField(required=False)


class UploadForm(forms.Form):
    """A STIX 2.1 bundle a partner sent us another way."""

    bundle = forms.FileField()


class PublishForm(forms.Form):
    """Publishing a case's indicators to partners."""

    collections = forms.ModelMultipleChoiceField(queryset=TaxiiCollection.objects.order_by("title"))
    tlp = forms.ChoiceField(choices=TlpLevel.choices, initial=TlpLevel.AMBER, label="TLP 2.0 marking")
    note = forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))
