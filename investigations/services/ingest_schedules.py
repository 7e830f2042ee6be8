"""Ingest schedules: a folder under INGEST_ROOT watched by a celery-beat task; each new drop in it (recognised by
its content, not its name) is ingested once, optionally followed by a detection run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from graph.drop import DropRejected, locate_drop
from graph.ingest import drop_fingerprint
from investigations.celery import app as celery_app
from investigations.models import AuditAction, IngestJob, IngestSchedule
from investigations.queues import Queue
from investigations.services.audit import record_audit
from investigations.services.ingest import SCAN_FOLDER_TASK, SETTLE_SECONDS, create_ingest_job
from investigations.services.ingest_paths import PathRefused, relative_to_root, resolve_drop_path


class ScheduleInvalid(ValueError):
    """A schedule's field is wrong (`field` names it)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def create_schedule(
    *,
    name: str,
    folder: str,
    interval_minutes: int,
    run_detection: bool,
    by: User | None,
) -> IngestSchedule:
    """Create an enabled schedule for a folder under INGEST_ROOT and its celery-beat periodic task."""
    name = name.strip()
    if not name:
        raise ScheduleInvalid("name", "give the schedule a name")
    if interval_minutes < 1:
        raise ScheduleInvalid("interval_minutes", "the interval must be at least one minute")
    if IngestSchedule.objects.filter(name=name).exists():
        raise ScheduleInvalid("name", f"a schedule named {name!r} already exists")
    path = resolve_drop_path(folder)
    with transaction.atomic():
        schedule = IngestSchedule.objects.create(
            name=name,
            folder=relative_to_root(path),
            interval_minutes=interval_minutes,
            run_detection=run_detection,
            created_by=by,
        )
        interval, _ = IntervalSchedule.objects.get_or_create(
            every=interval_minutes, period=IntervalSchedule.MINUTES
        )
        schedule.periodic_task = PeriodicTask.objects.create(
            name=f"ingest schedule {schedule.pk}: {schedule.name}"[:200],
            task=SCAN_FOLDER_TASK,
            interval=interval,
            args=f"[{schedule.pk}]",
            queue=Queue.INGEST.value,
            enabled=True,
        )
        schedule.save(update_fields=["periodic_task"])
        record_audit(None, by, AuditAction.SCHEDULE_CREATED, f"ingest schedule {schedule.name!r} created", after=_state(schedule))
    transaction.on_commit(
        lambda: celery_app.send_task(SCAN_FOLDER_TASK, args=[schedule.pk], queue=Queue.INGEST)
    )
    return schedule


def _state(schedule: IngestSchedule) -> dict[str, Any]:
    return {"schedule": schedule.pk, "name": schedule.name, "folder": schedule.folder, "enabled": schedule.enabled,
            "interval_minutes": schedule.interval_minutes, "run_detection": schedule.run_detection}  # fmt: skip


def set_schedule_enabled(schedule: IngestSchedule, enabled: bool, *, by: User | None = None) -> IngestSchedule:
    """Pause or resume a schedule (and its periodic task); recorded in the audit log."""
    with transaction.atomic():
        before = _state(schedule)
        schedule.enabled = enabled
        schedule.save(update_fields=["enabled"])
        if schedule.periodic_task is not None:
            schedule.periodic_task.enabled = enabled
            schedule.periodic_task.save(update_fields=["enabled"])
        verb = "resumed" if enabled else "paused"
        record_audit(None, by, AuditAction.SCHEDULE_CHANGED, f"ingest schedule {schedule.name!r} {verb}",
                     before=before, after=_state(schedule))  # fmt: skip
    return schedule


def delete_schedule(schedule: IngestSchedule, *, by: User | None = None) -> None:
    """Delete a schedule and its periodic task; its jobs stay; recorded in the audit log."""
    with transaction.atomic():
        record_audit(None, by, AuditAction.SCHEDULE_DELETED, f"ingest schedule {schedule.name!r} deleted",
                     before=_state(schedule))  # fmt: skip
        if schedule.periodic_task is not None:
            schedule.periodic_task.delete()
        schedule.delete()


def _signature(drop: Path) -> str:
    stats = [p.stat() for p in sorted(drop.iterdir()) if p.is_file()]
    return ";".join(f"{s.st_size}:{s.st_mtime_ns}" for s in stats)


def _settled(drop: Path) -> bool:
    newest = max((p.stat().st_mtime for p in drop.iterdir() if p.is_file()), default=0.0)
    return timezone.now().timestamp() - newest >= SETTLE_SECONDS


def scan_schedule_folder(schedule_id: int) -> list[int]:
    """Look for new drops (sub-folders with the contract's files) in the schedule's folder and start one job
    per drop content never claimed before; returns the new job ids."""
    schedule = IngestSchedule.objects.filter(pk=schedule_id).first()
    if schedule is None or not schedule.enabled:
        return []
    started: list[int] = []
    try:
        folder = resolve_drop_path(schedule.folder)
        seen = dict(schedule.seen)
        for candidate in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
            started.extend(_consider(schedule, candidate, seen))
        schedule.seen = seen
        schedule.last_error = ""
    except (OSError, PathRefused) as exc:
        schedule.last_error = str(exc)
    schedule.last_checked_at = timezone.now()
    schedule.save(update_fields=["seen", "last_error", "last_checked_at"])
    return started


def _consider(schedule: IngestSchedule, candidate: Path, seen: dict[str, Any]) -> list[int]:
    try:
        resolved = resolve_drop_path(candidate)  # a symlinked folder leading out of INGEST_ROOT is refused
        locate_drop(resolved)
    except (PathRefused, DropRejected):
        return []
    if not _settled(resolved):
        return []
    signature = _signature(resolved)
    known = seen.get(candidate.name)
    if known and known.get("signature") == signature and known.get("claimed"):
        return []
    fingerprint = drop_fingerprint(resolved)
    seen[candidate.name] = {"signature": signature, "fingerprint": fingerprint, "claimed": True}
    if IngestJob.objects.filter(claim=fingerprint).exists():
        return []
    try:
        with transaction.atomic():
            job = create_ingest_job(
                resolved,
                source=IngestJob.Source.SCHEDULE,
                schedule=schedule,
                run_detection=schedule.run_detection,
                by=schedule.created_by,
                fingerprint=fingerprint,
                claim=fingerprint,
            )
    except IntegrityError:  # another scan claimed the same content a moment ago
        return []
    return [job.pk]
