"""SimHash fingerprints as uint64 arrays: the hex codec of the drop contract, Hamming distance, candidate pairs
within MAX_DISTANCE bits from band keys, and joining components along edges (vectorised, for tens of millions
of fingerprints).

The 64 bits are cut into 5 bands; two fingerprints within 3 bits of each other agree exactly on at least 2 of
the 5 bands (pigeonhole), so the 10 band-pair keys (26 bits each) find every such pair while unrelated
fingerprints (about 32 bits apart) almost never share a key.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import combinations

import numpy as np

MAX_DISTANCE = 3
BANDS = ((0, 13), (13, 26), (26, 39), (39, 52), (52, 64))
MAX_ROUNDS = 64
ALONE_CHUNK = 1 << 20  # fingerprints compared with their whole run at a time
UNION_EDGES = 1_000_000  # candidate edges gathered before a union pass over every label
CHUNK = 1 << 22  # elements per slice when building 64-bit temporaries


_NIBBLE = np.zeros(256, dtype=np.uint8)
_NIBBLE[np.frombuffer(b"0123456789", np.uint8)] = np.arange(10, dtype=np.uint8)
_NIBBLE[np.frombuffer(b"abcdef", np.uint8)] = np.arange(10, 16, dtype=np.uint8)
_NIBBLE[np.frombuffer(b"ABCDEF", np.uint8)] = np.arange(10, 16, dtype=np.uint8)


def hex_to_u64(hex_values: np.ndarray) -> np.ndarray:
    """16-hex-digit strings (numpy bytes/str/object array, any case) as uint64, vectorised."""
    if len(hex_values) == 0:
        return np.zeros(0, dtype=np.uint64)
    raw = np.asarray(hex_values)
    if raw.dtype != np.dtype("S16"):
        raw = raw.astype("S16")
    nibbles = _NIBBLE[np.frombuffer(raw.tobytes(), dtype=np.uint8).reshape(len(raw), 16)]
    octets = (nibbles[:, 0::2] << 4) | nibbles[:, 1::2]
    return np.ascontiguousarray(octets).view(">u8").reshape(-1).astype(np.uint64)


def u64_to_hex(values: np.ndarray) -> list[str]:
    """uint64 values as 16 lower-case hex digits."""
    return [f"{int(v):016x}" for v in values]


def u64_to_i64(values: np.ndarray) -> np.ndarray:
    """The signed view Neo4j stores (its integers are signed 64-bit)."""
    return np.asarray(values, dtype=np.uint64).view(np.int64)


def i64_to_u64(values: np.ndarray) -> np.ndarray:
    """Back from Neo4j's signed integers to the unsigned SimHash."""
    return np.asarray(values, dtype=np.int64).view(np.uint64)


