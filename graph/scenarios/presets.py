"""Named scenarios: ``seed`` (the reported case, scale driven), ``demo`` (a few thousand accounts
for the demo UI) and ``test`` (small and fast, for integration tests), plus JSON loading."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from graph.scenarios.config import (
    BenchmarkResearchers,
    Campaign,
    Campus,
    Individuals,
    Organisations,
    ResellerCustomers,
    ScenarioConfig,
    TimeWindow,
    Traffic,
    VpnUsers,
    validate_config,
)
from graph.scenarios.config_json import config_from_dict

PRESET_NAMES: tuple[str, ...] = ("seed", "demo", "test")


def seed_config() -> ScenarioConfig:
    """The reported case at scale 1: three campaigns of ~1.5k, 6.5k and 16k accounts with ~150k,
    3.4M and 13M exchanges, among ~257k legitimate accounts with ~18M exchanges."""
    return ScenarioConfig(
        individuals=Individuals(
            accounts=205_000,
            exchanges=8_500_000,
            traffic=Traffic(
                capabilities={
                    "chat": 0.25, "coding": 0.2, "writing": 0.15, "analysis": 0.12, "reasoning": 0.08,
                    "vision": 0.06, "tool_use": 0.04, "agentic": 0.03, "other": 0.07,
                },
                capability_concentration=2.0,
                volume_sigma=1.3,
                inactive_share=0.15,
                template_share=0.05,
                public_template_share=0.03,
                reasoning_elicited=0.12,
            ),
        ),
        organisations=Organisations(
            accounts=24_000,
            exchanges=5_000_000,
            traffic=Traffic(
                capabilities={
                    "coding": 0.25, "analysis": 0.2, "writing": 0.15, "tool_use": 0.12, "chat": 0.1,
                    "agentic": 0.06, "reasoning": 0.06, "vision": 0.04, "other": 0.02,
                },
                capability_concentration=6.0,
                schedule="office",
                weekend_activity=0.25,
                exchanges_per_session=15.0,
                seconds_between_exchanges=20.0,
                volume_sigma=1.0,
                inactive_share=0.05,
                template_share=0.55,
                public_template_share=0.0,
                reasoning_elicited=0.1,
                adoption_delay_days=9.0,
                adoption_ramp_days=10.0,
                adoption_share=0.5,
                never_adopt_share=0.4,
            ),
            plans={"build": 0.45, "scale": 0.4, "enterprise": 0.15},
            card_methods={"card": 0.7, "invoice": 0.2, "bank_transfer": 0.1},
            second_instrument_share=0.02,
            suspended_share=0.001,
            banned_share=0.0,
            signup_days_before=900.0,
            signup_in_window_share=0.05,
        ),
        coding_startups=Organisations(
            accounts=3_000,
            exchanges=2_400_000,
            traffic=Traffic(
                capabilities={"agentic": 0.35, "coding": 0.35, "tool_use": 0.2, "reasoning": 0.05, "analysis": 0.05},
                capability_concentration=10.0,
                schedule="flat",
                exchanges_per_session=40.0,
                seconds_between_exchanges=6.0,
                volume_sigma=0.9,
                inactive_share=0.03,
                template_share=0.7,
                public_template_share=0.0,
                reasoning_elicited=0.05,
                elicited_other=0.02,
                adoption_delay_days=1.5,
                adoption_ramp_days=3.0,
                adoption_share=0.7,
                never_adopt_share=0.1,
            ),
            plans={"build": 0.3, "scale": 0.6, "enterprise": 0.1},
            card_methods={"card": 0.8, "virtual_card": 0.15, "bank_transfer": 0.05},
            second_instrument_share=0.02,
            suspended_share=0.001,
            banned_share=0.0,
            signup_days_before=400.0,
            members_mean=12.0,
            templates_per_org=5,
            office_ips=2,
            cloud_ips=6,
            remote_share=0.6,
        ),
        campus=Campus(
            accounts=10_000,
            exchanges=500_000,
            traffic=Traffic(
                capabilities={
                    "writing": 0.2, "coding": 0.25, "chat": 0.2, "analysis": 0.15, "reasoning": 0.1,
                    "vision": 0.05, "other": 0.05,
                },
                capability_concentration=2.5,
                exchanges_per_session=5.0,
                seconds_between_exchanges=50.0,
                inactive_share=0.2,
            ),
            plans={"free": 0.8, "build": 0.2},
            signup_days_before=500.0,
        ),
        vpn=VpnUsers(
            accounts=8_000,
            exchanges=500_000,
            traffic=Traffic(
                capabilities={
                    "chat": 0.25, "coding": 0.2, "writing": 0.15, "analysis": 0.12, "reasoning": 0.08,
                    "vision": 0.06, "tool_use": 0.04, "agentic": 0.03, "other": 0.07,
                },
                capability_concentration=2.0,
                inactive_share=0.12,
            ),
            plans={"free": 0.55, "build": 0.4, "scale": 0.05},
            card_methods={"card": 0.85, "virtual_card": 0.1, "prepaid_card": 0.05},
        ),
        benchmark_researchers=BenchmarkResearchers(
            accounts=600,
            exchanges=600_000,
            traffic=Traffic(
                capabilities={
                    "reasoning": 0.45, "coding": 0.2, "analysis": 0.15, "tool_use": 0.05, "agentic": 0.05,
                    "vision": 0.05, "writing": 0.05,
                },
                capability_concentration=8.0,
                schedule="office",
                weekend_activity=0.5,
                exchanges_per_session=80.0,
                seconds_between_exchanges=6.0,
                volume_sigma=0.9,
                inactive_share=0.05,
                template_share=0.7,
                public_template_share=0.0,
                reasoning_elicited=0.5,
                elicited_other=0.1,
                token_scale=1.3,
                adoption_delay_days=0.7,
                adoption_ramp_days=1.5,
                adoption_share=0.5,
                never_adopt_share=0.15,
            ),
            plans={"build": 0.5, "scale": 0.5},
            card_methods={"card": 0.85, "virtual_card": 0.1, "invoice": 0.05},
            signup_days_before=600.0,
        ),
        reseller_customers=ResellerCustomers(
            accounts=6_000,
            exchanges=900_000,
            traffic=Traffic(
                capabilities={
                    "chat": 0.25, "coding": 0.2, "writing": 0.15, "analysis": 0.15, "tool_use": 0.1,
                    "agentic": 0.05, "reasoning": 0.05, "vision": 0.05,
                },
                capability_concentration=3.0,
                exchanges_per_session=15.0,
                seconds_between_exchanges=10.0,
                volume_sigma=1.1,
                inactive_share=0.08,
            ),
            plans={"free": 0.05, "build": 0.7, "scale": 0.25},
        ),
        campaigns=(
            Campaign(
                name="aurora",
                accounts=1_500,
                exchanges=150_000,
                traffic=Traffic(
                    capabilities={"reasoning": 0.75, "analysis": 0.1, "coding": 0.1, "writing": 0.05},
                    capability_concentration=40.0,
                    schedule="flat",
                    exchanges_per_session=8.0,
                    seconds_between_exchanges=35.0,
                    volume_sigma=0.5,
                    template_share=0.7,
                    public_template_share=0.0,
                    reasoning_elicited=0.92,
                    elicited_other=0.4,
                ),
                plans={"free": 0.15, "build": 0.75, "scale": 0.1},
                card_methods={"virtual_card": 0.45, "prepaid_card": 0.35, "card": 0.2},
                second_instrument_share=0.15,
                suspended_share=0.03,
                banned_share=0.25,
                own_domain_share=0.0,
                countries={"US": 0.35, "GB": 0.15, "SG": 0.15, "CA": 0.1, "DE": 0.1, "HK": 0.15},
                signup_days_before=200.0,
                signup_bursts=4,
                egress={"residential_proxy": 0.55, "vpn": 0.3, "cloud": 0.15},
                cloud_ips=40,
                ips_per_account=8,
                templates=6,
                batch_interval_minutes=120.0,
                batch_share=0.5,
            ),
            Campaign(
                name="basalt",
                accounts=6_500,
                exchanges=3_400_000,
                traffic=Traffic(
                    capabilities={"coding": 0.45, "agentic": 0.3, "tool_use": 0.2, "reasoning": 0.05},
                    capability_concentration=30.0,
                    schedule="flat",
                    exchanges_per_session=40.0,
                    seconds_between_exchanges=5.0,
                    volume_sigma=0.6,
                    template_share=0.75,
                    public_template_share=0.0,
                    reasoning_elicited=0.3,
                    elicited_other=0.05,
                ),
                plans={"free": 0.1, "build": 0.5, "scale": 0.4},
                card_methods={"virtual_card": 0.5, "prepaid_card": 0.25, "card": 0.25},
                second_instrument_share=0.1,
                suspended_share=0.02,
                banned_share=0.3,
                own_domain_share=0.5,
                countries={"US": 0.4, "GB": 0.1, "DE": 0.1, "NL": 0.1, "SG": 0.1, "JP": 0.1, "KR": 0.1},
                signup_days_before=150.0,
                signup_bursts=8,
                egress={"cloud": 0.45, "reseller": 0.35, "residential_proxy": 0.2},
                cloud_ips=200,
                ips_per_account=5,
                custom_client_share=0.35,
                templates=10,
                batch_interval_minutes=60.0,
                batch_share=0.65,
                email_domains=6,
            ),
            Campaign(
                name="cobalt",
                accounts=16_000,
                exchanges=13_000_000,
                traffic=Traffic(
                    capabilities={
                        "vision": 0.35, "reasoning": 0.15, "coding": 0.15, "analysis": 0.15, "writing": 0.1,
                        "tool_use": 0.1,
                    },
                    capability_concentration=20.0,
                    schedule="flat",
                    exchanges_per_session=30.0,
                    seconds_between_exchanges=8.0,
                    volume_sigma=0.7,
                    template_share=0.6,
                    public_template_share=0.0,
                    reasoning_elicited=0.6,
                    elicited_other=0.05,
                ),
                plans={"free": 0.1, "build": 0.6, "scale": 0.3},
                card_methods={"virtual_card": 0.4, "prepaid_card": 0.3, "card": 0.3},
                second_instrument_share=0.1,
                suspended_share=0.02,
                banned_share=0.2,
                own_domain_share=0.25,
                countries={"US": 0.3, "GB": 0.1, "CA": 0.1, "AU": 0.1, "SG": 0.15, "MY": 0.1, "IN": 0.15},
                signup_days_before=250.0,
                signup_bursts=12,
                egress={"reseller": 0.35, "residential_proxy": 0.4, "cloud": 0.15, "vpn": 0.1},
                cloud_ips=300,
                ips_per_account=6,
                templates=14,
                batch_interval_minutes=45.0,
                batch_share=0.55,
                email_domains=3,
            ),
        ),
    )


def preset(name: str) -> ScenarioConfig:
    """A named scenario (``seed``, ``demo`` or ``test``)."""
    base = seed_config()
    if name == "seed":
        config = base
    elif name == "demo":
        config = dataclasses.replace(base, scale=0.012, volume=0.5)
    elif name == "test":
        config = dataclasses.replace(
            base, scale=0.002, volume=0.25, window=TimeWindow(start=base.window.start, days=14),
            block_exchanges=20_000,
        )
    else:
        raise ValueError(f"unknown preset {name!r} (known: {', '.join(PRESET_NAMES)})")
    validate_config(config)
    return config


def load_config(path: Path, base: ScenarioConfig | None = None) -> ScenarioConfig:
    """Read a JSON scenario file on top of ``base`` (or of the preset its ``"preset"`` key names,
    default ``seed``). Nested objects merge into the base; lists (``campaigns``) replace it."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a scenario file holds one JSON object")
    name = data.pop("preset", None)
    start = preset(name) if name else (base or preset("seed"))
    return config_from_dict(data, start)
