"""`manage.py evaluate --labels DROP/labels.csv [--run ID] [--json]`: score a detection run against labels."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from investigations.management.runs import succeeded_run
from investigations.selectors.detection import evaluate_run


class Command(BaseCommand):
    help = (
        "Account precision, recall and F1, recall per campaign, false-positive rate per legitimate population "
        "and the rank of each campaign's best cluster, for the latest completed run (or --run ID)."
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
        if options["json"]:
            self.stdout.write(json.dumps({"run": run.pk, **result.to_dict()}, indent=2, sort_keys=True))
        else:
            self.stdout.write(f"detection run #{run.pk}")
            self.stdout.write(result.to_text())
