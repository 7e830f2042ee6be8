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
