"""Stage two: write a staged drop to Neo4j with batched `UNWIND ... MERGE` statements in managed write
transactions, step by step, recording a checkpoint after every committed batch.

Every batch is idempotent or applied exactly once: entity rows MERGE and SET values computed from the drop;
a session batch creates its new sessions and adds their exchange facts to their accounts in one transaction
(a replayed batch finds the sessions, takes the replace path and marks their accounts `:Recompute` instead of
adding twice). A re-sent session, the facts of an earlier drop's session and an out-of-order drop mark the
account too, and the recompute step rebuilds marked accounts from all their sessions: a daily drop costs
what its own sessions cost, never the account's history.

Steps whose batches must commit in order (template writes and merges, orphan session facts, the drop record)
go through one ordered writer thread. Every other step (shared entities one row per key, accounts, billing,
API keys, sessions with their accounts' facts, recomputes) goes through two parallel writer threads (two
transactions at a time on the server; session batches hold whole accounts, so two transactions never write
one account, and the shared nodes they link to are only given relationships, never properties), while the
main thread prepares the next batches and a prefetch thread the next session partition.
"""

from __future__ import annotations

import json
import queue
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sized
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from neo4j import ManagedTransaction

from graph.driver import Graph, cypher
from graph.drop import FILES
from graph.drop.contract import DUP_COLUMN, ROW_COLUMN
from graph.ingest.stage import (
    StageManifest,
    frame_schema,
    partial_path,
    read_arrow,
    sessions_path,
    write_ids,
)
from graph.ingest.templates import (
    ExistingTemplates,
    TemplatePlan,
    cap_members,
    hex_to_u64,
    i64_to_u64,
    plan_templates,
    u64_to_i64,
)
from graph.ingest.transform import (
    FREE_MAIL_DOMAINS,
    PARTIAL_SCHEMAS,
    account_facts,
    combine_partials,
    email_domains,
    keep_last,
    ms_column,
    record_hashes,
    session_rows,
    subnet_of,
)
from graph.schema import apply_schema

Checkpoint = dict[str, Any]
B = TypeVar("B", bound=Sized)  # a batch: rows (one map each) or Columns
Progress = Callable[[str, float], None]

BATCH = {"default": 5_000, "sessions": 2_500, "recompute": 500}
STEP_WEIGHTS = {
    "schema": 1, "dimensions": 5, "accounts": 8, "billing": 4, "api_keys": 3, "templates": 3, "sessions": 60,
    "orphans": 2, "recompute": 8, "account_defaults": 1, "template_facts": 2, "drop": 1,
}  # fmt: skip


class WriteMismatch(RuntimeError):
    """A batch wrote fewer rows than it was given: a referenced node is missing (nothing may be lost)."""


class _Writer:
    """Runs transaction functions on background threads (one thread: in submission order); errors surface
    on the next call. Each committed batch's marker is recorded for the checkpoint."""

    def __init__(self, graph: Graph, threads: int = 1) -> None:
        self.graph = graph
        self.jobs: queue.Queue[tuple[str, Callable[[ManagedTransaction], Any], Any] | None] = queue.Queue(
            maxsize=2 * threads
        )
        self.error: BaseException | None = None
        self.committed: list[Any] = []
        self.retries: dict[str, int] = {}  # per step: transactions run again after a transient error (a lock)
        self.lock = threading.Lock()
        self.threads = [
            threading.Thread(target=self._run, name=f"ingest-writer-{i}", daemon=True) for i in range(threads)
        ]
        for thread in self.threads:
            thread.start()

    def _run(self) -> None:
        with self.graph.driver.session(database=self.graph.config.database) as session:
            while True:
                job = self.jobs.get()
                if job is None:
                    self.jobs.task_done()
                    return
                name, work, marker = job
                attempts = [0]

                def counted(
                    tx: ManagedTransaction, work: Callable[[ManagedTransaction], Any] = work, attempts: list[int] = attempts
                ) -> Any:
                    attempts[0] += 1  # the driver calls again after a transient error (a lock conflict)
                    return work(tx)

                try:
                    if self.error is None:
                        started = time.perf_counter()
                        session.execute_write(counted)
                        with self.lock:
                            self.graph.timings.add(name, time.perf_counter() - started)
                            self.committed.append(marker)
                            if attempts[0] > 1:
                                step = re.sub(r":\d+", "", name)
                                self.retries[step] = self.retries.get(step, 0) + attempts[0] - 1
                except BaseException as exc:  # noqa: BLE001 - handed to the main thread
                    self.error = exc
                finally:
                    self.jobs.task_done()

    def submit(self, name: str, work: Callable[[ManagedTransaction], Any], marker: Any) -> None:
        """Queue one transaction; raise the writer's error if an earlier one failed."""
        self._raise()
        self.jobs.put((name, work, marker))

    def take_committed(self) -> list[Any]:
        """Markers of the batches committed since the last call."""
        with self.lock:
            done, self.committed = self.committed, []
        return done

    def drain(self) -> None:
        """Wait until every queued transaction has committed."""
        self.jobs.join()
        self._raise()

    def close(self) -> None:
        """Stop the threads after the queued work."""
        for _ in self.threads:
            self.jobs.put(None)
        for thread in self.threads:
            thread.join()

    def _raise(self) -> None:
        if self.error is not None:
            raise self.error


