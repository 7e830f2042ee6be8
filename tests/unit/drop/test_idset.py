"""The hashed id sets behind duplicate and reference checks agree with plain Python sets."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from graph.drop.idset import IdSet, hash_ids
from graph.drop.references import References


def test_hash_ids_is_the_same_for_arrow_and_python_strings() -> None:
    ids = ["acct_1", "ünï", "a'b\"c", "acct_1"]

    hashed = hash_ids(pa.array(ids))

    assert hashed.dtype == np.uint64
    assert hashed.tolist() == hash_ids(ids).tolist()
    assert hashed[0] == hashed[3] and len(set(hashed.tolist())) == 3


def test_add_and_check_flags_repeats_in_order() -> None:
    s = IdSet()

    first = s.add_and_check(np.array([5, 3, 5, 7, 3, 9], dtype=np.uint64))
    second = s.add_and_check(np.array([9, 1, 1, 2], dtype=np.uint64))

    assert first.tolist() == [False, False, True, False, True, False]
    assert second.tolist() == [True, False, True, False]
    assert len(s) == 6
    assert s.contains(np.arange(11, dtype=np.uint64)).tolist() == [
        False, True, True, True, False, True, False, True, False, True, False,
    ]  # fmt: skip


def test_many_batches_match_a_python_set() -> None:
    rng = np.random.default_rng(3)
    s = IdSet()
    reference: set[int] = set()
    for size in [1, 7, 100, 3, 1000, 50, 2000, 5, 400, 4000, 1]:
        batch = rng.integers(0, 6000, size).astype(np.uint64)  # small range: many repeats
        expected = []
        for v in batch.tolist():
            expected.append(v in reference)
            reference.add(v)
        assert s.add_and_check(batch).tolist() == expected
    probe = np.arange(7000, dtype=np.uint64)
    assert s.contains(probe).tolist() == [int(v) in reference for v in probe]
    assert len(s) == len(reference)
    assert len(s._runs) <= 12  # geometric runs stay few


def test_add_ignores_known_values() -> None:
    s = IdSet()
    s.add(np.array([1, 2, 2], dtype=np.uint64))
    s.add(np.array([2, 3], dtype=np.uint64))

    assert len(s) == 3 and s.nbytes == 24


def test_references_known_uses_this_drop_then_the_lookup() -> None:
    calls: list[list[str]] = []

    def lookup(ids: list[str]) -> set[str]:
        calls.append(sorted(ids))
        return {"acct_old"} & set(ids)

    refs = References(lookup_accounts=lookup, lookup_batch=1)
    refs.register_keys("accounts", pa.array(["acct_1", "acct_2"]))
    refs.add_known("accounts", ["acct_given"])

    known = refs.known(
        "accounts", pa.array(["acct_1", "acct_old", "acct_x", "acct_given", "acct_old", "acct_x"])
    )
    again = refs.known("accounts", pa.array(["acct_x", "acct_old"]))

    assert known.tolist() == [True, True, False, True, True, False]
    assert again.tolist() == [False, True]
    assert sorted(calls) == [["acct_old"], ["acct_x"]]  # batches of one, each id asked once
    assert refs.known("sessions", pa.array(["sess_1"])).tolist() == [False]
