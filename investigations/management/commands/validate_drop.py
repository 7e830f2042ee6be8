"""`manage.py validate_drop DIR`: check a telemetry drop against the input contract, writing nothing."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from graph.drop import DropReport, format_report, validate_drop


class Command(BaseCommand):
    help = (
        "Validate a drop directory (accounts, billing, sessions, exchanges, model_releases) without writing: "
        "per-file counts, warnings and quarantined rows; exit 1 if the drop is rejected or any row is quarantined."
    )
    requires_system_checks: list[str] = []  # reads files only: no database or app checks needed

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("drop_dir", type=Path, help="the drop directory")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")
        parser.add_argument("--max-issues", type=int, default=100, help="issues shown per file (default 100)")
        parser.add_argument("--chunk-rows", type=int, default=200_000, help="rows read per chunk")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["chunk_rows"] < 1:
            raise CommandError(f"--chunk-rows must be at least 1, got {options['chunk_rows']}")
        max_issues = max(0, options["max_issues"])
        bars: dict[str, tqdm[Any]] = {}

        def progress(file: str, rows: int) -> None:
            if options["no_progress"]:
                return
            bar = bars.get(file)
            if bar is None:  # files are read one after another: finish the previous bar first
                for done in bars.values():
                    done.close()
                bar = bars[file] = tqdm(desc=file, unit=" rows", file=sys.stderr, mininterval=0.5)
            bar.update(rows - bar.n)

        try:
            report = validate_drop(
                options["drop_dir"],
                chunk_rows=options["chunk_rows"],
                progress=progress,
                max_issues=max_issues,
            )
        finally:
            for bar in bars.values():
                bar.close()

        if options["json"]:
            self.stdout.write(json.dumps(report.to_dict(max_issues), indent=2, ensure_ascii=False))
        else:
            for line in format_report(report, max_issues):
                self.stdout.write(line)
        self._fail_unless_ok(report)

    def _fail_unless_ok(self, report: DropReport) -> None:
        if report.rejected is not None:
            raise CommandError(f"drop rejected: {report.rejected}")
        bad = {name: f.quarantined for name, f in report.files.items() if f.quarantined}
        if bad:
            detail = ", ".join(f"{name} {count:,}" for name, count in bad.items())
            raise CommandError(f"{sum(bad.values()):,} rows quarantined ({detail})")
