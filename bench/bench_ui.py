"""Analyst-workspace benchmark: server time of the queue, the largest cluster's page and an account page, and
the REST API under concurrent clients. Works on whatever the database and graph hold (the latest run).

1. Latency (server time): requests run in this process through Django's test client (the whole middleware,
   view, Neo4j and template stack, no network), `--requests` times per page after one cold request; prints
   p50/p95/p99 per page and checks p95 against `--target-ms` (300 ms).
2. Load: starts gunicorn (or uses `--url`), then `--clients` threads (20) call the API endpoints in turn with a
   token for `--duration` seconds (60); prints throughput, latency percentiles and every error. Any error fails.
3. Load during ingest (`--during-ingest DROP`, instead of the fixed-time load): the same load while DROP ingests
   with the platform's pipeline in a child process (as a worker would), from the start of the ingest to its end;
   prints the ingest's time and rate and the load's p95 and errors, and checks them against `--load-p95-ms`
   (1,000 ms) and zero errors; `--compare-unloaded` then prepares again and times the same ingest without load.
   `--prepare DROP0` first wipes the graph at NEO4J_URI and the benchmark's own database
   (`VAR_DIR/bench-ui.sqlite3`), ingests DROP0 and runs detection, so that the day before is what analysts read
   while the next day's drop arrives (point NEO4J_URI at a benchmark instance):

    VAR_DIR=... NEO4J_URI=... .venv/bin/python bench/bench_ui.py [--requests 50] [--clients 20] [--duration 60]
    VAR_DIR=var/bench NEO4J_URI=bolt://127.0.0.1:7687 .venv/bin/python bench/bench_ui.py --skip-latency \\
        --prepare var/bench/series/seed-0.3-10x1d-1/drop-0001 \\
        --during-ingest var/bench/series/seed-0.3-10x1d-1/drop-0002 --clients 50 --compare-unloaded

4. Explorer (`--explorer`): the graph explorer on the largest cluster, against gunicorn serving the static files
   too: the explorer API's cluster answer (cold and warm), `--expansions` (40) expansions of distinct entities and
   accounts (p95 against `--expand-p95-ms`, 300 ms), then Debian's Chromium opening the full-screen explorer
   `--opens` (3) times (navigation start to drawn; median against `--open-ms`, 2,000 ms), frame times while the
   camera zooms and pans (layout running, then stopped), expansions in the page, and the page's JS heap:

    VAR_DIR=var/bench NEO4J_URI=bolt://127.0.0.1:7687 .venv/bin/python bench/bench_ui.py --skip-latency \\
        --skip-load --explorer --prepare var/bench/drops/s1-1

Exit status: 0 when every target is met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "investigations.settings.dev")
os.environ.setdefault("DEBUG", "false")  # debug mode records every SQL query: not what production runs
if "--prepare" in sys.argv:  # it wipes: never the platform's own database
    os.environ.setdefault(
        "DATABASE_URL", f"sqlite:///{Path(os.environ.get('VAR_DIR', ROOT / 'var')) / 'bench-ui.sqlite3'}"
    )

import django  # noqa: E402

django.setup()
logging.getLogger("graph").setLevel(logging.WARNING)  # detection's progress lines would bury the figures

import requests  # noqa: E402
from bench_ingest import batched, wipe  # noqa: E402
from benchdb import detect, fresh_database  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db.models import Max  # noqa: E402
from django.test import Client  # noqa: E402

from graph.driver import get_graph  # noqa: E402
from graph.schema import apply_schema  # noqa: E402
from investigations.models import Cluster, ClusterMember  # noqa: E402
from investigations.roles import Role  # noqa: E402
from investigations.selectors.runs import latest_run  # noqa: E402
from investigations.services.tokens import issue_token  # noqa: E402
from investigations.services.users import create_or_update_user  # noqa: E402

BENCH_USER = "bench-analyst"


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of `values` in the same unit."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def summary(ms: list[float]) -> str:
    """p50 / p95 / p99 / max of millisecond timings."""
    return (
        f"p50 {percentile(ms, 50):7.1f}  p95 {percentile(ms, 95):7.1f}  p99 {percentile(ms, 99):7.1f}  "
        f"max {max(ms):7.1f} ms  (n={len(ms)})"
    )


@dataclass(frozen=True)
class Targets:
    """What the benchmark requests: the largest cluster of the latest run and its busiest member."""

    run_id: int
    cluster_key: str
    cluster_size: int
    account_id: str
    search_term: str


def pick_targets() -> Targets:
    """The largest cluster of the latest run (flagged first) and its busiest member."""
    run = latest_run()
    if run is None:
        sys.exit("no finished detection run: ingest a drop and run `manage.py detect --wait` first")
    cluster = Cluster.objects.filter(run=run).order_by("-size", "-score", "key").first()
    if cluster is None:
        sys.exit(f"detection run #{run.pk} has no clusters")
    busiest = ClusterMember.objects.filter(cluster=cluster).aggregate(top=Max("exchanges"))["top"]
    member = ClusterMember.objects.filter(cluster=cluster, exchanges=busiest).order_by("account_id").first()
    assert member is not None
    return Targets(run.pk, cluster.key, cluster.size, member.account_id, member.account_id)


def bench_user() -> tuple[object, str, str]:
    """The benchmark's analyst (created with a random password), its API token and its password."""
    password = secrets.token_urlsafe(18)
    user, _ = create_or_update_user(BENCH_USER, role=Role.ANALYST, password=password)
    token, _ = issue_token(user, hours=2)
    return user, token, password


