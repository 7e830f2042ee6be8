"""Plan a scenario: every account, instrument and piece of infrastructure, before any traffic.

The plan is small (one row per account, a few hundred thousand at scale 1). The heavy part,
sessions and exchanges, is generated from it block by block (``traffic.generate_block``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from graph.drop.contract import CAPABILITIES
from graph.scenarios import catalog
from graph.scenarios.accounts import (
    AccountBlock,
    BillingBlock,
    concat_billing,
    concat_blocks,
)
from graph.scenarios.campaigns import BatchSchedule, batch_schedule, build_campaign
from graph.scenarios.config import ScenarioConfig, Size, resolve_sizes
from graph.scenarios.context import BuildContext, Built
from graph.scenarios.encode import derive_key, hex_strings, opaque_ids, parse_iso
from graph.scenarios.identity import make_unique
from graph.scenarios.legit import (
    build_benchmark,
    build_campus,
    build_individuals,
    build_organisations,
    build_reseller_customers,
    build_vpn,
    empty_block,
    prepare_residential_pool,
    prepare_shared_pools,
)
from graph.scenarios.lookalikes import build_eval_startups, build_prompt_collection
from graph.scenarios.world import World, build_world

UNDECLARED_COUNTRY_SHARE = 0.02
UNKNOWN_IP_INTEL_SHARE = 0.01
_PRICE_IN, _PRICE_OUT = 3e-6, 15e-6  # USD per token


@dataclass
class Plan:
    """Everything decided before traffic is generated, plus the string tables rows index into."""

    config: ScenarioConfig
    seed: int
    start: int
    end: int
    release: int
    sizes: dict[str, Size]
    population_names: tuple[str, ...]
    campaign_names: tuple[str, ...]
    accounts: AccountBlock
    billing: BillingBlock
    world: World
    order: np.ndarray  # output position -> account
    position: np.ndarray  # account -> output position
    n_exchanges: np.ndarray  # per account
    spend: np.ndarray  # USD per account over the window
    batches: tuple[BatchSchedule, ...]
    country_declared: np.ndarray  # bool per account
    account_ids: pa.StringArray  # by account
    ip_text: pa.StringArray
    ip_asn_number: pa.Int64Array
    ip_asn_name: pa.StringArray
    ip_asn_type: pa.StringArray
    ip_reseller: np.ndarray
    client_fp: pa.StringArray
    client_ua: pa.StringArray
    template_base: np.ndarray
    template_capability: np.ndarray
    ip_offsets: np.ndarray
    template_offsets: np.ndarray
    model_names: pa.StringArray  # legacy models, then the new one

    @property
    def new_model(self) -> int:
        """Index of the new model in ``model_names``."""
        return len(self.model_names) - 1


def build_plan(config: ScenarioConfig, seed: int) -> Plan:
    """Decide every account of the scenario for a seed (deterministic)."""
    rng = np.random.default_rng([seed, 0x5EED])
    start = parse_iso(config.window.start)
    end = start + config.window.days * 86_400
    release = start + int(config.models.release_at * config.window.days * 24) * 3_600
    legacy_w = np.array(config.models.legacy_weights, dtype=np.float64)
    world = build_world(rng, config.scale, set(range(len(catalog.COUNTRY_CODES))))
    ctx = BuildContext(rng, world, start, end, release, legacy_w / legacy_w.sum(), config.scale)
    sizes = resolve_sizes(config)
    prepare_shared_pools(ctx, config)
    names = [name for name, _ in config.legit()] + [c.name for c in config.campaigns]
    built: list[Built] = []
    for p, (name, pop) in enumerate(config.legit()):
        n = sizes[name].accounts
        if n == 0:
            built.append(empty_block(ctx, pop, p))
        elif name == "individual":
            built.append(build_individuals(ctx, config.individuals, n, p))
        elif name == "organisation":
            built.append(build_organisations(ctx, config.organisations, n, p, startup=False))
        elif name == "coding_startup":
            built.append(build_organisations(ctx, config.coding_startups, n, p, startup=True))
        elif name == "campus":
            built.append(build_campus(ctx, config.campus, n, p))
        elif name == "vpn":
            built.append(build_vpn(ctx, config.vpn, n, p))
        elif name == "benchmark_researcher":
            built.append(build_benchmark(ctx, config.benchmark_researchers, n, p))
        elif name == "reseller_customer":
            built.append(build_reseller_customers(ctx, config.reseller_customers, n, p))
        elif name == "eval_startup":
            built.append(build_eval_startups(ctx, config.eval_startups, n, p))
        else:
            built.append(build_prompt_collection(ctx, config.prompt_collection, n, p))
    prepare_residential_pool(ctx, config)
    batches = []
    for k, campaign in enumerate(config.campaigns):
        batches.append(batch_schedule(ctx, campaign))
        built.append(build_campaign(ctx, campaign, sizes[campaign.name].accounts, len(config.legit()) + k, k))
    offsets = np.cumsum([0] + [len(b.created_at) for b, _ in built[:-1]]).tolist()
    accounts = concat_blocks([b for b, _ in built])
    billing = concat_billing([bill for _, bill in built], offsets)
    accounts.email = make_unique(rng, accounts.email)
    n_exchanges = _allocate_exchanges(rng, accounts, sizes, names)
    n = len(accounts.created_at)
    order = rng.permutation(n)
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n)
    return Plan(
        config=config, seed=seed, start=start, end=end, release=release, sizes=sizes,
        population_names=tuple(names), campaign_names=tuple(c.name for c in config.campaigns),
        accounts=accounts, billing=billing, world=world, order=order, position=position,
        n_exchanges=n_exchanges, spend=_spend(rng, accounts, n_exchanges), batches=tuple(batches),
        country_declared=rng.random(n) >= UNDECLARED_COUNTRY_SHARE,
        account_ids=opaque_ids(position.astype(np.uint64), derive_key(seed, "account"), "acct_"),
        **_network_tables(rng, world), **_client_tables(world),
        template_base=np.concatenate(world.templates.base),
        template_capability=np.concatenate(world.templates.capability),
        ip_offsets=accounts.ips.offsets(), template_offsets=accounts.templates.offsets(),
        model_names=pa.array([m.name for m in config.models.legacy] + [config.models.new_model], pa.string()),
    )


def _allocate_exchanges(rng: np.random.Generator, accounts: AccountBlock, sizes: dict[str, Size],
                        names: list[str]) -> np.ndarray:
    """Split each population's exchange total over its accounts by volume weight and active time."""
    out = np.zeros(len(accounts.created_at), dtype=np.int64)
    span = np.maximum(accounts.active_to - accounts.active_from, 0).astype(np.float64)
    for p, name in enumerate(names):
        idx = np.flatnonzero(accounts.population == p)
        w = accounts.weight[idx] * span[idx]
        total = sizes[name].exchanges
        if len(idx) == 0 or w.sum() <= 0 or total == 0:
            continue
        out[idx] = rng.multinomial(total, w / w.sum())
    return out