@dataclass(frozen=True)
class Columns:
    """A batch as parallel lists, sent as the parameter `$c` of a query that reads row i as `$c.<field>[i]`
    (`UNWIND range(0, size($c.<key>) - 1) AS i`): one list per field instead of one map per row is far less
    for the client to build and pack and for the server to unpack."""

    data: dict[str, list[Any]]
    size: int

    def __len__(self) -> int:
        return self.size

    def take(self, rows: list[int]) -> Columns:
        """The given rows, in that order."""
        return Columns({k: [v[i] for i in rows] for k, v in self.data.items()}, len(rows))

    def for_query(self, name: str) -> Columns:
        """Only the columns the named query reads (`$c.<field>`), so no list is sent that it ignores."""
        return Columns({k: self.data[k] for k in _columns_read(name)}, self.size)


@cache
def _columns_read(name: str) -> tuple[str, ...]:
    return tuple(sorted(set(re.findall(r"\$c\.(\w+)", cypher(name)))))


def _run(tx: ManagedTransaction, name: str, **params: Any) -> list[dict[str, Any]]:
    return [r.data() for r in tx.run(cypher(name), params)]


def _run_checked(
    tx: ManagedTransaction, name: str, rows: list[dict[str, Any]] | Columns, **params: Any
) -> None:
    result = _run(tx, name, c=rows.data, **params) if isinstance(rows, Columns) else _run(tx, name, rows=rows, **params)
    written = result[0]["written"] if result else 0
    if written != len(rows):
        raise WriteMismatch(f"{name}: wrote {written} of {len(rows)} rows (a referenced node is missing)")


def _batches(rows: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _table_batches(table: pa.Table, size: int) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, table.num_rows, size):
        yield table.slice(start, size).to_pylist()


def _column_batches(table: pa.Table, size: int) -> Iterator[Columns]:
    for start in range(0, table.num_rows, size):
        part = table.slice(start, size)
        yield Columns({name: part.column(name).to_pylist() for name in part.column_names}, part.num_rows)


@dataclass(frozen=True)
class LoadStats:
    """What stage two did: rows written per step and the templates it created, extended and merged."""

    rows: dict[str, int]
    new_accounts: int
    recomputed_accounts: int
    templates_new: int
    templates_extended: int
    templates_merged: int
    retried: dict[str, int]  # per step: transactions run again after a transient error (lock wait, deadlock)