def latency(user: object, t: Targets, requests_per_page: int, target_ms: float) -> bool:
    """Time each page in-process; True when every page's p95 is under the target."""
    client = Client(HTTP_HOST=settings.ALLOWED_HOSTS[0] if settings.ALLOWED_HOSTS else "localhost")
    client.force_login(user)  # type: ignore[arg-type]
    pages = {
        "queue": "/",
        f"cluster {t.cluster_key} ({t.cluster_size} accounts)": f"/clusters/{t.cluster_key}/",
        f"account {t.account_id}": f"/account/{quote(t.account_id, safe='')}/",
    }
    extra = {
        "cluster, members page 2": f"/clusters/{t.cluster_key}/?page=2",
        "search (account id)": f"/search/?q={quote(t.search_term)}",
        "api clusters": "/api/clusters/",
        "api cluster members": f"/api/clusters/{t.cluster_key}/members/",
    }
    ok = True
    print(f"\n== server time, in process: {requests_per_page} requests per page after one cold request ==")
    for label, url in {**pages, **extra}.items():
        started = time.perf_counter()
        response = client.get(url, follow=False)
        cold = (time.perf_counter() - started) * 1000
        if response.status_code not in (200, 302):
            print(f"{label:48s} HTTP {response.status_code} for {url}")
            ok = False
            continue
        ms: list[float] = []
        for _ in range(requests_per_page):
            started = time.perf_counter()
            response = client.get(url)
            ms.append((time.perf_counter() - started) * 1000)
            assert response.status_code in (200, 302), (url, response.status_code)
        verdict = ""
        if label in pages:
            met = percentile(ms, 95) < target_ms
            ok &= met
            verdict = "  OK" if met else f"  OVER {target_ms:.0f} ms"
        print(f"{label:48s} cold {cold:7.1f} ms | {summary(ms)}{verdict}")
    return ok


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_gunicorn(workers: int, threads: int, *, static: bool = False) -> tuple[subprocess.Popen[bytes], str]:
    """gunicorn serving the project on a free local port, with this process's environment (and its static files,
    with `static`, for a browser)."""
    port = _free_port()
    log = Path(settings.VAR_DIR) / "log" / "bench-ui-gunicorn.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable, "-m", "gunicorn", "static_wsgi:application" if static else "investigations.wsgi:application",
        "--pythonpath", f"{ROOT},{ROOT / 'bench'}", "-b", f"127.0.0.1:{port}",
        "-w", str(workers), "-k", "gthread", "--threads", str(threads), "--timeout", "120",
    ]  # fmt: skip
    with log.open("ab") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"gunicorn exited with {proc.returncode}; see {log}")
        try:
            if requests.get(f"{url}/health/live/", timeout=2).status_code == 200:
                return proc, url
        except requests.RequestException:  # not listening yet, or still loading the app
            time.sleep(0.3)
    proc.kill()
    sys.exit(f"gunicorn did not answer within 60 s; see {log}")


