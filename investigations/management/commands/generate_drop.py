"""`manage.py generate_drop OUT_DIR`: write a synthetic telemetry drop with ground-truth labels."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from graph.scenarios import (
    FORMATS,
    PRESET_NAMES,
    ScenarioConfig,
    TimeWindow,
    generate_drop,
    load_config,
    preset,
    validate_config,
)
from graph.scenarios.series import generate_series, series_config


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
        parser.add_argument("--series", type=int, default=None, metavar="N",
                            help="write N consecutive drops of one world (OUT_DIR/drop-0001 ... drop-000N), one per "
                                 "period, as a provider sends them day after day")
        parser.add_argument("--period-days", type=int, default=1, help="length of one period of a series in days")
        parser.add_argument("--no-ramp", action="store_true",
                            help="in a series, let campaigns arrive whole instead of growing over the first periods")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            config = preset(options["preset"])
            if options["scenario"] is not None:
                config = load_config(options["scenario"], base=config)
            if options["scale"] is not None:
                config = dataclasses.replace(config, scale=options["scale"])
            if options["days"] is not None:
                if options["series"] is not None:
                    raise ValueError("--days and --series exclude each other (a series lasts N x --period-days)")
                config = dataclasses.replace(config, window=TimeWindow(start=config.window.start, days=options["days"]))
            if options["series"] is not None:
                config = series_config(config, options["series"], options["period_days"], ramp=not options["no_ramp"])
            validate_config(config)
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        if options["series"] is not None:
            self._series(config, options)
            return
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

    def _series(self, config: ScenarioConfig, options: dict[str, Any]) -> None:
        # config is already the series' world (series_config applied above), so no second ramp
        summary = generate_series(
            options["out_dir"], config, periods=options["series"], period_days=options["period_days"],
            seed=options["seed"], fmt=options["fmt"], progress=options["verbosity"] >= 1,
            workers=options["workers"], ramp=False,
        )
        self.stdout.write(f"{'drop':<10} {'period start':<21} {'accounts':>9} {'sessions':>10} {'exchanges':>12} "
                          f"{'sign-ups':>8} {'bans':>5} {'campaign new/active':>20}")
        for d in summary.drops:
            self.stdout.write(
                f"{d.out_dir.name:<10} {d.start:<21} {d.rows['accounts']:>9,} {d.rows['sessions']:>10,} "
                f"{d.rows['exchanges']:>12,} {d.signups:>8,} {d.bans:>5,} "
                f"{f'{d.campaign_signups:,}/{d.campaign_active:,}':>20}"
            )
        self.stdout.write(self.style.SUCCESS(
            f"wrote {len(summary.drops)} drops of {summary.period_days:g} day(s) into {summary.out_dir} "
            f"({summary.fmt}, seed {summary.seed}, scale {summary.scale:g}, new model released {summary.release_at}) "
            f"in {summary.seconds:.1f}s"
        ))
