"""`manage.py export_clusters --out FILE.csv`: the output contract, from the latest completed detection run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from investigations.models import DetectionRun, JobStatus
from investigations.selectors.detection import latest_completed_run
from investigations.services.detection import export_clusters


class Command(BaseCommand):
    help = (
        "Write account_id, cluster_id, risk_score, flagged for every account in a cluster of the latest "
        "completed detection run (or --run ID)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", type=Path, required=True, help="the CSV file to write")
        parser.add_argument("--run", type=int, default=None, help="a specific succeeded run instead of the latest")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["run"] is not None:
            run = DetectionRun.objects.filter(pk=options["run"], status=JobStatus.SUCCEEDED).first()
            if run is None:
                raise CommandError(f"no succeeded detection run #{options['run']}")
        else:
            run = latest_completed_run()
            if run is None:
                raise CommandError("no completed detection run yet: run `manage.py detect --wait` first")
        rows = export_clusters(options["out"], run)
        self.stdout.write(f"wrote {rows} rows from detection run #{run.pk} to {options['out']}")