class Loader:
    """Writes one staged drop, resuming after the last committed batch recorded in `checkpoint`."""

    def __init__(
        self,
        graph: Graph,
        work_dir: Path,
        manifest: StageManifest,
        *,
        checkpoint: Checkpoint | None = None,
        on_checkpoint: Callable[[Checkpoint], None] | None = None,
        progress: Progress | None = None,
        threads: int = 2,
    ) -> None:
        self.graph = graph
        self.threads = threads
        self._step_done: set[int] = set()
        self.work = work_dir
        self.manifest = manifest
        self.state: Checkpoint = dict(checkpoint or {})
        self.state.setdefault("done", [])
        self.on_checkpoint = on_checkpoint
        self.progress = progress
        self.as_of = manifest.as_of_ms if manifest.as_of_ms is not None else 0
        self.rows: dict[str, int] = {}
        self._last_saved = 0.0
        self._steps = self._plan_steps()
        self._weights_total = sum(w for _, w in self._steps)
        self._weights_done = 0.0
        self.plan: TemplatePlan | None = None
        self.template_stats = (0, 0, 0)

    def _plan_steps(self) -> list[tuple[str, float]]:
        steps: list[tuple[str, float]] = []
        # templates early: its plan is all that preparing the first session partition needs, so that runs
        # on the prefetch thread while Neo4j writes the accounts, billing and keys (see run)
        for name in ("schema", "templates", "dimensions", "accounts", "billing", "api_keys"):
            steps.append((name, STEP_WEIGHTS[name]))
        share = STEP_WEIGHTS["sessions"] / max(self.manifest.partitions, 1)
        steps.extend((f"sessions:{p}", share) for p in range(self.manifest.partitions))
        for name in ("orphans", "recompute", "account_defaults", "template_facts", "drop"):
            steps.append((name, STEP_WEIGHTS[name]))
        return steps

    # ------------------------------------------------------------------ running

    def run(self) -> LoadStats:
        """Run every step not yet done; return what was written."""
        writer = self._ordered = _Writer(self.graph)
        self.parallel = _Writer(self.graph, threads=self.threads)
        self._prefetch = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-prepare")
        self._prefetched: dict[int, Future[list[SessionBatch]]] = {}
        try:
            for name, weight in self._steps:
                if name in self.state["done"]:
                    self._weights_done += weight
                    continue
                self._current = (name, weight)
                self._report(0.0)
                method = getattr(self, "_step_" + name.split(":")[0])
                if ":" in name:
                    method(writer, name, int(name.split(":")[1]))
                else:
                    method(writer, name)
                writer.drain()
                self.parallel.drain()
                self._note_committed()
                self.state["done"].append(name)
                self.state.pop("step", None)
                self.state.pop("batch", None)
                self._save(force=True)
                self._weights_done += weight
                if name == "dimensions":
                    # after the two steps holding the most memory (template planning, distinct entities)
                    self._prefetch_first_partition()
        finally:
            for future in self._prefetched.values():
                future.cancel()
            self._prefetch.shutdown(wait=True)
            writer.close()
            self.parallel.close()
        retried: dict[str, int] = {}
        for w in (writer, self.parallel):
            for step, n in w.retries.items():
                retried[step] = retried.get(step, 0) + n
        return LoadStats(
            rows=dict(self.rows),
            new_accounts=len(self._new_accounts()),
            recomputed_accounts=self.rows.get("recompute", 0),
            templates_new=self.template_stats[0],
            templates_extended=self.template_stats[1],
            templates_merged=self.template_stats[2],
            retried=retried,
        )

    def _report(self, fraction: float) -> None:
        if self.progress is None:
            return
        name, weight = self._current
        self.progress(name, (self._weights_done + weight * min(fraction, 1.0)) / self._weights_total)

    def _save(self, force: bool = False) -> None:
        now = time.monotonic()
        if self.on_checkpoint is not None and (force or now - self._last_saved > 2.0):
            self._last_saved = now
            self.on_checkpoint(json.loads(json.dumps(self.state)))

    def _write(
        self,
        writer: _Writer,
        step: str,
        batches: Iterable[B],
        work: Callable[[B], Callable[[ManagedTransaction], Any]],
        total: int | None = None,
        key_of: Callable[[B], str] | None = None,
        skip_done: bool = True,
    ) -> None:
        """Submit batches of one step, skipping those a previous attempt committed (the checkpoint keeps the
        longest run of committed batches from the first: with parallel writers, later ones may be replayed),
        unless the step's own data is its checkpoint (`skip_done` false: its batches change between attempts)."""
        done_before = self.state.get("batch", -1) if self.state.get("step") == step and skip_done else -1
        self._step_done = {i for i in range(done_before + 1)}
        sent = 0
        key = re.sub(r":\d+", "", step)
        for index, batch in enumerate(batches):
            sent += len(batch)
            if index <= done_before or not batch:
                continue
            writer.submit(step, work(batch), (step, index))
            counted = key if key_of is None else key_of(batch)
            self.rows[counted] = self.rows.get(counted, 0) + len(batch)
            self._note_committed()
            if total:
                self._report(sent / total)

    def _note_committed(self) -> None:
        before = (self.state.get("step"), self.state.get("batch"))
        for writer in (w for w in (getattr(self, "_ordered", None), getattr(self, "parallel", None)) if w):
            for step, index in writer.take_committed():
                if self.state.get("step") != step:
                    self.state["step"], self.state["batch"] = step, -1
                    self._step_done = set()
                self._step_done.add(index)
                while self.state["batch"] + 1 in self._step_done:
                    self.state["batch"] += 1
        # saved whenever the committed run of batches grew, so a retry skips everything committed so far
        self._save(force=(self.state.get("step"), self.state.get("batch")) != before)

    def _statement(
        self, name: str, checked: bool = False, **params: Any
    ) -> Callable[[list[dict[str, Any]]], Callable[[ManagedTransaction], Any]]:
        def work(batch: list[dict[str, Any]]) -> Callable[[ManagedTransaction], Any]:
            if checked:
                return lambda tx: _run_checked(tx, name, batch, **params)
            return lambda tx: _run(tx, name, rows=batch, **params)

        return work

    def _ids_statement(
        self, name: str
    ) -> Callable[[list[dict[str, Any]]], Callable[[ManagedTransaction], Any]]:
        def work(batch: list[dict[str, Any]]) -> Callable[[ManagedTransaction], Any]:
            ids = [row["id"] for row in batch]
            return lambda tx: _run(tx, name, ids=ids)

        return work

    # ------------------------------------------------------------------ staged data

    def _staged(self, name: str) -> pa.Table:
        return read_arrow(self.work / f"{name}.arrow", frame_schema(FILES[name]))

    def _sessions(self, partition: int) -> pa.Table:
        return read_arrow(sessions_path(self.work, partition), frame_schema(FILES["sessions"]))

    def _all_sessions(self, columns: list[str]) -> Iterator[pa.Table]:
        for p in range(self.manifest.partitions):
            yield self._sessions(p).select(columns)

    def _classify_accounts(self, rows: pa.Table) -> None:
        """Record once which of the drop's account rows (one per account, with their `record` hash) are new to
        the graph, and which are unchanged re-sends of the record the graph holds (kept for retries: by then the
        first attempt may have written them)."""
        path, unchanged_path = self.work / "new_accounts.arrow", self.work / "unchanged_accounts.arrow"
        if path.is_file() and unchanged_path.is_file():
            return
        ids = rows["account_id"].to_pylist()
        stored: dict[str, str | None] = {}
        for start in range(0, len(ids), 20_000):
            for r in self.graph.read("ingest_lookup_accounts", ids=ids[start : start + 20_000]):
                stored[r["id"]] = r["record"]
        records = dict(zip(ids, rows["record"].to_pylist(), strict=True))
        write_ids(unchanged_path, pa.array([i for i in ids if i in stored and stored[i] == records[i]], pa.string()))
        write_ids(path, pa.array([i for i in ids if i not in stored], pa.string()))

    def _new_accounts(self) -> set[str]:
        path = self.work / "new_accounts.arrow"
        if not path.is_file():
            raise RuntimeError("new accounts are looked up before the accounts step")
        if not hasattr(self, "_new_cache"):
            self._new_cache = set(read_arrow(path)["id"].to_pylist())
        return self._new_cache

    # ------------------------------------------------------------------ steps

    def _step_schema(self, writer: _Writer, step: str) -> None:
        apply_schema(self.graph)

    def _step_dimensions(self, writer: _Writer, step: str) -> None:
        """The shared entities, one kind at a time (each kind's rows are dropped once submitted: at scale 1
        this step holds the most Python objects), as independent MERGEs on the parallel writers."""
        size = BATCH["default"]

        def write(name: str, rows: list[dict[str, Any]]) -> None:
            self._write(self.parallel, f"{step}:{name}", _batches(rows, size), self._statement(name))

        def distinct(values: pa.ChunkedArray | pa.Array) -> list[Any]:
            if isinstance(values, pa.ChunkedArray):
                values = values.combine_chunks()
            return [v for v in pc.unique(values).to_pylist() if v is not None]

        accounts = self._staged("accounts")
        write("ingest_organizations", [{"org_id": v} for v in distinct(accounts["org_id"])])
        domains = distinct(email_domains(accounts["email"].combine_chunks()))
        write("ingest_email_domains", [{"domain": d, "free": d in FREE_MAIL_DOMAINS} for d in domains])
        write("ingest_devices", [{"fingerprint": v} for v in distinct(accounts["signup_fingerprint"])])
        signup_ips = accounts["signup_ip"]
        del accounts

        sessions = pa.concat_tables(
            self._all_sessions(["ip", "asn", "asn_name", "asn_type", "client_fingerprint"])
        )
        ips = pc.unique(pa.chunked_array([*signup_ips.chunks, *sessions["ip"].chunks], pa.string()).combine_chunks())
        prefix_of: dict[str, str] = {}
        ip_rows = []
        for address in sorted(v for v in ips.to_pylist() if v is not None):
            version, prefix = subnet_of(address)
            prefix_of[address] = prefix
            ip_rows.append({"address": address, "version": version, "prefix": prefix})
        write("ingest_ips", ip_rows)
        del ip_rows, ips
        with_asn = sessions.filter(pc.is_valid(sessions["asn"]))
        asns = with_asn.group_by(["asn"], use_threads=False).aggregate([("asn_name", "last"), ("asn_type", "last")])
        write(
            "ingest_asns",
            [{"number": r["asn"], "name": r["asn_name_last"], "type": r["asn_type_last"]} for r in asns.to_pylist()],
        )
        pairs = with_asn.group_by(["ip", "asn"], use_threads=False).aggregate([])
        subnet_asn = sorted(
            set(zip((prefix_of[ip] for ip in pairs["ip"].to_pylist()), pairs["asn"].to_pylist(), strict=True))
        )
        del pairs, with_asn, prefix_of
        write("ingest_clients", [{"fingerprint": v} for v in distinct(sessions["client_fingerprint"])])
        del sessions

        billing = self._staged("billing")
        instruments = billing.group_by(["payment_fingerprint"], use_threads=False).aggregate(
            [("method", "last"), ("card_bin", "last"), ("issuer_country", "last")]
        )
        write(
            "ingest_payment_instruments",
            [{"fingerprint": r["payment_fingerprint"], "method": r["method_last"], "card_bin": r["card_bin_last"],
              "issuer_country": r["issuer_country_last"]} for r in instruments.to_pylist()],
        )  # fmt: skip
        with_address = billing.filter(pc.is_valid(billing["billing_address_hash"]))
        addresses = with_address.group_by(["billing_address_hash"], use_threads=False).aggregate(
            [("billing_country", "last"), ("billing_postal", "last")]
        )
        write(
            "ingest_billing_addresses",
            [{"hash": r["billing_address_hash"], "country": r["billing_country_last"],
              "postal": r["billing_postal_last"]} for r in addresses.to_pylist()],
        )  # fmt: skip
        write("ingest_billing_names", [{"hash": v} for v in distinct(billing["billing_name_hash"])])

        releases = keep_last(self._staged("model_releases"), "model")
        released = {
            r["model"]: r["released_at"]
            for r in releases.select(["model"])
            .append_column("released_at", ms_column(releases["released_at"]))
            .to_pylist()
        }
        models = sorted(set(self.manifest.models) | set(released))
        write("ingest_models", [{"name": m, "released_at": released.get(m)} for m in models])
        # subnet-to-ASN links need both ends committed first
        self.parallel.drain()
        write("ingest_subnet_asns", [{"prefix": p, "number": n} for p, n in subnet_asn])

    def _step_accounts(self, writer: _Writer, step: str) -> None:
        """Create new accounts and replace changed ones; a record re-sent unchanged (most of a daily drop's
        account table) is not written at all."""
        accounts = self._staged("accounts")
        rows = pa.table(
            {
                "account_id": accounts["account_id"],
                "created_at": ms_column(accounts["created_at"]),
                "email": accounts["email"],
                "domain": email_domains(accounts["email"].combine_chunks()),
                "plan": accounts["plan"],
                "status": accounts["status"],
                "status_changed_at": ms_column(accounts["status_changed_at"]),
                "country": accounts["country"],
                "org_id": accounts["org_id"],
                "signup_ip": accounts["signup_ip"],
                "signup_fingerprint": accounts["signup_fingerprint"],
            }
        )
        # the last row of an account wins; with one row per account, batches commute (parallel writers)
        rows = keep_last(rows, "account_id")
        rows = rows.append_column("record", record_hashes(rows))
        self._classify_accounts(rows)
        unchanged = read_arrow(self.work / "unchanged_accounts.arrow")["id"]
        rows = rows.filter(pc.invert(pc.is_in(rows["account_id"], value_set=unchanged)))
        self.rows["accounts:unchanged"] = len(unchanged)
        self._write(self.parallel, step, _table_batches(rows, BATCH["default"]), self._accounts_work, rows.num_rows)

    def _accounts_work(self, batch: list[dict[str, Any]]) -> Callable[[ManagedTransaction], Any]:
        """One transaction: create the accounts not in the graph yet (a cheap CREATE), replace the others
        (the full record logic; also what a replayed batch meets)."""
        as_of = self.as_of

        def tx_fn(tx: ManagedTransaction) -> None:
            existing = {
                r["id"] for r in _run(tx, "ingest_lookup_accounts", ids=[r["account_id"] for r in batch])
            }
            fresh = [r for r in batch if r["account_id"] not in existing]
            known = [r for r in batch if r["account_id"] in existing]
            if fresh:
                _run_checked(tx, "ingest_accounts_create", fresh, as_of=as_of)
            if known:
                _run_checked(tx, "ingest_accounts", known, as_of=as_of)

        return tx_fn

    def _write_keyed(self, writer: _Writer, step: str, rows: pa.Table, key: str, statement: str) -> None:
        """Write full-record rows: only the last row of a key in the file is kept (a later row supersedes
        it), so batches hold distinct keys and commute."""
        rows = keep_last(rows, key)
        self._write(
            writer,
            step,
            _table_batches(rows, BATCH["default"]),
            self._statement(statement, checked=True, as_of=self.as_of),
            rows.num_rows,
        )

    def _step_billing(self, writer: _Writer, step: str) -> None:
        billing = self._staged("billing")
        rows = billing.drop_columns([ROW_COLUMN, DUP_COLUMN]).set_column(
            billing.schema.get_field_index("created_at"), "created_at", ms_column(billing["created_at"])
        )
        self._write_keyed(self.parallel, step, rows, "billing_id", "ingest_billing")
        self.parallel.drain()  # spend sums the PAID_WITH just written
        ids = [{"id": i} for i in pc.unique(billing["account_id"].combine_chunks()).to_pylist()]
        self._write(
            self.parallel,
            f"{step}:spend",
            _batches(ids, BATCH["default"]),
            self._ids_statement("ingest_account_spend"),
        )

    def _step_api_keys(self, writer: _Writer, step: str) -> None:
        pairs = pa.concat_tables(self._all_sessions(["api_key_id", "account_id"]))
        pairs = pairs.group_by(["api_key_id", "account_id"], use_threads=False).aggregate([])
        # an account's keys in one batch: parallel transactions rarely lock the same account
        pairs = pairs.sort_by([("account_id", "ascending"), ("api_key_id", "ascending")])
        rows = pa.table({"key_id": pairs["api_key_id"], "account_id": pairs["account_id"]})
        self._write(
            self.parallel,
            step,
            _table_batches(rows, BATCH["default"]),
            self._statement("ingest_api_keys"),
            rows.num_rows,
        )

    def _step_templates(self, writer: _Writer, step: str) -> None:
        plan_file = self.work / "templates.json"
        if not plan_file.is_file():
            existing = self._existing_templates()
            fps = np.load(self.work / "fingerprints.npy")
            counts = np.load(self.work / "fingerprint_counts.npy")
            plan = plan_templates(fps, counts, existing)
            writes, merges = _template_writes(plan, existing)
            np.save(self.work / "template_map_fps.npy", plan.map_fps)
            np.save(self.work / "template_map_index.npy", plan.map_index)
            tmp = plan_file.with_suffix(".tmp")
            tmp.write_text(json.dumps({"writes": writes, "merges": merges, "new": len(plan.new),
                                       "extended": len(plan.added), "names": list(plan.names)}),
                           encoding="utf-8")  # fmt: skip
            tmp.replace(plan_file)
        data = json.loads(plan_file.read_text(encoding="utf-8"))
        self.template_stats = (data["new"], data["extended"], len(data["merges"]))
        for merge in data["merges"]:
            self._write(writer, f"{step}:merge:{merge['gone']}", [[merge]], lambda b: lambda tx: _run(
                tx, "ingest_templates_merge", keep=b[0]["keep"], gone=b[0]["gone"], members=b[0]["members"]))  # fmt: skip
        self._write(writer, step, _batches(data["writes"], 200), self._statement("ingest_templates_write"))

    def _existing_templates(self) -> ExistingTemplates:
        rows = self.graph.read("ingest_templates_existing")
        if not rows:
            return ExistingTemplates.empty()
        members = [np.asarray(r["members"], dtype=np.int64) for r in rows]
        return ExistingTemplates(
            ids=tuple(r["template_id"] for r in rows),
            exchanges=np.array([r["exchanges"] for r in rows], dtype=np.int64),
            representatives=hex_to_u64(np.array([r["fingerprint"] for r in rows])),
            member_fps=i64_to_u64(np.concatenate(members)) if members else np.zeros(0, np.uint64),
            member_template=np.concatenate(
                [np.full(len(m), i, dtype=np.int64) for i, m in enumerate(members)]
            ),
        )

    def _plan(self) -> TemplatePlan:
        if self.plan is None:
            fps = np.load(self.work / "template_map_fps.npy")
            index = np.load(self.work / "template_map_index.npy")
            names = json.loads((self.work / "templates.json").read_text(encoding="utf-8"))["names"]
            self.plan = TemplatePlan(
                new=(), added={}, merges={}, map_fps=fps, map_index=index, names=tuple(names)
            )
        return self.plan

    def _prepare_sessions(self, partition: int) -> list[SessionBatch]:
        """One partition's session rows and its accounts' exchange facts from them, in batches that never split
        an account (runs on the prefetch thread, one partition ahead of the writes; Arrow releases the GIL
        for most of it)."""
        parts = {
            kind: read_arrow(partial_path(self.work, kind, partition), PARTIAL_SCHEMAS[kind])
            for kind in PARTIAL_SCHEMAS
        }
        facts = combine_partials(parts, self._plan())
        rows, orphans = session_rows(self._sessions(partition), facts)
        rows = rows.sort_by([("account_id", "ascending"), ("session_id", "ascending")])
        if orphans.num_rows:
            with pa.ipc.new_file(str(self.work / f"orphans-p{partition:03d}.arrow"), orphans.schema) as sink:
                sink.write_table(orphans)
        accounts = account_facts(rows, facts, pc.unique(rows["account_id"].combine_chunks()))
        return session_batches(rows, accounts, BATCH["sessions"])

    def _prefetch_first_partition(self) -> None:
        pending = [p for p in range(self.manifest.partitions) if f"sessions:{p}" not in self.state["done"]]
        if pending:
            self._prepared_sessions(pending[0])

    def _prepared_sessions(self, partition: int) -> Future[list[SessionBatch]]:
        if partition not in self._prefetched:
            self._plan()  # loaded once, before any thread needs it
            self._prefetched[partition] = self._prefetch.submit(self._prepare_sessions, partition)
        return self._prefetched[partition]

    def _step_sessions(self, writer: _Writer, step: str, partition: int) -> None:
        """Write one partition's sessions, each batch with its accounts' facts in the same transaction, on the
        parallel writers (partitioned by account, so two transactions never write one account), while the
        next partition is prepared."""
        batches = self._prepared_sessions(partition).result()
        del self._prefetched[partition]
        following = partition + 1
        if following < self.manifest.partitions and f"sessions:{following}" not in self.state["done"]:
            self._prepared_sessions(following)
        self._write(self.parallel, step, batches, _sessions_work, sum(len(b) for b in batches))

    def _step_orphans(self, writer: _Writer, step: str) -> None:
        """Exchange facts of sessions sent in an earlier drop: replace them and mark their accounts."""
        for p in range(self.manifest.partitions):
            path = self.work / f"orphans-p{p:03d}.arrow"
            if path.is_file():
                self._write(writer, f"{step}:{p}", _column_batches(read_arrow(path), BATCH["sessions"]),
                            lambda batch: lambda tx: _run(tx, "ingest_session_facts", c=batch.data))  # fmt: skip

    def _step_recompute(self, writer: _Writer, step: str) -> None:
        """Recompute the facts of every account marked for it, from all of its sessions."""
        ids = [{"id": r["id"]} for r in self.graph.read("ingest_recompute_marked")]
        self._write(
            self.parallel,
            step,
            _batches(ids, BATCH["recompute"]),
            self._ids_statement("ingest_account_facts_recompute"),
            len(ids),
            skip_done=False,  # the marks are the checkpoint: what a first attempt recomputed is unmarked
        )

    def _step_account_defaults(self, writer: _Writer, step: str) -> None:
        """Zero facts and spend for the drop's new accounts that had neither (an account is never left without)."""
        ids = [{"id": i} for i in sorted(self._new_accounts())]
        self._write(
            self.parallel,
            step,
            _batches(ids, BATCH["default"]),
            self._ids_statement("ingest_account_defaults"),
            len(ids),
        )

    def _step_template_facts(self, writer: _Writer, step: str) -> None:
        data = json.loads((self.work / "templates.json").read_text(encoding="utf-8"))
        ids = (
            set(self._plan().names)
            | {w["template_id"] for w in data["writes"]}
            | {m["keep"] for m in data["merges"]}
        )
        rows = [{"id": i} for i in sorted(ids)]
        self._write(
            self.parallel,
            step,
            _batches(rows, BATCH["default"]),
            self._ids_statement("ingest_template_facts"),
            len(rows),
        )

    def _step_drop(self, writer: _Writer, step: str) -> None:
        params = {
            "fingerprint": self.manifest.fingerprint,
            "path": self.manifest.drop_dir,
            "as_of": self.as_of,
        }
        writer.submit(step, lambda tx: _run(tx, "ingest_drop", **params), (step, 0))


