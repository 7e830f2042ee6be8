"""Stage one: read every file of a drop in chunks, validate it with the shared validator, quarantine bad rows,
and write the valid rows (and the exchanges' partial aggregates) to a work directory as Arrow files.

Nothing is written to the graph here, so a file rejected half-way (missing column, unparseable) leaves the
graph untouched. The work directory is the job's checkpoint: once `manifest.json` is written, a retried job
loads from it without reading the drop again.
"""

from __future__ import annotations

import csv
import json
import math
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from graph.drop import (
    FILES,
    FileReport,
    FileSpec,
    Issue,
    Kind,
    References,
    check_header,
    locate_drop,
    read_header,
    unrecognised_files,
    validate_file,
)
from graph.drop.contract import DUP_COLUMN, ROW_COLUMN
from graph.ingest.aggregate import PARTIAL_SCHEMAS, partition_of, reduce_exchanges

MANIFEST = "manifest.json"
PARTITION_ROWS = 1_500_000  # exchanges per partition: bounds the memory of combining one partition
MAX_PARTITIONS = 64
BYTES_PER_ROW = {".csv": 150, ".gz": 45, ".parquet": 35}
QUARANTINE_HEADER = ("file", "row", "column", "reason", "value")
TIME_COLUMNS = {
    "accounts": ("created_at", "status_changed_at"),
    "billing": ("created_at",),
    "sessions": ("started_at", "ended_at"),
}

Progress = Callable[[str, float], None]
Lookup = Callable[[list[str]], set[str]]


@dataclass(frozen=True)
class StageManifest:
    """What stage one produced: per-file reports, partitions, the drop's latest time and the models seen."""

    drop_dir: str
    fingerprint: str
    partitions: int
    as_of_ms: int | None
    models: tuple[str, ...]
    files: dict[str, dict[str, Any]]
    warnings: tuple[str, ...]
    quarantined: int
    seconds: float

    @property
    def exchanges_loaded(self) -> int:
        """Valid, non-duplicate exchanges."""
        report = self.files.get("exchanges")
        return int(report["valid"]) if report else 0

    def save(self, work_dir: Path) -> None:
        """Write the manifest last and atomically: its presence means stage one is complete."""
        tmp = work_dir / f"{MANIFEST}.tmp"
        tmp.write_text(json.dumps(asdict(self), indent=1), encoding="utf-8")
        tmp.replace(work_dir / MANIFEST)

    @classmethod
    def load(cls, work_dir: Path) -> StageManifest | None:
        """The manifest of a completed stage one in `work_dir`, or None."""
        path = work_dir / MANIFEST
        if not path.is_file():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        data["models"] = tuple(data["models"])
        data["warnings"] = tuple(data["warnings"])
        return cls(**data)


def arrow_type(kind: Kind) -> pa.DataType:
    """The Arrow type a validated column of this kind is staged as."""
    if kind is Kind.TIMESTAMP:
        return pa.timestamp("ns", tz="UTC")
    if kind is Kind.INT:
        return pa.int64()
    if kind is Kind.DECIMAL:
        return pa.float64()
    if kind is Kind.BOOL:
        return pa.bool_()
    return pa.string()


def frame_schema(spec: FileSpec) -> pa.Schema:
    """Schema of a staged file: every contract column, then the row number and the duplicate flag."""
    fields = [pa.field(c.name, arrow_type(c.kind)) for c in spec.columns]
    return pa.schema([*fields, pa.field(ROW_COLUMN, pa.int64()), pa.field(DUP_COLUMN, pa.bool_())])


