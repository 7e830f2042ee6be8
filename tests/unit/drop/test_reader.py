"""Locating a drop's files and reading them in chunks: formats, row numbers, unparseable files."""

from __future__ import annotations

import gzip
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from graph.drop import FILES, DropRejected, iter_chunks, locate_drop, read_header
from tests.unit.drop.builders import account, exchange, write_drop, write_file


@pytest.mark.parametrize("fmt", ["csv", "csv.gz", "parquet"])
def test_locate_drop_returns_files_in_load_order(tmp_path: Path, fmt: str) -> None:
    write_drop(tmp_path, fmt)
    (tmp_path / "labels.csv").write_text("account_id,campaign\nacct_1,\n")

    found = locate_drop(tmp_path)

    assert list(found) == ["accounts", "billing", "sessions", "exchanges", "model_releases"]
    assert found["sessions"].name == f"sessions.{fmt}"
    assert "labels" not in FILES


def test_optional_files_may_be_absent(tmp_path: Path) -> None:
    write_drop(tmp_path)
    (tmp_path / "exchanges.csv").unlink()
    (tmp_path / "model_releases.csv").unlink()

    assert list(locate_drop(tmp_path)) == ["accounts", "billing", "sessions"]


@pytest.mark.parametrize("missing", ["accounts", "billing", "sessions"])
def test_missing_required_file_rejects_naming_it(tmp_path: Path, missing: str) -> None:
    write_drop(tmp_path)
    (tmp_path / f"{missing}.csv").unlink()

    with pytest.raises(DropRejected) as err:
        locate_drop(tmp_path)

    assert err.value.file == missing
    assert "required file is missing" in str(err.value)
    assert f"{missing}.csv.gz" in str(err.value)


def test_symlinked_files_are_followed_and_a_broken_link_is_named(tmp_path: Path) -> None:
    write_drop(tmp_path / "real")
    linked = tmp_path / "linked"
    linked.mkdir()
    for file in (tmp_path / "real").iterdir():
        (linked / file.name).symlink_to(file)  # absolute links to the operator's own files: followed
    assert locate_drop(linked)["accounts"] == linked / "accounts.csv"

    (linked / "accounts.csv").unlink()
    (linked / "accounts.csv").symlink_to("../elsewhere/accounts.csv")  # relative, read from the drop folder
    with pytest.raises(DropRejected) as err:
        locate_drop(linked)
    assert err.value.file == "accounts.csv"
    assert "symbolic link to ../elsewhere/accounts.csv which does not exist" in str(err.value)
    assert "required file is missing" not in str(err.value)


def test_same_file_in_two_formats_rejects(tmp_path: Path) -> None:
    write_drop(tmp_path)
    write_file(tmp_path, "sessions", [], "parquet")

    with pytest.raises(
        DropRejected, match=r"sessions: present in more than one format \(sessions.csv, sessions.parquet\)"
    ):
        locate_drop(tmp_path)


def test_missing_directory_rejects(tmp_path: Path) -> None:
    with pytest.raises(DropRejected, match="not a directory"):
        locate_drop(tmp_path / "nope")


