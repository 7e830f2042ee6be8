"""Whole-drop validation: counts, rejection, warnings, duplicates, references, verbatim values, typed frames.

Over ~400 lines: one contract's cases, each test short and independent; split by file would scatter the rules.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from graph.drop import (
    FILES,
    RawChunk,
    References,
    format_report,
    iter_chunks,
    validate_chunk,
    validate_chunk_table,
    validate_drop,
)
from tests.unit.drop.builders import (
    account,
    billing,
    exchange,
    model_release,
    session,
    write_drop,
    write_file,
)

FORMATS = ["csv", "csv.gz", "parquet"]


def _frames(path: Path, name: str, refs: References, chunk_rows: int = 200_000) -> pd.DataFrame:
    parts = [
        validate_chunk(FILES[name], chunk, file_label=path.name, refs=refs)[0]
        for chunk in iter_chunks(path, chunk_rows)
    ]
    return pd.concat(parts, ignore_index=True)


@pytest.mark.parametrize("fmt", FORMATS)
def test_valid_drop_passes_with_exact_counts(tmp_path: Path, fmt: str) -> None:
    drop = write_drop(tmp_path, fmt)
    seen: list[tuple[str, int]] = []

    report = validate_drop(drop, progress=lambda f, n: seen.append((f, n)))

    assert report.ok() and report.rejected is None
    counts = {name: (f.read, f.valid, f.quarantined, f.duplicates) for name, f in report.files.items()}
    assert counts == {
        "accounts": (2, 2, 0, 0),
        "billing": (1, 1, 0, 0),
        "sessions": (2, 2, 0, 0),
        "exchanges": (3, 3, 0, 0),
        "model_releases": (1, 1, 0, 0),
    }
    assert all(not f.warnings and not f.issues for f in report.files.values())
    assert seen == [("accounts", 2), ("billing", 1), ("sessions", 2), ("exchanges", 3), ("model_releases", 1)]
    json.dumps(report.to_dict())


def test_empty_billing_file_is_valid(tmp_path: Path) -> None:
    drop = write_drop(tmp_path, billing_rows=[])

    report = validate_drop(drop)

    assert report.ok()
    assert report.files["billing"].read == 0


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("file", "column"), [("accounts", "email"), ("sessions", "ended_at"), ("exchanges", "ts")]
)
def test_missing_required_column_rejects_naming_file_and_column(
    tmp_path: Path, fmt: str, file: str, column: str
) -> None:
    drop = write_drop(tmp_path, fmt)
    rows = {"accounts": [account(1), account(2)], "sessions": [session(1, 1)], "exchanges": [exchange(1)]}[
        file
    ]
    columns = [c for c in FILES[file].column_names if c != column]
    (drop / f"{file}.{fmt}").unlink()
    write_file(drop, file, rows, fmt, columns=columns)

    report = validate_drop(drop)

    assert report.rejected is not None
    assert (report.rejected.file, report.rejected.column) == (f"{file}.{fmt}", column)
    assert f"{file}.{fmt}: column {column!r}: required column is missing" in str(report.rejected)
    assert not report.ok()
    assert report.to_dict()["rejected"]["column"] == column
    # Headers are checked before any file is read.
    assert all(f.read == 0 for f in report.files.values())


def test_case_mismatch_in_column_name_gets_a_hint(tmp_path: Path) -> None:
    drop = write_drop(tmp_path)
    columns = ["Account_ID" if c == "account_id" else c for c in FILES["accounts"].column_names]
    write_file(drop, "accounts", [], columns=columns)

    report = validate_drop(drop)

    assert report.rejected is not None and report.rejected.column == "account_id"
    assert "found 'Account_ID' (column names are case-sensitive)" in report.rejected.reason


def test_missing_required_file_rejects_the_drop(tmp_path: Path) -> None:
    drop = write_drop(tmp_path)
    (drop / "sessions.csv").unlink()

    report = validate_drop(drop)

    assert report.rejected is not None and report.rejected.file == "sessions"
    assert report.files == {}
    assert "REJECTED: sessions: required file is missing" in format_report(report)[-1]


def test_missing_optional_column_is_null_and_extra_columns_warn(tmp_path: Path) -> None:
    drop = write_drop(tmp_path)
    columns = [c for c in FILES["accounts"].column_names if c != "country"] + ["favourite_colour", "notes"]
    write_file(drop, "accounts", [account(1, favourite_colour="red"), account(2)], columns=columns)
    (drop / "README.txt").write_text("hello")

    report = validate_drop(drop)

    assert report.ok()
    assert report.files["accounts"].warnings == [
        "accounts.csv: ignoring extra column 'favourite_colour'",
        "accounts.csv: ignoring extra column 'notes'",
    ]
    assert report.warnings == ["ignoring unrecognised file 'README.txt'"]
    frame = _frames(drop / "accounts.csv", "accounts", References())
    assert frame["country"].isna().all()
    assert "favourite_colour" not in frame.columns


@pytest.mark.parametrize("fmt", FORMATS)
def test_unparseable_file_rejects_the_drop_naming_it(tmp_path: Path, fmt: str) -> None:
    drop = write_drop(tmp_path, fmt)
    (drop / f"sessions.{fmt}").write_bytes(b"\x1f\x8b\x08\x00" + b"\x00garbage" * 50)

    report = validate_drop(drop)

    assert report.rejected is not None
    assert report.rejected.file == f"sessions.{fmt}"
    assert str(report.rejected).startswith(f"sessions.{fmt}: ")


def test_parse_error_after_first_chunks_rejects(tmp_path: Path) -> None:
    drop = write_drop(tmp_path)
    good = "".join(f"m{i},2026-09-01T00:00:00Z\n" for i in range(50))
    (drop / "model_releases.csv").write_bytes(f"model,released_at\n{good}".encode() + b"caf\xe9,x\n")

    report = validate_drop(drop, chunk_rows=10)

    assert report.rejected is not None and report.rejected.file == "model_releases.csv"
    assert "invalid UTF8" in report.rejected.reason or "UTF" in report.rejected.reason


def test_keep_last_duplicates_are_valid_flagged_and_counted(tmp_path: Path) -> None:
    accounts = [
        account(1, plan="free"),
        account(2),
        account(1, plan="scale"),
        account(3),
        account(1, plan="build"),
    ]
    drop = write_drop(tmp_path, accounts=accounts)

    report = validate_drop(drop, chunk_rows=2)  # the repeats fall in later chunks

    fr = report.files["accounts"]
    assert (fr.read, fr.valid, fr.quarantined, fr.duplicates) == (5, 5, 0, 2)
    frame = _frames(drop / "accounts.csv", "accounts", References(), chunk_rows=2)
    assert frame["_dup"].tolist() == [False, False, True, False, True]
    assert frame["_row"].tolist() == [1, 2, 3, 4, 5]
    last = frame.drop_duplicates("account_id", keep="last").set_index("account_id")["plan"]
    assert last["acct_1"] == "build"


def test_duplicates_within_one_chunk_are_counted(tmp_path: Path) -> None:
    drop = write_drop(tmp_path, billing_rows=[billing(1, 1), billing(1, 2, spend_usd="3"), billing(2, 1)])

    assert validate_drop(drop).files["billing"].duplicates == 1


def test_repeated_exchange_is_dropped_and_counted(tmp_path: Path) -> None:
    exchanges = [
        exchange(1),
        exchange(2),
        exchange(1, output_tokens="5"),
        exchange(3),
        exchange(2),
        exchange(4),
    ]
    drop = write_drop(tmp_path, exchanges=exchanges)

    for chunk_rows in (2, 100):
        fr = validate_drop(drop, chunk_rows=chunk_rows).files["exchanges"]
        assert (fr.read, fr.valid, fr.quarantined, fr.duplicates) == (6, 4, 0, 2)
    frame = _frames(drop / "exchanges.csv", "exchanges", _refs_for(drop), chunk_rows=2)
    assert frame["exchange_id"].tolist() == ["ex_1", "ex_2", "ex_3", "ex_4"]
    assert frame["_row"].tolist() == [1, 2, 4, 6]
    assert frame["output_tokens"].tolist()[0] == 900  # the first occurrence is kept


def test_a_quarantined_row_does_not_count_as_the_first_occurrence(tmp_path: Path) -> None:
    drop = write_drop(tmp_path, exchanges=[exchange(1, capability="math"), exchange(1)])

    fr = validate_drop(drop).files["exchanges"]

    assert (fr.valid, fr.quarantined, fr.duplicates) == (1, 1, 0)


def _refs_for(drop: Path) -> References:
    refs = References()
    for name in ("accounts", "sessions"):
        _frames(drop / f"{name}.csv", name, refs)
    return refs


def test_unknown_references_are_quarantined(tmp_path: Path) -> None:
    drop = write_drop(
        tmp_path,
        billing_rows=[billing(1, 1), billing(2, 7)],
        sessions=[session(1, 1), session(2, 8), session(3, 2)],
        exchanges=[exchange(1, 1, 1), exchange(2, 9, 1), exchange(3, 3, 9)],
    )

    report = validate_drop(drop)

    def issues(name: str) -> list[tuple[int, str, str, str]]:
        return [(i.row, i.column, i.reason, i.value) for i in report.files[name].issues]

    assert issues("billing") == [(2, "account_id", "unknown account_id", "acct_7")]
    assert issues("sessions") == [(2, "account_id", "unknown account_id", "acct_8")]
    assert issues("exchanges") == [
        (2, "session_id", "unknown session_id", "sess_9"),
        (3, "account_id", "unknown account_id", "acct_9"),
    ]


def test_lookup_resolves_ids_from_earlier_drops_once_each(tmp_path: Path) -> None:
    drop = write_drop(
        tmp_path,
        billing_rows=[billing(1, 50), billing(2, 51), billing(3, 50)],
        sessions=[session(1, 1), session(2, 50)],
        exchanges=[exchange(1, 1, 1), exchange(2, 60, 50), exchange(3, 61, 50), exchange(4, 60, 50)],
    )
    asked: dict[str, list[list[str]]] = {"accounts": [], "sessions": []}

    def lookup(kind: str, existing: set[str]):  # noqa: ANN202
        def fn(ids: list[str]) -> set[str]:
            asked[kind].append(sorted(ids))
            return existing & set(ids)

        return fn

    refs = References(
        lookup_accounts=lookup("accounts", {"acct_50"}), lookup_sessions=lookup("sessions", {"sess_60"})
    )
    report = validate_drop(drop, refs=refs, chunk_rows=2)

    assert [(i.file, i.row, i.column) for f in report.files.values() for i in f.issues] == [
        ("billing.csv", 2, "account_id"),
        ("exchanges.csv", 3, "session_id"),
    ]
    # Each unknown id is asked about once, however many rows or chunks name it.
    assert sorted(i for call in asked["accounts"] for i in call) == ["acct_50", "acct_51"]
    assert sorted(i for call in asked["sessions"] for i in call) == ["sess_60", "sess_61"]


VERBATIM = [
    'o\'brien"quote"@example.com',
    "`backtick`{brace}@example.com",
    "<script>alert(1)</script>@example.com",
    "x'}) MATCH (n) DETACH DELETE n //@example.com",
    "ünïcødé-名前@example.jp",
]


@pytest.mark.parametrize("fmt", FORMATS)
def test_strings_with_quotes_backticks_braces_html_survive_verbatim(tmp_path: Path, fmt: str) -> None:
    accounts = [account(i + 1, email=email) for i, email in enumerate(VERBATIM)]
    agent = 'Mozilla/5.0 <b>"quoted"</b> `rm -rf` {{ template }} ${jndi:ldap://x} \' OR 1=1 --'
    sessions = [session(1, 1, user_agent=agent, asn_name='Évil, "Inc" <ASN>', api_key_id="key:a.b-c_d")]
    drop = write_drop(
        tmp_path, fmt, accounts=accounts, sessions=sessions, exchanges=[exchange(1, 1, 1, model="m{x}'\"<y>")]
    )

    report = validate_drop(drop)

    assert report.ok(), [i for f in report.files.values() for i in f.issues]
    refs = References()
    frame = _frames(drop / f"accounts.{fmt}", "accounts", refs)
    assert frame["email"].tolist() == VERBATIM
    srow = _frames(drop / f"sessions.{fmt}", "sessions", refs).iloc[0]
    assert (srow["user_agent"], srow["asn_name"], srow["api_key_id"]) == (
        agent,
        'Évil, "Inc" <ASN>',
        "key:a.b-c_d",
    )
    assert _frames(drop / f"exchanges.{fmt}", "exchanges", refs)["model"].tolist() == ["m{x}'\"<y>"]


def test_valid_rows_come_back_typed_and_normalised(tmp_path: Path) -> None:
    drop = write_drop(
        tmp_path,
        accounts=[
            account(
                1,
                signup_ip="2001:DB8:0:0::1",
                signup_fingerprint="ABCDEF01",
                status_changed_at="2026-09-03T00:00:00+00:00",
            ),
            account(2, signup_ip=""),
        ],
        sessions=[session(1, 1, asn=""), session(2, 2, asn="7")],
        exchanges=[exchange(1, input_tokens="0", reasoning_elicited="FALSE", ts="2026-09-02T08:10:00.5Z")],
    )
    refs = References()

    acc = _frames(drop / "accounts.csv", "accounts", refs)
    _frames(drop / "billing.csv", "billing", refs)
    ses = _frames(drop / "sessions.csv", "sessions", refs)
    exc = _frames(drop / "exchanges.csv", "exchanges", refs)
    bil = _frames(drop / "billing.csv", "billing", References(lookup_accounts=lambda ids: set(ids)))

    assert str(acc["created_at"].dtype) == "datetime64[ns, UTC]"
    assert acc["created_at"].iloc[0] == pd.Timestamp("2026-09-01T10:00:00Z")
    assert acc["status_changed_at"].iloc[0] == pd.Timestamp("2026-09-03T00:00:00Z")
    assert pd.isna(acc["status_changed_at"].iloc[1])
    assert acc["signup_ip"].tolist()[0] == "2001:db8::1"
    assert pd.isna(acc["signup_ip"].iloc[1])
    assert acc["signup_fingerprint"].iloc[0] == "abcdef01"
    assert acc["org_id"].isna().all()
    assert str(ses["asn"].dtype) == "Int64" and ses["asn"].isna().tolist() == [True, False]
    assert exc.dtypes[["input_tokens", "output_tokens", "reasoning_elicited", "_row", "_dup"]].astype(str).tolist() == [
        "int64", "int64", "bool", "int64", "bool",
    ]  # fmt: skip
    assert exc["reasoning_elicited"].tolist() == [False]
    assert exc["ts"].iloc[0] == pd.Timestamp("2026-09-02T08:10:00.5Z")
    assert str(bil["spend_usd"].dtype) == "float64" and bil["spend_usd"].tolist() == [12.5]
    assert list(acc.columns) == [*FILES["accounts"].column_names, "_row", "_dup"]


def test_parquet_with_natural_arrow_types(tmp_path: Path) -> None:
    drop = write_drop(tmp_path)
    (drop / "exchanges.csv").unlink()
    table = pa.table(
        {
            "exchange_id": ["ex_1", "ex_2", "ex_3"],
            "session_id": pa.array(["sess_1", "sess_1", "sess_2"]).dictionary_encode(),
            "account_id": ["acct_1", "acct_1", "acct_2"],
            "ts": pa.array([1_790_000_000, 1_790_000_001, 1_790_000_002], pa.timestamp("s")),  # naive: UTC
            "model": ["atlas-4", "atlas-4", "atlas-4"],
            "capability": ["coding", "chat", "other"],
            "prompt_fingerprint": ["0123456789abcdef"] * 3,
            "input_tokens": pa.array([1, 2, -3], pa.int32()),
            "output_tokens": pa.array([4.0, None, 6.0]),
            "reasoning_elicited": [True, False, True],
        }
    )
    pq.write_table(table, drop / "exchanges.parquet")

    report = validate_drop(drop)

    fr = report.files["exchanges"]
    assert [(i.row, i.column, i.reason) for i in fr.issues] == [
        (2, "output_tokens", "missing required value"),
        (3, "input_tokens", "negative value"),
    ]
    frame = _frames(drop / "exchanges.parquet", "exchanges", _refs_for(drop))
    assert frame["ts"].iloc[0] == pd.Timestamp(1_790_000_000, unit="s", tz="UTC")
    assert frame["output_tokens"].tolist() == [4]


def test_parquet_timestamp_in_another_zone_is_converted(tmp_path: Path) -> None:
    drop = write_drop(tmp_path)
    (drop / "model_releases.csv").unlink()
    ts = pa.array([1_790_000_000_000], pa.timestamp("ms", tz="Europe/Paris"))
    pq.write_table(pa.table({"model": ["m"], "released_at": ts}), drop / "model_releases.parquet")

    frame = _frames(drop / "model_releases.parquet", "model_releases", References())

    assert frame["released_at"].iloc[0] == pd.Timestamp(1_790_000_000, unit="s", tz="UTC")


def test_parquet_nested_column_rejects_naming_the_column(tmp_path: Path) -> None:
    drop = write_drop(tmp_path)
    (drop / "model_releases.csv").unlink()
    pq.write_table(
        pa.table({"model": [["a", "b"]], "released_at": ["2026-09-01T00:00:00Z"]}),
        drop / "model_releases.parquet",
    )

    report = validate_drop(drop)

    assert report.rejected is not None
    assert (report.rejected.file, report.rejected.column) == ("model_releases.parquet", "model")


def test_malformed_csv_row_is_quarantined_in_the_report(tmp_path: Path) -> None:
    drop = write_drop(tmp_path)
    (drop / "model_releases.csv").write_text(
        "model,released_at\nm1,2026-09-01T00:00:00Z\nm2\nm3,2026-09-01T00:00:00Z\n"
    )

    fr = validate_drop(drop).files["model_releases"]

    assert (fr.read, fr.valid, fr.quarantined) == (3, 2, 1)
    [issue] = fr.issues
    assert (issue.row, issue.column, issue.value) == (2, "*", "m2")
    assert issue.reason == "malformed CSV row: expected 2 fields, got 1"


def test_issue_list_is_capped_but_counts_stay_exact(tmp_path: Path) -> None:
    drop = write_drop(tmp_path, exchanges=[exchange(i, capability="nope") for i in range(1, 8)])

    report = validate_drop(drop, max_issues=3, chunk_rows=2)

    fr = report.files["exchanges"]
    assert (fr.read, fr.valid, fr.quarantined) == (7, 0, 7)
    assert [i.row for i in fr.issues] == [1, 2, 3]
    assert fr.issues_truncated
    lines = format_report(report, max_issues=2)
    assert (
        "  exchanges.csv:1 capability: unknown enum value 'nope' (expected one of reasoning, coding, agentic, "
        "tool_use, vision, writing, analysis, chat, other) (nope)" in lines
    )
    assert "  ... and 5 more quarantined rows" in lines


def test_report_lines_escape_control_characters(tmp_path: Path) -> None:
    drop = write_drop(tmp_path, sessions=[session(1, 1), session(2, 1, ip="1.2.3.4\n\x1b[31mred")])

    lines = format_report(validate_drop(drop))

    assert "  sessions.csv:2 ip: bad IP address (1.2.3.4\\n\\x1b[31mred)" in lines


def test_validate_chunk_accepts_a_frame_built_in_memory() -> None:
    chunk = RawChunk.from_frame(pd.DataFrame([model_release(), model_release(released_at="x")]), first_row=41)

    frame, issues = validate_chunk(FILES["model_releases"], chunk, file_label="mem", refs=References())

    assert frame["_row"].tolist() == [41]
    assert [(i.file, i.row, i.column) for i in issues] == [("mem", 42, "released_at")]


@pytest.mark.parametrize("fmt", FORMATS)
def test_arrow_variant_returns_the_same_rows_with_staging_types(tmp_path: Path, fmt: str) -> None:
    drop = write_drop(tmp_path, fmt, sessions=[session(1, 1, asn=""), session(2, 2, ip="bad"), session(3, 1)])
    path = drop / f"sessions.{fmt}"
    accounts = drop / f"accounts.{fmt}"
    refs_a, refs_b = References(), References()
    _frames(accounts, "accounts", refs_a)
    _frames(accounts, "accounts", refs_b)
    [chunk] = iter_chunks(path)

    frame, issues = validate_chunk(FILES["sessions"], chunk, file_label=path.name, refs=refs_a)
    table, issues_b = validate_chunk_table(FILES["sessions"], chunk, file_label=path.name, refs=refs_b)

    assert issues == issues_b and [i.row for i in issues] == [2]
    assert table.schema.types[:6] == [pa.string()] * 3 + [pa.timestamp("ns", tz="UTC")] * 2 + [pa.string()]
    assert table.schema.field("asn").type == pa.int64()
    assert table.column_names == list(frame.columns)
    assert table.to_pandas()["_row"].tolist() == frame["_row"].tolist() == [1, 3]
    assert table["asn"].to_pylist() == [None, 64500]
