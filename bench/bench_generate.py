"""Measure synthetic drop generation: `python bench/bench_generate.py [--full] [--format F] [--scales S ...]`.

Each scale runs in a fresh subprocess (so peak RSS and CPU time are that run's own, from
resource.getrusage) and writes the `seed` preset at that scale into a temporary directory. Prints wall
time, CPU time (user + system, workers included; less sensitive than wall time to other load on the
machine), rows written (all files), exchanges, rows per second (wall), and peak RSS of the generating
process and of the largest worker (`--workers N`). `--full` adds scale 1, the reported case (target: under 15
minutes and under 4 GB on two cores).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def run_one(scale: float, fmt: str, seed: int, out_dir: Path, workers: int = 1) -> dict[str, float]:
    """Generate one drop in this process and return its measurements."""
    from graph.scenarios import generate_drop, preset  # noqa: PLC0415 - keep the parent process light

    config = dataclasses.replace(preset("seed"), scale=scale)
    began = time.perf_counter()
    summary = generate_drop(out_dir, config, seed=seed, fmt=fmt, workers=workers)
    seconds = time.perf_counter() - began
    rows = sum(summary.rows.values())
    size = sum(p.stat().st_size for p in summary.files.values())
    usage = resource.getrusage(resource.RUSAGE_SELF)
    workers_usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "scale": scale,
        "seconds": seconds,
        "rows": rows,
        "exchanges": summary.rows["exchanges"],
        "accounts": summary.rows["accounts"],
        "rows_per_second": rows / seconds,
        "cpu_seconds": usage.ru_utime + usage.ru_stime + workers_usage.ru_utime + workers_usage.ru_stime,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "worker_peak_rss_mb": workers_usage.ru_maxrss / 1024,
        "bytes": size,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[0.01, 0.1])
    parser.add_argument("--full", action="store_true", help="also run scale 1 (the reported case)")
    parser.add_argument("--format", choices=("csv", "csv.gz", "parquet"), default="csv")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1, help="generator worker processes (see generate_drop)")
    parser.add_argument("--keep", type=Path, default=None, help="write drops under this directory and keep them")
    parser.add_argument("--child", type=float, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(run_one(args.child, args.format, args.seed, args.out, args.workers)))
        return
    scales = list(args.scales) + ([1.0] if args.full and 1.0 not in args.scales else [])
    base = args.keep or Path(tempfile.mkdtemp(prefix="bench_generate_"))
    print(f"{'scale':>6} {'format':>8} {'workers':>7} {'wall s':>8} {'cpu s':>8} {'rows':>12} {'exchanges':>12} {'rows/s':>11} "
          f"{'peak RSS MB':>12} {'worker RSS MB':>13} {'size MB':>9}")
    try:
        for scale in scales:
            out = base / f"scale_{scale:g}"
            done = subprocess.run(
                [sys.executable, __file__, "--child", str(scale), "--format", args.format, "--seed", str(args.seed),
                 "--workers", str(args.workers), "--out", str(out)],
                check=True, capture_output=True, text=True,
            )
            r = json.loads(done.stdout.strip().splitlines()[-1])
            print(f"{r['scale']:>6g} {args.format:>8} {args.workers:>7} {r['seconds']:>8.1f} {r.get('cpu_seconds', 0):>8.1f} "
                  f"{r['rows']:>12,} {r['exchanges']:>12,} "
                  f"{r['rows_per_second']:>11,.0f} {r['peak_rss_mb']:>12,.0f} {r.get('worker_peak_rss_mb', 0):>13,.0f} "
                  f"{r['bytes'] / 1e6:>9,.0f}", flush=True)
            if args.keep is None:
                shutil.rmtree(out, ignore_errors=True)
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