class ArrowSink:
    """An Arrow IPC file opened on first write, with a fixed schema."""

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self.path = path
        self.schema = schema
        self._writer: pa.ipc.RecordBatchFileWriter | None = None
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        """Append a table (cast to the sink's schema)."""
        if table.num_rows == 0:
            return
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = pa.ipc.new_file(str(self.path), self.schema)
        self._writer.write_table(table.select(self.schema.names).cast(self.schema))
        self.rows += table.num_rows

    def close(self) -> None:
        """Finish the file (a sink never written leaves no file)."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None


def read_arrow(path: Path, schema: pa.Schema | None = None) -> pa.Table:
    """A staged Arrow file, memory-mapped; an empty table of `schema` when the file was never written."""
    if not path.is_file():
        if schema is None:
            raise FileNotFoundError(path)
        return schema.empty_table()
    with pa.memory_map(str(path)) as source:
        return pa.ipc.open_file(source).read_all()


def sessions_path(work_dir: Path, partition: int) -> Path:
    """Staged session rows of one account partition."""
    return work_dir / "sessions" / f"p{partition:03d}.arrow"


def partial_path(work_dir: Path, kind: str, partition: int) -> Path:
    """Staged exchange partial aggregates of one kind and account partition."""
    return work_dir / "exchanges" / f"{kind}-p{partition:03d}.arrow"


class FingerprintCounts:
    """Exchanges per distinct prompt fingerprint over a whole file: sorted uint64 values with uint32 counts,
    merged chunk by chunk in place (about 12 bytes per distinct fingerprint, twice that while merging)."""

    FLUSH_ROWS = 2_000_000

    def __init__(self) -> None:
        self._pending: list[tuple[np.ndarray, np.ndarray]] = []
        self._pending_rows = 0
        self.fps = np.zeros(0, np.uint64)
        self.counts = np.zeros(0, np.uint32)

    def add(self, fps: np.ndarray, counts: np.ndarray) -> None:
        """Add one chunk's distinct fingerprints and counts."""
        self._pending.append((fps, counts))
        self._pending_rows += len(fps)
        if self._pending_rows >= self.FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        """Merge pending chunks into the sorted totals."""
        if not self._pending:
            return
        fps = np.concatenate([f for f, _ in self._pending])
        counts = np.concatenate([c for _, c in self._pending])
        self._pending, self._pending_rows = [], 0
        unique, inverse = np.unique(fps, return_inverse=True)
        totals = np.bincount(inverse, weights=counts, minlength=len(unique)).astype(np.uint32)
        pos = np.searchsorted(self.fps, unique)
        known = pos < len(self.fps)
        known[known] = self.fps[pos[known]] == unique[known]
        np.add.at(self.counts, pos[known], totals[known])
        fresh = ~known
        self.fps = np.insert(self.fps, pos[fresh], unique[fresh])
        self.counts = np.insert(self.counts, pos[fresh], totals[fresh])


class QuarantineWriter:
    """Every quarantined row as CSV (file, row, column, reason, value), unlimited, for download."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._file = path.open("w", encoding="utf-8", newline="")
        self._csv = csv.writer(self._file)
        self._csv.writerow(QUARANTINE_HEADER)
        self.rows = 0

    def write(self, issues: list[Issue]) -> None:
        """Append issues."""
        self._csv.writerows((i.file, i.row, i.column, i.reason, i.value) for i in issues)
        self.rows += len(issues)

    def close(self) -> None:
        """Flush and close."""
        self._file.close()


@dataclass
class _Progress:
    callback: Progress | None
    total_bytes: int
    done_bytes: int = 0
    last: float = field(default=0.0)

    def update(self, file_bytes: int, fraction: float) -> None:
        now = time.monotonic()
        if self.callback is None or now - self.last < 1.0:
            return
        self.last = now
        self.callback("read", (self.done_bytes + file_bytes * min(fraction, 0.99)) / max(self.total_bytes, 1))


def _estimated_rows(path: Path) -> int:
    suffix = ".gz" if path.name.endswith(".gz") else path.suffix
    return max(1, path.stat().st_size // BYTES_PER_ROW.get(suffix, 100))


def stage_drop(
    drop_dir: Path,
    work_dir: Path,
    *,
    fingerprint: str,
    quarantine_path: Path,
    chunk_rows: int,
    lookup_accounts: Lookup | None = None,
    lookup_sessions: Lookup | None = None,
    progress: Progress | None = None,
    max_issues: int = 1000,
) -> StageManifest:
    """Validate and stage every file of `drop_dir` into `work_dir`; raise DropRejected for a refused file."""
    started = time.perf_counter()
    drop_dir = Path(drop_dir)
    if work_dir.exists():
        shutil.rmtree(work_dir)
    work_dir.mkdir(parents=True)
    paths = locate_drop(drop_dir)
    warnings = unrecognised_files(drop_dir)
    reports: dict[str, FileReport] = {}
    for name, path in paths.items():
        header_warnings = check_header(FILES[name], read_header(path), path.name)
        reports[name] = FileReport(name, str(path), warnings=header_warnings, max_issues=max_issues)
    exchanges = paths.get("exchanges")
    partitions = (
        1
        if exchanges is None
        else min(MAX_PARTITIONS, math.ceil(_estimated_rows(exchanges) / PARTITION_ROWS))
    )
    refs = References(lookup_accounts=lookup_accounts, lookup_sessions=lookup_sessions)
    meter = _Progress(progress, sum(p.stat().st_size for p in paths.values()))
    quarantine = QuarantineWriter(quarantine_path)
    state = _StageState(work_dir, partitions)
    try:
        for name, path in paths.items():
            _stage_file(FILES[name], path, reports[name], refs, state, quarantine, chunk_rows, meter)
            meter.done_bytes += path.stat().st_size
    finally:
        quarantine.close()
        state.close()
    manifest = StageManifest(
        drop_dir=str(drop_dir),
        fingerprint=fingerprint,
        partitions=partitions,
        as_of_ms=state.as_of_ms,
        models=tuple(sorted(state.models)),
        files={name: r.to_dict(max_issues) for name, r in reports.items()},
        warnings=tuple(warnings + [w for r in reports.values() for w in r.warnings]),
        quarantined=sum(r.quarantined for r in reports.values()),
        seconds=round(time.perf_counter() - started, 3),
    )
    manifest.save(work_dir)
    return manifest


class _StageState:
    """Open sinks and running totals of one staging pass."""

    def __init__(self, work_dir: Path, partitions: int) -> None:
        self.work_dir = work_dir
        self.partitions = partitions
        self.sinks: dict[str, ArrowSink] = {}
        self.fp_counts = FingerprintCounts()
        self.models: set[str] = set()
        self.exchange_accounts: list[pa.Array] = []
        self.as_of_ms: int | None = None

    def sink(self, key: str, path: Path, schema: pa.Schema) -> ArrowSink:
        if key not in self.sinks:
            self.sinks[key] = ArrowSink(path, schema)
        return self.sinks[key]

    def see_time(self, ms: int | None) -> None:
        if ms is not None and (self.as_of_ms is None or ms > self.as_of_ms):
            self.as_of_ms = ms

    def close(self) -> None:
        for sink in self.sinks.values():
            sink.close()
        self.fp_counts.flush()
        np.save(self.work_dir / "fingerprints.npy", self.fp_counts.fps)
        np.save(self.work_dir / "fingerprint_counts.npy", self.fp_counts.counts)
        accounts = (
            pa.chunked_array(self.exchange_accounts, pa.string())
            if self.exchange_accounts
            else pa.chunked_array([], pa.string())
        )
        write_ids(self.work_dir / "exchanges" / "accounts.arrow", pc.unique(accounts.combine_chunks()))


def write_ids(path: Path, values: pa.Array) -> None:
    """Write one string column `id` to an Arrow file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.table({"id": values.cast(pa.string())})
    with pa.ipc.new_file(str(path), table.schema) as writer:
        writer.write_table(table)