def test_read_header_all_formats_and_bom(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_bytes(b'\xef\xbb\xbfaccount_id,"odd,name",email\nx,y,z\n')
    (tmp_path / "b.csv.gz").write_bytes(gzip.compress(b"account_id,email\n"))
    pq.write_table(pa.table({"account_id": ["x"], "n": [1]}), tmp_path / "c.parquet")

    assert read_header(tmp_path / "a.csv") == ["account_id", "odd,name", "email"]
    assert read_header(tmp_path / "b.csv.gz") == ["account_id", "email"]
    assert read_header(tmp_path / "c.parquet") == ["account_id", "n"]


def test_duplicate_header_column_rejects(tmp_path: Path) -> None:
    (tmp_path / "accounts.csv").write_text("account_id,email,email\n")

    with pytest.raises(DropRejected) as err:
        read_header(tmp_path / "accounts.csv")

    assert (err.value.file, err.value.column) == ("accounts.csv", "email")


@pytest.mark.parametrize("fmt", ["csv", "csv.gz", "parquet"])
def test_chunks_have_requested_size_and_row_numbers(tmp_path: Path, fmt: str) -> None:
    path = write_file(tmp_path, "accounts", [account(i) for i in range(1, 11)], fmt)

    chunks = list(iter_chunks(path, chunk_rows=3))

    assert [len(c) for c in chunks] == [3, 3, 3, 1]
    assert [c.first_row for c in chunks] == [1, 4, 7, 10]
    assert [int(r) for c in chunks for r in c.rows] == list(range(1, 11))
    assert chunks[1].frame["account_id"].tolist() == ["acct_4", "acct_5", "acct_6"]


def test_csv_columns_are_read_as_text_and_empty_is_null(tmp_path: Path) -> None:
    path = write_file(tmp_path, "exchanges", [exchange(1, input_tokens="007", model="")])

    [chunk] = iter_chunks(path)

    assert all(pa.types.is_string(f.type) for f in chunk.table.schema)
    row = chunk.table.to_pylist()[0]
    assert row["input_tokens"] == "007"
    assert row["model"] is None


def test_quoted_newlines_are_one_row(tmp_path: Path) -> None:
    rows = [account(1, email='"multi\nline"@example.com'), account(2)]
    path = write_file(tmp_path, "accounts", rows)

    [chunk] = iter_chunks(path)

    assert len(chunk) == 2
    assert chunk.table.column("email")[0].as_py() == '"multi\nline"@example.com'
    assert list(chunk.rows) == [1, 2]


def test_columns_argument_skips_other_columns(tmp_path: Path) -> None:
    path = write_file(tmp_path, "accounts", [account(1)], columns=["account_id", "email", "extra"])

    [chunk] = iter_chunks(path, columns=["account_id", "email"])

    assert chunk.table.column_names == ["account_id", "email"]


def test_malformed_csv_rows_keep_the_numbering_of_the_others(tmp_path: Path) -> None:
    path = tmp_path / "model_releases.csv"
    path.write_text(
        "model,released_at\n"
        "m1,2026-09-01T00:00:00Z\n"
        "m2\n"
        "m3,2026-09-01T00:00:00Z\n"
        "m4,2026-09-01T00:00:00Z,extra\n"
        "m5,2026-09-01T00:00:00Z\n"
    )

    chunks = list(iter_chunks(path, chunk_rows=2))

    rows = [int(r) for c in chunks for r in c.rows]
    models = [m for c in chunks for m in c.table.column("model").to_pylist()]
    assert list(zip(rows, models, strict=True)) == [(1, "m1"), (3, "m3"), (5, "m5")]
    malformed = [m for c in chunks for m in c.malformed]
    assert [(m.row, m.reason) for m in malformed] == [
        (2, "malformed CSV row: expected 2 fields, got 1"),
        (4, "malformed CSV row: expected 2 fields, got 3"),
    ]


def test_garbage_gzip_is_rejected_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "sessions.csv.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00garbage that is not deflate data" * 10)

    with pytest.raises(DropRejected) as err:
        list(iter_chunks(path))

    assert err.value.file == "sessions.csv.gz"
    assert "cannot" in err.value.reason


def test_truncated_gzip_is_rejected(tmp_path: Path) -> None:
    full = gzip.compress(("session_id\n" + "".join(f"s{i}\n" for i in range(50_000))).encode())
    path = tmp_path / "sessions.csv.gz"
    path.write_bytes(full[: len(full) // 2])

    with pytest.raises(DropRejected) as err:
        list(iter_chunks(path, chunk_rows=1000))

    assert err.value.file == "sessions.csv.gz"


def test_invalid_utf8_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "accounts.csv"
    path.write_bytes(b"account_id,email\nacct_1,caf\xe9@example.com\n")

    with pytest.raises(DropRejected, match="accounts.csv: cannot parse CSV"):
        list(iter_chunks(path))


def test_not_a_parquet_file_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "accounts.parquet"
    path.write_bytes(b"account_id,email\n")

    with pytest.raises(DropRejected, match="accounts.parquet: cannot read Parquet"):
        read_header(path)
    with pytest.raises(DropRejected, match="accounts.parquet"):
        list(iter_chunks(path))


def test_empty_csv_file_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "billing.csv"
    path.write_bytes(b"")

    with pytest.raises(DropRejected, match="billing.csv: empty file"):
        read_header(path)
