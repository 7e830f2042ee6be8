"""Measure ingest end to end: `python bench/bench_ingest.py [--scales 0.01 0.1 1] [--format csv]`.

For each scale of the generator's `seed` preset:

1. **batched** (the platform's way): an empty graph, then `graph.ingest.run_ingest` on the whole drop, from
   files to committed graph (read, validate, transform, batched UNWIND writes), in a child process so its
   peak RSS is its own (the same code the Celery worker runs). Throughput = valid exchanges / wall seconds.
2. **naive**: the same rows written one row per transaction with the driver (single-row MERGE statements,
   counts added straight onto the graph), on a sample of every file, extrapolated to the drop's row counts.
3. **neo4j-admin import** (the offline limit): the nodes and relationships the batched ingest wrote are
   exported to CSV (not timed) and imported with `neo4j-admin database import full` into an empty database
   in a scratch home; the import's wall time is measured.

Prints one JSON object per scale (and writes them to --out) with the ratios naive/batched and
batched/import; before it, the batched run's report (BATCHED) and its slowest named queries (SLOWEST: seconds
summed over the writer threads, which run two transactions at a time). Uses the Neo4j at NEO4J_URI and WIPES it: point it at a benchmark instance.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graph.driver import Graph, cypher, get_graph  # noqa: E402
from graph.schema import apply_schema  # noqa: E402

TYPES = {
    "String": "string", "Long": "long", "Double": "double", "Boolean": "boolean", "DateTime": "datetime",
    "LongArray": "long[]", "StringArray": "string[]", "DoubleArray": "double[]",
}  # fmt: skip
KEYS = {
    "Account": "account_id", "Organization": "org_id", "EmailDomain": "domain", "Device": "fingerprint",
    "IP": "address", "Subnet": "prefix", "ASN": "number", "PaymentInstrument": "fingerprint", "BillingAddress": "hash",
    "BillingName": "hash", "APIKey": "key_id", "ClientFingerprint": "fingerprint", "Session": "session_id",
    "PromptTemplate": "template_id", "Model": "name", "Drop": "fingerprint",
}  # fmt: skip


def _write_one(tx: Any, query: Any, row: dict[str, Any]) -> None:
    """Write one row in its own transaction: the naive way the benchmark compares against."""
    tx.run(query, row=row).consume()


def wipe(graph: Graph) -> None:
    """Empty the graph (keeps the schema): relationships first, so no transaction detaches a dense node."""
    graph.auto("wipe_rels", "MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 20000 ROWS")
    graph.auto("wipe_nodes", "MATCH (n) CALL (n) { DELETE n } IN TRANSACTIONS OF 20000 ROWS")


def generate(scale: float, fmt: str, seed: int, drops: Path) -> Path:
    """The seed preset at `scale`, generated once and kept under `drops`."""
    out = drops / f"seed-{scale:g}-{fmt}-{seed}"
    if not (out / ".complete").is_file():
        shutil.rmtree(out, ignore_errors=True)
        subprocess.run(
            [sys.executable, "manage.py", "generate_drop", str(out), "--preset", "seed", "--scale", str(scale),
             "--seed", str(seed), "--format", fmt, "-v", "0"],
            cwd=ROOT, check=True,
        )  # fmt: skip
        (out / ".complete").write_text("ok")
    return out


def rows_in(path: Path) -> int:
    """Data rows of one drop file (any format)."""
    from graph.drop import iter_chunks  # noqa: PLC0415 - only the orchestrating process needs it

    return sum(len(c) for c in iter_chunks(path, 1_000_000))


# ------------------------------------------------------------------------------------------ batched


def peak_rss_mb(usage: resource.struct_rusage) -> float:
    """This process's peak resident memory in MB: VmHWM, which starts afresh at exec. Not ru_maxrss: Linux
    carries it over from the parent at fork, so a child of a large process would report the parent's size."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        return usage.ru_maxrss / 1024


def child(drop: Path, work: Path) -> None:
    """Run the real pipeline once and print its result as JSON (runs in a subprocess)."""
    from graph.ingest import run_ingest  # noqa: PLC0415

    graph = get_graph()
    started = time.perf_counter()
    result = run_ingest(drop, graph, work_dir=work / "stage", quarantine_path=work / "quarantine.csv")
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    data = result.to_dict()
    data["wall_seconds"] = seconds
    data["peak_rss_mb"] = peak_rss_mb(usage)
    data["cpu_seconds"] = usage.ru_utime + usage.ru_stime
    print("RESULT " + json.dumps(data, default=str), flush=True)