def _max_ms(table: pa.Table, columns: tuple[str, ...]) -> int | None:
    """The latest time (epoch ms) in the given timestamp columns of a validated chunk, or None."""
    best: int | None = None
    for col in columns:
        latest = pc.max(table[col].cast(pa.timestamp("ns", tz="UTC")).cast(pa.int64())).as_py()
        if latest is not None:
            value = int(latest) // 1_000_000
            best = value if best is None else max(best, value)
    return best


def _stage_file(
    spec: FileSpec,
    path: Path,
    report: FileReport,
    refs: References,
    state: _StageState,
    quarantine: QuarantineWriter,
    chunk_rows: int,
    meter: _Progress,
) -> None:
    """Validate one file with the validator `validate_drop` uses, and stage each chunk's valid rows."""
    estimate = _estimated_rows(path)
    size = path.stat().st_size
    schema = frame_schema(spec)

    def stage(table: pa.Table, issues: list[Issue]) -> None:
        quarantine.write(issues)
        if spec.name == "exchanges":
            _stage_exchanges(table.to_pandas(), state)
            return
        table = table.cast(schema)
        state.see_time(_max_ms(table, TIME_COLUMNS.get(spec.name, ())))
        if spec.name == "sessions":
            part = partition_of(table["account_id"].combine_chunks(), state.partitions)
            for p in np.unique(part).tolist():
                sub = table.filter(pa.array(part == p))
                state.sink(f"sessions-{p}", sessions_path(state.work_dir, p), schema).write(sub)
            return
        if spec.name == "model_releases":
            state.models.update(v for v in table["model"].to_pylist() if v is not None)
        state.sink(spec.name, state.work_dir / f"{spec.name}.arrow", schema).write(table)

    validate_file(spec, path, report, refs, chunk_rows, consume=stage,
                  progress=lambda _name, read: meter.update(size, read / estimate))  # fmt: skip


def _stage_exchanges(frame: pd.DataFrame, state: _StageState) -> None:
    if frame.empty:
        return
    reduced = reduce_exchanges(frame, state.partitions)
    for p, kinds in reduced.partials.items():
        for kind, table in kinds.items():
            state.sink(f"x-{kind}-{p}", partial_path(state.work_dir, kind, p), PARTIAL_SCHEMAS[kind]).write(
                table
            )
    state.fp_counts.add(reduced.fps, reduced.fp_counts)
    state.models.update(reduced.models)
    state.exchange_accounts.append(reduced.accounts)
    if len(state.exchange_accounts) > 50:
        merged = pc.unique(pa.chunked_array(state.exchange_accounts, pa.string()).combine_chunks())
        state.exchange_accounts = [merged]
    state.see_time(reduced.max_ts)
