"""Validate drop files against the contract: typed frames of valid rows, and issues for quarantined rows.

Stages per chunk: per-column checks in contract order (the first failing column is the row's reason),
cross-column rules, references to accounts and sessions, then natural-key duplicates. All vectorised.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from graph.drop.columns import UnreadableColumn, as_text, check_column, mask
from graph.drop.contract import (
    DUP_COLUMN,
    EVALUATION_ONLY,
    FILES,
    FORMATS,
    ROW_COLUMN,
    ColumnSpec,
    DupPolicy,
    FileSpec,
    Kind,
)
from graph.drop.reader import DropRejected, RawChunk, file_label, iter_chunks, locate_drop, read_header
from graph.drop.references import References

MAX_ISSUES = 10_000
MAX_VALUE_CHARS = 200
MALFORMED_COLUMN = "*"  # the column of an issue about a whole CSV record

Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class Issue:
    """One quarantined row: file, 1-based data row number, first failing column, reason and the raw value."""

    file: str
    row: int
    column: str
    reason: str
    value: str

    def __str__(self) -> str:
        return f"{self.file}:{self.row} {self.column}: {self.reason} ({_printable(self.value)})"


def _printable(value: str) -> str:
    """One line whatever the value holds: control characters escaped, everything else verbatim."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in value)


@dataclass
class FileReport:
    """Counts and issues for one drop file; `issues` keeps the first `max_issues`, the counts stay exact.

    read = valid + quarantined (+ duplicates for files whose repeated keys are dropped, i.e. exchanges);
    for the other files `duplicates` counts valid rows that repeat an earlier key (the later row wins).
    """

    file: str
    path: str
    read: int = 0
    valid: int = 0
    quarantined: int = 0
    duplicates: int = 0
    warnings: list[str] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    seconds: float = 0.0
    max_issues: int = MAX_ISSUES

    def add_chunk(
        self, spec: FileSpec, chunk: RawChunk, frame: pd.DataFrame | pa.Table, issues: list[Issue]
    ) -> None:
        """Count one validated chunk (the arguments and result of `validate_chunk` or `validate_chunk_table`)."""
        read = len(chunk) + len(chunk.malformed)
        self.read += read
        self.valid += len(frame)
        self.quarantined += len(issues)
        if spec.on_duplicate is DupPolicy.DROP:
            self.duplicates += read - len(frame) - len(issues)
        elif isinstance(frame, pa.Table):
            self.duplicates += int(pc.sum(frame[DUP_COLUMN]).as_py() or 0)
        else:
            self.duplicates += int(frame[DUP_COLUMN].sum())
        room = self.max_issues - len(self.issues)
        if room > 0:
            self.issues.extend(issues[:room])

    @property
    def issues_truncated(self) -> bool:
        """Whether more rows were quarantined than issues were kept."""
        return self.quarantined > len(self.issues)

    def to_dict(self, max_issues: int | None = None) -> dict[str, Any]:
        """Plain data for JSON (at most `max_issues` issues)."""
        data = asdict(self)
        data.pop("max_issues")
        data["issues"] = [asdict(i) for i in self.issues[:max_issues]]
        data["issues_truncated"] = self.quarantined > len(data["issues"])
        return data


@dataclass
class DropReport:
    """The outcome of validating a whole drop: one FileReport per file read, or the reason it was rejected."""

    drop_dir: str
    files: dict[str, FileReport] = field(default_factory=dict)
    rejected: DropRejected | None = None
    warnings: list[str] = field(default_factory=list)

    def ok(self) -> bool:
        """True when the drop is accepted and no row was quarantined."""
        return self.rejected is None and all(f.quarantined == 0 for f in self.files.values())

    @property
    def quarantined(self) -> int:
        """Quarantined rows over all files."""
        return sum(f.quarantined for f in self.files.values())

    def to_dict(self, max_issues: int | None = None) -> dict[str, Any]:
        """Plain data for JSON and for storing on an ingest job."""
        return {
            "drop_dir": self.drop_dir,
            "ok": self.ok(),
            "rejected": None if self.rejected is None else self.rejected.to_dict(),
            "warnings": list(self.warnings),
            "files": {name: report.to_dict(max_issues) for name, report in self.files.items()},
        }


