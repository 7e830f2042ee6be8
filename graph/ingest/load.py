"""Stage two: write a staged drop to Neo4j, step by step, in batched `UNWIND ... MERGE` transactions, recording a
checkpoint after every committed batch (`graph/ingest/checkpoint.py`).

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
main thread prepares the next batches and a prefetch thread the next session partition. The rows each step
writes are built in `graph/ingest/rows.py`, the batches in `batches.py`, the writer threads are `writers.py`.

Longer than ~400 lines on purpose: it is the step table of stage two (each step a few lines that choose its
rows, batches and writer), read top to bottom; what a step is made of lives in the modules above.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sized
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from neo4j import ManagedTransaction

from graph.driver import Graph
from graph.drop import FILES
from graph.ingest import rows as build
from graph.ingest.aggregate import PARTIAL_SCHEMAS, combine_partials
from graph.ingest.batches import SessionBatch, column_batches, row_batches, session_batches, table_batches
from graph.ingest.checkpoint import Checkpoint, CheckpointTracker
from graph.ingest.facts import account_facts, session_rows
from graph.ingest.stage import StageManifest, frame_schema, partial_path, read_arrow, sessions_path, write_ids
from graph.ingest.templates import TemplatePlan, plan_templates
from graph.ingest.writers import Work, Writer, run_checked, run_query, step_key
from graph.schema import apply_schema

B = TypeVar("B", bound=Sized)  # a batch: rows (one map each), Columns or a SessionBatch
Progress = Callable[[str, float], None]

BATCH = {"default": 5_000, "sessions": 2_500, "recompute": 500}
STEP_WEIGHTS = {
    "schema": 1, "dimensions": 5, "accounts": 8, "billing": 4, "api_keys": 3, "templates": 3, "sessions": 60,
    "orphans": 2, "recompute": 8, "account_defaults": 1, "template_facts": 2, "drop": 1,
}  # fmt: skip


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


@dataclass(frozen=True)
class Step:
    """One step of the load: its checkpoint name, its share of the progress bar, and what it does."""

    name: str
    weight: float
    run: Callable[[], object]


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
        session_batch_rows: int | None = None,
    ) -> None:
        self.graph = graph
        self.work = work_dir
        self.manifest = manifest
        self.checkpoint = CheckpointTracker(checkpoint, on_checkpoint)
        # batch indexes are the checkpoint, so a resumed job keeps the batch size its first attempt cut with
        self.session_batch_rows = int(
            self.checkpoint.state.setdefault("session_batch_rows", session_batch_rows or BATCH["sessions"])
        )
        self.progress = progress
        self.as_of = manifest.as_of_ms if manifest.as_of_ms is not None else 0
        self.rows: dict[str, int] = {}
        self.threads = threads
        self.ordered: Writer  # the writer threads and the prefetch thread live while `run` runs
        self.parallel: Writer
        self._prefetch: ThreadPoolExecutor
        self._prefetched: dict[int, Future[list[SessionBatch]]] = {}
        self.plan: TemplatePlan | None = None
        self.template_stats = (0, 0, 0)
        self._steps = self._plan_steps()
        self._weights_total = sum(s.weight for s in self._steps)
        self._weights_done = 0.0
        self._current = self._steps[0]

    def _plan_steps(self) -> list[Step]:
        w = STEP_WEIGHTS
        share = w["sessions"] / max(self.manifest.partitions, 1)
        # templates early: its plan is all that preparing the first session partition needs, so that runs on the
        # prefetch thread while Neo4j writes the accounts, billing and keys (see run)
        return [
            Step("schema", w["schema"], lambda: apply_schema(self.graph)),
            Step("templates", w["templates"], self._templates),
            Step("dimensions", w["dimensions"], self._dimensions),
            Step("accounts", w["accounts"], self._accounts),
            Step("billing", w["billing"], self._billing),
            Step("api_keys", w["api_keys"], self._api_keys),
            *[Step(f"sessions:{p}", share, partial(self._sessions_step, p)) for p in range(self.manifest.partitions)],
            Step("orphans", w["orphans"], self._orphans),
            Step("recompute", w["recompute"], self._recompute),
            Step("account_defaults", w["account_defaults"], self._account_defaults),
            Step("template_facts", w["template_facts"], self._template_facts),
            Step("drop", w["drop"], self._drop),
        ]

    # ------------------------------------------------------------------ running

    def run(self) -> LoadStats:
        """Run every step not yet done; return what was written."""
        self.ordered, self.parallel = Writer(self.graph), Writer(self.graph, threads=self.threads)
        self._prefetch = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-prepare")
        try:
            for step in self._steps:
                if self.checkpoint.is_done(step.name):
                    self._weights_done += step.weight
                    continue
                self._current = step
                self._report(0.0)
                step.run()
                self.ordered.drain()
                self.parallel.drain()
                self._note_committed()
                self.checkpoint.finish(step.name)
                self._weights_done += step.weight
                if step.name == "dimensions":
                    # after the two steps holding the most memory (template planning, distinct entities)
                    self._prefetch_first_partition()
        finally:
            for future in self._prefetched.values():
                future.cancel()
            self._prefetch.shutdown(wait=True)
            self.ordered.close()
            self.parallel.close()
        retried: dict[str, int] = {}
        for writer in (self.ordered, self.parallel):
            for key, n in writer.retries.items():
                retried[key] = retried.get(key, 0) + n
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
        if self.progress is not None:
            step = self._current
            self.progress(step.name, (self._weights_done + step.weight * min(fraction, 1.0)) / self._weights_total)

    def _write(
        self,
        writer: Writer,
        step: str,
        batches: Iterable[B],
        work: Callable[[B], Work],
        total: int | None = None,
        resume: bool = True,
    ) -> None:
        """Submit batches of one step, skipping those a previous attempt committed, unless the step's own data is
        its checkpoint (`resume` false: its batches change between attempts)."""
        done_before = self.checkpoint.begin(step, resume=resume)
        sent = 0
        key = step_key(step)
        for index, batch in enumerate(batches):
            sent += len(batch)
            if index <= done_before or not batch:
                continue
            writer.submit(step, work(batch), (step, index))
            self.rows[key] = self.rows.get(key, 0) + len(batch)
            self._note_committed()
            if total:
                self._report(sent / total)

    def _note_committed(self) -> None:
        self.checkpoint.note([*self.ordered.take_committed(), *self.parallel.take_committed()])

    def _statement(self, name: str, checked: bool = False, **params: Any) -> Callable[[build.Rows], Work]:
        def work(batch: build.Rows) -> Work:
            if checked:
                return lambda tx: run_checked(tx, name, batch, **params)
            return lambda tx: run_query(tx, name, rows=batch, **params)

        return work

    def _ids_statement(self, name: str) -> Callable[[build.Rows], Work]:
        def work(batch: build.Rows) -> Work:
            ids = [row["id"] for row in batch]
            return lambda tx: run_query(tx, name, ids=ids)

        return work

    def _write_ids(self, step: str, name: str, ids: list[str], size: int, *, resume: bool = True) -> None:
        """Run a query taking `$ids` over the ids in batches, on the parallel writers."""
        rows = [{"id": i} for i in ids]
        self._write(self.parallel, step, row_batches(rows, size), self._ids_statement(name), len(rows), resume)

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

    def _dimensions(self) -> None:
        """The shared entities, one kind at a time (each kind's rows are dropped once submitted: at scale 1
        this step holds the most Python objects), as independent MERGEs on the parallel writers."""

        def write(name: str, rows: build.Rows) -> None:
            self._write(self.parallel, f"dimensions:{name}", row_batches(rows, BATCH["default"]), self._statement(name))

        accounts = self._staged("accounts")
        write("ingest_organizations", build.organisation_rows(accounts))
        write("ingest_email_domains", build.email_domain_rows(accounts))
        write("ingest_devices", build.device_rows(accounts))
        signup_ips = accounts["signup_ip"]
        del accounts
        sessions = pa.concat_tables(self._all_sessions(["ip", "asn", "asn_name", "asn_type", "client_fingerprint"]))
        ips, prefix_of = build.ip_rows([signup_ips, sessions["ip"]])
        write("ingest_ips", ips)
        del ips
        write("ingest_asns", build.asn_rows(sessions))
        subnet_asns = build.subnet_asn_rows(sessions, prefix_of)
        del prefix_of
        write("ingest_clients", build.client_rows(sessions))
        del sessions
        billing = self._staged("billing")
        write("ingest_payment_instruments", build.instrument_rows(billing))
        write("ingest_billing_addresses", build.address_rows(billing))
        write("ingest_billing_names", build.billing_name_rows(billing))
        write("ingest_models", build.model_rows(self._staged("model_releases"), self.manifest.models))
        self.parallel.drain()  # subnet-to-ASN links need both ends committed first
        write("ingest_subnet_asns", subnet_asns)

    def _accounts(self) -> None:
        """Create new accounts and replace changed ones; a record re-sent unchanged (most of a daily drop's
        account table) is not written at all."""
        rows = build.account_rows(self._staged("accounts"))
        self._classify_accounts(rows)
        unchanged = read_arrow(self.work / "unchanged_accounts.arrow")["id"]
        rows = rows.filter(pc.invert(pc.is_in(rows["account_id"], value_set=unchanged)))
        self.rows["accounts:unchanged"] = len(unchanged)
        self._write(self.parallel, "accounts", table_batches(rows, BATCH["default"]), self._accounts_work, rows.num_rows)

    def _accounts_work(self, batch: build.Rows) -> Work:
        """One transaction: create the accounts not in the graph yet (a cheap CREATE), replace the others
        (the full record logic; also what a replayed batch meets)."""
        as_of = self.as_of

        def tx_fn(tx: ManagedTransaction) -> None:
            existing = {r["id"] for r in run_query(tx, "ingest_lookup_accounts", ids=[r["account_id"] for r in batch])}
            fresh = [r for r in batch if r["account_id"] not in existing]
            known = [r for r in batch if r["account_id"] in existing]
            if fresh:
                run_checked(tx, "ingest_accounts_create", fresh, as_of=as_of)
            if known:
                run_checked(tx, "ingest_accounts", known, as_of=as_of)

        return tx_fn

    def _billing(self) -> None:
        """Billing rows (a later row of a billing id supersedes it, so batches hold distinct ids and commute), then
        each billed account's spend from its instruments."""
        billing = self._staged("billing")
        rows = build.billing_rows(billing)
        statement = self._statement("ingest_billing", checked=True, as_of=self.as_of)
        self._write(self.parallel, "billing", table_batches(rows, BATCH["default"]), statement, rows.num_rows)
        self.parallel.drain()  # spend sums the PAID_WITH just written
        accounts = pc.unique(billing["account_id"].combine_chunks()).to_pylist()
        self._write_ids("billing:spend", "ingest_account_spend", accounts, BATCH["default"])

    def _api_keys(self) -> None:
        rows = build.api_key_rows(self._all_sessions(["api_key_id", "account_id"]))
        statement = self._statement("ingest_api_keys")
        self._write(self.parallel, "api_keys", table_batches(rows, BATCH["default"]), statement, rows.num_rows)

    def _templates(self) -> None:
        """Plan the drop's templates against the graph's (once: the plan is kept for retries), then merge the
        templates a bridging fingerprint joins and write new and extended ones, in order."""
        plan_file = self.work / "templates.json"
        if not plan_file.is_file():
            existing = build.existing_templates(self.graph.stream("ingest_templates_existing"))
            fps = np.load(self.work / "fingerprints.npy")
            counts = np.load(self.work / "fingerprint_counts.npy")
            plan = plan_templates(fps, counts, existing)
            writes, merges = build.template_writes(plan, existing)
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
            self._write(self.ordered, f"templates:merge:{merge['gone']}", [[merge]], lambda b: lambda tx: run_query(
                tx, "ingest_templates_merge", keep=b[0]["keep"], gone=b[0]["gone"], members=b[0]["members"]))  # fmt: skip
        self._write(self.ordered, "templates", row_batches(data["writes"], 200), self._statement("ingest_templates_write"))

    def _plan(self) -> TemplatePlan:
        if self.plan is None:
            fps = np.load(self.work / "template_map_fps.npy")
            index = np.load(self.work / "template_map_index.npy")
            names = json.loads((self.work / "templates.json").read_text(encoding="utf-8"))["names"]
            self.plan = TemplatePlan(new=(), added={}, merges={}, map_fps=fps, map_index=index, names=tuple(names))
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
        return session_batches(rows, accounts, self.session_batch_rows)

    def _prefetch_first_partition(self) -> None:
        pending = [p for p in range(self.manifest.partitions) if not self.checkpoint.is_done(f"sessions:{p}")]
        if pending:
            self._prepared_sessions(pending[0])

    def _prepared_sessions(self, partition: int) -> Future[list[SessionBatch]]:
        if partition not in self._prefetched:
            self._plan()  # loaded once, before any thread needs it
            self._prefetched[partition] = self._prefetch.submit(self._prepare_sessions, partition)
        return self._prefetched[partition]

    def _sessions_step(self, partition: int) -> None:
        """Write one partition's sessions, each batch with its accounts' facts in the same transaction, on the
        parallel writers (partitioned by account, so two transactions never write one account), while the
        next partition is prepared."""
        batches = self._prepared_sessions(partition).result()
        del self._prefetched[partition]
        following = partition + 1
        if following < self.manifest.partitions and not self.checkpoint.is_done(f"sessions:{following}"):
            self._prepared_sessions(following)
        self._write(self.parallel, f"sessions:{partition}", batches, _sessions_work, sum(len(b) for b in batches))

    def _orphans(self) -> None:
        """Exchange facts of sessions sent in an earlier drop: replace them and mark their accounts."""
        for p in range(self.manifest.partitions):
            path = self.work / f"orphans-p{p:03d}.arrow"
            if path.is_file():
                self._write(self.ordered, f"orphans:{p}", column_batches(read_arrow(path), self.session_batch_rows),
                            lambda batch: lambda tx: run_query(tx, "ingest_session_facts", c=batch.data))  # fmt: skip

    def _recompute(self) -> None:
        """Recompute the facts of every account marked for it, from all of its sessions."""
        ids = [r["id"] for r in self.graph.read("ingest_recompute_marked")]
        # the marks are the checkpoint: what a first attempt recomputed is unmarked, so nothing is skipped by index
        self._write_ids("recompute", "ingest_account_facts_recompute", ids, BATCH["recompute"], resume=False)

    def _account_defaults(self) -> None:
        """Zero facts and spend for the drop's new accounts that had neither (an account is never left without)."""
        self._write_ids("account_defaults", "ingest_account_defaults", sorted(self._new_accounts()), BATCH["default"])

    def _template_facts(self) -> None:
        data = json.loads((self.work / "templates.json").read_text(encoding="utf-8"))
        ids = set(self._plan().names) | {w["template_id"] for w in data["writes"]} | {m["keep"] for m in data["merges"]}
        self._write_ids("template_facts", "ingest_template_facts", sorted(ids), BATCH["default"])

    def _drop(self) -> None:
        params = {"fingerprint": self.manifest.fingerprint, "path": self.manifest.drop_dir, "as_of": self.as_of}
        self.ordered.submit("drop", lambda tx: run_query(tx, "ingest_drop", **params), ("drop", 0))