@dataclass
class LoadResult:
    """What the load phase saw."""

    latencies: list[float] = field(default_factory=list)
    by_path: dict[str, list[float]] = field(default_factory=dict)
    statuses: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, path: str, ms: float, status: str, error: str | None) -> None:
        """Add one request's outcome."""
        with self.lock:
            self.latencies.append(ms)
            self.by_path.setdefault(path, []).append(ms)
            self.statuses[status] += 1
            if error is not None and len(self.errors) < 20:
                self.errors.append(error)


def load(url: str, token: str, t: Targets, clients: int, duration: float,
         until: Callable[[], bool] | None = None, p95_target_ms: float | None = None) -> bool:
    """`clients` threads call the API for `duration` seconds, or while `until()` is false when given; True when no
    request failed (and the p95 latency is under `p95_target_ms` when given)."""
    account = quote(t.account_id, safe="")
    endpoints = [
        "/api/clusters/",
        "/api/clusters/?include_unflagged=true&ordering=-size&page=last",
        f"/api/clusters/{t.cluster_key}/",
        f"/api/clusters/{t.cluster_key}/members/?ordering=-exchanges",
        f"/api/clusters/{t.cluster_key}/network/",
        f"/api/clusters/{t.cluster_key}/timelines/",
        f"/api/accounts/{account}/",
        f"/api/accounts/{account}/sessions/",
        f"/api/search/?q={quote(t.search_term)}",
        "/api/annotations/",
    ]
    result = LoadResult()
    stop = time.monotonic() + duration

    def going() -> bool:
        return not until() if until is not None else time.monotonic() < stop

    def worker(offset: int) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Token {token}"
        i = offset
        while going():
            path = endpoints[i % len(endpoints)]
            i += 1
            started = time.perf_counter()
            try:
                response = session.get(url + path, timeout=60)
                status = str(response.status_code)
                error = None if response.ok else f"HTTP {status} {path}: {response.text[:200]}"
            except requests.RequestException as exc:
                status, error = "exception", f"{path}: {exc}"
            result.record(path, (time.perf_counter() - started) * 1000, status, error)

    span = "until the ingest ends" if until is not None else f"for {duration:.0f} s"
    print(f"\n== API load: {clients} concurrent clients {span} against {url} ==")
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    started = time.monotonic()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    elapsed = time.monotonic() - started
    total = len(result.latencies)
    failed = sum(n for s, n in result.statuses.items() if not s.startswith("2"))
    print(f"requests {total}  ({total / elapsed:.1f}/s)  statuses {dict(result.statuses)}  errors {failed}")
    if result.latencies:
        print(f"client-side latency: {summary(result.latencies)}")
        for path, ms in sorted(result.by_path.items(), key=lambda item: -percentile(item[1], 95)):
            print(f"  {path[:60]:60s} {summary(ms)}")
    for error in result.errors:
        print(f"  error: {error}")
    ok = failed == 0 and total > 0
    if p95_target_ms is not None and result.latencies:
        met = percentile(result.latencies, 95) < p95_target_ms
        print(f"p95 {percentile(result.latencies, 95):.0f} ms: " + ("OK" if met else f"OVER {p95_target_ms:.0f} ms"))
        ok &= met
    return ok


