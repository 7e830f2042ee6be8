"""`manage.py generate_drop`: a thin command over `graph.scenarios.generate_drop`."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from graph.scenarios.sinks import FORMATS

FILES = ("accounts", "billing", "sessions", "exchanges", "model_releases", "labels")


def test_command_writes_a_drop_and_reports_it(tmp_path: Path) -> None:
    out = io.StringIO()
    call_command("generate_drop", str(tmp_path), "--preset", "test", "--seed", "4", "--format", "csv.gz",
                 "--days", "10", stdout=out, verbosity=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{name}.csv.gz" for name in FILES)
    text = out.getvalue()
    assert "aurora" in text and "campaign" in text and "individual" in text and "seed 4" in text


def test_command_reads_a_scenario_file(tmp_path: Path) -> None:
    scenario = tmp_path / "scenario.json"
    scenario.write_text(json.dumps({"preset": "test", "campaigns": [{"name": "aurora"}]}))
    out = io.StringIO()
    call_command("generate_drop", str(tmp_path / "drop"), "--scenario", str(scenario), stdout=out, verbosity=0)
    assert "basalt" not in out.getvalue() and "aurora" in out.getvalue()


def test_command_rejects_a_bad_scenario(tmp_path: Path) -> None:
    scenario = tmp_path / "scenario.json"
    scenario.write_text(json.dumps({"scale": -1}))
    with pytest.raises(CommandError, match="scale"):
        call_command("generate_drop", str(tmp_path / "drop"), "--scenario", str(scenario), verbosity=0)


def test_formats_are_the_contract_formats() -> None:
    assert FORMATS == ("csv", "csv.gz", "parquet")


def test_command_writes_a_series_of_drops(tmp_path: Path) -> None:
    out = io.StringIO()
    call_command("generate_drop", str(tmp_path), "--preset", "test", "--series", "3", "--period-days", "2",
                 stdout=out, verbosity=0)  # fmt: skip
    assert sorted(p.name for p in tmp_path.iterdir()) == ["drop-0001", "drop-0002", "drop-0003"]
    assert sorted(p.name for p in (tmp_path / "drop-0002").iterdir()) == sorted(f"{name}.csv" for name in FILES)
    lines = out.getvalue().splitlines()
    assert [line.split()[0] for line in lines[1:4]] == ["drop-0001", "drop-0002", "drop-0003"]
    assert "2026-09-03T00:00:00Z" in lines[2] and "3 drops of 2 day(s)" in lines[-1]


def test_command_refuses_days_with_a_series(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="--days and --series"):
        call_command("generate_drop", str(tmp_path), "--preset", "test", "--series", "3", "--days", "9", verbosity=0)
