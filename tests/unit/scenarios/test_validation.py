"""The generated drop passes the platform's own drop validation with nothing quarantined."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.drop import validate
from graph.scenarios import ScenarioConfig, generate_drop


@pytest.mark.parametrize("fmt", ["csv", "csv.gz", "parquet"])
def test_generated_drop_passes_validation(tmp_path: Path, test_config: ScenarioConfig, fmt: str) -> None:
    summary = generate_drop(tmp_path, test_config, seed=21, fmt=fmt)
    report = validate.validate_drop(tmp_path)
    assert report.ok(), report.to_dict()
    assert report.quarantined == 0
    for name, file_report in report.files.items():
        assert file_report.valid == summary.rows[name], name
