"""Find a drop's files and stream them in bounded-memory chunks (CSV, gzip CSV, Parquet).

CSV is read with pyarrow's streaming reader, every column as text; Parquet with `iter_batches`, natural types.
A file that cannot be parsed raises `DropRejected` naming the file and the problem.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from graph.drop.contract import FILES, FORMATS

CSV_BLOCK_BYTES = 4 << 20
HEADER_MAX_BYTES = 1 << 20


class DropRejected(Exception):
    """A whole file (and so the drop) is refused: missing file or column, or a file that cannot be parsed."""

    def __init__(self, file: str, reason: str, *, column: str | None = None) -> None:
        self.file = file
        self.column = column
        self.reason = reason
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.file}: column {self.column!r}" if self.column else self.file
        return f"{where}: {self.reason}"

    def to_dict(self) -> dict[str, str | None]:
        """Plain data for reports and JSON."""
        return {"file": self.file, "column": self.column, "reason": self.reason}


@dataclass(frozen=True)
class MalformedRow:
    """A CSV record the parser could not split into the header's columns (quarantined, not parsed)."""

    row: int  # 1-based data row number
    reason: str
    text: str


@dataclass(frozen=True)
class RawChunk:
    """A slice of one file as read: text columns for CSV, natural Arrow types for Parquet.

    `first_row` is the data row number of the first row (1 = the row after the header). When the CSV parser
    skipped malformed records, `row_numbers` holds every row's number explicitly and `malformed` the skipped
    records (reported as quarantined rows by the validator).
    """

    table: pa.Table
    first_row: int
    row_numbers: np.ndarray | None = None
    malformed: tuple[MalformedRow, ...] = field(default=())

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, first_row: int = 1) -> RawChunk:
        """A chunk from a pandas frame (for tests and callers that already hold the data)."""
        return cls(pa.Table.from_pandas(frame, preserve_index=False), first_row)

    @property
    def frame(self) -> pd.DataFrame:
        """The chunk as a pandas frame with Arrow-backed columns (no copy of the text)."""
        return self.table.to_pandas(types_mapper=pd.ArrowDtype)

    @property
    def rows(self) -> np.ndarray:
        """Data row number of every row (int64)."""
        if self.row_numbers is not None:
            return self.row_numbers
        return np.arange(self.first_row, self.first_row + self.table.num_rows, dtype=np.int64)

    def __len__(self) -> int:
        return self.table.num_rows


def file_label(path: Path) -> str:
    """The file name as shown in reports (`sessions.csv.gz`)."""
    return path.name


def locate_drop(drop_dir: Path) -> dict[str, Path]:
    """Map each contract file present in `drop_dir` to its path, in load order.

    Raises DropRejected when the directory is missing, a required file is missing, or one name is present in
    two formats. The evaluation-only `labels` file is never returned.
    """
    drop_dir = Path(drop_dir)
    if not drop_dir.is_dir():
        raise DropRejected(str(drop_dir), "drop directory does not exist or is not a directory")
    found: dict[str, Path] = {}
    for name, spec in FILES.items():
        present = [drop_dir / f"{name}{ext}" for ext in FORMATS if (drop_dir / f"{name}{ext}").is_file()]
        if len(present) > 1:
            names = ", ".join(p.name for p in present)
            raise DropRejected(name, f"present in more than one format ({names}); keep exactly one")
        if present:
            found[name] = present[0]
        elif spec.required:
            _refuse_broken_link(drop_dir, name)
            expected = ", ".join(f"{name}{ext}" for ext in FORMATS)
            raise DropRejected(name, f"required file is missing (expected one of {expected})")
    return found


def _refuse_broken_link(drop_dir: Path, name: str) -> None:
    """A contract file that is a symbolic link to nothing (or to something that is not a file) is named as such,
    not reported missing: `ls` shows it there."""
    for ext in FORMATS:
        path = drop_dir / f"{name}{ext}"
        if path.is_symlink():
            target = os.readlink(path)
            why = "which does not exist" if not path.exists() else "which is not a regular file"
            raise DropRejected(
                path.name,
                f"is a symbolic link to {target} {why} (a relative link is read from {drop_dir}; "
                "link to the file itself or copy it)",
            )


def _is_parquet(path: Path) -> bool:
    return path.name.endswith(".parquet")


def _open_text_stream(path: Path) -> pa.NativeFile:
    compression = "gzip" if path.name.endswith(".gz") else None
    return pa.input_stream(str(path), compression=compression)


def _read_csv_header(path: Path) -> list[str]:
    label = file_label(path)
    try:
        with _open_text_stream(path) as stream:
            head = stream.read(HEADER_MAX_BYTES)
    except (OSError, pa.ArrowException, EOFError) as exc:
        raise DropRejected(label, f"cannot read file: {exc}") from exc
    if not head.strip():
        raise DropRejected(label, "empty file (no header row)")
    text = head.decode("utf-8", errors="replace").removeprefix("\ufeff")
    # The header ends at the first record separator; csv handles quoted names containing commas.
    first = next(csv.reader(io.StringIO(text, newline="")), None)
    if not first or (len(head) == HEADER_MAX_BYTES and "\n" not in text):
        raise DropRejected(label, "cannot find a header row")
    if "\ufffd" in "".join(first):
        raise DropRejected(label, "header is not valid UTF-8")
    return first


def read_header(path: Path) -> list[str]:
    """Column names of a drop file, as written (case-sensitive); DropRejected when unreadable or ambiguous."""
    path = Path(path)
    label = file_label(path)
    if _is_parquet(path):
        try:
            names = list(pq.ParquetFile(str(path)).schema_arrow.names)
        except (OSError, pa.ArrowException, ValueError) as exc:
            raise DropRejected(label, f"cannot read Parquet file: {exc}") from exc
    else:
        names = _read_csv_header(path)
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise DropRejected(label, "column appears twice in the header", column=name)
        seen.add(name)
    return names