def check_header(spec: FileSpec, columns: list[str], file_label: str) -> list[str]:
    """Warnings for extra (ignored) columns; DropRejected naming the first missing required column."""
    present = set(columns)
    missing = [name for name in spec.required_columns if name not in present]
    if missing:
        also = f" (also missing: {', '.join(missing[1:])})" if len(missing) > 1 else ""
        lowered = {c.lower(): c for c in columns}
        hint = ""
        if missing[0].lower() in lowered:
            hint = f"; found {lowered[missing[0].lower()]!r} (column names are case-sensitive)"
        raise DropRejected(file_label, f"required column is missing{also}{hint}", column=missing[0])
    known = set(spec.column_names)
    return [f"{file_label}: ignoring extra column {name!r}" for name in columns if name not in known]


def _display(values: pa.Array) -> list[str]:
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        try:
            values = as_text(values)
        except UnreadableColumn:
            return [str(v) for v in values.to_pylist()]
    out = []
    for v in values.to_pylist():
        text = "" if v is None else str(v)
        out.append(text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS] + "…")
    return out


def _to_series(values: pa.Array, col: ColumnSpec) -> pd.Series:
    """One column of valid rows; dtypes depend only on the contract, never on the chunk's values."""
    kind = col.kind
    if kind is Kind.INT:
        if col.required:
            return pd.Series(values.to_pandas(), dtype="int64")
        return pd.Series(values.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get), dtype="Int64")
    if kind is Kind.BOOL:
        if col.required:
            return pd.Series(values.to_pandas(), dtype="bool")
        return pd.Series(values.to_pandas(types_mapper={pa.bool_(): pd.BooleanDtype()}.get), dtype="boolean")
    if kind is Kind.TIMESTAMP:
        return pd.Series(values.to_pandas(), dtype="datetime64[ns, UTC]")
    if kind is Kind.DECIMAL:
        return pd.Series(values.to_pandas(), dtype="float64")
    return pd.Series(values.to_pandas(), dtype="str")


class _Quarantine:
    """The first reason that flags each row, in the order checks run."""

    def __init__(self, n: int) -> None:
        self.code = np.full(n, -1, dtype=np.int32)
        self.reasons: list[tuple[str, str]] = []

    def flag(self, bad: np.ndarray, column: str, reason: str) -> None:
        new = bad & (self.code < 0)
        if new.any():
            self.code[new] = len(self.reasons)
            self.reasons.append((column, reason))

    def ok(self) -> np.ndarray:
        return self.code < 0


def validate_chunk(
    spec: FileSpec, chunk: RawChunk, *, file_label: str, refs: References
) -> tuple[pd.DataFrame, list[Issue]]:
    """Valid rows of a chunk as a typed, normalised frame, and one Issue per quarantined row.

    The frame has every contract column (absent optional columns are all null), plus `_row` (int64 data row
    number) and `_dup` (bool: an earlier valid row of this file had the same key; load rows in order, or
    keep the last per key, so the later row wins). For files whose duplicates are dropped (exchanges),
    repeated keys are left out of the frame and not reported as issues. Registers the valid keys in `refs`.
    Dtypes: datetime64[ns, UTC]; int64 and bool (Int64 and boolean when optional); float64; `str`.
    Nulls: NaN in `str` and float columns, NaT in timestamps, <NA> in Int64/boolean columns.
    """
    valid = _validate(spec, chunk, file_label, refs)
    data = {col.name: _to_series(valid.values[col.name], col) for col in spec.columns}
    data[ROW_COLUMN] = pd.Series(valid.rows, dtype="int64")
    data[DUP_COLUMN] = pd.Series(valid.dup, dtype="bool")
    return pd.DataFrame(data), valid.issues


