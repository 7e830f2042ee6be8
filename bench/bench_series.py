"""What a day costs: ingest and detect a series of daily drops of one world, as a provider sends them.

    VAR_DIR=var/bench NEO4J_URI=bolt://127.0.0.1:7687 .venv/bin/python bench/bench_series.py \\
        --scale 0.3 --days 10 --json var/bench/series-0.3.json
    ... bench/bench_series.py --scale 1 --days 5 --json var/bench/series-1.json

Generates `--days` consecutive daily drops of the `seed` preset at `--scale` (`generate_drop --series`, kept under
`--drops-dir`), wipes the graph at NEO4J_URI (point it at a benchmark instance) and a benchmark database of its
own (`VAR_DIR/bench-series.sqlite3`), then for each drop in order:

1. ingests it with the platform's pipeline in a child process (its peak RSS is its own), from files to committed
   graph: exchanges, seconds, exchanges/s and the ratio to the first drop's exchanges/s;
2. runs detection as the Celery task does (`execute_detection`, in this process): seconds, flagged accounts;
3. after every run, opens a case on every flagged cluster that no case follows yet (as case managers would), so
   that later runs raise regrowth alerts when replacements join them: new alerts per run;
4. the hydra replacements that started working in the drop's period (new accounts on the device or a card of a
   banned account of a cluster the previous run flagged, read from the data): how many this run flagged, and how
   many were in an alert to a case.

Then time-to-detect per campaign (hours from an account's first exchange to the data horizon of the first run that
flagged it, median / 90th percentile / max, from the last drop's labels) and the evaluation of the last run.
Prints a table as it goes; `--json FILE` also writes every figure.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "investigations.settings.dev")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{Path(os.environ.get('VAR_DIR', ROOT / 'var')) / 'bench-series.sqlite3'}")

import django  # noqa: E402

django.setup()
logging.getLogger("graph").setLevel(logging.WARNING)  # the table is the progress report

import pandas as pd  # noqa: E402
from bench_ingest import batched, wipe  # noqa: E402
from benchdb import detect, fresh_database  # noqa: E402

from graph.detection.timeliness import hydra_replacements  # noqa: E402
from graph.driver import get_graph  # noqa: E402
from graph.scenarios.presets import preset  # noqa: E402
from graph.scenarios.series import drop_name, generate_series  # noqa: E402
from graph.schema import apply_schema  # noqa: E402
from investigations.models import CaseAlert, ClusterMember, DetectionRun, FirstFlag, RegrowthAlert  # noqa: E402
from investigations.roles import Role  # noqa: E402
from investigations.selectors.cases import successor_clusters, watched_case_clusters  # noqa: E402
from investigations.selectors.detection import evaluate_run  # noqa: E402
from investigations.selectors.timeliness import campaign_timings  # noqa: E402
from investigations.services.cases import open_case  # noqa: E402
from investigations.services.users import create_or_update_user  # noqa: E402


def series_dir(args: argparse.Namespace) -> Path:
    """Where the series is kept (generated once per scale, days and seed)."""
    return args.drops_dir / f"seed-{args.scale:g}-{args.days}x{args.period_days}d-{args.seed}"


def ensure_series(args: argparse.Namespace) -> list[Path]:
    """The series' drop folders, generated unless complete."""
    out = series_dir(args)
    drops = [out / drop_name(k) for k in range(args.days)]
    if not (out / ".complete").is_file():
        started = time.perf_counter()
        config = dataclasses.replace(preset("seed"), scale=args.scale)
        generate_series(out, config, periods=args.days, period_days=args.period_days, seed=args.seed, progress=True,
                        workers=2)  # fmt: skip
        (out / ".complete").write_text("ok")
        print(f"generated {len(drops)} drops in {time.perf_counter() - started:.0f} s into {out}", flush=True)
    return drops


def open_cases(run: DetectionRun) -> int:
    """A case on every flagged cluster of the run that no case follows yet (the analysts' daily response: a
    cluster that carries on a cased one, under its key or a new one, is already followed)."""
    user, _ = create_or_update_user("bench-case-manager", role=Role.CASE_MANAGER, password="bench-only-password-1")
    watched = list(watched_case_clusters())
    since = min((cc.run for cc in watched if cc.run is not None), key=lambda r: r.pk, default=None)
    followed = {c.pk for cs in successor_clusters(run, {cc.cluster_key for cc in watched}, since).values() for c in cs}
    clusters = [c for c in run.clusters.filter(flagged=True).order_by("key") if c.pk not in followed]
    for cluster in clusters:
        open_case(by=user, clusters=[cluster], title=f"Campaign {cluster.key}")
    return len(clusters)


def replacement_figures(previous: Path | None, drop: Path, run: DetectionRun,
                        before: DetectionRun | None) -> dict[str, int]:
    """Hydra replacements that started in this drop's period, read from the data (new accounts on the device or a
    card of an account of a cluster the previous run flagged, banned by now): how many, how many this run flagged
    (the first run after they started), and how many were in an alert to a case."""
    if previous is None or before is None:
        return {"replacements": 0, "replacements_flagged": 0, "replacements_alerted": 0}
    watched = set(ClusterMember.objects.filter(cluster__run=before, cluster__flagged=True)
                  .values_list("account_id", flat=True))  # fmt: skip
    labels = pd.read_csv(drop / "labels.csv", dtype=str, keep_default_na=False)
    started = set(labels.loc[labels["first_activity"] != "", "account_id"])
    found = hydra_replacements(previous, drop, watched) & started
    flagged = set(FirstFlag.objects.filter(run=run, account_id__in=list(found)).values_list("account_id", flat=True))
    alerted = {a for ids in CaseAlert.objects.filter(run=run).values_list("account_ids", flat=True) for a in ids}
    return {"replacements": len(found), "replacements_flagged": len(flagged), "replacements_alerted": len(found & alerted)}