class _Rechunker:
    """Cut a stream of record batches into tables of exactly `chunk_rows` rows (the last one shorter)."""

    def __init__(self, chunk_rows: int) -> None:
        self.chunk_rows = chunk_rows
        self.pending: list[pa.RecordBatch] = []
        self.pending_rows = 0

    def push(self, batch: pa.RecordBatch) -> Iterator[pa.Table]:
        if batch.num_rows == 0:
            return
        self.pending.append(batch)
        self.pending_rows += batch.num_rows
        while self.pending_rows >= self.chunk_rows:
            table = pa.Table.from_batches(self.pending)
            head, rest = table.slice(0, self.chunk_rows), table.slice(self.chunk_rows)
            self.pending = rest.to_batches() if rest.num_rows else []
            self.pending_rows = rest.num_rows
            yield head

    def flush(self, schema: pa.Schema) -> pa.Table | None:
        if not self.pending_rows:
            return None
        table = pa.Table.from_batches(self.pending, schema=schema)
        self.pending, self.pending_rows = [], 0
        return table


class _Numberer:
    """Data row numbers of parsed rows when the CSV parser has skipped malformed records."""

    def __init__(self) -> None:
        self.malformed: list[MalformedRow] = []
        self.reported = 0
        self.emitted = 0  # parsed rows handed out so far

    def on_invalid(self, row: pacsv.InvalidRow) -> str:
        number = -1 if row.number is None else row.number - 1  # InvalidRow.number counts the header as 1
        reason = f"malformed CSV row: expected {row.expected_columns} fields, got {row.actual_columns}"
        self.malformed.append(MalformedRow(number, reason, row.text))
        return "skip"

    def chunk(self, table: pa.Table) -> RawChunk:
        n = table.num_rows
        first = self.emitted + 1
        numbers = None
        if self.malformed:
            # The k-th parsed row (1-based) is the k-th number not taken by a skipped record.
            skipped = np.sort(np.fromiter((m.row for m in self.malformed), np.int64, len(self.malformed)))
            k = np.arange(first, first + n, dtype=np.int64)
            numbers = k + np.searchsorted(skipped - np.arange(len(skipped)), k, side="right")
            first = int(numbers[0]) if n else first
        new = tuple(self.malformed[self.reported :])
        self.reported = len(self.malformed)
        self.emitted += n
        return RawChunk(table, first, numbers, new)


def _iter_csv(path: Path, chunk_rows: int, columns: Sequence[str] | None) -> Iterator[RawChunk]:
    names = read_header(path)
    wanted = names if columns is None else [c for c in names if c in set(columns)]
    numberer = _Numberer()
    read_options = pacsv.ReadOptions(use_threads=False, block_size=CSV_BLOCK_BYTES)
    parse_options = pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=numberer.on_invalid)
    convert_options = pacsv.ConvertOptions(
        column_types={name: pa.string() for name in names},
        include_columns=wanted,
        null_values=[""],
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
    )
    rechunker = _Rechunker(chunk_rows)
    with _open_text_stream(path) as stream:
        reader = pacsv.open_csv(
            stream, read_options=read_options, parse_options=parse_options, convert_options=convert_options
        )
        schema = reader.schema
        if schema.names != wanted:  # the two header parsers disagree: trust neither
            raise DropRejected(file_label(path), "cannot parse the header row")
        for batch in reader:
            for table in rechunker.push(batch):
                yield numberer.chunk(table)
    last = rechunker.flush(schema)
    if last is not None:
        yield numberer.chunk(last)
    elif numberer.reported < len(numberer.malformed):
        yield numberer.chunk(schema.empty_table())


def _iter_parquet(path: Path, chunk_rows: int, columns: Sequence[str] | None) -> Iterator[RawChunk]:
    pf = pq.ParquetFile(str(path))
    wanted = None if columns is None else [c for c in pf.schema_arrow.names if c in set(columns)]
    schema = pf.schema_arrow if wanted is None else pa.schema([pf.schema_arrow.field(c) for c in wanted])
    rechunker = _Rechunker(chunk_rows)
    first = 1
    for batch in pf.iter_batches(batch_size=chunk_rows, columns=wanted):
        for table in rechunker.push(batch):
            yield RawChunk(table, first)
            first += table.num_rows
    last = rechunker.flush(schema)
    if last is not None:
        yield RawChunk(last, first)


def iter_chunks(
    path: Path, chunk_rows: int = 200_000, *, columns: Sequence[str] | None = None
) -> Iterator[RawChunk]:
    """Stream one drop file as RawChunks of `chunk_rows` rows; memory stays bounded whatever the file size.

    `columns` limits reading to those columns (the ones present; others are skipped unparsed).

    Raises DropRejected (naming the file and the parse problem) when the file cannot be parsed; this can
    happen after earlier chunks were yielded, so validate a whole file before writing anything from it.
    """
    path = Path(path)
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be positive")
    label = file_label(path)
    inner = (
        _iter_parquet(path, chunk_rows, columns)
        if _is_parquet(path)
        else _iter_csv(path, chunk_rows, columns)
    )
    kind = "Parquet" if _is_parquet(path) else "CSV"
    while True:
        try:
            chunk = next(inner)
        except StopIteration:
            return
        except DropRejected:
            raise
        except (OSError, EOFError, pa.ArrowException, ValueError) as exc:
            raise DropRejected(label, f"cannot parse {kind}: {exc}") from exc
        yield chunk
