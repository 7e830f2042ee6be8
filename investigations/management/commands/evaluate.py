"""`manage.py evaluate --labels DROP/labels.csv [--run ID] [--json]`: score a detection run against labels."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from graph.detection.timeliness import CampaignTiming
from investigations.management.runs import succeeded_run
from investigations.selectors.detection import evaluate_run
from investigations.selectors.timeliness import campaign_timings


class Command(BaseCommand):
    help = (
        "Account precision, recall and F1, recall per campaign, false-positive rate per legitimate population, "
        "the rank of each campaign's best cluster, and each campaign's time-to-detect (median and 90th "
        "percentile hours from an account's first exchange to the first run that flagged it), for the latest "
        "completed run (or --run ID)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--labels", type=Path, required=True, help="the scenario's labels file")
        parser.add_argument("--run", type=int, default=None, help="a specific succeeded run instead of the latest")
        parser.add_argument("--json", action="store_true", help="print JSON instead of text")

    def handle(self, *args: Any, **options: Any) -> None:
        labels: Path = options["labels"]
        if not labels.is_file():
            raise CommandError(f"no labels file at {labels}")
        run = succeeded_run(options["run"])
        try:
            result = evaluate_run(run, labels)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        timings = campaign_timings(run, labels)
        if options["json"]:
            data = {"run": run.pk, **result.to_dict(), "time_to_detect": {c: t.to_dict() for c, t in timings.items()}}
            self.stdout.write(json.dumps(data, indent=2, sort_keys=True))
        else:
            self.stdout.write(f"detection run #{run.pk}")
            self.stdout.write(result.to_text())
            self.stdout.write(timing_text(timings))


def timing_text(timings: dict[str, CampaignTiming]) -> str:
    """Time-to-detect per campaign as a small table (hours from an account's first exchange to the latest time
    in the drops seen by the run that first flagged it)."""
    lines = ["time to detect (hours from first exchange to the first flagging run's data horizon):",
             f"  {'campaign':<20} {'flagged/active':>15} {'median':>8} {'p90':>8} {'max':>8}"]  # fmt: skip

    def h(v: float | None) -> str:
        return "-" if v is None else f"{v:.1f}"

    for campaign, t in timings.items():
        counts = f"{t.detected}/{t.active}"
        lines.append(f"  {campaign:<20} {counts:>15} {h(t.median_hours):>8} {h(t.p90_hours):>8} {h(t.max_hours):>8}")
    return "\n".join(lines)
