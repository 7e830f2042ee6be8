"""Ingest pages (admins only): the job list with schedules, a job's report, the quarantine download, and
the forms that start a job and create, pause, resume and delete schedules."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from investigations.models import IngestJob, IngestSchedule, JobStatus
from investigations.permissions import role_required
from investigations.roles import Role
from investigations.selectors import ingest as selectors
from investigations.services import ingest as services
from investigations.services import ingest_paths as paths
from investigations.services import ingest_schedules as schedules

JOBS_SHOWN = 100


class StartJobForm(forms.Form):
    """Start an ingest of one drop folder under INGEST_ROOT."""

    drop_path = forms.CharField(max_length=500, label="Drop folder (relative to INGEST_ROOT)")
    run_detection = forms.BooleanField(required=False, label="Run detection afterwards")


class ScheduleForm(forms.Form):
    """Watch a folder under INGEST_ROOT for new drops."""

    name = forms.CharField(max_length=120)
    folder = forms.CharField(max_length=500, label="Folder (relative to INGEST_ROOT)")
    interval_minutes = forms.IntegerField(min_value=1, max_value=24 * 60, initial=15, label="Every (minutes)")
    run_detection = forms.BooleanField(required=False, label="Run detection after each ingest")


def _job(pk: int) -> IngestJob:
    try:
        return selectors.ingest_job(pk)
    except IngestJob.DoesNotExist as exc:
        raise Http404("no such ingest job") from exc


def _schedule(pk: int) -> IngestSchedule:
    try:
        return selectors.ingest_schedule(pk)
    except IngestSchedule.DoesNotExist as exc:
        raise Http404("no such schedule") from exc


@require_GET
@role_required(Role.ADMIN)
def ingest_jobs(request: HttpRequest) -> HttpResponse:
    """Jobs with status, progress, counts, durations and errors; schedules; the start and schedule forms."""
    jobs = list(selectors.ingest_jobs(limit=JOBS_SHOWN))
    context = {
        "jobs": jobs,
        "schedules": selectors.ingest_schedules(),
        "start_form": StartJobForm(),
        "schedule_form": ScheduleForm(),
        "ingest_root": paths.ingest_root(),
        "active": any(j.status in (JobStatus.QUEUED, JobStatus.RUNNING) for j in jobs),
    }
    return render(request, "frontend/ingest/jobs.html", context)


@require_GET
@role_required(Role.ADMIN)
def ingest_job(request: HttpRequest, pk: int) -> HttpResponse:
    """One job's full report: per-file counts, warnings, timings, the first quarantined rows, the error."""
    job = _job(pk)
    context = {"job": job, "report": job.report or {}, "quarantine": selectors.quarantine_preview(job)}
    return render(request, "frontend/ingest/job.html", context)


@require_GET
@role_required(Role.ADMIN)  # type: ignore[arg-type]
def ingest_job_quarantine(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    """Every quarantined row of a job as CSV (file, row, column, reason, value)."""
    job = _job(pk)
    response = StreamingHttpResponse(selectors.quarantine_chunks(job), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="ingest-{job.pk}-quarantine.csv"'
    return response


@require_POST
@role_required(Role.ADMIN)
def ingest_start(request: HttpRequest) -> HttpResponse:
    """Start a job by hand."""
    form = StartJobForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the drop folder to ingest.")
        return redirect("ingest-jobs")
    return _queue_job(
        request,
        lambda: services.start_ingest_by_hand(
            form.cleaned_data["drop_path"],
            by=request.user,  # type: ignore[arg-type]
            run_detection=form.cleaned_data["run_detection"],
        ),
    )


@require_POST
@role_required(Role.ADMIN)
def ingest_job_retry(request: HttpRequest, pk: int) -> HttpResponse:
    """Run a finished job's drop again as a new job."""
    job = _job(pk)
    return _queue_job(request, lambda: services.retry_ingest_job(job, by=request.user))  # type: ignore[arg-type]


def _queue_job(request: HttpRequest, start: Callable[[], IngestJob]) -> HttpResponse:
    """Start a job, say so (or why the path was refused) and go back to the job list."""
    try:
        job = start()
    except paths.PathRefused as exc:
        messages.error(request, f"Refused: {exc}")
        return redirect("ingest-jobs")
    messages.success(request, f"Ingest job #{job.pk} queued.")
    return redirect("ingest-jobs")


@require_POST
@role_required(Role.ADMIN)
def schedule_create(request: HttpRequest) -> HttpResponse:
    """Create a schedule watching a folder under INGEST_ROOT."""
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            "Check the schedule: "
            + "; ".join(f"{k}: {' '.join(str(e) for e in v)}" for k, v in form.errors.items()),
        )
        return redirect("ingest-jobs")
    try:
        schedule = schedules.create_schedule(**form.cleaned_data, by=request.user)  # type: ignore[arg-type]
    except (paths.PathRefused, ValueError) as exc:
        messages.error(request, f"Refused: {exc}")
        return redirect("ingest-jobs")
    messages.success(request, f"Schedule {schedule.name!r} created.")
    return redirect("ingest-jobs")


@require_POST
@role_required(Role.ADMIN)
def schedule_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    """Pause a running schedule or resume a paused one."""
    schedule = _schedule(pk)
    schedules.set_schedule_enabled(schedule, not schedule.enabled, by=request.user)  # type: ignore[arg-type]
    messages.success(request, f"Schedule {schedule.name!r} {'resumed' if schedule.enabled else 'paused'}.")
    return redirect("ingest-jobs")


@require_POST
@role_required(Role.ADMIN)
def schedule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a schedule (its jobs stay in the list)."""
    schedule = _schedule(pk)
    schedules.delete_schedule(schedule, by=request.user)  # type: ignore[arg-type]
    messages.success(request, f"Schedule {schedule.name!r} deleted.")
    return redirect("ingest-jobs")
