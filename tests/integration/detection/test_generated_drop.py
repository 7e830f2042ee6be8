"""End to end on a generated drop: generate, ingest, detect (Celery worker), evaluate against the targets."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

from graph.driver import Graph

pytestmark = pytest.mark.integration

CONTENT = Path(__file__).resolve().parents[3] / "bench" / "scenarios" / "content.json"

F1_TARGET = 0.95
CAMPAIGN_RECALL_TARGET = 0.9
POPULATION_FPR_TARGET = 0.01
BEST_RANK_TARGET = 10


@pytest.mark.parametrize(("scenario", "seed"), [(None, 11), (None, 14), (CONTENT, 11), (CONTENT, 14)])
def test_a_generated_drop_meets_the_quality_targets(
    clean_graph: Graph, worker: subprocess.Popen[bytes], tmp_path: Path, scenario: Path | None, seed: int
) -> None:
    """The `test` preset, and the same with a content-only campaign and its look-alikes (`content.json`)."""
    drop = tmp_path / "drop"
    extra = ["--scenario", str(scenario)] if scenario else []
    call_command("generate_drop", str(drop), "--preset", "test", "--seed", str(seed), *extra, stdout=io.StringIO())
    call_command("ingest", str(drop), "--wait", "--timeout", "1800", stdout=io.StringIO(), stderr=io.StringIO())
    out = io.StringIO()
    call_command("detect", "--wait", "--timeout", "1200", stdout=out)
    assert "succeeded" in out.getvalue()

    out = io.StringIO()
    call_command("evaluate", "--labels", str(drop / "labels.csv"), "--json", stdout=out)
    report = json.loads(out.getvalue())
    summary = json.dumps(report, indent=1)
    assert report["f1"] >= F1_TARGET, summary
    assert len(report["campaigns"]) >= 3, summary
    for name, campaign in report["campaigns"].items():
        assert campaign["recall"] >= CAMPAIGN_RECALL_TARGET, (name, summary)
        assert campaign["best_rank"] is not None and campaign["best_rank"] <= BEST_RANK_TARGET, (name, summary)
    assert report["ranks_ok"], summary  # no mostly-legitimate cluster above any campaign's best
    populations = {"organisation", "campus", "vpn", "benchmark_researcher", "reseller_customer"}
    if scenario:
        assert len(report["campaigns"]) == 4 and "ember" in report["campaigns"], summary
        populations |= {"eval_startup", "prompt_collection_user"}
    assert populations <= set(report["population_fpr"])
    for name, rate in report["population_fpr"].items():
        assert rate <= POPULATION_FPR_TARGET, (name, summary)
