"""Scenario configuration: presets, JSON overlays and scaling of sizes."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from graph.scenarios import (
    LEGIT_POPULATIONS,
    OPTIONAL_POPULATIONS,
    PRESET_NAMES,
    config_from_dict,
    config_to_dict,
    load_config,
    preset,
    resolve_sizes,
)


def test_seed_preset_is_the_reported_case_at_scale_1() -> None:
    config = preset("seed")
    sizes = resolve_sizes(config)
    campaigns = [sizes[c.name] for c in config.campaigns]
    assert len(campaigns) == 3
    assert 23_000 <= sum(c.accounts for c in campaigns) <= 25_000
    assert sorted(c.exchanges for c in campaigns) == [150_000, 3_400_000, 13_000_000]
    legit_accounts = sum(sizes[name].accounts for name in LEGIT_POPULATIONS)
    legit_exchanges = sum(sizes[name].exchanges for name in LEGIT_POPULATIONS)
    assert legit_accounts >= 10 * sum(c.accounts for c in campaigns)
    assert legit_exchanges >= sum(c.exchanges for c in campaigns)


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_presets_have_every_population(name: str) -> None:
    sizes = resolve_sizes(preset(name))
    assert all(sizes[pop].accounts > 0 for pop in LEGIT_POPULATIONS if pop not in OPTIONAL_POPULATIONS)
    assert all(sizes[pop].accounts == 0 for pop in OPTIONAL_POPULATIONS)  # switched on by scenario files only
    assert all(size.accounts >= 40 for pop, size in sizes.items() if pop not in LEGIT_POPULATIONS)


def test_demo_preset_has_a_few_thousand_accounts() -> None:
    total = sum(s.accounts for s in resolve_sizes(preset("demo")).values())
    assert 2_000 <= total <= 6_000


def test_scale_shrinks_sizes_proportionally_keeping_the_campaign_minimum() -> None:
    full = resolve_sizes(preset("seed"))
    half = resolve_sizes(dataclasses.replace(preset("seed"), scale=0.5))
    for name, size in full.items():
        assert half[name].accounts == pytest.approx(size.accounts / 2, abs=1)
        assert half[name].exchanges == pytest.approx(size.exchanges / 2, rel=0.01)
    tiny = resolve_sizes(dataclasses.replace(preset("seed"), scale=0.0001))
    for campaign in preset("seed").campaigns:
        per_account = campaign.exchanges / campaign.accounts
        assert tiny[campaign.name].accounts == 40
        assert tiny[campaign.name].exchanges == round(40 * per_account)


def test_json_overlay_merges_objects_and_campaigns_by_name(tmp_path: Path) -> None:
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps({
        "preset": "test",
        "scale": 0.003,
        "window": {"days": 10},
        "individuals": {"traffic": {"volume_sigma": 0.5}},
        "campaigns": [{"name": "aurora", "banned_share": 0.5}],
    }))
    config = load_config(path)
    base = preset("test")
    assert config.scale == 0.003 and config.window.days == 10 and config.window.start == base.window.start
    assert config.individuals.traffic.volume_sigma == 0.5
    assert config.individuals.traffic.capabilities == base.individuals.traffic.capabilities
    assert [c.name for c in config.campaigns] == ["aurora"]
    assert config.campaigns[0].banned_share == 0.5
    assert config.campaigns[0].templates == base.campaigns[0].templates


def test_round_trip_through_json() -> None:
    config = preset("demo")
    data = json.loads(json.dumps(config_to_dict(config)))
    assert config_from_dict(data, preset("seed")) == config


@pytest.mark.parametrize("data, message", [
    ({"nonsense": 1}, "unknown keys"),
    ({"individuals": {"traffic": {"capabilities": {"telepathy": 1.0}}}}, "unknown keys"),
    ({"organisations": {"traffic": {"schedule": "sometimes"}}}, "schedule"),
    ({"scale": "big"}, "expected a number"),
    ({"campaigns": [{"name": "individual"}]}, "required"),
    ({"individuals": {"mobile_share": 1.5}}, "mobile_share must be within"),
    ({"campaigns": [{"name": "aurora", "templates": -1}]}, "templates must be >= 0"),
    ({"campaigns": [{"name": "aurora", "accounts": 0}]}, "accounts must be > 0"),
    ({"campaigns": [{"name": "aurora"}, {"name": "aurora"}]}, "unique"),
])
def test_bad_scenarios_are_rejected_with_the_knob_named(data: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        config_from_dict(data, preset("seed"))