def _sessions_work(batch: SessionBatch) -> Work:
    """One transaction: find which sessions exist, create the new ones, replace the existing ones; add the facts
    of accounts whose sessions are all new (the others were marked for a recompute by the replace)."""

    def tx_fn(tx: ManagedTransaction) -> None:
        sessions = batch.sessions
        ids = sessions.data["session_id"]
        existing = {r["id"] for r in run_query(tx, "ingest_lookup_sessions", ids=ids)}
        fresh = sessions.take([i for i, s in enumerate(ids) if s not in existing]) if existing else sessions
        known = sessions.take([i for i, s in enumerate(ids) if s in existing])
        if fresh:
            run_checked(tx, "ingest_sessions_create", fresh)
        if known:
            # a re-sent session: its links and times, then (if the drop has exchanges for it) its facts, each
            # query sent only the columns it reads
            run_checked(tx, "ingest_sessions_update", known.for_query("ingest_sessions_update"))
            with_facts = known.take([i for i, f in enumerate(known.data["has_facts"]) if f])
            if with_facts:
                run_query(tx, "ingest_session_facts", c=with_facts.for_query("ingest_session_facts").data)
        resent = set(known.data["account_id"])
        added = [row for row in batch.accounts if row["account_id"] not in resent]
        if added:
            run_checked(tx, "ingest_account_facts", added)

    return tx_fn
