"""The account plan: one row per account with everything needed to generate its traffic later.

Population builders return ``AccountBlock``s (structure of numpy arrays) and ``BillingBlock``s;
``concat_blocks`` joins them into the plan the traffic generator reads chunk by chunk.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from graph.drop.contract import CAPABILITIES
from graph.scenarios import catalog
from graph.scenarios.config import METHODS, PLANS, SCHEDULES, Population, Traffic

STATUS_ACTIVE, STATUS_SUSPENDED, STATUS_BANNED = 0, 1, 2
STATUSES: tuple[str, ...] = ("active", "suspended", "banned")
NO_TIME = np.int64(-1)
DAY = 86_400
HOUR = 3_600


@dataclass
class Ragged:
    """Variable-length lists of int32 per row, stored as lengths plus one flat array."""

    lengths: np.ndarray
    values: np.ndarray

    @staticmethod
    def from_matrix(mat: np.ndarray, lengths: np.ndarray) -> Ragged:
        """Rows of ``mat`` truncated to ``lengths``."""
        mask = np.arange(mat.shape[1])[None, :] < lengths[:, None]
        return Ragged(lengths.astype(np.int32), mat[mask].astype(np.int32))

    @staticmethod
    def concat(parts: list[Ragged]) -> Ragged:
        """Stack ragged arrays row-wise."""
        return Ragged(np.concatenate([p.lengths for p in parts]), np.concatenate([p.values for p in parts]))

    def where(self, keep: np.ndarray) -> Ragged:
        """The same rows, emptied where ``keep`` is false."""
        return Ragged(np.where(keep, self.lengths, 0).astype(np.int32), self.values[np.repeat(keep, self.lengths)])

    def offsets(self) -> np.ndarray:
        """Start of each row in ``values`` (length n + 1)."""
        out = np.zeros(len(self.lengths) + 1, dtype=np.int64)
        np.cumsum(self.lengths, out=out[1:])
        return out


@dataclass
class AccountBlock:
    """Accounts of one population (all arrays have one entry per account)."""

    population: np.ndarray  # int16 index into the plan's population names
    campaign: np.ndarray  # int16 campaign index, -1 for legitimate accounts
    created_at: np.ndarray  # int64 epoch seconds
    country: np.ndarray  # int16 index into catalog.COUNTRY_CODES, -1 = not declared
    tz_minutes: np.ndarray  # int16 offset of the account's local time from UTC
    email: np.ndarray  # object (str)
    org: np.ndarray  # int32 declared organisation, -1 = none
    device: np.ndarray  # int32 sign-up device, -1 = none
    signup_ip: np.ndarray  # int32, -1 = unknown
    plan: np.ndarray  # int8 index into PLANS
    status: np.ndarray  # int8 index into STATUSES
    status_at: np.ndarray  # int64, -1 = never changed
    active_from: np.ndarray  # int64 first second the account may call the API
    active_to: np.ndarray  # int64 last second (window end or enforcement)
    weight: np.ndarray  # float64 relative volume (0 = no traffic)
    ips: Ragged  # addresses the account's sessions come from
    client_a: np.ndarray  # int32 main client build
    client_b: np.ndarray  # int32 second client build
    client_b_share: np.ndarray  # float32 share of sessions on client_b
    keys: np.ndarray  # int8 API keys in use
    cap_cdf: np.ndarray  # float32 (n, len(CAPABILITIES)) cumulative capability mix
    templates: Ragged  # templates the account's prompts come from
    template_share: np.ndarray  # float32 share of exchanges from templates
    elicit_reasoning: np.ndarray  # float32 P(reasoning_elicited | reasoning)
    elicit_other: np.ndarray  # float32 P(reasoning_elicited | other capability)
    token_scale: np.ndarray  # float32
    legacy_model: np.ndarray  # int8 main legacy model
    adopt_at: np.ndarray  # int64 when the move to the new model starts (huge = never)
    adopt_tau: np.ndarray  # float32 seconds, time constant of the move
    adopt_share: np.ndarray  # float32 final share on the new model
    schedule: np.ndarray  # int8 index into SCHEDULES
    weekend: np.ndarray  # float32 relative weekend activity
    batch: np.ndarray  # int16 campaign batch schedule, -1 = none
    batch_share: np.ndarray  # float32 share of sessions started on a batch
    per_session: np.ndarray  # float32 mean exchanges per session
    gap: np.ndarray  # float32 mean seconds between exchanges


@dataclass
class BillingBlock:
    """Billing instruments attached to accounts (one row each)."""

    account: np.ndarray  # int64 account index *within its block* until concatenated
    card: np.ndarray  # int32 payment instrument
    address: np.ndarray  # int32 billing address, -1 = none
    name: np.ndarray  # int32 billing name, -1 = none
    created_at: np.ndarray  # int64
    spend_share: np.ndarray  # float32 share of the account's spend on this instrument


def concat_blocks(blocks: list[AccountBlock]) -> AccountBlock:
    """Join population blocks into one plan."""
    values: dict[str, Any] = {}
    for f in fields(AccountBlock):
        parts = [getattr(b, f.name) for b in blocks]
        values[f.name] = Ragged.concat(parts) if f.name in ("ips", "templates") else np.concatenate(parts)
    return AccountBlock(**values)


def concat_billing(blocks: list[BillingBlock], account_offsets: list[int]) -> BillingBlock:
    """Join billing blocks, turning block-local account numbers into plan-wide ones."""
    return BillingBlock(
        account=np.concatenate([b.account + off for b, off in zip(blocks, account_offsets, strict=True)]),
        card=np.concatenate([b.card for b in blocks]),
        address=np.concatenate([b.address for b in blocks]),
        name=np.concatenate([b.name for b in blocks]),
        created_at=np.concatenate([b.created_at for b in blocks]),
        spend_share=np.concatenate([b.spend_share for b in blocks]),
    )


# --- helpers shared by the population builders --------------------------------------------------


def pick(rng: np.random.Generator, weights: dict[str, float], order: tuple[str, ...], n: int) -> np.ndarray:
    """Draw n indexes into ``order`` with the given (unnormalised) weights."""
    w = np.array([weights.get(k, 0.0) for k in order], dtype=np.float64)
    return rng.choice(len(order), size=n, p=w / w.sum()).astype(np.int16)


def pick_countries(rng: np.random.Generator, mix: dict[str, float], n: int) -> np.ndarray:
    """Declared countries from a mix (empty = default world mix)."""
    if not mix:
        mix = {code: spec[0] for code, spec in catalog.COUNTRIES.items()}
    return pick(rng, mix, catalog.COUNTRY_CODES, n)


def tz_for(rng: np.random.Generator, countries: np.ndarray) -> np.ndarray:
    """A plausible UTC offset (minutes) for each country (a random one of its zones)."""
    out = np.zeros(len(countries), dtype=np.int16)
    u = rng.random(len(countries))
    for c in np.unique(countries).tolist():
        zones = catalog.COUNTRIES[catalog.COUNTRY_CODES[c]][1]
        sel = countries == c
        out[sel] = np.array(zones)[(u[sel] * len(zones)).astype(int)] * 60
    return out


def capability_cdf(rng: np.random.Generator, traffic: Traffic, n: int) -> np.ndarray:
    """Per-account cumulative capability mixes drawn around the population mix."""
    mix = np.array([traffic.capabilities.get(c, 0.0) for c in CAPABILITIES], dtype=np.float64)
    mix = mix / mix.sum()
    alpha = np.maximum(mix * traffic.capability_concentration, 1e-3)
    draws = rng.dirichlet(alpha, size=n) if n else np.zeros((0, len(CAPABILITIES)))
    draws = np.where(mix[None, :] > 0, draws, 0.0) + 1e-12
    cdf = np.cumsum(draws / draws.sum(axis=1, keepdims=True), axis=1)
    cdf[:, -1] = 1.0
    return cdf.astype(np.float32)


def adoption(
    rng: np.random.Generator, traffic: Traffic, n: int, release: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Slow, staggered move to the new model: (start, time constant, final share) per account."""
    start = release + (rng.exponential(traffic.adoption_delay_days * DAY, size=n)).astype(np.int64)
    never = rng.random(n) < traffic.never_adopt_share
    start = np.where(never, np.iinfo(np.int64).max // 4, start)
    tau = (traffic.adoption_ramp_days * DAY * rng.uniform(0.5, 1.5, size=n)).astype(np.float32)
    share = np.clip(rng.normal(traffic.adoption_share, 0.15, size=n), 0.05, 0.98).astype(np.float32)
    return start, tau, share


def signup_times(
    rng: np.random.Generator, pop: Population, n: int, start: int, end: int, not_before: np.ndarray | None = None
) -> np.ndarray:
    """Sign-up times: mostly before the window, some inside it. Account age before the window has a
    linearly falling density (steady growth), so sign-ups never bunch up at the window start."""
    age = pop.signup_days_before * DAY * (1.0 - np.sqrt(1.0 - rng.random(n)))
    before = start - age.astype(np.int64) - 60
    inside = rng.integers(start, end - 6 * HOUR, size=n)
    created = np.where(rng.random(n) < pop.signup_in_window_share, inside, before)
    if not_before is not None:
        created = np.maximum(created, not_before + rng.integers(HOUR, 30 * DAY, size=n))
        created = np.minimum(created, end - 6 * HOUR)
    return created


def enforcement(
    rng: np.random.Generator, pop: Population, created: np.ndarray, start: int, end: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ordinary suspensions and bans: (status, status_at, active_to)."""
    n = len(created)
    u = rng.random(n)
    status = np.where(u < pop.banned_share, STATUS_BANNED, np.where(u < pop.banned_share + pop.suspended_share,
                                                                     STATUS_SUSPENDED, STATUS_ACTIVE))
    lo = np.maximum(created + HOUR, start - 60 * DAY)
    at = lo + (rng.random(n) * np.maximum(end - HOUR - lo, 1)).astype(np.int64)
    status_at = np.where(status > 0, at, NO_TIME)
    active_to = np.where(status > 0, np.minimum(at, end), end)
    return status.astype(np.int8), status_at.astype(np.int64), active_to.astype(np.int64)


def traffic_columns(
    rng: np.random.Generator, traffic: Traffic, n: int, legacy_weights: np.ndarray, release: int
) -> dict[str, np.ndarray]:
    """The behavioural columns every population fills the same way from its ``Traffic``."""
    start, tau, share = adoption(rng, traffic, n, release)
    weight = rng.lognormal(0.0, traffic.volume_sigma, size=n)
    weight = np.where(rng.random(n) < traffic.inactive_share, 0.0, weight)
    return {
        "cap_cdf": capability_cdf(rng, traffic, n),
        "elicit_reasoning": np.clip(rng.normal(traffic.reasoning_elicited, 0.05, n), 0, 1).astype(np.float32),
        "elicit_other": np.full(n, traffic.elicited_other, dtype=np.float32),
        "token_scale": (traffic.token_scale * rng.lognormal(0, 0.25, n)).astype(np.float32),
        "legacy_model": rng.choice(len(legacy_weights), size=n, p=legacy_weights).astype(np.int8),
        "adopt_at": start,
        "adopt_tau": tau,
        "adopt_share": share,
        "schedule": np.full(n, SCHEDULES.index(traffic.schedule), dtype=np.int8),
        "weekend": np.full(n, traffic.weekend_activity, dtype=np.float32),
        "batch": np.full(n, -1, dtype=np.int16),
        "batch_share": np.zeros(n, dtype=np.float32),
        "per_session": (traffic.exchanges_per_session * rng.lognormal(0, 0.3, n)).astype(np.float32),
        "gap": (traffic.seconds_between_exchanges * rng.lognormal(0, 0.3, n)).astype(np.float32),
        "weight": weight,
        "keys": rng.integers(1, 4, size=n).astype(np.int8),
    }


def plan_indexes(rng: np.random.Generator, pop: Population, n: int) -> np.ndarray:
    """Plans drawn from the population's mix."""
    return pick(rng, pop.plans, PLANS, n).astype(np.int8)


def method_indexes(rng: np.random.Generator, pop: Population, n: int) -> np.ndarray:
    """Payment methods drawn from the population's mix."""
    return pick(rng, pop.card_methods, METHODS, n).astype(np.int8)


def sample_rows(
    rng: np.random.Generator, pool: np.ndarray, n: int, k_max: int, k_min: int = 1, share: float = 1.0
) -> Ragged:
    """For a share of n accounts, between k_min and k_max entries of ``pool`` (others get none)."""
    k_max = max(1, min(k_max, len(pool)))
    k_min = min(k_min, k_max)
    lengths = rng.integers(k_min, k_max + 1, size=n)
    if share < 1.0:
        lengths = np.where(rng.random(n) < share, lengths, 0)
    mat = pool[rng.integers(0, len(pool), size=(n, k_max))]
    return Ragged.from_matrix(mat, lengths)


def join_ragged(*parts: Ragged) -> Ragged:
    """Row-wise union of several ragged arrays with the same number of rows."""
    n = len(parts[0].lengths)
    lengths = sum((p.lengths.astype(np.int64) for p in parts), np.zeros(n, dtype=np.int64))
    width = int(max((p.lengths.max() if n else 0) for p in parts)) if n else 0
    mats = []
    for p in parts:
        mat = np.full((n, max(width, 1)), -1, dtype=np.int32)
        offs = p.offsets()
        row = np.repeat(np.arange(n), p.lengths)
        col = np.arange(len(p.values)) - offs[row]
        mat[row, col] = p.values
        mats.append(mat)
    stacked = np.concatenate(mats, axis=1)
    return Ragged(lengths.astype(np.int32), stacked[stacked >= 0].astype(np.int32))


def single(values: np.ndarray, present: np.ndarray | None = None) -> Ragged:
    """A ragged array with one entry per row (or none where ``present`` is false)."""
    if present is None:
        return Ragged(np.ones(len(values), dtype=np.int32), values.astype(np.int32))
    return Ragged(present.astype(np.int32), values[present].astype(np.int32))


def gather_ragged(r: Ragged, rows: np.ndarray) -> Ragged:
    """The ragged rows ``rows`` of ``r``, in that order (rows may repeat)."""
    offs = r.offsets()
    lengths = r.lengths[rows].astype(np.int64)
    total = int(lengths.sum())
    starts = np.repeat(offs[rows], lengths)
    within = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return Ragged(lengths.astype(np.int32), r.values[starts + within].astype(np.int32))


def group_sizes(rng: np.random.Generator, n: int, groups: int, minimum: int = 1, sigma: float = 0.8) -> np.ndarray:
    """Split n members into ``groups`` groups of at least ``minimum``, sizes skewed log-normally."""
    groups = max(1, min(groups, n // max(minimum, 1)))
    base = np.full(groups, minimum, dtype=np.int64)
    rest = n - int(base.sum())
    w = rng.lognormal(0, sigma, size=groups)
    return base + rng.multinomial(rest, w / w.sum())
