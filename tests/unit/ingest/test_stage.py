"""Stage one without a graph: validated rows and partial aggregates are staged, bad rows quarantined, and a
refused file leaves no manifest (so nothing can be loaded from it)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from graph.drop import DropRejected
from graph.ingest.pipeline import drop_fingerprint
from graph.ingest.stage import StageManifest, read_arrow, sessions_path, stage_drop
from tests.integration.ingest import drops


def test_stage_writes_rows_partials_and_quarantine(tmp_path: Path) -> None:
    sessions = [*drops.SESSIONS, {**drops.SESSIONS[0], "session_id": "sess_x", "account_id": "nobody"}]
    drop = drops.small_drop(tmp_path / "drop", sessions=sessions)
    (drop / "labels.csv").write_text("account_id,campaign\nacct_1,evil\n")
    (drop / "notes.txt").write_text("hello")
    work = tmp_path / "work"
    manifest = stage_drop(drop, work, fingerprint="f", quarantine_path=tmp_path / "q.csv", chunk_rows=2)
    assert StageManifest.load(work) == manifest
    assert manifest.files["sessions"]["quarantined"] == 1 and manifest.quarantined == 1
    assert manifest.exchanges_loaded == 7 and set(manifest.models) == {"m1", "m2"}
    assert "labels" not in manifest.files
    assert any("notes.txt" in w for w in manifest.warnings)
    assert read_arrow(sessions_path(work, 0)).num_rows == 4
    with (tmp_path / "q.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["file"], r["row"], r["column"]) for r in rows] == [("sessions.csv", "5", "account_id")]


def test_rejected_file_leaves_no_manifest(tmp_path: Path) -> None:
    drop = drops.small_drop(tmp_path / "drop", drop_columns={"exchanges": "model"})
    with pytest.raises(DropRejected, match="exchanges.csv: column 'model'"):
        stage_drop(
            drop, tmp_path / "work", fingerprint="f", quarantine_path=tmp_path / "q.csv", chunk_rows=100
        )
    assert StageManifest.load(tmp_path / "work") is None


def test_fingerprint_follows_content_not_name(tmp_path: Path) -> None:
    a = drops.small_drop(tmp_path / "a")
    b = drops.small_drop(tmp_path / "b")
    assert drop_fingerprint(a) == drop_fingerprint(b)
    (b / "labels.csv").write_text("account_id,campaign\n")
    assert drop_fingerprint(a) == drop_fingerprint(b)  # labels are never ingested
    c = drops.small_drop(tmp_path / "c", accounts=drops.ACCOUNTS[:2])
    assert drop_fingerprint(a) != drop_fingerprint(c)
