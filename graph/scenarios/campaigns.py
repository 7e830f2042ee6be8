"""Coordinated campaigns: many ordinary-looking accounts linked only by several weak signals.

Tradecraft (each knob in ``config.Campaign``): sign-up bursts, reused sign-up devices and drop
billing addresses, cards shared by a few accounts, prepaid and virtual cards, egress through
rented cloud addresses, the reseller's gateway, residential proxies and VPN exits (all shared
with legitimate users), synchronised round-the-clock batches, a few prompt templates mixed with
unique prompts, a narrow capability focus, bans answered within hours by replacement accounts
that reuse the banned account's card or device, a quick move to the new model, and quiet
camouflage accounts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from graph.scenarios import catalog
from graph.scenarios.accounts import (
    HOUR,
    NO_TIME,
    STATUS_ACTIVE,
    STATUS_BANNED,
    STATUS_SUSPENDED,
    AccountBlock,
    BillingBlock,
    Ragged,
    capability_cdf,
    group_sizes,
    join_ragged,
    method_indexes,
    pick,
    pick_countries,
    plan_indexes,
    sample_rows,
    single,
    tz_for,
)
from graph.scenarios.config import EGRESS_KINDS, SCHEDULES, Campaign, Traffic
from graph.scenarios.context import (
    BuildContext,
    Built,
    billing_rows,
    issuer_countries,
    join_billing,
    make_block,
    new_templates,
)
from graph.scenarios.identity import claim_domains, emails, mixed_domains, own_domains

DAY = 86_400


@dataclass(frozen=True)
class BatchSchedule:
    """A campaign's synchronised batch clock: sessions start at phase + k * interval (+ jitter)."""

    phase: int
    interval: int
    jitter: int


def batch_schedule(ctx: BuildContext, cfg: Campaign) -> BatchSchedule:
    """A campaign's batch clock with a random phase."""
    interval = max(60, int(cfg.batch_interval_minutes * 60))
    return BatchSchedule(int(ctx.rng.integers(0, interval)), interval, max(1, int(cfg.batch_jitter_minutes * 60)))


@dataclass
class Timeline:
    """Sign-up, ban and hydra parent of every account of one campaign."""

    created: np.ndarray
    ban_at: np.ndarray  # -1 = not banned
    parent: np.ndarray  # the banned account this one replaces, -1 = none


