"""Detection benchmark: quality and speed on generated drops, and GDS Leiden against python-igraph's Leiden.

For every drop: (optionally) wipe the graph and ingest the drop, run detection exactly as the Celery task
does (service `execute_detection`, in this process), evaluate the run against the drop's labels, then time
the community step in GDS and in python-igraph on the same exported projection. Prints one block per drop
and a summary table; `--json FILE` also writes every figure.

    VAR_DIR=... NEO4J_URI=... .venv/bin/python bench/bench_detect.py \\
        --generate s001-1:0.01:1 --generate s01-1:0.1:1 --generate st01-5:0.1:5:bench/scenarios/stealthy.json \\
        --drops-dir var/bench/drops --ingest --json var/bench/detect.json

A generated drop is named NAME:SCALE:SEED[:SCENARIO.json]; existing drops are reused, not regenerated.

Scenarios in bench/scenarios/ change the campaigns' tradecraft and sizes away from the `seed` preset, to check
that detection does not lean on one generator setting: `stealthy.json` (less card and device sharing, more
camouflage, later pivots), `hardened.json` (other campaign sizes, little sharing, few bursts and bans, bigger
VPN and reseller populations, larger organisations), `sleeper.json` (campaigns on a day/night schedule, few
bans) and `four.json` (a fourth campaign with its own capabilities, office hours and cloud egress).
`content.json` and `content-faint.json` add campaigns that share no infrastructure at all (only a private
template set, their focus and a quick move to a new model) beside their look-alikes: evaluation start-ups'
staff and individuals pasting from a public prompt collection.

Targets: F1 >= 0.95, every campaign's recall >= 0.9, every legitimate population's FPR <= 1%, every campaign's
best cluster in the top 10, and no mostly-legitimate cluster ranked above any campaign's best cluster.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "investigations.settings.dev")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from graph.detection.communities import compare_with_igraph  # noqa: E402
from graph.detection.params import DetectionParams  # noqa: E402
from graph.driver import get_graph  # noqa: E402
from graph.ingest.pipeline import run_ingest  # noqa: E402
from graph.scenarios.generate import generate_drop  # noqa: E402
from graph.scenarios.presets import load_config, preset  # noqa: E402
from graph.schema import apply_schema  # noqa: E402
from investigations.models import DetectionRun  # noqa: E402
from investigations.selectors.detection import evaluate_run  # noqa: E402
from investigations.services.detection import execute_detection  # noqa: E402

TARGETS = {"f1": 0.95, "campaign_recall": 0.9, "population_fpr": 0.01, "best_rank": 10}


@dataclass(frozen=True)
class DropSpec:
    """A drop to benchmark: its directory and how it was (or is to be) generated."""

    name: str
    path: Path
    scale: float | None
    seed: int | None
    scenario: Path | None


def parse_spec(text: str, drops_dir: Path) -> DropSpec:
    """NAME:SCALE:SEED[:SCENARIO] for a generated drop, or a path to an existing drop."""
    parts = text.split(":")
    if len(parts) >= 3:
        scenario = Path(parts[3]) if len(parts) > 3 and parts[3] else None
        return DropSpec(parts[0], drops_dir / parts[0], float(parts[1]), int(parts[2]), scenario)
    path = Path(text)
    return DropSpec(path.name, path, None, None, None)


def ensure_drop(spec: DropSpec) -> float:
    """Generate the drop unless its labels file exists; returns seconds spent."""
    if any(spec.path.glob("labels.*")) or spec.scale is None or spec.seed is None:
        return 0.0
    started = time.perf_counter()
    config = load_config(spec.scenario) if spec.scenario else preset("seed")
    config = dataclasses.replace(config, scale=spec.scale)
    generate_drop(spec.path, config, seed=spec.seed, workers=2)
    return time.perf_counter() - started


def labels_file(drop: Path) -> Path:
    """The drop's labels file, in whichever format it was written."""
    for name in ("labels.csv", "labels.csv.gz", "labels.parquet"):
        if (drop / name).exists():
            return drop / name
    raise FileNotFoundError(f"no labels file in {drop}")


