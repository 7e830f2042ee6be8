"""A series of drops is one world cut into periods: deterministic, and its union is the single drop of that world."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from graph.scenarios import ScenarioConfig, generate_drop
from graph.scenarios.series import SeriesSummary, drop_name, generate_series, series_config
from tests.unit.scenarios.conftest import DROP_FILES, read_csv

PERIODS, DAYS, SEED = 6, 2, 7


@pytest.fixture(scope="module")
def series(tmp_path_factory: pytest.TempPathFactory, test_config: ScenarioConfig) -> SeriesSummary:
    return generate_series(tmp_path_factory.mktemp("series"), test_config, periods=PERIODS, period_days=DAYS,
                           seed=SEED)  # fmt: skip


@pytest.fixture(scope="module")
def single(tmp_path_factory: pytest.TempPathFactory, test_config: ScenarioConfig) -> Path:
    out = tmp_path_factory.mktemp("single")
    generate_drop(out, series_config(test_config, PERIODS, DAYS), seed=SEED)
    return out


def _frame(series: SeriesSummary, name: str) -> list[pd.DataFrame]:
    return [read_csv(d.out_dir / f"{name}.csv") for d in series.drops]


def _rows(frame: pd.DataFrame) -> list[tuple[str, ...]]:
    return sorted(tuple("" if pd.isna(v) else str(v) for v in row) for row in frame.itertuples(index=False))


def test_same_seed_gives_the_same_series(tmp_path: Path, test_config: ScenarioConfig) -> None:
    def digests(out: Path) -> list[str]:
        return [hashlib.sha256((out / drop_name(k) / f"{n}.csv").read_bytes()).hexdigest()
                for k in range(3) for n in DROP_FILES]  # fmt: skip

    generate_series(tmp_path / "a", test_config, periods=3, period_days=2, seed=4)
    generate_series(tmp_path / "b", test_config, periods=3, period_days=2, seed=4, workers=2)
    generate_series(tmp_path / "c", test_config, periods=3, period_days=2, seed=5)
    assert digests(tmp_path / "a") == digests(tmp_path / "b")
    assert digests(tmp_path / "a") != digests(tmp_path / "c")


def test_union_of_the_series_is_the_single_drop(series: SeriesSummary, single: Path) -> None:
    assert [d.out_dir.name for d in series.drops] == [drop_name(k) for k in range(PERIODS)]
    for name in ("sessions", "exchanges"):
        parts = _frame(series, name)
        assert all(len(p) for p in parts), f"every period has {name}"
        assert _rows(pd.concat(parts)) == _rows(read_csv(single / f"{name}.csv"))
    # the last drop knows every account as the single drop does (statuses as at the end)
    assert _rows(_frame(series, "accounts")[-1]) == _rows(read_csv(single / "accounts.csv"))
    billing = read_csv(single / "billing.csv")
    last = _frame(series, "billing")[-1]
    assert sorted(last["billing_id"]) == sorted(billing["billing_id"])
    # an instrument attached from the first period on spends over the series what it spends in the window
    spent = pd.concat(_frame(series, "billing")).groupby("billing_id")["spend_usd"].apply(
        lambda s: s.astype(float).sum())
    whole = billing.set_index("billing_id")["spend_usd"].astype(float)
    from_start = _frame(series, "billing")[0]["billing_id"]
    assert len(from_start) > len(whole) / 2
    assert (spent[from_start] - whole[from_start]).abs().max() <= 0.005 * PERIODS + 1e-9


def test_each_drop_is_consistent_and_holds_its_period(series: SeriesSummary) -> None:
    accounts, sessions = _frame(series, "accounts"), _frame(series, "sessions")
    billing, exchanges = _frame(series, "billing"), _frame(series, "exchanges")
    for k, d in enumerate(series.drops):
        known = set(accounts[k]["account_id"])
        assert set(sessions[k]["account_id"]) <= known
        assert set(billing[k]["account_id"]) <= known
        assert set(exchanges[k]["session_id"]) == set(sessions[k]["session_id"])
        starts = pd.to_datetime(sessions[k]["started_at"])
        assert starts.min() >= pd.Timestamp(d.start) and starts.max() < pd.Timestamp(d.end)
        assert (pd.to_datetime(accounts[k]["created_at"]) < pd.Timestamp(d.end)).all()
        if k:
            assert known >= set(accounts[k - 1]["account_id"]), "accounts are re-sent in every drop"
            assert set(sessions[k]["session_id"]).isdisjoint(sessions[k - 1]["session_id"])


def test_the_world_evolves_over_the_series(series: SeriesSummary) -> None:
    accounts, labels = _frame(series, "accounts"), _frame(series, "labels")
    releases = _frame(series, "model_releases")
    assert len(releases[0]) < len(releases[-1]), "the new model is released inside the series"
    # campaigns grow: sign-ups (hydra replacements among them) land in later drops
    campaign = set(labels[-1].loc[labels[-1]["campaign"].notna(), "account_id"])
    first_seen = {a: k for k in reversed(range(PERIODS)) for a in accounts[k]["account_id"]}
    assert any(first_seen[a] > 0 for a in campaign)
    assert sum(d.campaign_signups for d in series.drops[1:]) > 0
    # a ban is not known before it happens: the account is active in earlier drops, banned afterwards
    final = accounts[-1].set_index("account_id")
    banned = final[final["status"] == "banned"]
    late = banned[pd.to_datetime(banned["status_changed_at"]) >= pd.Timestamp(series.drops[0].end)]
    assert len(late)
    early = accounts[0].set_index("account_id")
    still = late.index.intersection(early.index)
    assert len(still) and (early.loc[still, "status"] == "active").all()
    assert early.loc[still, "status_changed_at"].isna().all()


def test_labels_give_each_accounts_first_exchange(series: SeriesSummary) -> None:
    exchanges = pd.concat(_frame(series, "exchanges"))
    first = pd.to_datetime(exchanges["ts"]).groupby(exchanges["account_id"]).min()
    for k, labels in enumerate(_frame(series, "labels")):
        active = labels.dropna(subset=["first_activity"]).set_index("account_id")
        assert (pd.to_datetime(active["first_activity"]) == first.reindex(active.index)).all()
        end = pd.Timestamp(series.drops[k].end)
        quiet = labels.loc[labels["first_activity"].isna(), "account_id"]
        assert (first.reindex(quiet).dropna() >= end).all(), "no first activity is hidden before the period end"