def batched(drop: Path, work: Path, nice: int = 0) -> dict[str, Any]:
    """The platform's ingest, in a child process (at niceness `nice`, as the worker runs it)."""
    proc = subprocess.run(
        [sys.executable, __file__, "--child", str(drop), "--work", str(work)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        preexec_fn=(lambda: os.nice(nice)) if nice else None,  # noqa: PLW1509  # no threads in the child yet
    )
    if proc.returncode != 0:
        raise RuntimeError(f"batched ingest failed:\n{proc.stderr[-4000:]}")
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT "))


# ------------------------------------------------------------------------------------------ naive


def _sample(path: Path, n: int) -> list[dict[str, Any]]:
    from graph.drop import iter_chunks  # noqa: PLC0415

    for chunk in iter_chunks(path, n):
        return [{k: v for k, v in row.items()} for row in chunk.table.to_pylist()]
    return []


def naive(drop: Path, graph: Graph, sample: int) -> dict[str, Any]:
    """Rows per second of one-row-per-transaction writes, per file, on a sample; extrapolated to the drop.

    Runs on the graph the batched ingest wrote, so every row finds the nodes it refers to (as it would in a
    naive loader that has already written the earlier rows)."""
    apply_schema(graph)
    rates: dict[str, float] = {}
    plans = [
        ("accounts", "ingest_naive_account"),
        ("sessions", "ingest_naive_session"),
        ("exchanges", "ingest_naive_exchange"),
    ]
    for name, statement in plans:
        path = next(p for p in drop.iterdir() if p.name.split(".")[0] == name)
        rows = _sample(path, sample)
        for row in rows:
            if name == "accounts":
                row["domain"] = str(row["email"]).rsplit("@", 1)[-1].lower()
            for key in ("input_tokens", "output_tokens"):
                if key in row:
                    row[key] = int(row[key])
        query = cypher(statement)
        started = time.perf_counter()
        with graph.driver.session(database=graph.config.database) as session:
            for row in rows:
                session.execute_write(_write_one, query, row)
        rates[name] = len(rows) / (time.perf_counter() - started)
    counts = {
        p.name.split(".")[0]: rows_in(p)
        for p in drop.iterdir()
        if p.name.split(".")[0] in ("accounts", "billing", "sessions", "exchanges")
    }
    seconds = (
        (counts["accounts"] + counts["billing"]) / rates["accounts"]
        + counts["sessions"] / rates["sessions"]
        + counts["exchanges"] / rates["exchanges"]
    )
    return {"rows_per_second": {k: round(v, 1) for k, v in rates.items()}, "sample_rows": sample, "rows": counts,
            "extrapolated_seconds": round(seconds, 1)}  # fmt: skip


# ------------------------------------------------------------------------------------------ import


def export(graph: Graph, out: Path) -> tuple[list[str], int, int]:
    """Write the graph as neo4j-admin import CSV files; return the import arguments and counts."""
    out.mkdir(parents=True, exist_ok=True)
    node_types: dict[str, dict[str, str]] = {}
    for r in graph.read("ingest_bench_node_types"):
        if r["property"] is not None and r["label"] is not None:
            node_types.setdefault(r["label"], {})[r["property"]] = TYPES.get(
                (r["types"] or ["String"])[0], "string"
            )
    rel_types: dict[str, dict[str, str]] = {}
    for r in graph.read("ingest_bench_rel_types"):
        if r["property"] is not None:
            rel_types.setdefault(r["type"], {})[r["property"]] = TYPES.get(
                (r["types"] or ["String"])[0], "string"
            )
    writers: dict[Any, tuple[Any, Any, list[str]]] = {}
    args: list[str] = []
    nodes = rels = 0
    for row in graph.stream("ingest_bench_export_nodes"):
        label = row["label"]
        if label not in writers:
            props = [p for p in node_types.get(label, {}) if p != KEYS[label]]
            fh = (out / f"nodes-{label}.csv").open("w", newline="", encoding="utf-8")
            w = csv.writer(fh)
            w.writerow([f"{KEYS[label]}:ID({label})", *[f"{p}:{node_types[label][p]}" for p in props]])
            writers[label] = (fh, w, props)
            args.append(f"--nodes={label}={out / f'nodes-{label}.csv'}")
        fh, w, props = writers[label]
        p = dict(row["props"])
        w.writerow([p.get(KEYS[label], ""), *[p.get(k, "") for k in props]])
        nodes += 1
    for row in graph.stream("ingest_bench_export_relationships"):
        key = (row["type"], row["start_label"], row["end_label"])
        if key not in writers:
            props = list(rel_types.get(row["type"], {}))
            name = f"rels-{'-'.join(key)}.csv"
            fh = (out / name).open("w", newline="", encoding="utf-8")
            w = csv.writer(fh)
            w.writerow(
                [
                    f":START_ID({key[1]})",
                    f":END_ID({key[2]})",
                    *[f"{p}:{rel_types[row['type']][p]}" for p in props],
                ]
            )
            writers[key] = (fh, w, props)
            args.append(f"--relationships={key[0]}={out / name}")
        fh, w, props = writers[key]
        p = dict(row["props"])
        w.writerow([row["start"], row["end"], *[p.get(k, "") for k in props]])
        rels += 1
    for fh, _, _ in writers.values():
        fh.close()
    return args, nodes, rels


def neo4j_lib() -> Path:
    """The server's lib folder (var/neo4j/lib, as assembled by deploy/neo4j.sh)."""
    for candidate in (
        Path(os.environ.get("VAR_DIR", ROOT / "var")) / "neo4j" / "lib",
        ROOT / "var" / "neo4j" / "lib",
    ):
        if any(candidate.glob("neo4j-*.jar")):
            return candidate
    raise RuntimeError("no Neo4j lib folder with jars found; run deploy/neo4j.sh build")


def admin_import(args: list[str], scratch: Path) -> float:
    """Run `neo4j-admin database import full` into an empty database in a scratch home; return seconds."""
    home = scratch / "home"
    (home / "conf").mkdir(parents=True, exist_ok=True)
    (home / "data").mkdir(parents=True, exist_ok=True)
    (home / "conf" / "neo4j.conf").write_text(
        f"server.directories.neo4j_home={home}\nserver.directories.data={home / 'data'}\n"
        f"server.directories.logs={home / 'logs'}\nserver.memory.pagecache.size=1g\n"
    )
    env = {**os.environ, "NEO4J_HOME": str(home), "NEO4J_CONF": str(home / "conf")}
    cmd = [
        "java", "-Xmx1g", "-cp", f"{neo4j_lib()}/*", "org.neo4j.cli.AdminTool", "database", "import", "full", "neo4j",
        "--overwrite-destination=true", "--array-delimiter=;", "--skip-bad-relationships=false", "--verbose",
        f"--report-file={scratch / 'import.report'}", *args,
    ]  # fmt: skip
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=scratch)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"neo4j-admin import failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return seconds


