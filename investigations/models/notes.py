"""Analyst annotations on clusters and accounts."""

from django.conf import settings
from django.db import models


class AnnotationTarget(models.TextChoices):
    """What an annotation is about."""

    CLUSTER = "cluster", "Cluster"
    ACCOUNT = "account", "Account"


class AnnotationLabel(models.TextChoices):
    """An analyst's verdict; counted as feedback by `evaluate`."""

    CONFIRMED_CAMPAIGN = "confirmed_campaign", "Confirmed campaign"
    BENIGN = "benign", "Benign"
    NEEDS_REVIEW = "needs_review", "Needs review"


class Annotation(models.Model):
    """A label, note and tags an analyst put on a cluster (by stable key) or an account."""

    target = models.CharField(max_length=16, choices=AnnotationTarget.choices)
    target_id = models.CharField(max_length=64, db_index=True, help_text="Cluster key or account id.")
    label = models.CharField(max_length=32, choices=AnnotationLabel.choices, blank=True)
    note = models.TextField(blank=True)
    tags = models.JSONField(default=list, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="annotations")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["target", "target_id"])]

    def __str__(self) -> str:
        return f"{self.target} {self.target_id}: {self.label or 'note'}"