def validate_chunk_table(
    spec: FileSpec, chunk: RawChunk, *, file_label: str, refs: References
) -> tuple[pa.Table, list[Issue]]:
    """`validate_chunk` returning an Arrow table (no pandas conversion): the same columns and rows.

    Types: timestamp[ns, UTC], int64, float64, bool, string; `_row` int64, `_dup` bool.
    """
    valid = _validate(spec, chunk, file_label, refs)
    arrays = [valid.values[col.name] for col in spec.columns]
    arrays += [pa.array(valid.rows, pa.int64()), pa.array(valid.dup, pa.bool_())]
    return pa.Table.from_arrays(arrays, names=[*spec.column_names, ROW_COLUMN, DUP_COLUMN]), valid.issues


@dataclass
class _Valid:
    values: dict[str, pa.Array]  # typed values of the valid rows, per contract column
    rows: np.ndarray
    dup: np.ndarray
    issues: list[Issue]


def _validate(spec: FileSpec, chunk: RawChunk, file_label: str, refs: References) -> _Valid:
    table = chunk.table
    n = table.num_rows
    rows = chunk.rows
    raws: dict[str, pa.Array] = {}
    values: dict[str, pa.Array] = {}
    quarantine = _Quarantine(n)
    for col in spec.columns:
        if col.name in table.column_names:
            raw = table.column(col.name).combine_chunks()
        elif col.required:
            raise DropRejected(file_label, "required column is missing", column=col.name)
        else:
            raw = pa.nulls(n, pa.string())
        try:
            checked = check_column(col, raw)
        except UnreadableColumn as exc:
            raise DropRejected(file_label, str(exc), column=col.name) from exc
        raws[col.name], values[col.name] = raw, checked.values
        for bad, reason in checked.failures:
            quarantine.flag(bad, col.name, reason)

    for later, earlier in spec.not_before:
        before = mask(pc.less(values[later], values[earlier]))
        quarantine.flag(before & quarantine.ok(), later, f"{later} before {earlier}")

    for ref in spec.references:
        ok_idx = np.flatnonzero(quarantine.ok())
        known = refs.known(ref.target, values[ref.column].take(pa.array(ok_idx)))
        unknown = np.zeros(n, dtype=bool)
        unknown[ok_idx[~known]] = True
        quarantine.flag(unknown, ref.column, f"unknown {ref.column}")

    keep = quarantine.ok()
    dup = np.zeros(n, dtype=bool)
    if spec.key is not None:
        ok_idx = np.flatnonzero(keep)
        seen_before = refs.register_keys(spec.name, values[spec.key].take(pa.array(ok_idx)))
        dup[ok_idx[seen_before]] = True
        if spec.on_duplicate is DupPolicy.DROP:
            keep &= ~dup

    issues = _issues(quarantine, raws, rows, file_label)
    if chunk.malformed:
        issues.extend(
            Issue(file_label, m.row, MALFORMED_COLUMN, m.reason, _display(pa.array([m.text]))[0])
            for m in chunk.malformed
        )
        issues.sort(key=lambda i: i.row)
    if not keep.all():
        index = pa.array(np.flatnonzero(keep))
        values = {name: v.take(index) for name, v in values.items()}
        rows, dup = rows[keep], dup[keep]
    return _Valid(values, rows, dup, issues)


def _issues(quarantine: _Quarantine, raws: dict[str, pa.Array], rows: np.ndarray, label: str) -> list[Issue]:
    bad = np.flatnonzero(~quarantine.ok())
    if not len(bad):
        return []
    issues: list[Issue] = []
    codes = quarantine.code[bad]
    for code in np.unique(codes):
        idx = bad[codes == code]
        column, template = quarantine.reasons[code]
        shown = _display(raws[column].take(pa.array(idx)))
        for i, value in zip(idx.tolist(), shown, strict=True):
            reason = template.replace("{value}", repr(value)) if "{value}" in template else template
            issues.append(Issue(label, int(rows[i]), column, reason, value))
    issues.sort(key=lambda i: i.row)
    return issues


