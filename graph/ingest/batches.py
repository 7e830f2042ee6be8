"""Batches of stage two: rows as maps, or as parallel columns, and session batches that never split an account."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from graph.driver import cypher


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
        return Columns({k: self.data[k] for k in columns_read(name)}, self.size)


@cache
def columns_read(name: str) -> tuple[str, ...]:
    """The fields a query reads from its `$c` parameter."""
    return tuple(sorted(set(re.findall(r"\$c\.(\w+)", cypher(name)))))


def row_batches(rows: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    """Consecutive slices of `size` rows."""
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def table_batches(table: pa.Table, size: int) -> Iterator[list[dict[str, Any]]]:
    """Consecutive slices of a table as rows (one map each)."""
    for start in range(0, table.num_rows, size):
        yield table.slice(start, size).to_pylist()


def column_batches(table: pa.Table, size: int) -> Iterator[Columns]:
    """Consecutive slices of a table as Columns."""
    for start in range(0, table.num_rows, size):
        part = table.slice(start, size)
        yield Columns({name: part.column(name).to_pylist() for name in part.column_names}, part.num_rows)


@dataclass(frozen=True)
class SessionBatch:
    """Sessions of whole accounts (sorted by account) and those accounts' exchange facts from them.

    Held as Arrow slices (a view of the partition's table, no copy) and turned into the Python lists the driver
    sends only when its transaction runs: a prepared partition costs its Arrow columns, not a partition of Python
    objects (which made the sessions step the ingest's peak memory)."""

    rows: pa.Table
    account_rows: pa.Table

    def __len__(self) -> int:
        return self.rows.num_rows

    @property
    def sessions(self) -> Columns:
        """The sessions as Columns (built on each call)."""
        return Columns({name: self.rows.column(name).to_pylist() for name in self.rows.column_names}, len(self))

    @property
    def accounts(self) -> list[dict[str, Any]]:
        """The accounts' facts, one map each (built on each call)."""
        return self.account_rows.to_pylist()


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
        batches.append(SessionBatch(rows.slice(lo, hi - lo), accounts.slice(first, last - first)))
        first = last
    return batches
