"""Indicator exchange with partners: partner organisations and their tokens, TAXII collections and the STIX
objects in them, what was published from cases, partners' indicators and where they match our graph."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from investigations.models.cases import Case


class Partner(models.Model):
    """An organisation we exchange indicators with (another lab, a cloud provider, an authority)."""

    name = models.CharField(max_length=200, unique=True)
    contact = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True, help_text="An inactive partner's tokens are refused.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PartnerToken(models.Model):
    """A partner's API token for the TAXII server: only its SHA-256 digest is stored; it expires and can be
    revoked."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="tokens")
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12, help_text="The token's first characters, to tell tokens apart.")
    label = models.CharField(max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.prefix}… of {self.partner_id}"

    @property
    def is_valid(self) -> bool:
        """Neither revoked nor expired, and its partner is active."""
        return self.revoked_at is None and self.expires_at > timezone.now() and self.partner.active


class TaxiiCollection(models.Model):
    """A TAXII 2.1 collection: what partners granted on it may read (published objects) or write (their own)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    title = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class CollectionAccess(models.Model):
    """One partner's rights on one collection."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="access")
    collection = models.ForeignKey(TaxiiCollection, on_delete=models.CASCADE, related_name="access")
    can_read = models.BooleanField(default=True)
    can_write = models.BooleanField(default=False)

    class Meta:
        ordering = ["collection__title"]
        constraints = [models.UniqueConstraint(fields=["partner", "collection"], name="collection_access_once")]

    def __str__(self) -> str:
        return f"{self.partner_id} on {self.collection_id} (read {self.can_read}, write {self.can_write})"


class TlpLevel(models.TextChoices):
    """TLP 2.0 levels a publication is marked with."""

    CLEAR = "clear", "TLP:CLEAR"
    GREEN = "green", "TLP:GREEN"
    AMBER = "amber", "TLP:AMBER"
    AMBER_STRICT = "amber+strict", "TLP:AMBER+STRICT"
    RED = "red", "TLP:RED"


class Publication(models.Model):
    """A case's indicators published to collections (each publication adds new versions of its objects)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="publications")
    collections = models.ManyToManyField(TaxiiCollection, related_name="publications")
    tlp = models.CharField(max_length=16, choices=TlpLevel.choices)
    note = models.TextField(blank=True)
    objects_published = models.PositiveIntegerField(default=0)
    generation = models.PositiveIntegerField(
        default=0, help_text="Bumped after a revocation: revoked STIX ids are never reused, so new ids follow."
    )
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-published_at", "-id"]

    def __str__(self) -> str:
        return f"publication #{self.pk} of case #{self.case_id}"


class TaxiiObject(models.Model):
    """One version of one STIX object in a collection: published from a case, or sent by a partner."""

    collection = models.ForeignKey(TaxiiCollection, on_delete=models.CASCADE, related_name="stix_objects")
    stix_id = models.CharField(max_length=120, db_index=True)
    stix_type = models.CharField(max_length=64, db_index=True)
    spec_version = models.CharField(max_length=8, default="2.1")
    version = models.DateTimeField(help_text="The object's `modified` (or `created`) time.")
    date_added = models.DateTimeField(default=timezone.now, db_index=True)
    payload = models.JSONField()
    publication = models.ForeignKey(
        Publication, null=True, blank=True, on_delete=models.PROTECT, related_name="stix_objects"
    )
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    submitted_by = models.ForeignKey(
        Partner, null=True, blank=True, on_delete=models.PROTECT, related_name="submissions",
        help_text="The partner that sent it; empty for what we published.",
    )  # fmt: skip

    class Meta:
        ordering = ["date_added", "id"]
        constraints = [
            models.UniqueConstraint(fields=["collection", "stix_id", "version"], name="taxii_object_version_once")
        ]

    def __str__(self) -> str:
        return f"{self.stix_id} @ {self.version:%Y-%m-%dT%H:%M:%S.%fZ}"


class TaxiiStatus(models.Model):
    """The status resource of one POST of objects (TAXII 2.1 section 4.3)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    partner = models.ForeignKey(Partner, null=True, blank=True, on_delete=models.PROTECT, related_name="statuses")
    collection = models.ForeignKey(TaxiiCollection, on_delete=models.PROTECT, related_name="statuses")
    status = models.CharField(max_length=16, default="complete")
    request_timestamp = models.DateTimeField(default=timezone.now)
    total_count = models.PositiveIntegerField(default=0)
    success_count = models.PositiveIntegerField(default=0)
    failure_count = models.PositiveIntegerField(default=0)
    pending_count = models.PositiveIntegerField(default=0)
    successes = models.JSONField(default=list, blank=True)
    failures = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-request_timestamp"]

    def __str__(self) -> str:
        return f"status {self.id} ({self.status})"


class PartnerIndicator(models.Model):
    """The latest version of an indicator a partner shared with us (POSTed or uploaded by an admin), with what
    its pattern names that we can look for in the graph."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="indicators")
    stix_id = models.CharField(max_length=120)
    version = models.DateTimeField()
    name = models.CharField(max_length=300, blank=True)
    pattern = models.TextField()
    observables = models.JSONField(default=list, help_text="[kind, value] pairs the pattern names.")
    unsupported = models.CharField(max_length=300, blank=True, help_text="Why nothing could be matched, if so.")
    revoked = models.BooleanField(default=False)
    valid_until = models.DateTimeField(null=True, blank=True)
    payload = models.JSONField()
    imported_at = models.DateTimeField(default=timezone.now)
    matched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-imported_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["partner", "stix_id"], name="partner_indicator_once")]

    def __str__(self) -> str:
        return f"{self.stix_id} from {self.partner_id}"

    @property
    def is_active(self) -> bool:
        """Not revoked and not past its valid_until."""
        return not self.revoked and (self.valid_until is None or self.valid_until > timezone.now())


class PartnerMatch(models.Model):
    """An account of ours that holds what a partner's indicator names (an IP, a card, a template...)."""

    indicator = models.ForeignKey(PartnerIndicator, on_delete=models.CASCADE, related_name="matches")
    account_id = models.CharField(max_length=64, db_index=True)
    kind = models.CharField(max_length=32)
    value = models.CharField(max_length=320, help_text="The graph entity matched (its natural key).")
    reported = models.CharField(max_length=320, help_text="The value the partner reported.")
    distance = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Template SimHash bits apart.")
    matched_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["account_id", "kind", "value"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "account_id", "kind", "value"], name="partner_match_once")
        ]

    def __str__(self) -> str:
        return f"{self.account_id} matches {self.indicator_id} by {self.kind} {self.value}"


class PartnerAlert(models.Model):
    """An alert in the analyst queue: a partner's indicator matched accounts it had not matched before."""

    indicator = models.ForeignKey(PartnerIndicator, on_delete=models.CASCADE, related_name="alerts")
    account_ids = models.JSONField(default=list)
    cluster_keys = models.JSONField(default=list, help_text="Clusters of the latest run those accounts are in.")
    reason = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"partner match on {len(self.account_ids)} accounts ({self.indicator_id})"
