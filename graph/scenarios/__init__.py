"""Synthetic telemetry scenarios with ground truth: legitimate populations (including the hard
negatives) and coordinated campaigns, written as a drop that follows ``spec/telemetry.md``.

Entry point: ``generate_drop(out_dir, preset("seed"), seed=1, fmt="csv")``.
"""

from graph.scenarios.config import (
    LEGIT_POPULATIONS,
    OPTIONAL_POPULATIONS,
    BenchmarkResearchers,
    Campaign,
    Campus,
    EvalStartups,
    Individuals,
    ModelLineup,
    ModelRelease,
    Organisations,
    Population,
    PromptCollectionUsers,
    ResellerCustomers,
    ScenarioConfig,
    Size,
    TimeWindow,
    Traffic,
    VpnUsers,
    resolve_sizes,
    validate_config,
)
from graph.scenarios.config_json import config_from_dict, config_to_dict
from graph.scenarios.generate import DROP_FILES, DropSummary, generate_drop
from graph.scenarios.presets import PRESET_NAMES, load_config, preset
from graph.scenarios.sinks import FORMATS

__all__ = [
    "DROP_FILES",
    "FORMATS",
    "LEGIT_POPULATIONS",
    "OPTIONAL_POPULATIONS",
    "PRESET_NAMES",
    "BenchmarkResearchers",
    "Campaign",
    "Campus",
    "DropSummary",
    "EvalStartups",
    "Individuals",
    "ModelLineup",
    "ModelRelease",
    "Organisations",
    "Population",
    "PromptCollectionUsers",
    "ResellerCustomers",
    "ScenarioConfig",
    "Size",
    "TimeWindow",
    "Traffic",
    "VpnUsers",
    "config_from_dict",
    "config_to_dict",
    "generate_drop",
    "load_config",
    "preset",
    "resolve_sizes",
    "validate_config",
]