FRAMES_JS = """async () => {
  const ex = window.explorer, camera = ex.renderer.getCamera(), gaps = [];
  let last = performance.now(), going = true;
  const tick = (t) => { gaps.push(t - last); last = t; if (going) requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
  for (let i = 0; i < 3; i += 1) {
    await camera.animatedZoom({ duration: 500 });
    await camera.animate({ x: 0.3 + 0.2 * i, y: 0.6 - 0.1 * i }, { duration: 500 });
    await camera.animatedUnzoom({ duration: 500 });
    await camera.animatedReset({ duration: 500 });
  }
  going = false;
  return gaps.slice(1);
}"""
EXPAND_JS = """async ([entities, accounts]) => {
  const ex = window.explorer, ms = [];
  const drawn = () => ex.graph.filterNodes((n) => n.startsWith("account|")).slice(0, accounts);
  for (const key of [...entities.filter((k) => ex.graph.hasNode(k)), "accounts"]) {
    if (key === "accounts") {
      for (const account of drawn()) {
        const t = performance.now();
        await ex.expand(account, { confirmed: true });
        await new Promise((resolve) => requestAnimationFrame(() => resolve()));
        ms.push(performance.now() - t);
      }
      break;
    }
    const t = performance.now();
    await ex.expand(key, { confirmed: true });
    await new Promise((resolve) => requestAnimationFrame(() => resolve()));
    ms.push(performance.now() - t);
  }
  return ms;
}"""


