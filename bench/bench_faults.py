"""Recovery from real faults: how long the platform takes to finish a job after a worker, Redis or Neo4j dies under it.

    VAR_DIR=var/bench NEO4J_URI=bolt://127.0.0.1:7687 .venv/bin/python bench/bench_faults.py --scale 0.1 \\
        --json var/bench/faults.json

Point it at a benchmark instance: it wipes the graph at NEO4J_URI, uses a database of its own
(`VAR_DIR/bench-faults.sqlite3`), and stops and starts the Neo4j and Redis of VAR_DIR (the ports of NEO4J_URI and
CELERY_BROKER_URL) through their deploy scripts. It starts a Celery worker (production's two processes, niced) and
Celery beat (the periodic tasks that re-queue jobs whose worker died), with production's timeouts unless the
environment overrides them. First an undisturbed ingest and detection run of a `seed` drop at `--scale` give the
reference graph and times; then each fault is made once, in the middle of the work:

- `worker-ingest`: the worker killed with SIGKILL in the sessions step of an ingest job (a new worker is started);
- `worker-detect`: the same in the middle of a detection run;
- `redis-ingest`: Redis stopped and started again in the sessions step;
- `neo4j-ingest`: Neo4j stopped and started again in the sessions step;
- `neo4j-detect`: Neo4j stopped and started again in the middle of a detection run.

Per fault it prints how long the service was gone, the seconds from the fault (or from the service's return) to the
job's end, the job's total time against the undisturbed one, its attempts, and whether the result is exact: an
ingest's graph equal to the reference in every count and total (nodes and relationships per type, the exchange,
token and capability totals of accounts, sessions and every USED_* relationship), no duplicate relationship; a
detection run stored once, its Cluster nodes those of the run alone.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "investigations.settings.dev")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{Path(os.environ.get('VAR_DIR', ROOT / 'var')) / 'bench-faults.sqlite3'}")

import django  # noqa: E402

django.setup()

from bench_ingest import generate, wipe  # noqa: E402
from benchdb import fresh_database  # noqa: E402
from django.conf import settings  # noqa: E402

from graph.driver import Graph, get_graph  # noqa: E402
from graph.ingest import run_ingest  # noqa: E402
from graph.schema import apply_schema  # noqa: E402
from investigations.celery import app as celery_app  # noqa: E402
from investigations.celery import reset_broker_connections  # noqa: E402
from investigations.models import Cluster, DetectionRun, IngestJob, JobStatus  # noqa: E402
from investigations.services import ingest as ingest_services  # noqa: E402
from investigations.services.detection import start_detection  # noqa: E402

FAULTS = ("worker-ingest", "worker-detect", "redis-ingest", "neo4j-ingest", "neo4j-detect")
FINISHED = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.REJECTED)

TOTALS = {
    "accounts": "MATCH (a:Account) RETURN count(a) AS n, sum(a.exchanges) AS ex, sum(a.input_tokens) AS tin, "
    "sum(a.output_tokens) AS tout, sum(a.reasoning_exchanges) AS re, "
    "sum(reduce(s = 0, x IN coalesce(a.cap_counts, []) | s + x)) AS caps",
    "sessions": "MATCH (s:Session) RETURN count(s) AS n, sum(s.exchanges) AS ex, sum(s.input_tokens) AS tin, "
    "sum(reduce(s2 = 0, x IN coalesce(s.template_exchanges, []) | s2 + x)) AS tex",
    "used": "MATCH ()-[r]->() WHERE type(r) STARTS WITH 'USED_' RETURN type(r) AS type, count(r) AS n, "
    "sum(r.exchanges) AS ex, sum(r.sessions) AS sessions ORDER BY type",
    "nodes": "MATCH (n) RETURN labels(n)[0] AS label, count(n) AS n ORDER BY label",
    "relationships": "MATCH ()-[r]->() RETURN type(r) AS type, count(r) AS n ORDER BY type",
}


def fingerprint(graph: Graph) -> dict[str, Any]:
    """Every count and total an exact ingest must reproduce (without detection's clusters and links)."""
    out: dict[str, Any] = {}
    for name, query in TOTALS.items():
        rows = graph.auto(f"faults_{name}", query)  # type: ignore[arg-type]
        out[name] = [r for r in rows if r.get("label") != "Cluster" and r.get("type") not in ("LINKED", "MEMBER_OF")]
    out["duplicates"] = graph.auto(
        "faults_duplicates",
        "MATCH (a)-[r]->(b) WITH a, b, type(r) AS t, count(*) AS n WHERE n > 1 RETURN count(*) AS pairs",
    )[0]["pairs"]
    return out


class Services:
    """The worker, beat, Redis and Neo4j of this benchmark."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.env = {
            **os.environ,
            "NEO4J_BOLT_PORT": str(urlparse(settings.NEO4J_URI).port or 7687),
            "REDIS_PORT": str(urlparse(settings.CELERY_BROKER_URL).port or 6379),
        }
        self.worker: subprocess.Popen[bytes] | None = None
        self.beat: subprocess.Popen[bytes] | None = None

    def _celery(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        with (self.log_dir / f"bench-faults-{name}.log").open("ab") as log:
            return subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "investigations", *args], cwd=ROOT, env=self.env,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                preexec_fn=lambda: os.nice(int(os.environ.get("CELERY_NICE", "10"))),  # noqa: PLW1509
            )  # fmt: skip

    def start_worker(self) -> None:
        self.worker = self._celery("worker", [
            "worker", "-l", "info", "--concurrency", "2", "-Q", "default,ingest,detection",
            "-n", f"bench-faults-{os.getpid()}@%h", "--without-mingle", "--without-gossip",
        ])  # fmt: skip
        deadline = time.monotonic() + 120
        while not celery_app.control.ping(timeout=1):
            if time.monotonic() > deadline or self.worker.poll() is not None:
                raise RuntimeError(f"the worker did not start (see {self.log_dir}/bench-faults-worker.log)")

    def kill_worker(self) -> None:
        assert self.worker is not None
        os.killpg(self.worker.pid, signal.SIGKILL)
        self.worker.wait(timeout=30)

    def start_beat(self) -> None:
        schedule = self.log_dir / "bench-faults-beat-schedule"
        self.beat = self._celery("beat", ["beat", "-l", "info", "-s", str(schedule)])

    def stop(self) -> None:
        for proc in (self.worker, self.beat):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)

    def restart(self, service: str) -> float:
        """Stop and start `service` (redis or neo4j); returns the seconds it was gone."""
        stopped = time.monotonic()
        for action in ("stop", "start"):
            subprocess.run(["bash", str(ROOT / "deploy" / f"{service}.sh"), action], cwd=ROOT, env=self.env,
                           check=True, capture_output=True, timeout=600)  # fmt: skip
            if action == "stop" and service == "redis":
                time.sleep(2)
        if service == "redis":
            reset_broker_connections()
        return time.monotonic() - stopped


def wait(get: Callable[[], Any], until: Callable[[Any], bool], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = get()
        if until(value):
            return value
        time.sleep(0.2)
    raise RuntimeError(f"{what} within {timeout:.0f} s")


def make_fault(services: Services, fault: str) -> float:
    """Kill the worker (and start another) or restart a service; returns the seconds the service was gone."""
    if fault.startswith("worker-"):
        services.kill_worker()
        services.start_worker()
        return 0.0
    return services.restart(fault.split("-")[0])


def through_fault(services: Services, fault: str, get: Callable[[], Any], under_way: Callable[[Any], bool]) -> dict[str, Any]:
    """Wait until the job or run `get` returns is `under_way`, make the fault, wait for the end; its figures."""
    item = wait(get, lambda j: under_way(j) or j.status in FINISHED, 900, "the work never got under way")
    if item.status in FINISHED:
        raise RuntimeError(f"{item} ended before the fault")
    at = item.progress
    faulted = time.monotonic()
    down = make_fault(services, fault)
    back = time.monotonic()
    item = wait(get, lambda j: j.status in FINISHED, 3600, "the work never ended")
    done = time.monotonic()
    assert item.finished_at
    return {"fault": fault, "at_progress": at, "down_s": down,
            "after_fault_s": done - faulted, "after_back_s": done - back,
            "job_s": (item.finished_at - item.created_at).total_seconds(), "attempts": item.attempts,
            "status": item.status, "id": item.pk}  # fmt: skip


def ingest_with_fault(drop: Path, services: Services, fault: str) -> dict[str, Any]:
    wipe(get_graph())
    job = ingest_services.create_ingest_job(drop, source=IngestJob.Source.COMMAND, within_root=False)
    return through_fault(services, fault, lambda: IngestJob.objects.get(pk=job.pk), lambda j: "sessions" in j.stage)


def detect_with_fault(services: Services, fault: str) -> dict[str, Any]:
    run = start_detection()
    return through_fault(services, fault, lambda: DetectionRun.objects.get(pk=run.pk),
                         lambda r: r.status == JobStatus.RUNNING and r.progress >= 0.2)  # fmt: skip


def detection_exact(run_id: int) -> bool:
    keys = list(Cluster.objects.filter(run_id=run_id).values_list("key", flat=True))
    rows = get_graph().auto("faults_clusters", "MATCH (c:Cluster {run_id: $run}) RETURN count(c) AS n", run=run_id)
    return bool(keys) and len(keys) == len(set(keys)) == rows[0]["n"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--drops-dir", type=Path, default=Path(settings.VAR_DIR) / "drops")
    parser.add_argument("--faults", nargs="+", choices=FAULTS, default=list(FAULTS))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    drop = generate(args.scale, "csv", args.seed, args.drops_dir)
    fresh_database("bench-faults.sqlite3")
    graph = get_graph()
    apply_schema(graph)
    wipe(graph)
    work = Path(settings.VAR_DIR) / "bench-faults-work"
    started = time.perf_counter()
    run_ingest(drop, graph, work_dir=work / "ref", quarantine_path=work / "ref-quarantine.csv")
    reference_ingest = time.perf_counter() - started
    reference = fingerprint(graph)
    print(f"drop {drop.name}: undisturbed ingest {reference_ingest:.1f} s (in this process)", flush=True)

    log_dir = Path(settings.VAR_DIR) / "log"
    log_dir.mkdir(parents=True, exist_ok=True)
    services = Services(log_dir)
    rows: list[dict[str, Any]] = []
    try:
        services.start_worker()
        services.start_beat()
        run = start_detection()
        run = wait(lambda: DetectionRun.objects.get(pk=run.pk), lambda r: r.status in FINISHED, 3600,
                   "the undisturbed run never ended")  # fmt: skip
        assert run.started_at and run.finished_at
        reference_detect = (run.finished_at - run.created_at).total_seconds()
        print(f"undisturbed detection through the worker: {reference_detect:.1f} s", flush=True)
        print(f"{'fault':<14} {'at':>5} {'down s':>7} {'after fault s':>14} {'after back s':>13} {'job s':>7} "
              f"{'undisturbed s':>14} {'attempts':>8}  result", flush=True)  # fmt: skip
        for fault in args.faults:
            if fault.endswith("-ingest"):
                row = ingest_with_fault(drop, services, fault)
                row["undisturbed_s"] = reference_ingest
                row["exact"] = row["status"] == JobStatus.SUCCEEDED and fingerprint(graph) == reference
            else:
                row = detect_with_fault(services, fault)
                row["undisturbed_s"] = reference_detect
                row["exact"] = row["status"] == JobStatus.SUCCEEDED and detection_exact(row["id"])
            rows.append(row)
            result = "exact" if row["exact"] else f"NOT EXACT ({row['status']})"
            print(f"{fault:<14} {row['at_progress']:>5.0%} {row['down_s']:>7.1f} {row['after_fault_s']:>14.1f} "
                  f"{row['after_back_s']:>13.1f} {row['job_s']:>7.1f} {row['undisturbed_s']:>14.1f} "
                  f"{row['attempts']:>8}  {result}", flush=True)  # fmt: skip
    finally:
        services.stop()
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"drop": str(drop), "scale": args.scale, "faults": rows}, indent=2, default=str))
    if not all(r["exact"] for r in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
