"""`manage.py generate_drop OUT_DIR`: write a synthetic telemetry drop with ground-truth labels."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from graph.scenarios import (
    FORMATS,
    PRESET_NAMES,
    TimeWindow,
    generate_drop,
    load_config,
    preset,
    validate_config,
)


class Command(BaseCommand):
    help = (
        "Generate a deterministic synthetic drop (accounts, billing, sessions, exchanges, model_releases "
        "and evaluation-only labels) with legitimate populations and coordinated campaigns."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("out_dir", type=Path, help="directory to write the drop into (created if needed)")
        parser.add_argument("--scale", type=float, default=None,
                            help="size multiplier; 1 = the reported case (default: the preset's)")
        parser.add_argument("--seed", type=int, default=1, help="random seed (same seed and arguments => same bytes)")
        parser.add_argument("--format", dest="fmt", choices=FORMATS, default="csv", help="file format")
        parser.add_argument("--days", type=int, default=None, help="length of the window in days")
        parser.add_argument("--preset", choices=PRESET_NAMES, default="seed", help="named scenario to start from")
        parser.add_argument("--workers", type=int, default=1,
                            help="processes generating blocks while this one writes (output is the same)")
        parser.add_argument("--scenario", type=Path, default=None,
                            help="JSON scenario overlaid on the preset (its own \"preset\" key wins)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            config = preset(options["preset"])
            if options["scenario"] is not None:
                config = load_config(options["scenario"], base=config)
            if options["scale"] is not None:
                config = dataclasses.replace(config, scale=options["scale"])
            if options["days"] is not None:
                config = dataclasses.replace(config, window=TimeWindow(start=config.window.start, days=options["days"]))
            validate_config(config)
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        summary = generate_drop(
            options["out_dir"], config, seed=options["seed"], fmt=options["fmt"], progress=options["verbosity"] >= 1,
            workers=options["workers"],
        )
        for name, path in summary.files.items():
            self.stdout.write(f"{name:<15} {summary.rows[name]:>12,} rows  {path}")
        campaigns = {c.name for c in config.campaigns}
        for population, accounts in summary.accounts_by_population.items():
            kind = "campaign" if population in campaigns else "legitimate"
            exchanges = summary.exchanges_by_population[population]
            self.stdout.write(f"  {population:<22} {kind:<10} {accounts:>9,} accounts {exchanges:>12,} exchanges")
        self.stdout.write(self.style.SUCCESS(
            f"wrote {summary.out_dir} ({summary.fmt}, seed {summary.seed}, scale {summary.scale:g}, "
            f"new model released {summary.release_at}) in {summary.seconds:.1f}s"
        ))
