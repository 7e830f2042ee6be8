"""Which ids exist: natural keys seen in this drop (per file) plus a cached lookup for earlier drops."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

import numpy as np
import pyarrow as pa

from graph.drop.idset import IdSet, hash_ids

Lookup = Callable[[list[str]], set[str]]


class References:
    """Known ids across the files of one drop, in bounded memory (uint64 hashes, no Python sets of strings).

    Validating a file registers its valid rows' keys (`register_keys`), so later files can reference them;
    ids not seen in this drop are asked of `lookup_accounts` / `lookup_sessions` (at most once each, in
    batches of `lookup_batch`), which ingest wires to the graph for ids loaded by earlier drops.
    Use one instance per pass over a drop: it remembers every key it has seen.
    """

    def __init__(
        self,
        *,
        lookup_accounts: Lookup | None = None,
        lookup_sessions: Lookup | None = None,
        lookup_batch: int = 10_000,
    ) -> None:
        self._lookups: dict[str, Lookup | None] = {"accounts": lookup_accounts, "sessions": lookup_sessions}
        self._lookup_batch = lookup_batch
        self._seen: defaultdict[str, IdSet] = defaultdict(IdSet)
        self._found: defaultdict[str, IdSet] = defaultdict(IdSet)
        self._absent: defaultdict[str, IdSet] = defaultdict(IdSet)
        self.lookup_calls = 0

    def seen(self, file: str) -> IdSet:
        """Keys of the valid rows of `file` seen so far in this drop."""
        return self._seen[file]

    def add_known(self, file: str, ids: Iterable[str] | pa.Array) -> None:
        """Declare ids of `file` as existing outside this drop (as if the lookup had confirmed them)."""
        self._found[file].add(hash_ids(ids))

    def register_keys(self, file: str, keys: pa.Array) -> np.ndarray:
        """Record the keys of valid rows of `file`; return a mask of keys already seen earlier in the file."""
        return self._seen[file].add_and_check(hash_ids(keys))

    def known(self, target: str, values: pa.Array) -> np.ndarray:
        """Boolean mask: which `values` (non-null ids) are keys of `target` in this drop or known to the lookup."""
        if len(values) == 0:
            return np.zeros(0, dtype=bool)
        encoded = values.dictionary_encode()
        uniques = encoded.dictionary
        indices = encoded.indices.to_numpy(zero_copy_only=False)
        hashes = hash_ids(uniques)
        ok = self._seen[target].contains(hashes)
        rest = np.flatnonzero(~ok)
        if len(rest):
            ok[rest] = self._found[target].contains(hashes[rest])
            rest = rest[~ok[rest]]
        if len(rest):
            rest = rest[~self._absent[target].contains(hashes[rest])]
        lookup = self._lookups.get(target)
        if len(rest) and lookup is not None:
            for start in range(0, len(rest), self._lookup_batch):
                batch = rest[start : start + self._lookup_batch]
                ids = uniques.take(pa.array(batch)).to_pylist()
                self.lookup_calls += 1
                existing = lookup(ids)
                hit = np.fromiter((i in existing for i in ids), dtype=bool, count=len(ids))
                ok[batch[hit]] = True
                self._found[target].add(hashes[batch[hit]])
                self._absent[target].add(hashes[batch[~hit]])
        return ok[indices]
