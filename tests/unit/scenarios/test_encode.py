"""Vectorised encoders: opaque ids never collide, timestamps match the standard library."""

from __future__ import annotations

import datetime as dt

import numpy as np

from graph.scenarios.encode import format_iso, hex_strings, iso_timestamps, mix64, opaque_ids, parse_iso


def test_mix64_is_a_bijection_so_ids_never_collide() -> None:
    counters = np.arange(200_000, dtype=np.uint64)
    mixed = mix64(counters, key=12345)
    assert len(np.unique(mixed)) == len(counters)
    ids = opaque_ids(counters[:1000], key=12345, prefix="acct_").to_pylist()
    assert len(set(ids)) == 1000
    assert all(len(i) == 21 and i.startswith("acct_") for i in ids)


def test_iso_timestamps_match_datetime_formatting() -> None:
    rng = np.random.default_rng(0)
    secs = rng.integers(parse_iso("2024-01-01T00:00:00Z"), parse_iso("2027-12-31T23:59:59Z"), size=2000)
    expected = [dt.datetime.fromtimestamp(int(s), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") for s in secs]
    assert iso_timestamps(secs).to_pylist() == expected
    assert format_iso(int(secs[0])) == expected[0]


def test_iso_timestamps_keep_nulls() -> None:
    secs = np.array([0, 86_399, 5], dtype=np.int64)
    valid = np.array([True, True, False])
    assert iso_timestamps(secs, valid).to_pylist() == ["1970-01-01T00:00:00Z", "1970-01-01T23:59:59Z", None]


def test_hex_strings_are_zero_padded_lowercase() -> None:
    values = np.array([0, 1, 0xFFFFFFFFFFFFFFFF], dtype=np.uint64)
    assert hex_strings(values).to_pylist() == ["0" * 16, "0" * 15 + "1", "f" * 16]
