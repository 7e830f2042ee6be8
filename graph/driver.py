"""One Neo4j driver per process, managed transactions, Cypher loaded from files, and every query timed."""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, LiteralString, cast

import neo4j
from neo4j import GraphDatabase, ManagedTransaction

from graph.config import GraphConfig
from graph.timing import timed

log = logging.getLogger(__name__)

CYPHER_DIR = Path(__file__).resolve().parent / "cypher"


@cache
def cypher(name: str) -> LiteralString:
    """Return the text of `graph/cypher/<name>.cypher`; statements take `$params`, never formatted values."""
    path = CYPHER_DIR / f"{name}.cypher"
    return cast(LiteralString, path.read_text(encoding="utf-8"))


@dataclass
class QueryTimings:
    """Cumulative wall time and call counts per named query, for reports and benchmarks."""

    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, name: str, elapsed: float) -> None:
        """Record one call of `name` that took `elapsed` seconds."""
        self.seconds[name] += elapsed
        self.calls[name] += 1

    def snapshot(self) -> dict[str, dict[str, float]]:
        """Plain-data copy: {name: {"seconds": s, "calls": n}}."""
        return {name: {"seconds": round(self.seconds[name], 4), "calls": self.calls[name]} for name in self.seconds}


class Graph:
    """A thin wrapper over the official driver: named Cypher, managed read/write transactions, timing."""

    def __init__(self, config: GraphConfig) -> None:
        self.config = config
        self.driver = GraphDatabase.driver(
            config.uri,
            auth=(config.user, config.password),
            max_connection_pool_size=16,
            connection_acquisition_timeout=60,
            # a label or property no node carries yet (the first drop into an empty graph) is not a mistake here
            notifications_disabled_categories=[neo4j.NotificationDisabledCategory.UNRECOGNIZED],
        )
        self.timings = QueryTimings()

    def close(self) -> None:
        """Close the driver and its connections."""
        self.driver.close()

    def verify(self) -> None:
        """Raise if the server cannot be reached or the credentials are wrong."""
        self.driver.verify_connectivity()

    def _timed(self, name: str) -> AbstractContextManager[None]:
        """Time a query: added to `timings` under its name, logged when slow."""

        def record(elapsed: float) -> None:
            self.timings.add(name, elapsed)
            if elapsed > 5:
                log.info("query %s took %.2fs", name, elapsed)

        return timed(record)

    def read(self, name: str, **params: Any) -> list[dict[str, Any]]:
        """Run the named Cypher file in a managed read transaction and return its records as dicts."""
        return self.read_text(name, cypher(name), **params)

    def write(self, name: str, **params: Any) -> list[dict[str, Any]]:
        """Run the named Cypher file in a managed write transaction and return its records as dicts."""
        return self.write_text(name, cypher(name), **params)

    def read_text(self, name: str, query: LiteralString, **params: Any) -> list[dict[str, Any]]:
        """Run a constant query (for procedures and schema statements) in a read transaction."""
        with self._timed(name), self.driver.session(database=self.config.database) as session:
            return session.execute_read(_collect, query, params)

    def write_text(self, name: str, query: LiteralString, **params: Any) -> list[dict[str, Any]]:
        """Run a constant query in a write transaction."""
        with self._timed(name), self.driver.session(database=self.config.database) as session:
            return session.execute_write(_collect, query, params)

    def auto(self, name: str, query: LiteralString, **params: Any) -> list[dict[str, Any]]:
        """Run a query in an auto-commit transaction (needed for schema changes and `CALL {} IN TRANSACTIONS`)."""
        with self._timed(name), self.driver.session(database=self.config.database) as session:
            return [record.data() for record in session.run(query, params)]

    def write_batches(self, name: str, rows: Sequence[dict[str, Any]], *, batch_size: int = 10_000, **params: Any) -> int:
        """Write `rows` with the named `UNWIND $rows AS row ...` statement, one managed transaction per batch."""
        query = cypher(name)
        written = 0
        for batch in _batches(rows, batch_size):
            self.write_text(name, query, rows=batch, **params)
            written += len(batch)
        return written

    def stream(self, name: str, **params: Any) -> Iterator[dict[str, Any]]:
        """Yield the named read query's records one by one, without holding them all in memory."""
        with (
            self._timed(name),
            self.driver.session(database=self.config.database, default_access_mode=neo4j.READ_ACCESS) as session,
        ):
            for record in session.run(cypher(name), params):
                yield record.data()


def _collect(tx: ManagedTransaction, query: LiteralString, params: dict[str, Any]) -> list[dict[str, Any]]:
    return [record.data() for record in tx.run(query, params)]


def _batches(rows: Sequence[dict[str, Any]], size: int) -> Iterable[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield list(rows[start : start + size])


_graph: Graph | None = None
_lock = threading.Lock()


def get_graph(config: GraphConfig | None = None) -> Graph:
    """Return this process's Graph, creating it on first use (one driver per process)."""
    global _graph
    with _lock:
        if _graph is None:
            _graph = Graph(config or GraphConfig.from_env())
        return _graph


def reset_graph() -> None:
    """Close and forget this process's Graph (after a fork, or in tests)."""
    global _graph
    with _lock:
        if _graph is not None:
            _graph.close()
        _graph = None
