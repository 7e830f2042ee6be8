"""Detection runs, the clusters they find, their members, and regrowth alerts."""

from django.conf import settings
from django.db import models

from investigations.models.jobs import JobStatus


class DetectionRun(models.Model):
    """One detection pass over the whole graph: linkage, communities, features, scores, lineage."""

    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED, db_index=True)
    stage = models.CharField(max_length=64, blank=True)
    progress = models.FloatField(default=0.0)
    params = models.JSONField(default=dict, blank=True)
    stats = models.JSONField(default=dict, blank=True, help_text="Accounts, links, communities, flagged.")
    timings = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    celery_task_id = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    data_as_of = models.DateTimeField(
        null=True, blank=True, help_text="The latest time in any drop ingested before the run started."
    )
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="Renewed while a worker runs it.")
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"detection run #{self.pk} ({self.status})"


class Cluster(models.Model):
    """A community found by one run, scored and explained; `key` stays the same across runs (lineage)."""

    run = models.ForeignKey(DetectionRun, on_delete=models.CASCADE, related_name="clusters")
    key = models.CharField(max_length=32, db_index=True, help_text="Stable id across runs, e.g. C-000042.")
    size = models.PositiveIntegerField()
    score = models.FloatField(db_index=True, help_text="Risk score in [0, 1].")
    flagged = models.BooleanField(default=False, db_index=True)
    exchanges = models.PositiveBigIntegerField(default=0)
    features = models.JSONField(default=dict, blank=True)
    explanation = models.JSONField(default=list, blank=True, help_text="Per signal: contribution and evidence.")
    top_signals = models.JSONField(default=list, blank=True)
    lineage = models.JSONField(default=dict, blank=True, help_text="Predecessor keys, split/merge, carried share.")
    new_members = models.PositiveIntegerField(default=0, help_text="Members that were not in it last run.")
    dominant_capability = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["-score", "-size"]
        constraints = [models.UniqueConstraint(fields=["run", "key"], name="cluster_key_unique_per_run")]

    def __str__(self) -> str:
        return f"{self.key} (run {self.run_id}, score {self.score:.2f})"


class ClusterMember(models.Model):
    """An account's membership in a cluster of one run."""

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="members")
    account_id = models.CharField(max_length=64, db_index=True)
    is_new = models.BooleanField(default=False)
    exchanges = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["cluster", "account_id"], name="member_unique_per_cluster")]

    def __str__(self) -> str:
        return f"{self.account_id} in {self.cluster.key}"


class RegrowthAlert(models.Model):
    """New accounts joined a cluster that is under a case or was actioned: hydra regrowth or ban evasion."""

    run = models.ForeignKey(DetectionRun, on_delete=models.CASCADE, related_name="alerts")
    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="alerts")
    cluster_key = models.CharField(max_length=32, db_index=True)
    account_ids = models.JSONField(default=list)
    reason = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"regrowth in {self.cluster_key}: {len(self.account_ids)} new"


class FirstFlag(models.Model):
    """When an account was first put in front of analysts: the first run that placed it in a flagged cluster. Its
    time-to-detect runs from its first exchange to that run's data horizon (`data_as_of`); an account flagged
    before its first exchange (a replacement tied to its cluster at sign-up) was detected at once."""

    account_id = models.CharField(max_length=64, unique=True)
    run = models.ForeignKey(DetectionRun, on_delete=models.CASCADE, related_name="first_flags")
    cluster_key = models.CharField(max_length=32)
    first_seen = models.DateTimeField(null=True, blank=True, help_text="The account's first exchange, if any yet.")
    data_as_of = models.DateTimeField(null=True, blank=True, help_text="The flagging run's data horizon.")

    def __str__(self) -> str:
        return f"{self.account_id} first flagged in run #{self.run_id} ({self.cluster_key})"