def unrecognised_files(drop_dir: Path) -> list[str]:
    """Warnings for files in the drop that the contract does not name (they are ignored)."""
    expected = {f"{name}{ext}" for name in (*FILES, *EVALUATION_ONLY) for ext in FORMATS}
    return [
        f"ignoring unrecognised file {p.name!r}"
        for p in sorted(drop_dir.iterdir())
        if p.is_file() and p.name not in expected and not p.name.startswith(".")
    ]


def validate_drop(
    drop_dir: Path,
    *,
    chunk_rows: int = 200_000,
    refs: References | None = None,
    progress: Progress | None = None,
    max_issues: int = MAX_ISSUES,
) -> DropReport:
    """Validate every file of a drop in load order without writing anything.

    Headers of all files are checked first, so a missing required file or column rejects the drop before
    any large file is read. A rejection stops validation and is returned in `report.rejected`.
    """
    drop_dir = Path(drop_dir)
    report = DropReport(str(drop_dir))
    refs = References() if refs is None else refs
    try:
        paths = locate_drop(drop_dir)
        report.warnings.extend(unrecognised_files(drop_dir))
        for name, path in paths.items():
            warnings = check_header(FILES[name], read_header(path), file_label(path))
            report.files[name] = FileReport(name, str(path), warnings=warnings, max_issues=max_issues)
        for name, path in paths.items():
            validate_file(FILES[name], path, report.files[name], refs, chunk_rows, progress=progress)
    except DropRejected as exc:
        report.rejected = exc
    return report


def validate_file(
    spec: FileSpec,
    path: Path,
    file_report: FileReport,
    refs: References,
    chunk_rows: int,
    *,
    consume: Callable[[pa.Table, list[Issue]], None] | None = None,
    progress: Progress | None = None,
) -> None:
    """Validate one file chunk by chunk into its report (`validate_drop`, and ingest's stage one, which passes
    `consume` to receive each chunk's valid rows as an Arrow table, and its quarantined rows)."""
    label = file_label(path)
    started = time.perf_counter()
    try:
        for chunk in iter_chunks(path, chunk_rows, columns=spec.column_names):
            table, issues = validate_chunk_table(spec, chunk, file_label=label, refs=refs)
            file_report.add_chunk(spec, chunk, table, issues)
            if consume is not None:
                consume(table, issues)
            if progress is not None:
                progress(spec.name, file_report.read)
    finally:
        file_report.seconds = round(time.perf_counter() - started, 3)


def format_report(report: DropReport, max_issues: int | None = None) -> list[str]:
    """Human-readable lines: per file counts, warnings and issues as `file:row column: reason (value)`."""
    lines = [f"drop {report.drop_dir}"]
    lines.extend(f"warning: {w}" for w in report.warnings)
    for name, f in report.files.items():
        rate = f"{f.read / f.seconds:,.0f} rows/s" if f.seconds > 0 else "-"
        lines.append(
            f"{name} ({Path(f.path).name}): read {f.read:,}, valid {f.valid:,}, quarantined {f.quarantined:,}, "
            f"duplicates {f.duplicates:,} [{f.seconds:.2f} s, {rate}]"
        )
        lines.extend(f"  warning: {w}" for w in f.warnings)
        shown = f.issues if max_issues is None else f.issues[:max_issues]
        lines.extend(f"  {issue}" for issue in shown)
        if f.quarantined > len(shown):
            lines.append(f"  ... and {f.quarantined - len(shown):,} more quarantined rows")
    if report.rejected is not None:
        lines.append(f"REJECTED: {report.rejected}")
    return lines