@dataclass(frozen=True)
class SessionBatch:
    """Sessions of whole accounts (sorted by account) and those accounts' exchange facts from them."""

    sessions: Columns
    accounts: list[dict[str, Any]]

    def __len__(self) -> int:
        return self.sessions.size


def session_batches(rows: pa.Table, accounts: pa.Table, size: int) -> list[SessionBatch]:
    """Cut session rows sorted by account into batches of about `size` sessions that never split an account,
    each with the `accounts` rows (one per account, sorted the same way) of its accounts."""
    ids = rows["account_id"].combine_chunks()
    n = len(ids)
    if n == 0:
        return []
    change = np.ones(n, dtype=bool)
    change[1:] = np.asarray(pc.not_equal(ids.slice(1), ids.slice(0, n - 1)).to_numpy(zero_copy_only=False), bool)
    starts = np.flatnonzero(change)
    if len(starts) != accounts.num_rows:
        raise ValueError("account facts do not line up with the session rows")
    batches = []
    first = 0  # index into starts of the batch's first account
    while first < len(starts):
        # the first account starting at or after `size` sessions in ends the batch (at least one account)
        last = max(int(np.searchsorted(starts, starts[first] + size, side="left")), first + 1)
        lo, hi = int(starts[first]), int(starts[last]) if last < len(starts) else n
        part = rows.slice(lo, hi - lo)
        batches.append(SessionBatch(
            Columns({name: part.column(name).to_pylist() for name in part.column_names}, part.num_rows),
            accounts.slice(first, last - first).to_pylist(),
        ))  # fmt: skip
        first = last
    return batches