def ingest(spec: DropSpec, work: Path) -> float:
    """Wipe the graph and ingest the drop (graph-level pipeline); returns seconds."""
    graph = get_graph()
    apply_schema(graph)
    # Relationships first: a template node of a big campaign holds 10^5 of them, too many for one transaction.
    graph.auto("bench_wipe_rels", "MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 20000 ROWS")
    graph.auto("bench_wipe_nodes", "MATCH (n) CALL (n) { DELETE n } IN TRANSACTIONS OF 20000 ROWS")
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    run_ingest(spec.path, graph, work_dir=work / spec.name, quarantine_path=work / spec.name / "quarantine.csv")
    return time.perf_counter() - started


def bench_drop(spec: DropSpec, params: dict[str, Any], compare: bool) -> dict[str, Any]:
    """Detect, evaluate and compare community engines on the drop currently in the graph."""
    run = DetectionRun.objects.create(params=DetectionParams.from_dict(params).to_dict())
    started = time.perf_counter()
    run = execute_detection(run)
    seconds = time.perf_counter() - started
    evaluation = evaluate_run(run, labels_file(spec.path))
    out: dict[str, Any] = {
        "drop": spec.name, "scale": spec.scale, "seed": spec.seed,
        "scenario": spec.scenario.name if spec.scenario else "seed", "run": run.pk,
        "detect_seconds": round(seconds, 1), "timings": run.timings, "stats": run.stats,
        "evaluation": evaluation.to_dict(),
    }  # fmt: skip
    if compare:
        side = compare_with_igraph(get_graph(), run.pk, DetectionParams.from_dict(run.params))
        out["community_engines"] = {**side.__dict__, "ratio_igraph_over_gds": round(side.ratio, 2)}
    return out


def verdict(result: dict[str, Any]) -> list[str]:
    """Which targets a result misses (empty when it meets them all)."""
    e = result["evaluation"]
    misses = []
    if e["f1"] < TARGETS["f1"]:
        misses.append(f"F1 {e['f1']:.3f}")
    for name, c in e["campaigns"].items():
        if c["recall"] < TARGETS["campaign_recall"]:
            misses.append(f"{name} recall {c['recall']:.3f}")
        if c["best_rank"] is None or c["best_rank"] > TARGETS["best_rank"]:
            misses.append(f"{name} best rank {c['best_rank']}")
    for name, rate in e["population_fpr"].items():
        if rate > TARGETS["population_fpr"]:
            misses.append(f"{name} FPR {rate:.3f}")
    if not e.get("ranks_ok", True):
        lead = e.get("top_legit_cluster") or {}
        misses.append(f"mostly-legitimate cluster {lead.get('cluster')} ranks {lead.get('rank')}, above a campaign's best")
    return misses


def report(result: dict[str, Any]) -> str:
    """One block of text per drop."""
    e = result["evaluation"]
    lines = [
        f"== {result['drop']} (scale {result['scale']}, seed {result['seed']}, scenario {result['scenario']}): "
        f"detection {result['detect_seconds']:.1f} s",
        f"   precision {e['precision']:.4f}  recall {e['recall']:.4f}  F1 {e['f1']:.4f}  "
        f"flagged {e['flagged_accounts']} accounts in {e['flagged_clusters']} of {e['clusters']} clusters",
    ]
    for name, c in sorted(e["campaigns"].items()):
        lines.append(
            f"   campaign {name:<10} recall {c['recall']:.4f} ({c['flagged']}/{c['accounts']})  best cluster rank "
            f"{c['best_rank']} (size {c['best_cluster_size']}, purity {c['best_cluster_purity']:.2f})"
        )
    lead = e.get("top_legit_cluster")
    if lead:
        lines.append(
            f"   highest mostly-legitimate cluster: rank {lead['rank']} (score {lead['score']:.3f}, size {lead['size']}, "
            f"{100 * lead['legitimate_share']:.0f}% legitimate)"
        )
    worst = max(e["population_fpr"].items(), key=lambda kv: kv[1], default=("-", 0.0))
    lines.append(f"   highest legitimate FPR: {worst[0]} {worst[1]:.4f}   " + ", ".join(
        f"{k} {v:.4f}" for k, v in sorted(e["population_fpr"].items())
    ))  # fmt: skip
    stages = {k: v for k, v in result["timings"].items() if "_" not in k or k.startswith("write")}
    lines.append("   stages (s): " + ", ".join(f"{k} {v:.1f}" for k, v in stages.items()))
    if "community_engines" in result:
        c = result["community_engines"]
        lines.append(
            f"   community step on {c['nodes']} nodes / {c['relationships']} relationships: GDS Leiden "
            f"{c['gds_seconds']:.3f} s ({c['gds_communities']} communities), igraph Leiden {c['igraph_seconds']:.3f} s "
            f"({c['igraph_communities']}), igraph/GDS = {c['ratio_igraph_over_gds']:.2f} (export {c['export_seconds']:.2f} s)"
        )
    misses = verdict(result)
    lines.append("   targets: " + ("all met" if not misses else "MISSED " + "; ".join(misses)))
    return "\n".join(lines)