def explorer(url: str, t: Targets, token: str, password: str, args: argparse.Namespace) -> bool:
    """The graph explorer on the largest cluster: how long it takes to open in Chromium, frame times while the
    camera pans and zooms, the page's memory, and how fast an expansion answers (API and in the page)."""
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - only this phase drives a browser

    session = requests.Session()
    session.headers["Authorization"] = f"Token {token}"
    api = f"{url}/api/explorer"
    print(f"\n== explorer: cluster {t.cluster_key} ({t.cluster_size:,} accounts) ==")
    started = time.perf_counter()
    response = session.get(f"{api}/clusters/{t.cluster_key}/", timeout=300)
    cold = (time.perf_counter() - started) * 1000
    response.raise_for_status()
    data = response.json()
    warm: list[float] = []
    for _ in range(3):
        started = time.perf_counter()
        session.get(f"{api}/clusters/{t.cluster_key}/", timeout=300).raise_for_status()
        warm.append((time.perf_counter() - started) * 1000)
    aggregates = sum(1 for e in data["entities"] if e[4])
    print(f"cluster answer ({data['mode']}): {len(data['accounts']):,} accounts, {len(data['entities']):,} entities "
          f"({aggregates} standing alone), {len(data['edges']) // 2 + len(data['group_edges']) // 3:,} ties, "
          f"{len(response.content) / 1e6:.1f} MB; cold {cold:.0f} ms, warm {summary(warm)}")  # fmt: skip
    rng = random.Random(7)
    entities = [e[0] for e in data["entities"] if not e[4]]
    accounts = {a[0] for a in data["accounts"]}  # none when a big cluster opens as groups: its groups' then
    picks = rng.sample(entities, min(len(entities), args.expansions // 2))
    api_ms: list[float] = []

    def timed(path: str) -> dict[str, Any]:
        started = time.perf_counter()
        answer = session.get(f"{api}/{path}", timeout=60)
        answer.raise_for_status()
        api_ms.append((time.perf_counter() - started) * 1000)
        return dict(answer.json())

    for key in picks:
        kind, _, ident = key.partition("|")
        accounts.update(a[0] for a in timed(f"entities/{kind}/{quote(ident, safe='')}/")["accounts"])
    for account in rng.sample(sorted(accounts), min(len(accounts), args.expansions - len(picks))):
        picks.append(f"account|{account}")
        timed(f"accounts/{quote(account, safe='')}/")
    ok = percentile(api_ms, 95) < args.expand_p95_ms
    print(f"expansion API ({len(api_ms)} distinct nodes, half entities, half accounts): {summary(api_ms)}"
          + ("  OK" if ok else f"  OVER {args.expand_p95_ms:.0f} ms"))  # fmt: skip

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                    args=["--headless=new", "--no-sandbox", "--disable-gpu"])  # fmt: skip
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{url}/accounts/login/")
        page.fill("#id_username", BENCH_USER)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_selector(".who")
        opens: list[float] = []
        for _ in range(args.opens):
            page.goto(f"{url}/explore/clusters/{t.cluster_key}/")
            page.wait_for_selector("#explorer[data-state=ready]", state="attached", timeout=120_000)
            opens.append(float(page.get_attribute("#explorer", "data-ready-at") or "nan"))
        drawn = page.evaluate("() => [window.explorer.graph.order, window.explorer.graph.size]")
        open_ok = percentile(opens, 50) < args.open_ms
        ok &= open_ok
        print(f"open in Chromium (navigation to drawn, {len(opens)} times): {summary(opens)}; "
              f"{drawn[0]:,} nodes, {drawn[1]:,} edges" + ("  OK" if open_ok else f"  OVER {args.open_ms:.0f} ms"))  # fmt: skip
        heap = page.evaluate("() => performance.memory.usedJSHeapSize") / 1e6
        running = page.evaluate(FRAMES_JS)
        page.evaluate("() => window.explorer.layout.stop()")
        still = page.evaluate(FRAMES_JS)
        print(f"frames while panning and zooming, layout running: {summary(running)}; "
              f"{1000 / (sum(running) / len(running)):.0f} fps")  # fmt: skip
        print(f"frames while panning and zooming, layout stopped: {summary(still)}; "
              f"{1000 / (sum(still) / len(still)):.0f} fps")  # fmt: skip
        page_ms = page.evaluate(EXPAND_JS, [[k for k in picks if not k.startswith("account|")][:10], 10])
        after = page.evaluate("() => [window.explorer.graph.order, performance.memory.usedJSHeapSize]")
        print(f"expansion in the page (request, graph, render; {len(page_ms)} nodes): {summary(page_ms)}")
        print(f"browser memory: JS heap {heap:.0f} MB opened, {after[1] / 1e6:.0f} MB after {len(page_ms)} "
              f"expansions ({after[0]:,} nodes; the explorer holds at most 40,000)")  # fmt: skip
        browser.close()
    for error in errors:
        print(f"  page error: {error}")
    return ok and not errors


def prepare(drop: Path) -> None:
    """The day before: an empty graph and benchmark database, `drop` ingested, detection run on it."""
    graph = get_graph()
    wipe(graph)
    apply_schema(graph)
    fresh_database("bench-ui.sqlite3")
    work = Path(settings.VAR_DIR) / "bench-ui-work" / drop.name
    shutil.rmtree(work, ignore_errors=True)
    started = time.perf_counter()
    report = batched(drop, work)
    print(f"prepared: {drop} ingested ({report['exchanges']:,} exchanges) in {time.perf_counter() - started:.1f} s")
    run, seconds = detect()
    print(f"prepared: detection run #{run.pk} in {seconds:.1f} s, {run.clusters.filter(flagged=True).count()} flagged clusters")


class BackgroundIngest:
    """The platform's ingest of a drop in a child process (bench_ingest's), watched from a thread."""

    def __init__(self, drop: Path, nice: int) -> None:
        self.drop = drop
        self.nice = nice
        self.report: dict[str, object] | None = None
        self.error: BaseException | None = None
        self.seconds = 0.0
        self._done = threading.Event()
        work = Path(settings.VAR_DIR) / "bench-ui-work" / drop.name
        shutil.rmtree(work, ignore_errors=True)
        self._thread = threading.Thread(target=self._run, args=(work,), daemon=True)

    def _run(self, work: Path) -> None:
        started = time.perf_counter()
        try:
            self.report = batched(self.drop, work, nice=self.nice)
        except BaseException as exc:  # reported by the caller  # noqa: BLE001
            self.error = exc
        finally:
            self.seconds = time.perf_counter() - started
            self._done.set()

    def start(self) -> None:
        """Start the child ingest."""
        self._thread.start()

    def done(self) -> bool:
        """True once the child has exited."""
        return self._done.is_set()


def load_during_ingest(url: str, token: str, t: Targets, args: argparse.Namespace) -> bool:
    """The API load for as long as `args.during_ingest` takes to ingest; True when the load met its targets and
    the ingest succeeded."""
    print(f"\n== warm-up (a served app is warm: workers started, caches filled), {args.warmup:.0f} s ==")
    load(url, token, t, args.clients, args.warmup)
    ingest = BackgroundIngest(args.during_ingest, args.ingest_nice)
    print(f"\n== ingest of {args.during_ingest} with the API under load ==")
    ingest.start()
    ok = load(url, token, t, args.clients, args.duration, until=ingest.done, p95_target_ms=args.load_p95_ms)
    if ingest.error is not None or ingest.report is None:
        print(f"ingest FAILED: {ingest.error}")
        return False
    exchanges = int(str(ingest.report["exchanges"]))
    print(f"ingest under load: {exchanges:,} exchanges in {ingest.seconds:.1f} s, {exchanges / ingest.seconds:,.0f} exchanges/s")
    if args.compare_unloaded:
        prepare(args.prepare)
        quiet = BackgroundIngest(args.during_ingest, args.ingest_nice)
        quiet.start()
        while not quiet.done():
            time.sleep(0.2)
        if quiet.error is not None:
            print(f"unloaded ingest FAILED: {quiet.error}")
            return False
        print(f"the same ingest without load: {quiet.seconds:.1f} s, {exchanges / quiet.seconds:,.0f} exchanges/s; "
              f"under load it took {ingest.seconds / quiet.seconds:.2f}x as long")
    return ok


def main(argv: list[str] | None = None) -> int:
    """Run both phases and print the figures; non-zero when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--requests", type=int, default=50, help="timed requests per page (after one cold one)"
    )
    parser.add_argument("--target-ms", type=float, default=300.0, help="p95 server time every page must beat")
    parser.add_argument("--clients", type=int, default=20, help="concurrent API clients")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of API load")
    parser.add_argument("--url", help="an already running server (default: start gunicorn)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--explorer", action="store_true",
                        help="also time the graph explorer on the largest cluster (Chromium, gunicorn)")
    parser.add_argument("--expansions", type=int, default=40, help="distinct nodes the explorer phase expands")
    parser.add_argument("--opens", type=int, default=3, help="times the explorer phase opens the cluster")
    parser.add_argument("--open-ms", type=float, default=2000.0, help="median open time the explorer must beat")
    parser.add_argument("--expand-p95-ms", type=float, default=300.0, help="p95 of an expansion API answer")
    parser.add_argument("--prepare", type=Path, metavar="DROP0",
                        help="wipe the graph and the benchmark database, ingest DROP0 and detect, first")
    parser.add_argument("--during-ingest", type=Path, metavar="DROP",
                        help="run the load while DROP ingests (for as long as the ingest takes)")
    parser.add_argument("--load-p95-ms", type=float, default=1000.0,
                        help="p95 client latency the load during ingest must beat")
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds of unmeasured load before the ingest")
    parser.add_argument("--ingest-nice", type=int, default=int(os.environ.get("CELERY_NICE", "10")),
                        help="niceness of the ingest child, as deploy/celery.sh runs the worker (CELERY_NICE, 10)")
    parser.add_argument("--compare-unloaded", action="store_true",
                        help="after the loaded ingest, prepare again and time the same ingest without load")
    args = parser.parse_args(argv)
    if args.compare_unloaded and (args.prepare is None or args.during_ingest is None):
        parser.error("--compare-unloaded needs --prepare and --during-ingest")

    if args.prepare is not None:
        prepare(args.prepare)
    targets = pick_targets()
    user, token, password = bench_user()
    print(
        f"run #{targets.run_id}: largest cluster {targets.cluster_key} ({targets.cluster_size} accounts), "
        f"account {targets.account_id}; graph at {settings.NEO4J_URI}"
    )
    ok = True
    if not args.skip_latency:
        ok &= latency(user, targets, args.requests, args.target_ms)
    if args.explorer:
        server, served = start_gunicorn(args.workers, args.threads, static=True)
        try:
            ok &= explorer(served, targets, token, password, args)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    if not args.skip_load:
        proc: subprocess.Popen[bytes] | None = None
        url = args.url
        if url is None:
            proc, url = start_gunicorn(args.workers, args.threads)
        try:
            if args.during_ingest is not None:
                ok &= load_during_ingest(url.rstrip("/"), token, targets, args)
            else:
                ok &= load(url.rstrip("/"), token, targets, args.clients, args.duration)
        finally:
            if proc is not None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=30)
    print("\nALL TARGETS MET" if ok else "\nSOME TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
