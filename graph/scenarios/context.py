"""What every population builder needs: the world, the window, and block and billing assembly."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from graph.drop.contract import CAPABILITIES
from graph.scenarios.accounts import (
    DAY,
    HOUR,
    AccountBlock,
    BillingBlock,
    Ragged,
    method_indexes,
    pick,
    traffic_columns,
)
from graph.scenarios.config import Population, Traffic
from graph.scenarios.world import World

Built = tuple[AccountBlock, BillingBlock]
"""What a population builder returns: its accounts and their billing instruments."""


@dataclass
class BuildContext:
    """Shared state while planning accounts."""

    rng: np.random.Generator
    world: World
    start: int  # window start, epoch seconds
    end: int  # window end (exclusive)
    release: int  # new model release
    legacy_weights: np.ndarray
    scale: float

    def scaled(self, count: float, minimum: int) -> int:
        """A scale-1 count at the configured scale, with a floor."""
        return max(minimum, round(count * self.scale))


def make_block(ctx: BuildContext, population: int, traffic: Traffic, n: int, **columns: Any) -> AccountBlock:
    """An ``AccountBlock`` from explicit columns plus behavioural defaults drawn from ``traffic``."""
    values: dict[str, Any] = traffic_columns(ctx.rng, traffic, n, ctx.legacy_weights, ctx.release)
    values.update(columns)
    values.setdefault("population", np.full(n, population, dtype=np.int16))
    values.setdefault("campaign", np.full(n, -1, dtype=np.int16))
    values.setdefault("org", np.full(n, -1, dtype=np.int32))
    values["active_from"] = np.maximum(values["created_at"], ctx.start)
    values["weight"] = np.where(values["active_to"] - values["active_from"] > HOUR, values["weight"], 0.0)
    missing = {f.name for f in fields(AccountBlock)} - set(values)
    if missing:
        raise ValueError(f"population block is missing {sorted(missing)}")
    return AccountBlock(**values)


def attach_time(ctx: BuildContext, created: np.ndarray) -> np.ndarray:
    """When an instrument was attached: soon after sign-up, never after the window."""
    attached = created + ctx.rng.integers(60, 3 * DAY, size=len(created))
    return np.minimum(attached, np.maximum(created, ctx.end - HOUR)).astype(np.int64)


def billing_rows(
    ctx: BuildContext,
    accounts: np.ndarray,
    cards: np.ndarray,
    addresses: np.ndarray,
    names: np.ndarray,
    created: np.ndarray,
    spend_share: np.ndarray | float = 1.0,
) -> BillingBlock:
    """Billing rows for the given block-local accounts and their account creation times."""
    n = len(accounts)
    return BillingBlock(
        account=np.asarray(accounts, dtype=np.int64),
        card=np.asarray(cards, dtype=np.int32),
        address=np.asarray(addresses, dtype=np.int32),
        name=np.asarray(names, dtype=np.int32),
        created_at=attach_time(ctx, created),
        spend_share=np.broadcast_to(np.asarray(spend_share, dtype=np.float32), (n,)).copy(),
    )


def issuer_countries(ctx: BuildContext, countries: np.ndarray, mismatch: float) -> np.ndarray:
    """Issuer country = billing country, except a share issued elsewhere."""
    other = ctx.rng.integers(0, 26, size=len(countries)).astype(np.int16)
    return np.where(ctx.rng.random(len(countries)) < mismatch, other, countries).astype(np.int16)


def own_billing(
    ctx: BuildContext, pop: Population, accounts: np.ndarray, countries: np.ndarray, created: np.ndarray
) -> BillingBlock:
    """Each paying account on its own card, name and address (and a second card for some)."""
    world, rng = ctx.world, ctx.rng
    n = len(accounts)
    countries = np.where(countries < 0, 0, countries).astype(np.int16)
    cards = world.cards.add(method_indexes(rng, pop, n), issuer_countries(ctx, countries, 0.03))
    addresses = world.addresses.add(countries)
    names = world.names.add(n)
    two = rng.random(n) < pop.second_instrument_share
    first = billing_rows(ctx, accounts, cards, addresses, names, created, np.where(two, 0.8, 1.0))
    k = int(two.sum())
    cards2 = world.cards.add(method_indexes(rng, pop, k), issuer_countries(ctx, countries[two], 0.03))
    second = billing_rows(ctx, accounts[two], cards2, addresses[two], names[two], created[two], 0.2)
    return join_billing(first, second)


def join_billing(*parts: BillingBlock) -> BillingBlock:
    """Concatenate billing blocks of the same population block."""
    return BillingBlock(**{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(BillingBlock)})


def empty_ragged(n: int) -> Ragged:
    """A ragged array with no entries in any of its n rows."""
    return Ragged(np.zeros(n, dtype=np.int32), np.zeros(0, dtype=np.int32))


def new_templates(ctx: BuildContext, pop: Population, n: int) -> np.ndarray:
    """n new prompt templates whose capabilities follow the population's mix."""
    caps = pick(ctx.rng, pop.traffic.capabilities, CAPABILITIES, n)
    return ctx.world.templates.add(caps)
