"""`manage.py detect [--wait]`: start a detection run on the Celery `detection` queue, optionally follow it."""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from investigations.models import DetectionRun, JobStatus
from investigations.services.detection import start_detection


class Command(BaseCommand):
    help = (
        "Start a detection run (linkage, GDS communities, features, explained scores, lineage) as a Celery task. "
        "With --wait, print its progress and exit non-zero if it fails."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--wait", action="store_true", help="follow the run until it finishes")
        parser.add_argument("--params", default="", help='JSON object of detection parameters, e.g. {"leiden_gamma": 1.5}')
        parser.add_argument("--timeout", type=float, default=3600.0, help="seconds to wait with --wait (default 3600)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            params = json.loads(options["params"]) if options["params"] else None
        except json.JSONDecodeError as exc:
            raise CommandError(f"--params is not valid JSON: {exc}") from exc
        if params is not None and not isinstance(params, dict):
            raise CommandError("--params must be a JSON object")
        try:
            run = start_detection(params=params)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"detection run #{run.pk} queued")
        if options["wait"]:
            self._follow(run.pk, options["timeout"])

    def _follow(self, run_id: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        shown = ("", -1.0)
        queued_since = time.monotonic()
        while True:
            run = DetectionRun.objects.get(pk=run_id)
            now = (run.stage, round(run.progress, 2))
            if now != shown:
                self.stdout.write(f"[{run.status}] {100 * run.progress:5.1f}%  {run.stage}")
                shown = now
            if run.status == JobStatus.SUCCEEDED:
                self._summary(run)
                return
            if run.status == JobStatus.FAILED:
                raise CommandError(f"detection run #{run.pk} failed: {run.error.splitlines()[0] if run.error else '?'}")
            if run.status == JobStatus.QUEUED and time.monotonic() - queued_since > 120:
                self.stderr.write("still queued after 2 minutes: is a worker listening on the 'detection' queue?")
                queued_since = time.monotonic()
            if time.monotonic() > deadline:
                raise CommandError(f"detection run #{run.pk} did not finish within {timeout:.0f} s (still {run.status})")
            time.sleep(1.0)

    def _summary(self, run: DetectionRun) -> None:
        s = run.stats
        total = run.timings.get("total", 0.0)
        self.stdout.write(
            f"detection run #{run.pk} succeeded in {total:.1f} s: {int(s.get('link_links', 0))} links, "
            f"{int(s.get('clusters', 0))} clusters ({int(s.get('clustered_accounts', 0))} accounts), "
            f"{int(s.get('flagged_clusters', 0))} flagged ({int(s.get('flagged_accounts', 0))} accounts), "
            f"{int(s.get('regrowth_alerts', 0))} regrowth alerts"
        )
