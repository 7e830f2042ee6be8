"""Which detection run a page, an API call or a command reads: the latest completed one, one named by id, and the
run a run follows. "Latest" has one meaning everywhere: the successful run that finished last."""

from __future__ import annotations

from django.db.models import QuerySet

from investigations.ids import parse_id
from investigations.models import DetectionRun, JobStatus


def latest_first(via: str = "") -> tuple[str, str]:
    """The order "the latest run" means, for runs or (with `via`, e.g. "run__") for records of a run."""
    return f"-{via}finished_at", f"-{via}pk"


def completed_runs() -> QuerySet[DetectionRun]:
    """Every run that succeeded."""
    return DetectionRun.objects.filter(status=JobStatus.SUCCEEDED)


def latest_run() -> DetectionRun | None:
    """The successful run that finished last (what the queue, the pages and the export show)."""
    return completed_runs().order_by(*latest_first()).first()


def previous_run(run: DetectionRun) -> DetectionRun | None:
    """The last successful run before `run` was created (its lineage parent)."""
    return completed_runs().filter(pk__lt=run.pk).order_by(*latest_first()).first()


def run_or_latest(run_id: int | None) -> DetectionRun | None:
    """The successful run `run_id`, or the latest one when no id is given (None when there is none)."""
    if run_id is None:
        return latest_run()
    return completed_runs().filter(pk=run_id).first()


def run_from_param(value: str | None) -> DetectionRun | None:
    """The run a `?run=` parameter names: the latest when it is empty, None when it names no successful run;
    a ValueError (its message for the person who typed it) when it is no run id at all."""
    if not value:
        return latest_run()
    run_id = parse_id(value)
    if run_id is None:
        raise ValueError(f"{value[:40]!r} is not a detection run id (a positive integer).")
    return run_or_latest(run_id)
