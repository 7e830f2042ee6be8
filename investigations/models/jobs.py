"""Long-running work the UI can poll: ingest jobs and the schedules that start them."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class JobStatus(models.TextChoices):
    """Where a job or run stands."""

    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    REJECTED = "rejected", "Rejected"


FINAL_STATUSES = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.REJECTED)


class IngestSchedule(models.Model):
    """A folder under INGEST_ROOT watched by Celery beat; each new drop in it is ingested once."""

    name = models.CharField(max_length=120, unique=True)
    folder = models.CharField(max_length=500, help_text="Path relative to INGEST_ROOT.")
    interval_minutes = models.PositiveIntegerField(default=15)
    enabled = models.BooleanField(default=True)
    run_detection = models.BooleanField(default=False, help_text="Start a detection run after each ingest.")
    periodic_task = models.OneToOneField(
        "django_celery_beat.PeriodicTask", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, help_text="Why the last scan of the folder failed, if it did.")
    seen = models.JSONField(
        default=dict,
        blank=True,
        help_text="Drop folder name -> size/mtime signature and content fingerprint.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class IngestJob(models.Model):
    """One ingest of one drop: status, progress, per-file counts, quarantine, timings and errors."""

    class Source(models.TextChoices):
        """What started the job."""

        MANUAL = "manual", "Started by hand"
        COMMAND = "command", "Command line"
        SCHEDULE = "schedule", "Schedule"

    drop_path = models.CharField(max_length=1000)
    drop_fingerprint = models.CharField(max_length=64, blank=True, db_index=True)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.MANUAL)
    schedule = models.ForeignKey(
        IngestSchedule, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    run_detection = models.BooleanField(default=False)
    status = models.CharField(
        max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED, db_index=True
    )
    stage = models.CharField(max_length=64, blank=True)
    progress = models.FloatField(default=0.0, help_text="0 to 1.")
    counts = models.JSONField(
        default=dict, blank=True, help_text="Per file: read, loaded, quarantined, duplicates."
    )
    warnings = models.JSONField(default=list, blank=True)
    timings = models.JSONField(default=dict, blank=True, help_text="Seconds per stage.")
    checkpoint = models.JSONField(
        default=dict, blank=True, help_text="Batches already committed, for retries."
    )
    quarantine_path = models.CharField(max_length=1000, blank=True)
    quarantined_total = models.PositiveBigIntegerField(default=0)
    error = models.TextField(blank=True)
    report = models.JSONField(
        default=dict, blank=True, help_text="The full ingest report (or the rejection)."
    )
    attempts = models.PositiveIntegerField(default=0)
    celery_task_id = models.CharField(max_length=64, blank=True)
    claim = models.CharField(
        max_length=64, null=True, blank=True, unique=True, help_text="Drop fingerprint claimed by a schedule."
    )
    detection_run = models.ForeignKey(
        "investigations.DetectionRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Last sign of life of the running task."
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"ingest #{self.pk} {self.drop_path} ({self.status})"

    @property
    def is_finished(self) -> bool:
        """Whether the job has reached a final status."""
        return self.status in FINAL_STATUSES

    @property
    def duration_seconds(self) -> float | None:
        """Wall time of the job so far, or in total once finished."""
        if self.started_at is None:
            return None
        end = self.finished_at or timezone.now()
        return (end - self.started_at).total_seconds()
