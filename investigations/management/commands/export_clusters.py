"""`manage.py export_clusters --out FILE.csv`: the output contract, from the latest completed detection run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from investigations.management.runs import succeeded_run
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
        run = succeeded_run(options["run"])
        try:
            rows = export_clusters(options["out"], run)
        except OSError as exc:
            raise CommandError(f"cannot write {options['out']}: {exc.strerror or exc}") from exc
        self.stdout.write(f"wrote {rows} rows from detection run #{run.pk} to {options['out']}")
