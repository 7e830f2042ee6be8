"""`manage.py validate_drop`: prints the per-file report and fails when the drop is not clean."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.unit.drop.builders import session, write_drop


def _run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("validate_drop", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_clean_drop_prints_counts_and_succeeds(tmp_path: Path) -> None:
    drop = write_drop(tmp_path)

    out, _ = _run(str(drop), "--no-progress")

    assert "sessions (sessions.csv): read 2, valid 2, quarantined 0, duplicates 0" in out


def test_quarantined_rows_are_listed_and_fail_the_command(tmp_path: Path) -> None:
    drop = write_drop(tmp_path, sessions=[session(1, 1), session(2, 2, ended_at="2026-09-01T00:00:00Z")])
    out = io.StringIO()

    with pytest.raises(CommandError, match=r"2 rows quarantined \(sessions 1, exchanges 1\)"):
        call_command("validate_drop", str(drop), "--no-progress", stdout=out)

    assert "  sessions.csv:2 ended_at: ended_at before started_at (2026-09-01T00:00:00Z)" in out.getvalue()


def test_rejected_drop_fails_with_the_reason(tmp_path: Path) -> None:
    drop = write_drop(tmp_path)
    (drop / "accounts.csv").unlink()

    with pytest.raises(CommandError, match="drop rejected: accounts: required file is missing"):
        _run(str(drop), "--no-progress")


def test_json_output_and_issue_limit(tmp_path: Path) -> None:
    drop = write_drop(tmp_path, sessions=[session(i, 1, ip="bad") for i in range(1, 6)], exchanges=[])
    out = io.StringIO()

    with pytest.raises(CommandError):
        call_command("validate_drop", str(drop), "--json", "--max-issues", "2", "--no-progress", stdout=out)

    data = json.loads(out.getvalue())
    sessions = data["files"]["sessions"]
    assert (sessions["read"], sessions["quarantined"], len(sessions["issues"])) == (5, 5, 2)
    assert sessions["issues"][0] == {
        "file": "sessions.csv",
        "row": 1,
        "column": "ip",
        "reason": "bad IP address",
        "value": "bad",
    }
    assert sessions["issues_truncated"] is True
    assert data["ok"] is False and data["rejected"] is None


@pytest.mark.parametrize("rows", ["0", "-5"])
def test_chunk_rows_must_be_positive(tmp_path: Path, rows: str) -> None:
    with pytest.raises(CommandError, match="--chunk-rows must be at least 1"):
        _run(str(write_drop(tmp_path)), "--chunk-rows", rows, "--no-progress")