def hamming(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Bitwise Hamming distance of two uint64 arrays (elementwise)."""
    return np.bitwise_count(np.bitwise_xor(a, b))



def _band_keys(fps: np.ndarray) -> Iterator[np.ndarray]:
    """The 10 band-pair keys (26-bit uint32), one at a time, each computed from `fps` when needed (no band
    arrays are kept: memory holds one key table and one 64-bit temporary)."""
    for (lo_i, hi_i), (lo_j, hi_j) in combinations(BANDS, 2):
        part = fps >> np.uint64(lo_i)
        part &= np.uint64((1 << (hi_i - lo_i)) - 1)
        key = part.astype(np.uint32)
        np.right_shift(fps, np.uint64(lo_j), out=part)
        part &= np.uint64((1 << (hi_j - lo_j)) - 1)
        key <<= np.uint32(13)
        key |= part.astype(np.uint32)
        del part
        yield key


def _runs(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indexes (sorted by key, then index) of the entries of `key` that share their key with another entry,
    and their keys. Sorts one uint64 array of (key << 32 | index), which is faster than a stable argsort."""
    n = len(key)
    if n >= 2**32:
        order = np.argsort(key, kind="stable")
        k = key[order]
        same_next = k[1:] == k[:-1]
        del k
        in_run = np.zeros(n, dtype=bool)
        in_run[1:] |= same_next
        in_run[:-1] |= same_next
        members = order[in_run]
        return members, key[members]
    packed = np.arange(n, dtype=np.uint64)
    for lo in range(0, n, CHUNK):  # chunks keep the 64-bit temporaries small
        packed[lo : lo + CHUNK] |= key[lo : lo + CHUNK].astype(np.uint64) << np.uint64(32)
    packed.sort()
    same_next = np.empty(max(n - 1, 0), dtype=bool)
    for lo in range(0, n - 1, CHUNK):
        hi = min(lo + CHUNK, n - 1)
        same_next[lo:hi] = (packed[lo + 1 : hi + 1] ^ packed[lo:hi]) < np.uint64(1 << 32)
    in_run = np.zeros(n, dtype=bool)
    in_run[1:] |= same_next
    in_run[:-1] |= same_next
    del same_next
    selected = packed[in_run]
    del packed, in_run
    index_type = np.int32 if n < 2**31 else np.int64
    members = (selected & np.uint64(0xFFFFFFFF)).astype(index_type)
    keys = (selected >> np.uint64(32)).astype(np.uint32)
    return members, keys


def candidate_edges(fps: np.ndarray, priority: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """All the pairs `edge_batches` finds, concatenated (small inputs and tests)."""
    batches = list(edge_batches(fps, priority))
    if not batches:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate([b[0] for b in batches]), np.concatenate([b[1] for b in batches])


def edge_batches(
    fps: np.ndarray, priority: np.ndarray | None = None
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Pairs (i, j) of indexes of `fps` within MAX_DISTANCE bits, enough to connect every template's variants,
    yielded one band-pair table at a time so that memory holds one table's pairs, not all of them.

    Within each run of equal band-pair keys, the pending fingerprint with the highest `priority` (the most
    frequent: a template's base form) leads a round and links every pending fingerprint within 3 bits of it;
    rounds repeat until the run is exhausted. A fingerprint that linked to nothing in its run is then
    compared with every member of the run, so a variant close only to a non-leader is not missed.

    Indexes are int32 below 2**31 fingerprints; only fingerprints that share a key with another one (a run)
    get per-fingerprint working arrays.
    """
    n = len(fps)
    if n < 2:
        return
    index_type = np.int32 if n < 2**31 else np.int64
    for key in _band_keys(fps):
        members, member_keys = _runs(key)
        del key
        if len(members) == 0:
            continue
        starts = np.flatnonzero(np.concatenate([[True], member_keys[1:] != member_keys[:-1]]))
        sizes = np.diff(np.concatenate([starts, [len(members)]]))
        # runs of two (most of them: chance collisions of the 26-bit key): one comparison decides, as the
        # rounds below would
        two = starts[sizes == 2]
        a, b = members[two], members[two + 1]
        close = hamming(fps[a], fps[b]) <= MAX_DISTANCE
        if close.any():
            yield a[close].astype(np.int64), b[close].astype(np.int64)
        del two, a, b, close
        big = sizes > 2
        if not big.any():
            continue
        keep = np.repeat(big, sizes)
        members, member_keys = members[keep], member_keys[keep]
        del keep
        rank = (
            np.zeros(len(members), np.int64)
            if priority is None
            else -np.asarray(priority[members], dtype=np.int64)
        )
        sort = np.lexsort((fps[members], rank, member_keys))
        del rank
        members = members[sort]
        run_keys = member_keys[sort]
        del sort, member_keys
        starts = np.flatnonzero(np.concatenate([[True], run_keys[1:] != run_keys[:-1]]))
        del run_keys
        sizes = np.diff(np.concatenate([starts, [len(members)]]))
        run_id = np.repeat(np.arange(len(starts), dtype=index_type), sizes)
        member_fps = fps[members]
        pending = np.ones(len(members), dtype=bool)
        linked = np.zeros(len(members), dtype=bool)
        for _ in range(MAX_ROUNDS):
            idx = np.flatnonzero(pending)
            if len(idx) == 0:
                break
            runs = run_id[idx]
            first = np.concatenate([[True], runs[1:] != runs[:-1]])
            leader_pos = np.full(len(starts), -1, dtype=np.int64)
            leader_pos[runs[first]] = idx[first]
            leaders = leader_pos[runs]
            close = hamming(member_fps[idx], member_fps[leaders]) <= MAX_DISTANCE
            pending[idx[close]] = False
            pending[idx[first]] = False
            hit = close & ~first
            if hit.any():
                yield members[idx[hit]].astype(np.int64), members[leaders[hit]].astype(np.int64)
                linked[idx[hit]] = True
                linked[leaders[hit]] = True
        alone_all = np.flatnonzero(~linked)
        for chunk in range(0, len(alone_all), ALONE_CHUNK):  # chunks bound the all-pairs arrays
            alone = alone_all[chunk : chunk + ALONE_CHUNK]
            reach = sizes[run_id[alone]]
            a = np.repeat(alone, reach)
            offsets = np.arange(int(reach.sum())) - np.repeat(np.cumsum(reach) - reach, reach)
            b = np.repeat(starts[run_id[alone]], reach) + offsets
            del offsets
            close = (a != b) & (hamming(member_fps[a], member_fps[b]) <= MAX_DISTANCE)
            if close.any():
                yield members[a[close]].astype(np.int64), members[b[close]].astype(np.int64)


def connected_components(n: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Component label (the smallest member index) of each of `n` nodes given undirected edges."""
    return union_edges(np.arange(n, dtype=np.int64), src, dst)


def union_edges(parent: np.ndarray, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Join the components of `parent` (every node pointing at its root) along more edges; returns the new
    fully compressed parent array (roots are the smallest index of each component)."""
    if len(src) == 0:
        return parent
    while True:
        ps, pd_ = parent[src], parent[dst]
        lo, hi = np.minimum(ps, pd_), np.maximum(ps, pd_)
        moving = lo != hi
        if not moving.any():
            break
        np.minimum.at(parent, hi[moving], lo[moving])
        while True:  # pointer jumping: every node points at its root
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand
    return parent