# ------------------------------------------------------------------------------------------ main


def measure(scale: float, fmt: str, seed: int, sample: int, drops: Path, skip_import: bool) -> dict[str, Any]:
    """All three measurements for one scale."""
    graph = get_graph()
    drop = generate(scale, fmt, seed, drops)
    load = os.getloadavg()
    wipe(graph)
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        result = batched(drop, Path(tmp))
        load_after = os.getloadavg()
        print(
            "BATCHED "
            + json.dumps({"scale": scale, **{k: v for k, v in result.items() if k != "query_timings"}}),
            flush=True,
        )
        slowest = sorted(result["query_timings"].items(), key=lambda kv: -kv[1]["seconds"])[:12]
        print("SLOWEST " + json.dumps(dict(slowest)), flush=True)
        args, nodes, rels = ([], 0, 0) if skip_import else export(graph, Path(tmp) / "import")
        slow = naive(drop, graph, sample)
        wipe(graph)
        out: dict[str, Any] = {
            "scale": scale,
            "format": fmt,
            "exchanges": result["exchanges"],
            "rows": slow["rows"],
            "batched_seconds": round(result["wall_seconds"], 1),
            "exchanges_per_second": round(result["exchanges"] / result["wall_seconds"], 1),
            "timings": result["timings"],
            "peak_rss_mb": round(result["peak_rss_mb"], 1),
            "cpu_seconds": round(result["cpu_seconds"], 1),
            "naive": slow,
            "naive_over_batched": round(slow["extrapolated_seconds"] / result["wall_seconds"], 2),
            "load_average_before": [round(x, 2) for x in load],
            "load_average_after": [round(x, 2) for x in load_after],
        }
        if not skip_import:
            seconds = admin_import(args, Path(tmp))
            out["import"] = {"nodes": nodes, "relationships": rels, "seconds": round(seconds, 1)}
            out["batched_over_import"] = round(result["wall_seconds"] / seconds, 2)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scales", type=float, nargs="+", default=[0.01, 0.1])
    parser.add_argument("--format", default="csv", choices=["csv", "csv.gz", "parquet"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sample", type=int, default=2000, help="rows per file for the naive baseline")
    parser.add_argument(
        "--drops", type=Path, default=Path(os.environ.get("VAR_DIR", ROOT / "var")) / "bench" / "drops"
    )
    parser.add_argument("--out", type=Path, default=None, help="append results as JSON lines to this file")
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    ns = parser.parse_args()
    if ns.child:
        child(ns.child, ns.work)
        return
    ns.drops.mkdir(parents=True, exist_ok=True)
    for scale in ns.scales:
        result = measure(scale, ns.format, ns.seed, ns.sample, ns.drops, ns.skip_import)
        line = json.dumps(result)
        print(line, flush=True)
        if ns.out:
            with ns.out.open("a", encoding="utf-8") as fh:
                fh.write(line + "\n")


if __name__ == "__main__":
    main()
