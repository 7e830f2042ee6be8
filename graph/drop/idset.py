"""Bounded-memory sets of string ids: 64-bit xxhash values kept in sorted numpy runs.

Eight bytes per id whatever its length (10^7 session ids ~ 80 MB, 10^8 exchange ids ~ 800 MB), no Python
objects per id. Runs are merged like a log-structured merge tree, so adding n ids costs O(n log n) overall
and a lookup does one binary search per run (O(log n) runs). Two different ids share a hash with
probability ~ n^2 / 2^65 (about 3e-4 for 10^8 ids): a negligible chance of calling one id "seen".
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pyarrow as pa
import xxhash

_hash = xxhash.xxh3_64_intdigest


def hash_ids(values: pa.Array | pa.ChunkedArray | Iterable[str]) -> np.ndarray:
    """The uint64 xxh3 hash of each (non-null) id, in order."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        objects = values.to_numpy(zero_copy_only=False)
        return np.fromiter(map(_hash, map(str.encode, objects)), np.uint64, len(objects))
    items = [s.encode() for s in values]
    return np.fromiter(map(_hash, items), np.uint64, len(items))


class IdSet:
    """A set of uint64 id hashes: sorted, de-duplicated runs of geometrically decreasing size."""

    def __init__(self) -> None:
        self._runs: list[np.ndarray] = []
        self._size = 0

    def __len__(self) -> int:
        return self._size

    @property
    def nbytes(self) -> int:
        """Memory held by the hashes."""
        return sum(r.nbytes for r in self._runs)

    def _hits_sorted(self, probe: np.ndarray) -> np.ndarray:
        """Membership of sorted probes (sorted probes walk each run forwards: far fewer cache misses)."""
        hit = np.zeros(len(probe), dtype=bool)
        for run in self._runs:
            pos = np.searchsorted(run, probe)
            pos[pos == len(run)] = len(run) - 1
            hit |= run[pos] == probe
        return hit

    def contains(self, hashes: np.ndarray) -> np.ndarray:
        """Boolean mask: which of `hashes` are in the set."""
        hashes = np.asarray(hashes, dtype=np.uint64)
        found = np.zeros(len(hashes), dtype=bool)
        if not self._runs or not len(hashes):
            return found
        order = np.argsort(hashes)
        found[order] = self._hits_sorted(hashes[order])
        return found

    def add(self, hashes: np.ndarray) -> None:
        """Add hashes (duplicates and already-present values are ignored)."""
        fresh = np.sort(np.asarray(hashes, dtype=np.uint64))
        if len(fresh) > 1:
            fresh = fresh[np.concatenate([[True], fresh[1:] != fresh[:-1]])]
        self._push(fresh[~self._hits_sorted(fresh)])

    def _push(self, fresh: np.ndarray) -> None:
        """Append a sorted run of distinct hashes known to be absent from the set."""
        if not len(fresh):
            return
        self._runs.append(fresh)
        self._size += len(fresh)
        # Keep each run at least twice the next one: O(log n) runs, each hash merged O(log n) times.
        while len(self._runs) > 1 and len(self._runs[-2]) <= 2 * len(self._runs[-1]):
            b = self._runs.pop()
            a = self._runs.pop()
            merged = np.concatenate([a, b])
            merged.sort(kind="stable")  # timsort: a linear merge of two sorted runs
            self._runs.append(merged)

    def add_and_check(self, hashes: np.ndarray) -> np.ndarray:
        """Add hashes in order; return a mask of those already seen (in the set or earlier in `hashes`)."""
        hashes = np.asarray(hashes, dtype=np.uint64)
        ordered = np.sort(hashes)
        seen_sorted = self._hits_sorted(ordered)
        seen_sorted[1:] |= ordered[1:] == ordered[:-1]
        if not seen_sorted.any():  # the common case: all new, all distinct
            self._push(ordered)
            return np.zeros(len(hashes), dtype=bool)
        order = np.argsort(hashes, kind="stable")  # stable: the first occurrence of a value sorts first
        seen = np.empty(len(hashes), dtype=bool)
        seen[order] = seen_sorted
        self._push(ordered[~seen_sorted])
        return seen
