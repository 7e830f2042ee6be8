"""The ingest pipeline against the real Neo4j: counts, facts, idempotency, bad input, later drops, templates.

Over ~400 lines: the cases share one module-scoped ingested graph (a costly fixture); each test is short.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from graph.driver import Graph
from graph.drop import DropRejected
from graph.ingest import IngestResult
from tests.integration.ingest import drops
from tests.integration.ingest.drops import (
    EXPECTED_NODES,
    EXPECTED_RELATIONSHIPS,
    node_counts,
    relationship_counts,
    small_drop,
    snapshot,
)

ROOT = Path(__file__).resolve().parents[3]
Ingest = Callable[..., IngestResult]


@pytest.fixture(scope="module")
def generated_drop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generator's small test scenario (python manage.py generate_drop OUT --preset test --seed 1)."""
    out = tmp_path_factory.mktemp("generated") / "drop"
    subprocess.run(
        [sys.executable, "manage.py", "generate_drop", str(out), "--preset", "test", "--seed", "1", "-v", "0"],
        cwd=ROOT, check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    return out


def _rows(path: Path) -> int:
    with path.open(encoding="utf-8", newline="") as fh:
        return sum(1 for _ in csv.reader(fh)) - 1


def test_small_drop_loads_the_expected_nodes_and_relationships(
    ingest: Ingest, tmp_path: Path, graph: Graph
) -> None:
    result = ingest(small_drop(tmp_path / "drop"))
    assert node_counts(graph) == EXPECTED_NODES
    assert relationship_counts(graph) == EXPECTED_RELATIONSHIPS
    counts = {f.file: (f.read, f.loaded, f.quarantined, f.duplicates) for f in result.files}
    assert counts == {
        "accounts": (3, 3, 0, 0), "billing": (2, 2, 0, 0), "sessions": (4, 4, 0, 0), "exchanges": (7, 7, 0, 0),
        "model_releases": (1, 1, 0, 0),
    }  # fmt: skip
    assert result.exchanges == 7 and result.templates_new == 1


def test_small_drop_exchange_facts(ingest: Ingest, tmp_path: Path, graph: Graph) -> None:
    ingest(small_drop(tmp_path / "drop"))
    a1 = graph.auto("a1", "MATCH (a:Account {account_id: 'acct_1'}) RETURN a {.*} AS a")[0]["a"]
    assert a1["exchanges"] == 5 and a1["reasoning_exchanges"] == 2
    assert a1["input_tokens"] == 100 * (1 + 2 + 3 + 4 + 5) and a1["output_tokens"] == 10 * 15
    assert a1["cap_counts"] == [2, 1, 0, 0, 0, 0, 0, 2, 0]  # reasoning coding ... chat other
    h = int(datetime(2026, 9, 1, tzinfo=UTC).timestamp()) // 3600  # hour buckets: epoch seconds // 3600
    assert a1["hours"] == [h + 8, h + 9, h + 12] and a1["hour_counts"] == [2, 2, 1]
    assert a1["first_seen"].isoformat().startswith("2026-09-01T08:01:00")
    s4 = graph.auto(
        "s4", "MATCH (s:Session {session_id: 'sess_4'}) RETURN s.exchanges AS n, s.cap_counts AS c"
    )[0]
    assert s4 == {"n": 0, "c": [0] * 9}
    lists = graph.auto(
        "sl",
        "MATCH (s:Session) RETURN s.session_id AS id, s.models AS m, s.model_exchanges AS mn, "
        "s.template_exchanges AS tn, s.template_first AS tf, s.template_last AS tl ORDER BY id",
    )
    got = {r["id"]: (dict(zip(r["m"] or [], r["mn"] or [], strict=True)), r["tn"]) for r in lists}
    assert got == drops.EXPECTED_SESSION_LISTS
    ms = int(datetime(2026, 9, 1, 8, 1, tzinfo=UTC).timestamp()) * 1000  # template first/last: epoch ms
    assert (lists[0]["tf"], lists[0]["tl"]) == ([ms], [ms + 69 * 60_000])
    t = graph.auto(
        "t", "MATCH (t:PromptTemplate) RETURN t.exchanges AS n, t.accounts AS a, t.fingerprint AS f"
    )[0]
    variants = {e["prompt_fingerprint"] for e in drops.EXCHANGES} - {
        drops.fp(drops.UNIQUE_A),
        drops.fp(drops.UNIQUE_B),
    }
    assert t["n"] == 5 and t["a"] == 2 and t["f"] in variants
    used = graph.auto(
        "u",
        "MATCH (a:Account)-[r:USED_TEMPLATE]->(:PromptTemplate) RETURN a.account_id AS a, r.exchanges AS n ORDER BY a",
    )
    assert used == [{"a": "acct_1", "n": 3}, {"a": "acct_2", "n": 2}]
    ip = graph.auto(
        "ip", "MATCH (:Account {account_id: 'acct_1'})-[r:USED_IP]->(ip:IP) RETURN ip.address AS ip, r.sessions AS s, "
        "r.exchanges AS n ORDER BY ip"
    )  # fmt: skip
    assert ip == [{"ip": "10.0.0.1", "s": 1, "n": 4}, {"ip": "10.0.1.5", "s": 1, "n": 1}]
    spend = graph.auto("sp", "MATCH (a:Account) RETURN a.account_id AS a, a.spend_usd AS s ORDER BY a")
    assert [r["s"] for r in spend] == [12.5, 7.5, 0]
    assert graph.auto("m", "MATCH (m:Model {name: 'm2'}) RETURN m.released_at.year AS y")[0]["y"] == 2026
    subnet = graph.auto(
        "sn",
        "MATCH (:IP {address: '2001:db8::1'})-[:IN]->(s:Subnet)-[:IN]->(x:ASN) RETURN s.prefix AS p, x.type AS t",
    )
    assert subnet == [{"p": "2001:db8::/48", "t": "hosting"}]


def test_second_ingest_of_a_drop_changes_nothing(ingest: Ingest, generated_drop: Path, graph: Graph) -> None:
    first = ingest(generated_drop)
    before = snapshot(graph)
    second = ingest(generated_drop)
    assert snapshot(graph) == before
    assert second.fingerprint == first.fingerprint
    assert second.new_accounts == 0 and second.templates_new == 0


def test_generated_drop_counts_match_its_files(ingest: Ingest, generated_drop: Path, graph: Graph) -> None:
    result = ingest(generated_drop)
    nodes = node_counts(graph)
    assert nodes["Account"] == _rows(generated_drop / "accounts.csv")
    assert nodes["Session"] == _rows(generated_drop / "sessions.csv")
    rels = relationship_counts(graph)
    assert rels["PAID_WITH"] == _rows(generated_drop / "billing.csv")
    assert rels["HAD_SESSION"] == rels["FROM_IP"] == rels["USED_KEY"] == nodes["Session"]
    exchanges = _rows(generated_drop / "exchanges.csv")
    assert result.exchanges == exchanges
    totals = graph.auto(
        "totals",
        "MATCH (s:Session) WITH sum(s.exchanges) AS s CALL () { MATCH (a:Account) RETURN sum(a.exchanges) AS a } "
        "CALL () { MATCH (s:Session) UNWIND coalesce(s.model_exchanges, []) AS n RETURN sum(n) AS m } RETURN s, a, m",
    )[0]
    assert totals == {"s": exchanges, "a": exchanges, "m": exchanges}
    assert drops.duplicate_relationships(graph) == []
    assert "labels" not in {f.file for f in result.files}


def test_missing_column_rejects_the_drop_and_writes_nothing(
    ingest: Ingest, tmp_path: Path, graph: Graph
) -> None:
    drop = small_drop(tmp_path / "drop", drop_columns={"sessions": "ip"})
    with pytest.raises(DropRejected) as excinfo:
        ingest(drop)
    assert excinfo.value.file == "sessions.csv" and excinfo.value.column == "ip"
    assert "sessions.csv" in str(excinfo.value) and "'ip'" in str(excinfo.value)
    assert node_counts(graph) == {}


def test_unparseable_file_rejects_the_drop_and_writes_nothing(
    ingest: Ingest, tmp_path: Path, graph: Graph
) -> None:
    drop = small_drop(tmp_path / "drop")
    (drop / "exchanges.csv").unlink()
    (drop / "exchanges.csv.gz").write_bytes(b"this is not gzip data at all")
    with pytest.raises(DropRejected) as excinfo:
        ingest(drop)
    assert excinfo.value.file == "exchanges.csv.gz"
    assert node_counts(graph) == {}


def test_bad_rows_are_quarantined_with_row_numbers_and_the_rest_loads(
    ingest: Ingest, tmp_path: Path, graph: Graph
) -> None:
    accounts = [
        *drops.ACCOUNTS,
        {**drops.ACCOUNTS[0], "account_id": "bad id!"},  # row 4: id charset
        {**drops.ACCOUNTS[0], "account_id": "acct_9", "plan": "platinum"},  # row 5: unknown enum
        {**drops.ACCOUNTS[0], "account_id": "acct_8", "created_at": "yesterday"},  # row 6: bad timestamp
    ]
    billing = [
        *drops.BILLING,
        {**drops.BILLING[0], "billing_id": "bill_9", "account_id": "acct_nobody"},
    ]  # row 3
    sessions = [
        *drops.SESSIONS,
        {
            **drops.SESSIONS[0],
            "session_id": "sess_8",
            "ended_at": "2026-09-01T07:00:00Z",
        },  # row 5: ended < started
        {**drops.SESSIONS[0], "session_id": "sess_9", "account_id": "acct_9"},  # row 6: unknown account
    ]
    exchanges = [
        *drops.EXCHANGES,
        {**drops.EXCHANGES[0], "exchange_id": "ex_80", "input_tokens": "-5"},  # row 8: negative tokens
        {**drops.EXCHANGES[0], "exchange_id": "ex_81", "session_id": "sess_nobody"},  # row 9: unknown session
        {**drops.EXCHANGES[0], "exchange_id": "ex_82", "capability": "mind_reading"},  # row 10: unknown enum
    ]
    quarantine = tmp_path / "quarantine-1.csv"
    result = ingest(
        small_drop(
            tmp_path / "drop", accounts=accounts, billing=billing, sessions=sessions, exchanges=exchanges
        )
    )
    with quarantine.open(encoding="utf-8", newline="") as fh:
        rows = {(r["file"], int(r["row"]), r["column"]) for r in csv.DictReader(fh)}
    assert rows == {
        ("accounts.csv", 4, "account_id"), ("accounts.csv", 5, "plan"), ("accounts.csv", 6, "created_at"),
        ("billing.csv", 3, "account_id"), ("sessions.csv", 5, "ended_at"), ("sessions.csv", 6, "account_id"),
        ("exchanges.csv", 8, "input_tokens"), ("exchanges.csv", 9, "session_id"), ("exchanges.csv", 10, "capability"),
    }  # fmt: skip
    counts = {f.file: (f.read, f.loaded, f.quarantined) for f in result.files}
    assert (
        counts["accounts"] == (6, 3, 3)
        and counts["exchanges"] == (10, 7, 3)
        and counts["sessions"] == (6, 4, 2)
    )
    assert result.quarantined == 9
    assert node_counts(graph) == EXPECTED_NODES
    assert relationship_counts(graph) == EXPECTED_RELATIONSHIPS


HOSTILE = [
    "o'brien\"quote`tick`@ex.com",
    "x'}) MATCH (n) DETACH DELETE n // {braces}@y.z",
    "<script>alert('x')</script>@h.tm",
]


def test_hostile_strings_are_stored_verbatim(ingest: Ingest, tmp_path: Path, graph: Graph) -> None:
    accounts = [dict(a) for a in drops.ACCOUNTS]
    for account, email in zip(accounts, HOSTILE, strict=False):
        account["email"] = email
    accounts[0]["account_id"] = "acct:with.dots-and_colons"
    billing = [
        {**b, "account_id": "acct:with.dots-and_colons"} if b["account_id"] == "acct_1" else b
        for b in drops.BILLING
    ]
    billing[0]["billing_postal"] = "<b>1'0`1}"
    sessions = [
        {**s, "account_id": "acct:with.dots-and_colons"} if s["account_id"] == "acct_1" else s
        for s in drops.SESSIONS
    ]
    sessions[0]["user_agent"] = "Mozilla\"/5.0 `rm -rf` {x} <img src=x onerror=alert(1)> ') RETURN 1 //"
    sessions[0]["asn_name"] = sessions[1]["asn_name"] = 'Net "One" `AS` {1}'
    exchanges = [
        {**e, "account_id": "acct:with.dots-and_colons"} if e["account_id"] == "acct_1" else e
        for e in drops.EXCHANGES
    ]
    exchanges[0]["model"] = "m`1'}{\"<i>"
    ingest(
        small_drop(
            tmp_path / "drop", accounts=accounts, billing=billing, sessions=sessions, exchanges=exchanges
        )
    )
    emails = {r["e"] for r in graph.auto("e", "MATCH (a:Account) RETURN a.email AS e")}
    assert emails == set(HOSTILE)
    assert (
        graph.auto("a", "MATCH (a:Account {account_id: 'acct:with.dots-and_colons'}) RETURN count(a) AS n")[
            0
        ]["n"]
        == 1
    )
    s1 = graph.auto("s", "MATCH (s:Session {session_id: 'sess_1'}) RETURN s.user_agent AS ua")[0]["ua"]
    assert s1 == sessions[0]["user_agent"]
    assert (
        graph.auto("x", "MATCH (x:ASN {number: 100}) RETURN x.name AS n")[0]["n"] == sessions[0]["asn_name"]
    )
    assert (
        graph.auto("m", "MATCH (m:Model {name: $n}) RETURN count(m) AS c", n=exchanges[0]["model"])[0]["c"]
        == 1
    )
    postal = graph.auto("b", "MATCH (b:BillingAddress) RETURN b.postal AS p")[0]["p"]
    assert postal in ("<b>1'0`1}", "10115")  # the address's latest row wins; both rows name the same address
    assert node_counts(graph)["Account"] == 3


def test_later_drop_updates_entities_and_replaces_a_resent_period(
    ingest: Ingest, tmp_path: Path, graph: Graph
) -> None:
    ingest(small_drop(tmp_path / "day1"))
    accounts = [
        {**drops.ACCOUNTS[2], "status": "active", "status_changed_at": "2026-09-05T00:00:00Z"},
    ]
    billing = [{**drops.BILLING[0], "spend_usd": "40"}]
    sessions = [
        drops.SESSIONS[0],  # re-sent: sess_1 again, now with four exchanges instead of four-plus-one
        {
            **drops.SESSIONS[1],
            "session_id": "sess_5",
            "started_at": "2026-09-05T08:00:00Z",
            "ended_at": "2026-09-05T09:00:00Z",
        },
    ]
    exchanges = [
        *drops.EXCHANGES[:4],  # sess_1's four exchanges, unchanged
        {**drops.EXCHANGES[4], "exchange_id": "ex_50", "session_id": "sess_5", "ts": "2026-09-05T08:30:00Z"},
    ]
    day2 = small_drop(
        tmp_path / "day2", accounts=accounts, billing=billing, sessions=sessions, exchanges=exchanges
    )
    ingest(day2)
    a3 = graph.auto("a3", "MATCH (a:Account {account_id: 'acct_3'}) RETURN a.status AS s")[0]["s"]
    assert a3 == "active"
    a1 = graph.auto(
        "a1", "MATCH (a:Account {account_id: 'acct_1'}) RETURN a.exchanges AS n, a.spend_usd AS s"
    )[0]
    assert a1 == {"n": 6, "s": 40.0}  # 4 (sess_1, re-sent, not doubled) + 1 (sess_2) + 1 (sess_5)
    after_day2 = snapshot(graph)
    ingest(day2)
    assert snapshot(graph) == after_day2
    ingest(small_drop(tmp_path / "day1"))  # the older drop again: the newer status is kept
    assert (
        graph.auto("a3", "MATCH (a:Account {account_id: 'acct_3'}) RETURN a.status AS s")[0]["s"] == "active"
    )


def _template_sessions(graph: Graph) -> list[tuple[str, list[str]]]:
    rows = graph.auto(
        "ts",
        "MATCH (t:PromptTemplate) OPTIONAL MATCH (s:Session) WHERE t.template_id IN s.templates "
        "WITH t, s ORDER BY s.session_id RETURN t.exchanges AS n, collect(s.session_id) AS sessions",
    )
    return sorted((str(r["n"]), r["sessions"]) for r in rows)


def test_templates_are_grouped_the_same_whatever_the_drop_order(
    ingest: Ingest, tmp_path: Path, graph: Graph
) -> None:
    first = small_drop(tmp_path / "a", exchanges=drops.EXCHANGES[:3] + drops.EXCHANGES[3:5])
    second = small_drop(tmp_path / "b", exchanges=drops.EXCHANGES[5:7])
    ingest(first)
    ingest(second)
    forwards = _template_sessions(graph)
    assert node_counts(graph)["PromptTemplate"] == 1
    shutil.rmtree(tmp_path / "work-1", ignore_errors=True)
    graph.auto("wipe", "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS")
    ingest(second)
    ingest(first)
    assert _template_sessions(graph) == forwards == [("5", ["sess_1", "sess_3"])]


def test_a_bridging_fingerprint_merges_two_templates(ingest: Ingest, tmp_path: Path, graph: Graph) -> None:
    # two groups 6 bits apart: each is a template on its own
    left = [
        drops._exchange(
            i, "sess_1", "acct_1", f"2026-09-01T08:0{i}:00Z", "m1", "coding", drops.variant((0, 1, 2)), False
        )
        for i in range(1, 3)
    ]
    right = [
        drops._exchange(
            i, "sess_3", "acct_2", f"2026-09-02T08:0{i}:00Z", "m1", "coding", drops.variant((3, 4, 5)), False
        )
        for i in range(3, 5)
    ]
    # sess_1 used both: its list must end with one entry holding both counts
    right.append(
        drops._exchange(5, "sess_1", "acct_1", "2026-09-01T08:09:00Z", "m1", "coding", drops.variant((3, 4, 5)), False)
    )
    ingest(small_drop(tmp_path / "a", exchanges=left + right))
    assert node_counts(graph)["PromptTemplate"] == 2
    # the template base is 3 bits from each group: it joins them
    bridge = [
        drops._exchange(
            9, "sess_2", "acct_1", "2026-09-01T12:01:00Z", "m1", "coding", drops.variant(()), False
        )
    ]
    result = ingest(small_drop(tmp_path / "b", sessions=drops.SESSIONS[1:2], exchanges=bridge))
    assert result.templates_merged == 1
    assert node_counts(graph)["PromptTemplate"] == 1
    t = graph.auto("t", "MATCH (t:PromptTemplate) RETURN t.exchanges AS n, t.accounts AS a, t.template_id AS id")[0]
    assert (t["n"], t["a"]) == (6, 2)
    lists = graph.auto(
        "l",
        "MATCH (s:Session) WHERE s.templates IS NOT NULL "
        "RETURN s.session_id AS s, s.templates AS t, s.template_exchanges AS n ORDER BY s",
    )
    assert lists == [
        {"s": "sess_1", "t": [t["id"]], "n": [3]},
        {"s": "sess_2", "t": [t["id"]], "n": [1]},
        {"s": "sess_3", "t": [t["id"]], "n": [2]},
    ]
    used = graph.auto(
        "u", "MATCH (a:Account)-[r:USED_TEMPLATE]->() RETURN a.account_id AS a, r.exchanges AS n ORDER BY a"
    )
    assert used == [{"a": "acct_1", "n": 4}, {"a": "acct_2", "n": 2}]
    assert drops.duplicate_relationships(graph) == []


def test_a_resent_session_moves_its_accounts_template_and_model_links(
    ingest: Ingest, tmp_path: Path, graph: Graph
) -> None:
    """An existing account's USED_TEMPLATE / USED_MODEL follow its sessions: a re-sent session that now uses
    another template and model drops the links nothing else of the account supports."""
    first = [
        drops._exchange(i, "sess_1", "acct_1", f"2026-09-01T08:0{i}:00Z", "m1", "coding", drops.variant((0, 1, 2)), False)
        for i in range(1, 3)
    ] + [drops._exchange(3, "sess_3", "acct_2", "2026-09-02T08:01:00Z", "m1", "coding", drops.variant((0, 1, 2)), False)]
    ingest(small_drop(tmp_path / "a", exchanges=first))
    resent = [
        drops._exchange(i, "sess_1", "acct_1", f"2026-09-01T08:0{i}:00Z", "m2", "coding", drops.variant((3, 4, 5)), False)
        for i in range(1, 4)
    ]  # fmt: skip
    ingest(small_drop(tmp_path / "b", sessions=drops.SESSIONS[0:1], exchanges=resent))

    def links(rel: str, key: str) -> list[dict[str, object]]:
        return graph.auto(
            "links",
            f"MATCH (a:Account)-[r:{rel}]->(x) RETURN a.account_id AS a, x.{key} AS x, r.exchanges AS n ORDER BY a, x",
        )

    used = links("USED_TEMPLATE", "fingerprint")
    assert [(u["a"], u["n"]) for u in used] == [("acct_1", 3), ("acct_2", 1)] and used[0]["x"] != used[1]["x"]
    assert links("USED_MODEL", "name") == [{"a": "acct_1", "x": "m2", "n": 3}, {"a": "acct_2", "x": "m1", "n": 1}]
    assert drops.duplicate_relationships(graph) == []


def test_extra_columns_give_a_warning(ingest: Ingest, tmp_path: Path) -> None:
    accounts = [{**a, "<b>shoe_size</b>": "42"} for a in drops.ACCOUNTS]
    result = ingest(small_drop(tmp_path / "drop", accounts=accounts))
    assert any("<b>shoe_size</b>" in w for w in result.warnings)


@pytest.mark.parametrize("fmt", ["csv.gz", "parquet"])
def test_gzip_and_parquet_drops_load_the_same_graph_as_csv(
    ingest: Ingest, generated_drop: Path, tmp_path: Path, graph: Graph, fmt: str
) -> None:
    other = tmp_path / fmt
    subprocess.run(
        [sys.executable, "manage.py", "generate_drop", str(other), "--preset", "test", "--seed", "1", "--format", fmt,
         "-v", "0"],
        cwd=ROOT, check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    assert any(p.name.endswith(fmt) for p in other.iterdir())
    ingest(generated_drop)
    from_csv = [line for line in snapshot(graph) if '"Drop"' not in line]
    graph.auto("wipe", "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS")
    ingest(other)
    assert [line for line in snapshot(graph) if '"Drop"' not in line] == from_csv
