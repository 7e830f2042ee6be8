"""What the detection commands share: the run a command works on."""

from __future__ import annotations

from django.core.management.base import CommandError

from investigations.models import DetectionRun, JobStatus
from investigations.selectors.runs import latest_run


def succeeded_run(run_id: int | None) -> DetectionRun:
    """Run `run_id` if it succeeded, else the latest completed run; a CommandError says why there is none."""
    if run_id is not None:
        run = DetectionRun.objects.filter(pk=run_id, status=JobStatus.SUCCEEDED).first()
        if run is None:
            raise CommandError(f"no succeeded detection run #{run_id}")
        return run
    latest = latest_run()
    if latest is None:
        raise CommandError("no completed detection run yet: run `manage.py detect --wait` first")
    return latest