def _sessions_work(batch: SessionBatch) -> Callable[[ManagedTransaction], Any]:
    """One transaction: find which sessions exist, create the new ones, replace the existing ones; add the facts
    of accounts whose sessions are all new (the others were marked for a recompute by the replace)."""

    def tx_fn(tx: ManagedTransaction) -> None:
        sessions = batch.sessions
        ids = sessions.data["session_id"]
        existing = {r["id"] for r in _run(tx, "ingest_lookup_sessions", ids=ids)}
        fresh = sessions.take([i for i, s in enumerate(ids) if s not in existing]) if existing else sessions
        known = sessions.take([i for i, s in enumerate(ids) if s in existing])
        if fresh:
            _run_checked(tx, "ingest_sessions_create", fresh)
        if known:
            # a re-sent session: its links and times, then (if the drop has exchanges for it) its facts, each
            # query sent only the columns it reads
            _run_checked(tx, "ingest_sessions_update", known.for_query("ingest_sessions_update"))
            with_facts = known.take([i for i, f in enumerate(known.data["has_facts"]) if f])
            if with_facts:
                _run(tx, "ingest_session_facts", c=with_facts.for_query("ingest_session_facts").data)
        resent = set(known.data["account_id"])
        added = [row for row in batch.accounts if row["account_id"] not in resent]
        if added:
            _run_checked(tx, "ingest_account_facts", added)

    return tx_fn


