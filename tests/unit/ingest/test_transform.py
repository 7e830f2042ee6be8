"""Exchange aggregation: partial aggregates per chunk and partition combine into exact session facts."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from graph.ingest.aggregate import combine_partials, fingerprint_words, reduce_exchanges
from graph.ingest.batches import Columns, column_batches, session_batches
from graph.ingest.facts import session_rows
from graph.ingest.templates import TemplatePlan
from graph.ingest.transform import email_domains, keep_last, record_hashes, subnet_of

T0 = pd.Timestamp("2026-09-01T08:00:00Z")


def frame(rows: list[tuple[str, str, int, str, str, str, int, int, bool]]) -> pd.DataFrame:
    """Exchanges as the validator types them: (session, account, minute, model, capability, fp, in, out, reasoning)."""
    return pd.DataFrame(
        {
            "exchange_id": [f"e{i}" for i in range(len(rows))],
            "session_id": pd.Series([r[0] for r in rows], dtype="str"),
            "account_id": pd.Series([r[1] for r in rows], dtype="str"),
            "ts": pd.Series([T0 + pd.Timedelta(minutes=r[2]) for r in rows], dtype="datetime64[ns, UTC]"),
            "model": pd.Series([r[3] for r in rows], dtype="str"),
            "capability": pd.Series([r[4] for r in rows], dtype="str"),
            "prompt_fingerprint": pd.Series([r[5] for r in rows], dtype="str"),
            "input_tokens": np.array([r[6] for r in rows], dtype=np.int64),
            "output_tokens": np.array([r[7] for r in rows], dtype=np.int64),
            "reasoning_elicited": np.array([r[8] for r in rows], dtype=bool),
        }
    )


ROWS = [
    ("s1", "a1", 0, "m1", "reasoning", "00000000000000ff", 10, 1, True),
    ("s1", "a1", 30, "m1", "coding", "00000000000000fe", 20, 2, False),
    ("s1", "a1", 90, "m2", "chat", "1111111111111111", 30, 3, False),
    ("s2", "a2", 5, "m2", "reasoning", "00000000000000ff", 40, 4, True),
    ("s3", "a3", 7, "m1", "other", "2222222222222222", 50, 5, False),
]
PLAN = TemplatePlan.from_ids(np.array([0xFE, 0xFF], dtype=np.uint64), ["t1", "t1"])


def combined(chunks: list[pd.DataFrame], partitions: int) -> dict[str, dict[str, Any]]:
    parts: dict[int, dict[str, list[pa.Table]]] = {}
    for chunk in chunks:
        for p, kinds in reduce_exchanges(chunk, partitions).partials.items():
            for kind, table in kinds.items():
                parts.setdefault(p, {}).setdefault(kind, []).append(table)
    facts: dict[str, dict[str, Any]] = {}
    for kinds in parts.values():
        result = combine_partials({k: pa.concat_tables(v) for k, v in kinds.items()}, PLAN)
        for row in result.sessions.to_pylist():
            facts[row["session_id"]] = row
        for row in result.templates.to_pylist():
            facts[row["session_id"]].setdefault("templates", []).append((row["template_id"], row["n"]))
        for row in result.models.to_pylist():
            facts[row["session_id"]].setdefault("models", []).append((row["model"], row["n"]))
    return facts


def test_session_facts_are_exact_whatever_the_chunking_and_partitions() -> None:
    whole = combined([frame(ROWS)], 1)
    split = combined([frame(ROWS[:2]), frame(ROWS[2:4]), frame(ROWS[4:])], 3)
    assert whole == split
    s1 = whole["s1"]
    assert s1["exchanges"] == 3 and s1["input_tokens"] == 60 and s1["output_tokens"] == 6
    assert s1["reasoning_exchanges"] == 1
    assert s1["cap_counts"] == [1, 1, 0, 0, 0, 0, 0, 1, 0]
    hour = int(T0.timestamp()) // 3600
    assert s1["hours"] == [hour, hour + 1] and s1["hour_counts"] == [2, 1]
    assert (
        s1["first_seen"] == int(T0.timestamp() * 1000)
        and s1["last_seen"] == int(T0.timestamp() * 1000) + 90 * 60_000
    )
    assert sorted(s1["templates"]) == [("t1", 2)]
    assert sorted(s1["models"]) == [("m1", 2), ("m2", 1)]
    assert "templates" not in whole["s3"]


def test_fingerprint_words_fast_and_slow_paths_agree() -> None:
    values = ["00000000000000ff", "ffffffffffffffff", "0123456789abcdef"]
    fast = fingerprint_words(pa.array(values))
    slow = fingerprint_words(pa.array(values + ["abc"]).slice(0, 3).cast(pa.large_string()).cast(pa.string()))
    assert fast.tolist() == slow.tolist() == [0xFF, 2**64 - 1, 0x0123456789ABCDEF]


def test_keep_last_keeps_the_latest_row_per_key() -> None:
    table = pa.table({"k": ["a", "b", "a", "c", "b"], "v": [1, 2, 3, 4, 5]})
    assert keep_last(table, "k").to_pylist() == [{"k": "a", "v": 3}, {"k": "c", "v": 4}, {"k": "b", "v": 5}]


def test_email_domains_and_subnets() -> None:
    domains = email_domains(pa.array(["Ann@GMail.com", 'weird"@x@corp.io', "no-at-sign", None]))
    assert domains.to_pylist() == ["gmail.com", "corp.io", None, None]
    assert subnet_of("10.1.2.3") == (4, "10.1.2.0/24")
    assert subnet_of("2001:db8:abcd:12::1") == (6, "2001:db8:abcd::/48")


def test_session_rows_carry_template_and_model_facts_as_parallel_lists() -> None:
    result = combine_partials(reduce_exchanges(frame(ROWS), 1).partials[0], PLAN)
    sessions = pa.table(
        {
            "session_id": ["s1", "s3", "s4"],
            "account_id": ["a1", "a3", "a4"],
            **{c: [None] * 3 for c in ("api_key_id", "ip", "client_fingerprint", "user_agent")},
            "asn": pa.array([None] * 3, pa.int64()),
            "started_at": pa.array([T0.value] * 3, pa.timestamp("ns", tz="UTC")),
            "ended_at": pa.array([T0.value] * 3, pa.timestamp("ns", tz="UTC")),
        }
    )
    rows, orphans = session_rows(sessions, result)
    by_id = {r["session_id"]: r for r in rows.to_pylist()}
    s1 = by_id["s1"]
    ms = int(T0.timestamp() * 1000)
    assert (s1["templates"], s1["template_exchanges"]) == (["t1"], [2])
    assert (s1["template_first"], s1["template_last"]) == ([ms], [ms + 30 * 60_000])
    assert dict(zip(s1["models"], s1["model_exchanges"], strict=True)) == {"m1": 2, "m2": 1}
    assert sorted(zip(s1["models"], s1["model_first"], s1["model_last"], strict=True)) == [
        ("m1", ms, ms + 30 * 60_000),
        ("m2", ms + 90 * 60_000, ms + 90 * 60_000),
    ]
    assert by_id["s3"]["templates"] is None and by_id["s3"]["models"] == ["m1"]
    assert by_id["s4"]["templates"] is None and by_id["s4"]["models"] is None and by_id["s4"]["exchanges"] == 0
    assert orphans["session_id"].to_pylist() == ["s2"]  # facts of a session of an earlier drop
    assert orphans["models"].to_pylist() == [["m2"]]


def test_column_batches_and_take_keep_rows_aligned() -> None:
    table = pa.table({"id": ["a", "b", "c", "d", "e"], "n": [1, 2, 3, 4, 5], "l": [[1], [], None, [2, 3], [4]]})
    batches = list(column_batches(table, 2))
    assert [len(b) for b in batches] == [2, 2, 1]
    assert batches[1].data == {"id": ["c", "d"], "n": [3, 4], "l": [None, [2, 3]]}
    picked = batches[1].take([1])
    assert picked.data == {"id": ["d"], "n": [4], "l": [[2, 3]]} and len(picked) == 1
    assert not batches[0].take([])


def test_a_batch_sends_a_query_only_the_columns_it_reads() -> None:
    reads = ["account_id", "api_key_id", "asn", "client_fingerprint", "ended_at", "ip", "session_id", "started_at",
             "user_agent"]  # fmt: skip
    data = {k: [f"{k}-1", f"{k}-2"] for k in [*reads, "templates", "has_facts"]}
    batch = Columns(data, 2).for_query("ingest_sessions_update")
    assert sorted(batch.data) == reads and len(batch) == 2
    assert batch.data["session_id"] == ["session_id-1", "session_id-2"]
    facts = Columns({**data, "exchanges": [1, 2]}, 2)
    with pytest.raises(KeyError):  # a column the query reads is missing: an error, never a silent null
        facts.for_query("ingest_session_facts")


def test_record_hashes_tell_changed_rows_from_resent_ones() -> None:
    table = pa.table({"id": ["a"] * 5, "org": ["x", None, "", "x", "x"], "n": [1, 1, 1, 2, 1]})
    hashes = record_hashes(table).to_pylist()
    assert hashes[0] == hashes[4]  # the same record re-sent
    assert len(set(hashes[:4])) == 4  # a null is not an empty string; any changed value changes the hash
    assert all(len(h) == 16 for h in hashes)


def test_session_batches_hold_whole_accounts_with_their_facts() -> None:
    owners = ["a"] * 3 + ["b"] * 1 + ["c"] * 5 + ["d"] * 2
    rows = pa.table({"account_id": owners, "session_id": [f"s{i}" for i in range(len(owners))]})
    accounts = pa.table({"account_id": ["a", "b", "c", "d"], "exchanges": [3, 1, 5, 2]})
    batches = session_batches(rows, accounts, size=4)
    # an account is never split, and each batch carries exactly the facts of its accounts
    assert [b.sessions.data["account_id"] for b in batches] == [["a"] * 3 + ["b"], ["c"] * 5, ["d"] * 2]
    assert [[r["account_id"] for r in b.accounts] for b in batches] == [["a", "b"], ["c"], ["d"]]
    assert [len(b) for b in batches] == [4, 5, 2]
    assert session_batches(rows.slice(0, 0), accounts.slice(0, 0), size=4) == []
    with pytest.raises(ValueError, match="line up"):
        session_batches(rows, accounts.slice(0, 3), size=4)
