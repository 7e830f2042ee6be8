"""Vectorised encoders: opaque ids, hex fingerprints and ISO timestamps as Arrow string arrays.

Python-level string formatting of tens of millions of values would dominate the generator's
run time, so every high-volume string column is built as a fixed-width byte matrix with numpy
and handed to Arrow without a copy.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from functools import lru_cache

import numpy as np
import pyarrow as pa

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def derive_key(seed: int, name: str) -> int:
    """A 64-bit key for one id namespace, stable for a seed and independent of Python's hash seed."""
    digest = hashlib.blake2b(f"{seed}:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def mix64(counters: np.ndarray, key: int) -> np.ndarray:
    """Keyed bijection of uint64 values (xor, add, splitmix64 finaliser): unique in, unique out."""
    with np.errstate(over="ignore"):
        z = counters.astype(np.uint64) ^ np.uint64(key)
        z = z + np.uint64((key * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF)
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
        return z ^ (z >> np.uint64(31))


def _hex_matrix(values: np.ndarray) -> np.ndarray:
    """(n,) uint64 -> (n, 16) uint8 matrix of lowercase hex digits."""
    v = values.astype(np.uint64)
    out = np.empty((v.shape[0], 16), dtype=np.uint8)
    for i in range(16):
        out[:, i] = _HEX[((v >> np.uint64(60 - 4 * i)) & np.uint64(0xF)).astype(np.intp)]
    return out


def strings_from_matrix(mat: np.ndarray, valid: np.ndarray | None = None) -> pa.StringArray:
    """Wrap an (n, w) uint8 matrix of ASCII bytes as an Arrow string array (nulls where not valid)."""
    n, width = mat.shape
    data = np.ascontiguousarray(mat)
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    if valid is None or bool(valid.all()):
        return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))
    bitmap = np.packbits(valid.astype(bool), bitorder="little")
    return pa.StringArray.from_buffers(
        n, pa.py_buffer(offsets), pa.py_buffer(data), pa.py_buffer(bitmap), int((~valid).sum())
    )


def hex_strings(*words: np.ndarray, prefix: str = "", valid: np.ndarray | None = None) -> pa.StringArray:
    """Concatenate the 16-digit hex forms of one or more uint64 arrays, after an optional prefix."""
    n = words[0].shape[0]
    parts = []
    if prefix:
        parts.append(np.broadcast_to(np.frombuffer(prefix.encode(), dtype=np.uint8), (n, len(prefix))))
    parts.extend(_hex_matrix(w) for w in words)
    return strings_from_matrix(np.concatenate(parts, axis=1) if len(parts) > 1 else parts[0], valid)


def opaque_ids(counters: np.ndarray, key: int, prefix: str) -> pa.StringArray:
    """Ids like ``acct_3f9c0a5e12b7d4c8``: a keyed bijection of unique counters, so they never collide."""
    return hex_strings(mix64(counters, key), prefix=prefix)


@lru_cache(maxsize=1)
def _time_of_day_table() -> np.ndarray:
    """(86400, 9) bytes ``HH:MM:SSZ`` for every second of a day."""
    s = np.arange(86400)
    h, m, sec = s // 3600, (s // 60) % 60, s % 60
    out = np.empty((86400, 9), dtype=np.uint8)
    for col, (val, div) in enumerate([(h, 10), (h, 1), (None, 0), (m, 10), (m, 1), (None, 0), (sec, 10), (sec, 1)]):
        out[:, col] = ord(":") if val is None else (val // div) % 10 + ord("0")
    out[:, 8] = ord("Z")
    return out


def _day_table(first_day: int, last_day: int) -> np.ndarray:
    """(days, 11) bytes ``YYYY-MM-DDT`` for days since the epoch in [first_day, last_day]."""
    rows = [
        (_EPOCH + dt.timedelta(days=d)).strftime("%Y-%m-%dT").encode()
        for d in range(first_day, last_day + 1)
    ]
    return np.frombuffer(b"".join(rows), dtype=np.uint8).reshape(len(rows), 11)


def iso_timestamps(epoch_seconds: np.ndarray, valid: np.ndarray | None = None) -> pa.StringArray:
    """Format UTC epoch seconds as ``2026-09-14T08:21:05Z`` strings (nulls where not valid)."""
    secs = np.asarray(epoch_seconds, dtype=np.int64)
    n = secs.shape[0]
    if n == 0:
        return pa.array([], type=pa.string())
    safe = secs if valid is None else np.where(valid, secs, secs[valid][0] if valid.any() else 0)
    days = safe // 86400
    first, last = int(days.min()), int(days.max())
    mat = np.empty((n, 20), dtype=np.uint8)
    mat[:, :11] = _day_table(first, last)[days - first]
    mat[:, 11:] = _time_of_day_table()[safe - days * 86400]
    return strings_from_matrix(mat, valid)


def parse_iso(text: str) -> int:
    """UTC epoch seconds of an ISO 8601 timestamp (``Z`` or an explicit offset)."""
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return int(value.timestamp())


def format_iso(epoch_seconds: int) -> str:
    """``2026-09-14T08:21:05Z`` for one epoch second."""
    return (_EPOCH + dt.timedelta(seconds=int(epoch_seconds))).strftime("%Y-%m-%dT%H:%M:%SZ")


def random_words(rng: np.random.Generator, n: int) -> np.ndarray:
    """n uniformly random uint64 values (fingerprints, hashes, SimHashes of unique prompts)."""
    return rng.integers(0, np.iinfo(np.uint64).max, size=n, dtype=np.uint64, endpoint=True)
