"""Fixtures for the scenario generator tests: one small `test`-preset drop, generated once per session."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from graph.scenarios import DropSummary, ScenarioConfig, generate_drop, preset
from graph.scenarios.plan import Plan, build_plan

SEED = 11
DROP_FILES = ("accounts", "billing", "sessions", "exchanges", "model_releases", "labels")


@dataclass(frozen=True)
class Drop:
    """A generated drop read back as string-typed frames, with the labels joined on where useful."""

    path: Path
    summary: DropSummary
    frames: dict[str, pd.DataFrame]

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.frames[name]


def read_csv(path: Path) -> pd.DataFrame:
    """A drop CSV as strings, empty fields as NA."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])


@pytest.fixture(scope="session")
def test_config() -> ScenarioConfig:
    return preset("test")


@pytest.fixture(scope="session")
def drop(tmp_path_factory: pytest.TempPathFactory, test_config: ScenarioConfig) -> Drop:
    """The `test` preset written as CSV, with `population` and `campaign` joined onto every file."""
    out = tmp_path_factory.mktemp("drop")
    return generate_and_read(out, test_config, SEED)


def generate_and_read(out: Path, config: ScenarioConfig, seed: int) -> Drop:
    """Generate a CSV drop and read it back with `population` and `campaign` joined onto every file."""
    summary = generate_drop(out, config, seed=seed, fmt="csv")
    frames = {name: read_csv(out / f"{name}.csv") for name in DROP_FILES}
    labels = frames["labels"].set_index("account_id")
    for name in ("accounts", "billing", "sessions", "exchanges"):
        frame = frames[name]
        frame["population"] = frame["account_id"].map(labels["population"])
        frame["campaign"] = frame["account_id"].map(labels["campaign"])
    return Drop(out, summary, frames)


@pytest.fixture(scope="session")
def plan(test_config: ScenarioConfig) -> Plan:
    """The plan behind `drop` (same config and seed), for the generator's own template tables."""
    return build_plan(test_config, SEED)
