"""Graph reads for pages: named read queries run side by side, their values as plain Python (epoch-millisecond
columns as datetimes), and lists whose slices are fetched on demand. No Django: the selectors build on it.

Independent reads of one page run concurrently, so a page waits for its slowest query, not for their sum. Leaf
reads and the functions that wait on them use separate pools, so a waiting task never starves the reads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, overload

import neo4j.time

from graph.driver import get_graph

MS_SUFFIX = "__ms"

def native(value: Any) -> Any:
    """Neo4j temporal values to Python ones, recursively through lists and maps."""
    if isinstance(value, neo4j.time.DateTime | neo4j.time.Date | neo4j.time.Time):
        return value.to_native()
    if isinstance(value, list):
        return [native(v) for v in value]
    if isinstance(value, dict):
        return {k: native(v) for k, v in value.items()}
    return value


def from_millis(value: int | None) -> dt.datetime | None:
    """An epoch-milliseconds time from the graph as an aware UTC datetime."""
    return None if value is None else dt.datetime.fromtimestamp(value / 1000, tz=dt.UTC)


def _times(row: dict[str, Any]) -> dict[str, Any]:
    """Columns named `<name>__ms` (epoch milliseconds) become datetimes named `<name>`."""
    for key in [k for k in row if k.endswith(MS_SUFFIX)]:
        row[key.removesuffix(MS_SUFFIX)] = from_millis(row.pop(key))
    return row


def read(name: str, **params: Any) -> list[dict[str, Any]]:
    """Run the named `graph/cypher/<name>.cypher` read query and return plain-Python records.

    Queries that return many times return them as epoch milliseconds in columns ending in `__ms` (the driver's
    temporal decoding is slow); they arrive here as datetimes under the name without the suffix.
    """
    return [_times(native(row)) for row in get_graph().read(name, **params)]


_readers = ThreadPoolExecutor(max_workers=8, thread_name_prefix="graph-read")
_composers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="graph-compose")


def start_reads(queries: dict[str, tuple[str, dict[str, Any]]]) -> dict[str, Future[list[dict[str, Any]]]]:
    """Start several named read queries concurrently: {label: (cypher name, params)} to {label: future}."""
    return {label: _readers.submit(read, name, **params) for label, (name, params) in queries.items()}


def read_many(queries: dict[str, tuple[str, dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """Run several named read queries concurrently and return {label: records}."""
    return {label: future.result() for label, future in start_reads(queries).items()}


def in_parallel(*calls: Callable[[], Any]) -> list[Any]:
    """Run independent functions (which may themselves use `read_many`) concurrently; results in order."""
    return [future.result() for future in [_composers.submit(call) for call in calls]]


class GraphSlice(Sequence[dict[str, Any]]):
    """A list of known length whose slices are fetched from the graph on demand (for Django/DRF paginators)."""

    def __init__(self, total: int, fetch: Callable[[int, int], list[dict[str, Any]]]) -> None:
        self.total = total
        self.fetch = fetch

    def __len__(self) -> int:
        return self.total

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            start, stop, _ = index.indices(self.total)
            return self.fetch(start, max(0, stop - start)) if stop > start else []
        rows = self.fetch(index, 1)
        if not rows:
            raise IndexError(index)
        return rows[0]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self[0 : self.total])