def _spend(rng: np.random.Generator, accounts: AccountBlock, n_exchanges: np.ndarray) -> np.ndarray:
    """Approximate USD spend from exchanges, capability mix and token scale."""
    mix = np.diff(accounts.cap_cdf.astype(np.float64), axis=1, prepend=0.0)
    cost = np.array([
        catalog.CAPABILITY_TOKENS[c][0] * _PRICE_IN + catalog.CAPABILITY_TOKENS[c][1] * _PRICE_OUT
        for c in CAPABILITIES
    ]) * 1.3
    per_exchange = (mix @ cost) * accounts.token_scale
    return n_exchanges * per_exchange * rng.lognormal(0, 0.1, len(n_exchanges))


def _network_tables(rng: np.random.Generator, world: World) -> dict[str, Any]:
    net = world.network
    ip_asn = np.array(net.ip_asn, dtype=np.int64)
    known = rng.random(len(ip_asn)) >= UNKNOWN_IP_INTEL_SHARE
    numbers = np.array(net.asn_number, dtype=np.int64)[ip_asn]
    names = pa.array(net.asn_name, pa.string()).take(ip_asn)
    types = pa.array(net.asn_type, pa.string()).take(ip_asn)
    mask = pa.array(~known)
    return {
        "ip_text": pa.array(net.ip_text, pa.string()),
        "ip_asn_number": pa.array(numbers, pa.int64(), mask=~known),
        "ip_asn_name": pc.if_else(mask, pa.scalar(None, pa.string()), names),
        "ip_asn_type": pc.if_else(mask, pa.scalar("unknown"), types),
        "ip_reseller": np.array(net.ip_reseller, dtype=bool),
    }


def _client_tables(world: World) -> dict[str, Any]:
    clients = world.clients
    hi = np.array(clients.fp_hi, dtype=np.uint64)
    lo = np.array(clients.fp_lo, dtype=np.uint64)
    return {"client_fp": hex_strings(hi, lo), "client_ua": pa.array(clients.user_agent, pa.string())}
