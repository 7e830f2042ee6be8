"""A campaign that shares no infrastructure, and its look-alikes (`bench/scenarios/content.json` on the `test`
preset): the campaign's accounts share only a private template set, worked in slices, its focus, reasoning
traces and a quick move to the new model; evaluation start-ups' staff share their company's domain, office and
eval prompts; prompt-collection users share public templates with many strangers."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from graph.scenarios import ScenarioConfig, generate_drop, load_config, preset
from graph.scenarios.plan import Plan, build_plan
from tests.unit.scenarios.conftest import DROP_FILES, Drop, generate_and_read

SEED = 4
SCENARIO = Path(__file__).resolve().parents[3] / "bench" / "scenarios" / "content.json"
CAMPAIGN = "ember"
HOUR = pd.Timedelta(hours=1)


@pytest.fixture(scope="module")
def content_config() -> ScenarioConfig:
    return load_config(SCENARIO, base=preset("test"))


@pytest.fixture(scope="module")
def content_drop(tmp_path_factory: pytest.TempPathFactory, content_config: ScenarioConfig) -> Drop:
    return generate_and_read(tmp_path_factory.mktemp("content"), content_config, SEED)


@pytest.fixture(scope="module")
def content_plan(content_config: ScenarioConfig) -> Plan:
    return build_plan(content_config, SEED)


def _of(frame: pd.DataFrame, population: str) -> pd.DataFrame:
    return frame[frame["population"] == population]


def _shared(frame: pd.DataFrame, column: str) -> pd.Series:
    """Values of `column` held by two or more accounts."""
    per_value = frame.dropna(subset=[column]).groupby(column)["account_id"].nunique()
    return per_value[per_value >= 2]


def _templates_of(plan: Plan, population: str) -> dict[int, set[int]]:
    """Template indexes per account of a population, from the plan."""
    p = plan.population_names.index(population)
    offsets = plan.template_offsets
    return {int(a): set(plan.accounts.templates.values[offsets[a]:offsets[a + 1]].tolist())
            for a in np.flatnonzero(plan.accounts.population == p)}  # fmt: skip


def test_the_content_only_campaign_shares_no_card_device_or_address(content_drop: Drop) -> None:
    accounts, billing, sessions = (_of(content_drop[n], CAMPAIGN) for n in ("accounts", "billing", "sessions"))
    assert len(accounts) >= 40
    assert _shared(accounts, "signup_fingerprint").empty and _shared(accounts, "signup_ip").empty
    assert _shared(billing, "payment_fingerprint").empty and _shared(billing, "billing_address_hash").empty
    assert set(billing["method"]) == {"card"}
    home = sessions[sessions["asn_type"].isin(["isp", "unknown"])]
    assert len(home) > 0.5 * len(sessions) and _shared(home, "ip").empty  # own home lines (mobile NAT aside)
    assert set(sessions["asn_type"]) <= {"isp", "mobile", "unknown"}
    assert (accounts["status"] == "active").all() and accounts["org_id"].isna().all()
    domains = accounts["email"].str.split("@").str[1]
    assert domains.value_counts().iloc[0] <= 0.7 * len(accounts)  # free mail and own domains, no company


def test_its_accounts_work_slices_of_one_private_template_set(content_plan: Plan, content_config: ScenarioConfig) -> None:
    campaign = next(c for c in content_config.campaigns if c.name == CAMPAIGN)
    sets = _templates_of(content_plan, CAMPAIGN)
    used = set().union(*sets.values())
    assert len(used) == campaign.templates
    assert all(len(s) == campaign.templates_per_account for s in sets.values())
    others = [s for name in content_plan.population_names if name != CAMPAIGN for s in _templates_of(content_plan, name).values()]
    assert not used & set().union(*others)  # private: no other population uses them
    assert len({frozenset(s) for s in sets.values()}) > len(sets) / 4  # slices, not one shared set


def test_its_traffic_is_templated_focused_reasoning_heavy_and_moves_fast(content_drop: Drop, content_plan: Plan) -> None:
    exchanges = _of(content_drop["exchanges"], CAMPAIGN)
    words = np.array([int(v, 16) for v in exchanges["prompt_fingerprint"]], dtype=np.uint64)
    bases = content_plan.template_base[sorted(set().union(*_templates_of(content_plan, CAMPAIGN).values()))]
    templated = np.bitwise_count(words[:, None] ^ bases[None, :]).min(axis=1) <= 3
    assert 0.35 < templated.mean() < 0.65  # about half from its templates (variants within 3 bits), the rest unique
    assert exchanges["capability"].value_counts(normalize=True).iloc[:2].sum() > 0.7
    assert exchanges["reasoning_elicited"].eq("true").mean() > 0.6
    releases = content_drop["model_releases"]
    released = pd.to_datetime(releases["released_at"], utc=True)
    new_model, release = releases["model"].iloc[int(released.to_numpy().argmax())], released.max()
    first = pd.to_datetime(exchanges["ts"], utc=True)[exchanges["model"] == new_model].groupby(
        exchanges["account_id"]).min()
    assert (first < release + 48 * HOUR).sum() >= 0.6 * exchanges["account_id"].nunique()


def test_its_accounts_keep_a_human_day_in_their_own_time_zones(content_drop: Drop, content_plan: Plan) -> None:
    sessions = _of(content_drop["sessions"], CAMPAIGN)
    tz = pd.Series(content_plan.accounts.tz_minutes, index=content_plan.account_ids.to_pylist())
    started = pd.to_datetime(sessions["started_at"], utc=True)
    local = (started + pd.to_timedelta(sessions["account_id"].map(tz), unit="m")).dt.hour
    assert local.between(1, 5).mean() < 0.12
    assert started.dt.hour.nunique() == 24  # in many time zones, so active at every UTC hour


def test_eval_startup_staff_share_a_domain_an_office_and_their_own_eval_prompts(
    content_drop: Drop, content_plan: Plan
) -> None:
    accounts, billing, sessions = (_of(content_drop[n], "eval_startup") for n in ("accounts", "billing", "sessions"))
    domain = accounts["email"].str.split("@").str[1]
    assert domain.value_counts().min() >= 2 and domain.nunique() < len(accounts) / 2
    assert _shared(billing, "payment_fingerprint").empty  # personal cards
    office = sessions[sessions["asn_type"] == "business"]
    assert not _shared(office, "ip").empty
    sets = _templates_of(content_plan, "eval_startup")
    others = [s for name in content_plan.population_names if name != "eval_startup"
              for s in _templates_of(content_plan, name).values()]  # fmt: skip
    assert not set().union(*sets.values()) & set().union(*others)


def test_prompt_collection_users_share_public_templates_with_many_strangers(content_plan: Plan, content_drop: Drop) -> None:
    sets = _templates_of(content_plan, "prompt_collection_user")
    users = pd.Series([t for s in sets.values() for t in s]).value_counts()
    assert users.iloc[0] >= 0.25 * len(sets)  # the most popular prompt is pasted by many
    assert _shared(_of(content_drop["billing"], "prompt_collection_user"), "payment_fingerprint").empty
    assert _of(content_drop["accounts"], "prompt_collection_user")["org_id"].isna().all()


def test_the_content_scenario_is_deterministic(tmp_path: Path, content_config: ScenarioConfig) -> None:
    digests = []
    for name in ("a", "b"):
        generate_drop(tmp_path / name, content_config, seed=SEED, fmt="csv")
        digests.append({f: hashlib.sha256((tmp_path / name / f"{f}.csv").read_bytes()).hexdigest() for f in DROP_FILES})
    assert digests[0] == digests[1]