def _template_writes(
    plan: TemplatePlan, existing: ExistingTemplates
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows for ingest_templates_write (full member lists) and ingest_templates_merge, as plain JSON data."""
    members_of: dict[str, np.ndarray] = {}
    index = {tid: i for i, tid in enumerate(existing.ids)}
    for tid in set(plan.added) | set(plan.merges) | {g for gone in plan.merges.values() for g in gone}:
        members_of[tid] = existing.member_fps[existing.member_template == index[tid]]

    def rep(tid: str) -> int:
        return int(existing.representatives[index[tid]])

    merges = []
    for keep, gone in plan.merges.items():
        union = np.concatenate(
            [members_of[keep], *[members_of[g] for g in gone], plan.added.get(keep, members_of[keep])]
        )
        members_of[keep] = cap_members(union, rep(keep))
        for g in gone:
            merges.append({"keep": keep, "gone": g, "members": u64_to_i64(members_of[keep]).tolist()})
    writes = []
    for t in plan.new:
        members = cap_members(t.members, t.representative)
        writes.append({"template_id": t.template_id, "fingerprint": f"{t.representative:016x}",
                       "members": u64_to_i64(members).tolist()})  # fmt: skip
    for tid, added in plan.added.items():
        union = cap_members(np.concatenate([members_of[tid], added]), rep(tid))
        writes.append({"template_id": tid, "fingerprint": None, "members": u64_to_i64(union).tolist()})
    return writes, merges
