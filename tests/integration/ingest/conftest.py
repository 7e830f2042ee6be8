"""Fixtures for ingest integration tests: a function that ingests a drop into the real graph."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from graph.driver import Graph
from graph.ingest import IngestResult, run_ingest


@pytest.fixture
def ingest(clean_graph: Graph, tmp_path: Path) -> Callable[[Path], IngestResult]:
    """Ingest a drop directory into the (initially empty) graph with the real pipeline."""
    counter = {"n": 0}

    def run(drop: Path, **kwargs: object) -> IngestResult:
        counter["n"] += 1
        work = tmp_path / f"work-{counter['n']}"
        return run_ingest(
            drop,
            clean_graph,
            work_dir=work,
            quarantine_path=tmp_path / f"quarantine-{counter['n']}.csv",
            **kwargs,  # type: ignore[arg-type]
        )

    return run