def day(k: int, drop: Path, work: Path, first_rate: float | None) -> dict[str, Any]:
    """Ingest and detect one drop; the figures of its row."""
    ingest = batched(drop, work / drop.name)
    rate = ingest["exchanges"] / ingest["wall_seconds"]
    run, seconds = detect()
    flagged = ClusterMember.objects.filter(cluster__run=run, cluster__flagged=True).count()
    return {
        "drop": drop.name, "exchanges": ingest["exchanges"], "ingest_seconds": round(ingest["wall_seconds"], 1),
        "exchanges_per_second": round(rate), "ratio_to_first": round(rate / (first_rate or rate), 3),
        "peak_rss_mb": round(ingest["peak_rss_mb"]), "new_accounts": ingest["new_accounts"],
        "recomputed_accounts": ingest["recomputed_accounts"], "detect_seconds": round(seconds, 1), "run": run.pk,
        "flagged_accounts": flagged, "first_flagged": run.stats.get("first_flagged", 0),
        "regrowth_alerts": RegrowthAlert.objects.filter(run=run).count(),
        "case_alerts": CaseAlert.objects.filter(run=run).count(),
        "detect_timings": run.timings, "ingest_timings": ingest["timings"], "retried": ingest["retried"],
    }  # fmt: skip


HEADER = (f"{'drop':<10} {'exchanges':>11} {'ingest s':>9} {'exch/s':>8} {'x first':>7} {'RSS MB':>7} "
          f"{'recomp.':>7} {'detect s':>9} {'flagged':>8} {'new flag':>8} {'alerts':>6} {'hydra flagged':>13}")  # fmt: skip


def row(r: dict[str, Any]) -> str:
    """One line of the per-drop table."""
    return (f"{r['drop']:<10} {r['exchanges']:>11,} {r['ingest_seconds']:>9.1f} {r['exchanges_per_second']:>8,} "
            f"{r['ratio_to_first']:>7.2f} {r['peak_rss_mb']:>7,} {r['recomputed_accounts']:>7,} "
            f"{r['detect_seconds']:>9.1f} {r['flagged_accounts']:>8,} {r['first_flagged']:>8,} "
            f"{r['regrowth_alerts'] + r['case_alerts']:>6} "
            f"{str(r['replacements_flagged']) + '/' + str(r['replacements']):>13}")  # fmt: skip


def h(value: float | None) -> str:
    """Hours with one decimal, a dash when unknown."""
    return "-" if value is None else f"{value:.1f}"


def main() -> int:
    """Run the series benchmark."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=0.3)
    parser.add_argument("--days", type=int, default=10, help="drops in the series")
    parser.add_argument("--period-days", type=int, default=1, help="days per drop")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--drops-dir", type=Path, default=ROOT / "var" / "bench" / "series")
    parser.add_argument("--json", type=Path, default=None, help="write every figure to this JSON file")
    args = parser.parse_args()
    drops = ensure_series(args)
    fresh_database("bench-series.sqlite3")
    graph = get_graph()
    wipe(graph)
    apply_schema(graph)
    work = args.drops_dir.parent / "series-work"
    results: list[dict[str, Any]] = []
    print(HEADER, flush=True)
    for k, drop in enumerate(drops):
        result = day(k, drop, work, results[0]["exchanges_per_second"] if results else None)
        run = DetectionRun.objects.get(pk=result["run"])
        before = DetectionRun.objects.get(pk=results[-1]["run"]) if results else None
        result.update(replacement_figures(drops[k - 1] if k else None, drop, run, before))
        result["cases_opened"] = open_cases(run)
        results.append(result)
        print(row(result), flush=True)
    last = DetectionRun.objects.get(pk=results[-1]["run"])
    labels = drops[-1] / "labels.csv"
    timings = campaign_timings(last, labels)
    evaluation = evaluate_run(last, labels)
    later = results[1:] or results
    hydra = sum(r["replacements"] for r in results)
    print(f"\nhydra replacements of flagged clusters flagged in the first run after they started: "
          f"{sum(r['replacements_flagged'] for r in results)}/{hydra}, in an alert to a case: "
          f"{sum(r['replacements_alerted'] for r in results)}/{hydra}")
    print(f"next-day drops: {min(r['ratio_to_first'] for r in later):.2f}x - "
          f"{max(r['ratio_to_first'] for r in later):.2f}x the first drop's exchanges/s; peak ingest RSS "
          f"{max(r['peak_rss_mb'] for r in results):,} MB; cases opened (on clusters no case followed yet): "
          f"{', '.join(str(r['cases_opened']) for r in results)}")
    print("\ntime to detect (hours from an account's first exchange to the data horizon of the first run that "
          "flagged it; add the day's ingest + detection time for wall-clock latency):")
    print(f"  {'campaign':<12} {'flagged/active':>15} {'median h':>9} {'p90 h':>7} {'max h':>7}")
    for name, t in timings.items():
        print(f"  {name:<12} {f'{t.detected}/{t.active}':>15} {h(t.median_hours):>9} {h(t.p90_hours):>7} "
              f"{h(t.max_hours):>7}")  # fmt: skip
    print(f"\nlast run: F1 {evaluation.f1:.4f}, precision {evaluation.precision:.4f}, recall {evaluation.recall:.4f}, "
          f"max legitimate FPR {max(evaluation.population_fpr.values(), default=0.0):.4f}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            "scale": args.scale, "days": args.days, "period_days": args.period_days, "seed": args.seed,
            "drops": results, "time_to_detect": {n: t.to_dict() for n, t in timings.items()},
            "evaluation": evaluation.to_dict(),
        }, indent=2, default=str), encoding="utf-8")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