def _first_generation(ctx: BuildContext, cfg: Campaign, n: int) -> np.ndarray:
    """Sign-ups in bursts (most) and aged accounts created long before."""
    rng = ctx.rng
    days = (ctx.end - ctx.start) / DAY
    bursts = max(1, min(cfg.signup_bursts, n // 8))
    centres = ctx.start + rng.uniform(-cfg.burst_lead_days, 0.6 * days, size=bursts) * DAY
    burst = centres[rng.integers(0, len(centres), size=n)] + rng.random(n) * cfg.burst_hours * HOUR
    aged = ctx.start - rng.random(n) * cfg.signup_days_before * DAY - HOUR
    created = np.where(rng.random(n) < cfg.burst_share, burst, aged)
    return np.minimum(created, ctx.end - 12 * HOUR).astype(np.int64)


def hydra_timeline(ctx: BuildContext, cfg: Campaign, n: int) -> Timeline:
    """Generations of accounts: bans during the window, each mostly answered by a replacement.

    A fresh generation is sized so that it and its expected replacements fill what is left of
    the campaign's ``n`` accounts; when a replacement chain dies out early, another one starts.
    """
    rng = ctx.rng
    q = cfg.banned_share * cfg.replacement_share
    created_parts, ban_parts, parent_parts = [], [], []
    gen_created = np.zeros(0, dtype=np.int64)
    gen_parent = np.zeros(0, dtype=np.int64)
    offset = 0
    while offset < n:
        if not len(gen_created):
            fresh = max(1, round((n - offset) * (1 - q)))
            gen_created = _first_generation(ctx, cfg, fresh)
            gen_parent = np.full(fresh, -1, dtype=np.int64)
        m = len(gen_created)
        lo = np.maximum(gen_created, ctx.start) + 12 * HOUR
        hi = ctx.end - 2 * HOUR
        banned = (lo < hi) & (rng.random(m) < cfg.banned_share)
        ban = np.where(banned, lo + (rng.random(m) * np.maximum(hi - lo, 0)).astype(np.int64), -1)
        created_parts.append(gen_created)
        ban_parts.append(ban)
        parent_parts.append(gen_parent)
        delay = np.minimum(rng.exponential(cfg.replacement_delay_hours * HOUR, m), 20 * HOUR) + 600
        rep_created = (ban + delay).astype(np.int64)
        rep = banned & (rng.random(m) < cfg.replacement_share) & (rep_created < ctx.end - HOUR)
        idx = np.flatnonzero(rep)[: max(0, n - offset - m)]
        gen_created, gen_parent = rep_created[idx], offset + idx
        offset += m
    return Timeline(np.concatenate(created_parts)[:n], np.concatenate(ban_parts)[:n], np.concatenate(parent_parts)[:n])


def _egress(ctx: BuildContext, cfg: Campaign, country: np.ndarray) -> tuple[Ragged, np.ndarray]:
    """Each account's address rotation across one or two egress kinds, and its sign-up address."""
    rng, world, net = ctx.rng, ctx.world, ctx.world.network
    n = len(country)
    primary = pick(rng, cfg.egress, EGRESS_KINDS, n)
    secondary = np.where(rng.random(n) < 0.3, pick(rng, cfg.egress, EGRESS_KINDS, n), primary)
    n_cloud = ctx.scaled(cfg.cloud_ips, 6)
    hosts = rng.choice(len(world.hosting), size=min(3, len(world.hosting)), replace=False)
    per_asn = group_sizes(rng, n_cloud, len(hosts), minimum=1)
    cloud = np.concatenate([net.allocate(world.hosting[int(h)], int(k)) for h, k in zip(hosts, per_asn, strict=True)])
    pools = {
        "cloud": (cloud, 1, 3),
        "reseller": (world.reseller_ips, 1, 3),
        "residential_proxy": (world.residential_ips, 2, max(2, cfg.ips_per_account)),
        "vpn": (world.vpn_ips, 1, 3),
    }
    parts = []
    for k, kind in enumerate(EGRESS_KINDS):
        if kind in pools:
            pool, lo, hi = pools[kind]
            parts.append(sample_rows(rng, pool, n, hi, lo).where((primary == k) | (secondary == k)))
    home = (primary == _HOME) | (secondary == _HOME)
    if home.any():  # drawn only when asked for, so scenarios without it keep their bytes
        parts.append(_home_lines(ctx, country, home))
    ips = join_ragged(*parts)
    first = ips.values[ips.offsets()[:-1]]
    proxied = world.residential_ips[rng.integers(0, len(world.residential_ips), size=n)]
    signup = np.where(rng.random(n) < cfg.signup_via_proxy_share, proxied, first).astype(np.int32)
    return ips, signup


def _home_lines(ctx: BuildContext, country: np.ndarray, home: np.ndarray) -> Ragged:
    """Each selected account's own home line (shared with nobody), plus a carrier-NAT address for some."""
    n = len(country)
    own = np.full(n, -1, dtype=np.int32)
    own[home] = ctx.world.home_ip(country[home])
    mobile = np.where(home & (ctx.rng.random(n) < 0.4), ctx.world.mobile_ip(country), -1).astype(np.int32)
    return join_ragged(single(own, home), single(mobile, mobile >= 0))


_HOME = EGRESS_KINDS.index("home")


def _template_sets(ctx: BuildContext, cfg: Campaign, n: int) -> Ragged:
    """The campaign's templates per account: half to all of them, or a slice of ``templates_per_account``
    consecutive ones (wrapping round) from a random start, so the accounts share the set out between them."""
    rng = ctx.rng
    tpl = new_templates(ctx, cfg, max(1, cfg.templates))
    if cfg.templates_per_account <= 0:
        return sample_rows(rng, tpl, n, len(tpl), max(2, len(tpl) // 2))
    k = min(cfg.templates_per_account, len(tpl))
    start = rng.integers(0, len(tpl), size=n)
    mat = tpl[(start[:, None] + np.arange(k)[None, :]) % len(tpl)]
    return Ragged.from_matrix(mat, np.full(n, k))


def _devices(ctx: BuildContext, cfg: Campaign, n: int) -> np.ndarray:
    """Sign-up devices: some shared by several accounts, the rest one each (a few unknown)."""
    rng, devices = ctx.rng, ctx.world.devices
    own = devices.add(n)
    reuse = rng.random(n) < cfg.device_reuse_share
    shared = devices.add(max(1, round(reuse.sum() / max(cfg.accounts_per_device, 1.0))))
    out = np.where(reuse, shared[rng.integers(0, len(shared), size=n)], own)
    missing = ~reuse & (rng.random(n) < cfg.no_signup_fingerprint_share)
    return np.where(missing, -1, out).astype(np.int32)


def build_campaign(ctx: BuildContext, cfg: Campaign, n: int, pop: int, campaign: int) -> Built:
    """Plan one campaign's accounts and billing."""
    rng, world = ctx.rng, ctx.world
    tl = hydra_timeline(ctx, cfg, n)
    n = len(tl.created)
    camo = rng.random(n) < cfg.camouflage_share
    country = pick_countries(rng, cfg.countries, n)
    u = rng.random(n)
    suspended = (tl.ban_at < 0) & (u < cfg.suspended_share)
    sus_at = np.maximum(tl.created, ctx.start) + (rng.random(n) * (ctx.end - np.maximum(tl.created, ctx.start))).astype(np.int64)
    status = np.where(tl.ban_at >= 0, STATUS_BANNED, np.where(suspended, STATUS_SUSPENDED, STATUS_ACTIVE)).astype(np.int8)
    status_at = np.where(tl.ban_at >= 0, tl.ban_at, np.where(suspended, sus_at, NO_TIME)).astype(np.int64)
    active_to = np.where(status > 0, status_at, ctx.end).astype(np.int64)
    ips, signup_ip = _egress(ctx, cfg, np.where(country < 0, 0, country))
    pool = claim_domains(own_domains(rng, cfg.email_domains), world.domains) if cfg.email_domains > 0 else None
    email = np.array(emails(rng, mixed_domains(rng, n, cfg.own_domain_share, pool)), dtype=object)
    builds = [world.clients.add(catalog.CAMPAIGN_CLIENT_UAS[int(i)])
              for i in rng.choice(len(catalog.CAMPAIGN_CLIENT_UAS), size=2, replace=False)]
    custom = rng.random(n) < cfg.custom_client_share
    client_b = np.where(custom, np.array(builds)[rng.integers(0, 2, size=n)], world.popular_client(n, api_only=True))
    templates = _template_sets(ctx, cfg, n)
    public = sample_rows(rng, world.public_templates, n, 3, 1, share=0.5)
    templates = join_ragged(templates, public.where(camo))  # camouflage also copies public prompts
    plan = plan_indexes(rng, cfg, n)
    block = make_block(
        ctx, pop, cfg.traffic, n, campaign=np.full(n, campaign, dtype=np.int16), country=country,
        tz_minutes=tz_for(rng, country), created_at=tl.created, email=email, device=_devices(ctx, cfg, n),
        signup_ip=signup_ip, plan=plan, status=status, status_at=status_at, active_to=active_to, ips=ips,
        client_a=world.popular_client(n, api_only=True), client_b=client_b.astype(np.int32),
        client_b_share=np.where(custom, rng.uniform(0.3, 0.8, n), rng.uniform(0, 0.3, n)).astype(np.float32),
        templates=templates,
        template_share=(cfg.traffic.template_share * rng.uniform(0.8, 1.1, n) * np.where(camo, 0.3, 1.0)).astype(np.float32),
    )
    _tradecraft_traffic(ctx, cfg, block, camo, campaign)
    return block, _billing(ctx, cfg, block, tl)


def _tradecraft_traffic(ctx: BuildContext, cfg: Campaign, b: AccountBlock, camo: np.ndarray, campaign: int) -> None:
    """Synchronised batches, flagship legacy model, quick pivot; camouflage accounts look human."""
    rng = ctx.rng
    n = len(camo)
    active = ~camo
    b.batch[active] = campaign
    b.batch_share[:] = np.where(active, np.clip(cfg.batch_share * rng.uniform(0.8, 1.2, n), 0, 1), 0)
    flagship = len(ctx.legacy_weights) - 1
    b.legacy_model[:] = np.where(rng.random(n) < 0.8, flagship, b.legacy_model)
    pivot = active & (rng.random(n) < cfg.pivot_share)
    spread = max(1, int(cfg.pivot_spread_hours * HOUR))
    start = ctx.release + int(cfg.pivot_delay_hours * HOUR) + rng.integers(0, spread, size=n)
    b.adopt_at[:] = np.where(pivot, start, b.adopt_at)
    b.adopt_tau[:] = np.where(pivot, 1800.0, b.adopt_tau)
    b.adopt_share[:] = np.where(pivot, cfg.pivot_model_share * rng.uniform(0.92, 1.0, n), b.adopt_share)
    k = int(camo.sum())
    if k:
        b.cap_cdf[camo] = capability_cdf(rng, _CAMOUFLAGE, k)
        b.schedule[camo] = SCHEDULES.index("diurnal")
        b.weight[camo] *= cfg.camouflage_volume
        b.per_session[camo] = (6.0 * rng.lognormal(0, 0.3, k)).astype(np.float32)
        b.gap[camo] = (45.0 * rng.lognormal(0, 0.3, k)).astype(np.float32)
        b.elicit_reasoning[camo] = 0.15
        b.elicit_other[camo] = 0.01


_CAMOUFLAGE = Traffic(
    capabilities={"chat": 0.25, "coding": 0.2, "writing": 0.2, "analysis": 0.15, "reasoning": 0.1, "other": 0.1},
    capability_concentration=2.5,
)


def _billing(ctx: BuildContext, cfg: Campaign, block: AccountBlock, tl: Timeline) -> BillingBlock:
    """Cards shared by a few accounts, prepaid and virtual cards, drop addresses, and replacements
    that attach the banned account's card or sign up from its device."""
    rng, world = ctx.rng, ctx.world
    country = block.country
    n = len(country)
    replacement = tl.parent >= 0
    reuse_card = replacement & (rng.random(n) < cfg.replacement_card_reuse)
    reuse_device = replacement & (rng.random(n) < cfg.replacement_device_reuse)
    payers = np.flatnonzero((block.plan > 0) & ~reuse_card)
    sharing = rng.permutation(payers[rng.random(len(payers)) < cfg.card_sharing_share])
    if len(sharing) < 2:
        sharing = sharing[:0]
    solo = np.setdiff1d(payers, sharing)
    sizes = group_sizes(rng, len(sharing), max(1, round(len(sharing) / cfg.accounts_per_card)), minimum=2) \
        if len(sharing) else np.zeros(0, dtype=np.int64)
    accounts = np.concatenate([sharing, solo]).astype(np.int64)
    card_of_row = np.concatenate([np.repeat(np.arange(len(sizes)), sizes), len(sizes) + np.arange(len(solo))])
    n_cards = len(sizes) + len(solo)
    holder_country = np.zeros(n_cards, dtype=np.int16)
    holder_country[card_of_row] = country[accounts]
    cards = world.cards.add(method_indexes(rng, cfg, n_cards),
                            issuer_countries(ctx, holder_country, cfg.country_mismatch_share))
    names = world.names.add(n_cards)
    drop = rng.random(len(accounts)) < cfg.drop_address_share
    n_drop = max(1, round(int(drop.sum()) / max(cfg.accounts_per_drop_address, 1.0)))
    drop_addresses = world.addresses.add(pick_countries(rng, cfg.countries, n_drop))
    addresses = np.where(drop, drop_addresses[rng.integers(0, n_drop, size=len(accounts))],
                         world.addresses.add(country[accounts]))
    two = rng.random(len(accounts)) < cfg.second_instrument_share
    first = billing_rows(ctx, accounts, cards[card_of_row], addresses, names[card_of_row],
                         block.created_at[accounts], np.where(two, 0.8, 1.0))
    extra_cards = world.cards.add(method_indexes(rng, cfg, int(two.sum())),
                                  issuer_countries(ctx, country[accounts[two]], cfg.country_mismatch_share))
    second = billing_rows(ctx, accounts[two], extra_cards, addresses[two], world.names.add(int(two.sum())),
                          block.created_at[accounts[two]], 0.2)
    held = {int(a): (int(c), int(ad), int(nm)) for a, c, ad, nm in
            zip(first.account, first.card, first.address, first.name, strict=True)}
    hydra_rows: list[tuple[int, int, int, int]] = []
    for child in np.flatnonzero(replacement).tolist():
        parent = int(tl.parent[child])
        inherited = held.get(parent)
        by_card = bool(reuse_card[child]) and inherited is not None
        by_device = bool(reuse_device[child]) or inherited is None
        if not by_card and not by_device:
            by_card = True
        if by_device:
            if block.device[parent] >= 0:
                block.device[child] = block.device[parent]
            elif inherited is not None:
                by_card = True
        if by_card and inherited is not None:
            block.plan[child] = max(int(block.plan[child]), int(block.plan[parent]), 1)
        elif reuse_card[child] and block.plan[child] > 0:
            # asked to reuse a card the parent never had: pays with a card of its own
            own_card = world.cards.add(method_indexes(rng, cfg, 1), country[child:child + 1])
            inherited = (int(own_card[0]), int(world.addresses.add(country[child:child + 1])[0]),
                         int(world.names.add(1)[0]))
        else:
            continue
        held[child] = inherited
        hydra_rows.append((child, *inherited))
    rows = np.array(hydra_rows, dtype=np.int64).reshape(-1, 4)
    hydra = billing_rows(ctx, rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3], block.created_at[rows[:, 0]])
    return join_billing(first, second, hydra)