def main() -> int:
    """Run the benchmark; exit 1 when a quality target is missed."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--generate", action="append", default=[], help="NAME:SCALE:SEED[:SCENARIO.json]")
    parser.add_argument("--drop", action="append", default=[], help="an existing drop directory")
    parser.add_argument("--drops-dir", type=Path, default=ROOT / "var" / "bench" / "drops")
    parser.add_argument("--ingest", action="store_true", help="wipe the graph and ingest each drop first")
    parser.add_argument("--params", default="", help="JSON detection parameter overrides")
    parser.add_argument("--no-compare", action="store_true", help="skip the GDS vs igraph comparison")
    parser.add_argument("--json", type=Path, default=None, help="write every figure to this JSON file")
    args = parser.parse_args()
    specs = [parse_spec(s, args.drops_dir) for s in args.generate] + [parse_spec(d, args.drops_dir) for d in args.drop]
    if not specs:
        parser.error("give at least one --generate or --drop")
    if not args.ingest and len(specs) > 1:
        parser.error("without --ingest only one drop (the one already in the graph) can be benchmarked")
    call_command("migrate", verbosity=0)
    params = json.loads(args.params) if args.params else {}
    results = []
    for spec in specs:
        generated = ensure_drop(spec)
        ingest_seconds = ingest(spec, args.drops_dir.parent / "work") if args.ingest else 0.0
        result = bench_drop(spec, params, compare=not args.no_compare)
        result["generate_seconds"], result["ingest_seconds"] = round(generated, 1), round(ingest_seconds, 1)
        results.append(result)
        print(report(result), flush=True)
    print("\nsummary")
    print(f"{'drop':<12} {'scale':>6} {'seed':>4} {'scenario':<18} {'F1':>7} {'min recall':>10} {'max FPR':>8} "
          f"{'worst rank':>10} {'legit rank':>10} {'detect s':>9} {'igraph/GDS':>10}")  # fmt: skip
    for r in results:
        e = r["evaluation"]
        recalls = [c["recall"] for c in e["campaigns"].values()] or [0.0]
        ranks = [c["best_rank"] or 10**6 for c in e["campaigns"].values()] or [0]
        ratio = r.get("community_engines", {}).get("ratio_igraph_over_gds", float("nan"))
        legit_rank = (e.get("top_legit_cluster") or {}).get("rank", "-")
        print(f"{r['drop']:<12} {r['scale'] or 0:>6} {r['seed'] or 0:>4} {r['scenario']:<18} {e['f1']:>7.4f} "
              f"{min(recalls):>10.4f} {max(e['population_fpr'].values(), default=0.0):>8.4f} {max(ranks):>10} "
              f"{legit_rank:>10} {r['detect_seconds']:>9.1f} {ratio:>10.2f}")  # fmt: skip
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    return 1 if any(verdict(r) for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
