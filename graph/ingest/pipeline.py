"""Ingest one drop end to end: fingerprint, read and validate (stage one), write to the graph (stage two).

Plain data in, a frozen `IngestResult` out; the caller (a Celery task through the Django service) keeps the
checkpoint between attempts so a retried job resumes instead of starting over.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import xxhash

from graph.driver import Graph
from graph.drop import locate_drop
from graph.ingest.checkpoint import Checkpoint
from graph.ingest.load import Loader
from graph.ingest.stage import StageManifest, stage_drop
from graph.timing import timed

Progress = Callable[[str, float], None]
READ_SHARE = 0.45  # share of the progress bar given to reading and validating
HASH_BLOCK = 8 << 20


def drop_fingerprint(drop_dir: Path) -> str:
    """Content hash of a drop (file names and bytes of every contract file, in load order): a drop copied
    under another name has the same fingerprint, a drop whose content changed has another."""
    hasher = xxhash.xxh3_128()
    for name, path in locate_drop(Path(drop_dir)).items():
        hasher.update(f"\0{name}\0{path.name}\0".encode())
        with path.open("rb") as fh:
            while block := fh.read(HASH_BLOCK):
                hasher.update(block)
    return hasher.hexdigest()


@dataclass(frozen=True)
class FileCounts:
    """Per file of the drop: rows read, loaded, quarantined, duplicates, and seconds spent reading it."""

    file: str
    path: str
    read: int
    loaded: int
    quarantined: int
    duplicates: int
    seconds: float
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class IngestResult:
    """The report of one ingest: per-file counts, warnings, what was written, timings and throughput."""

    drop_dir: str
    fingerprint: str
    files: tuple[FileCounts, ...]
    warnings: tuple[str, ...]
    quarantined: int
    exchanges: int
    rows_written: dict[str, int]
    new_accounts: int
    recomputed_accounts: int
    templates_new: int
    templates_extended: int
    templates_merged: int
    retried: dict[str, int]
    timings: dict[str, float]
    query_timings: dict[str, dict[str, float]]

    @property
    def seconds(self) -> float:
        """Wall time of the whole ingest."""
        return self.timings.get("total", 0.0)

    @property
    def exchanges_per_second(self) -> float:
        """End-to-end throughput: valid exchanges per second from files to committed graph."""
        return self.exchanges / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON and the job record."""
        data = asdict(self)
        data["exchanges_per_second"] = round(self.exchanges_per_second, 1)
        return data


def run_ingest(
    drop_dir: Path,
    graph: Graph,
    *,
    work_dir: Path,
    quarantine_path: Path,
    chunk_rows: int = 200_000,
    session_batch_rows: int | None = None,
    checkpoint: Checkpoint | None = None,
    on_checkpoint: Callable[[Checkpoint], None] | None = None,
    progress: Progress | None = None,
    fingerprint: str | None = None,
) -> IngestResult:
    """Ingest `drop_dir` into `graph`; raises graph.drop.DropRejected (nothing written) for a refused file.

    `checkpoint` is what `on_checkpoint` last received in an earlier attempt of the same job: the staged
    files in `work_dir` are reused when they belong to the same drop content, and committed batches are
    skipped. `session_batch_rows` is how many sessions one write transaction holds (at least one account's
    sessions); a resumed job keeps the size its first attempt cut its batches with.
    """
    started = time.perf_counter()
    before = graph.timings.snapshot()
    timings: dict[str, float] = {}
    with timed(timings, "fingerprint"):
        fingerprint = fingerprint or drop_fingerprint(drop_dir)
    state: Checkpoint = dict(checkpoint or {})
    manifest = StageManifest.load(work_dir) if state.get("staged") == fingerprint else None
    if manifest is None or manifest.fingerprint != fingerprint:
        state = {}
        with timed(timings, "read_validate"):
            manifest = stage_drop(
                drop_dir,
                work_dir,
                fingerprint=fingerprint,
                quarantine_path=quarantine_path,
                chunk_rows=chunk_rows,
                lookup_accounts=lambda ids: _lookup(graph, "ingest_lookup_accounts", ids),
                lookup_sessions=lambda ids: _lookup(graph, "ingest_lookup_sessions", ids),
                progress=None if progress is None else (lambda stage, f: progress(stage, f * READ_SHARE)),
            )
        state["staged"] = fingerprint
        if on_checkpoint is not None:
            on_checkpoint(dict(state))

    def save(data: Checkpoint) -> None:
        if on_checkpoint is not None:
            on_checkpoint({**data, "staged": fingerprint})

    loader = Loader(
        graph,
        work_dir,
        manifest,
        checkpoint=state,
        on_checkpoint=save,
        session_batch_rows=session_batch_rows,
        progress=None
        if progress is None
        else (lambda stage, f: progress(stage, READ_SHARE + f * (1 - READ_SHARE))),
    )
    with timed(timings, "load"):
        stats = loader.run()
    timings["total"] = round(time.perf_counter() - started, 3)
    after = graph.timings.snapshot()
    query_timings = {
        name: {
            "seconds": round(v["seconds"] - before.get(name, {}).get("seconds", 0.0), 3),
            "calls": v["calls"] - before.get(name, {}).get("calls", 0),
        }
        for name, v in after.items()
        if v["calls"] != before.get(name, {}).get("calls", 0)
    }
    files = tuple(
        FileCounts(
            file=name,
            path=f["path"],
            read=f["read"],
            loaded=f["valid"],
            quarantined=f["quarantined"],
            duplicates=f["duplicates"],
            seconds=f["seconds"],
            warnings=tuple(f["warnings"]),
        )
        for name, f in manifest.files.items()
    )
    return IngestResult(
        drop_dir=str(drop_dir),
        fingerprint=fingerprint,
        files=files,
        warnings=manifest.warnings,
        quarantined=manifest.quarantined,
        exchanges=manifest.exchanges_loaded,
        rows_written=stats.rows,
        new_accounts=stats.new_accounts,
        recomputed_accounts=stats.recomputed_accounts,
        templates_new=stats.templates_new,
        templates_extended=stats.templates_extended,
        templates_merged=stats.templates_merged,
        retried=stats.retried,
        timings=timings,
        query_timings=query_timings,
    )


def _lookup(graph: Graph, name: str, ids: list[str]) -> set[str]:
    return {row["id"] for row in graph.read(name, ids=ids)}
