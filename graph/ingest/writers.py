"""Writer threads of stage two, and how a batch runs its named Cypher.

A `Writer` runs transaction functions on background threads (one thread: in submission order), each in a managed
write transaction the driver retries after a transient error (a lock conflict); errors surface on the next call.
Each committed batch's marker is kept for the checkpoint, and every retried transaction is counted per step.
"""

from __future__ import annotations

import queue
import re
import threading
import time
from collections.abc import Callable
from typing import Any

from neo4j import ManagedTransaction

from graph.driver import Graph, cypher
from graph.ingest.batches import Columns

Work = Callable[[ManagedTransaction], Any]


class WriteMismatch(RuntimeError):
    """A batch wrote fewer rows than it was given: a referenced node is missing (nothing may be lost)."""


def step_key(name: str) -> str:
    """A step's name without its partition or sub-step numbers (`sessions:3` -> `sessions`)."""
    return re.sub(r":\d+", "", name)


class Writer:
    """Runs transaction functions on background threads; see the module."""

    def __init__(self, graph: Graph, threads: int = 1) -> None:
        self.graph = graph
        self.jobs: queue.Queue[tuple[str, Work, Any] | None] = queue.Queue(maxsize=2 * threads)
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

                def counted(tx: ManagedTransaction, work: Work = work, attempts: list[int] = attempts) -> Any:
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
                                key = step_key(name)
                                self.retries[key] = self.retries.get(key, 0) + attempts[0] - 1
                except BaseException as exc:  # noqa: BLE001 - handed to the main thread
                    self.error = exc
                finally:
                    self.jobs.task_done()

    def submit(self, name: str, work: Work, marker: Any) -> None:
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


def run_query(tx: ManagedTransaction, name: str, **params: Any) -> list[dict[str, Any]]:
    """Run the named Cypher file in the transaction; its records as dicts."""
    return [r.data() for r in tx.run(cypher(name), params)]


def run_checked(tx: ManagedTransaction, name: str, rows: list[dict[str, Any]] | Columns, **params: Any) -> None:
    """Run a batch (rows as `$rows`, or columns as `$c`) and check that the query wrote every row."""
    result = (
        run_query(tx, name, c=rows.data, **params) if isinstance(rows, Columns) else run_query(tx, name, rows=rows, **params)
    )
    written = result[0]["written"] if result else 0
    if written != len(rows):
        raise WriteMismatch(f"{name}: wrote {written} of {len(rows)} rows (a referenced node is missing)")
