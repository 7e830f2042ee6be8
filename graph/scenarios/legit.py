"""Legitimate populations, including the hard negatives that share infrastructure innocently."""

from __future__ import annotations

import numpy as np

from graph.scenarios import catalog
from graph.scenarios.accounts import (
    BillingBlock,
    Ragged,
    enforcement,
    gather_ragged,
    group_sizes,
    join_ragged,
    pick,
    pick_countries,
    plan_indexes,
    sample_rows,
    signup_times,
    single,
    tz_for,
)
from graph.scenarios.config import (
    METHODS,
    BenchmarkResearchers,
    Campus,
    Individuals,
    Organisations,
    Population,
    ResellerCustomers,
    ScenarioConfig,
    VpnUsers,
)
from graph.scenarios.context import (
    BuildContext,
    Built,
    billing_rows,
    empty_ragged,
    join_billing,
    make_block,
    new_templates,
    own_billing,
)
from graph.scenarios.identity import claim_domains, company_domains, emails, mixed_domains


def prepare_shared_pools(ctx: BuildContext, config: ScenarioConfig) -> None:
    """Infrastructure legitimate users and campaigns both use: the reseller's gateway and VPN exits."""
    world, net = ctx.world, ctx.world.network
    world.reseller_ips = net.allocate(
        world.hosting[0], ctx.scaled(config.reseller_customers.egress_ips, 8), reseller=True
    )
    world.reseller_client = world.clients.add(catalog.RESELLER_UA)
    world.eval_client = world.clients.add(catalog.EVAL_HARNESS_UA)
    vpn = config.vpn
    providers = max(1, vpn.providers)
    exits = group_sizes(ctx.rng, ctx.scaled(vpn.exit_ips, 6 * providers), providers, minimum=6)
    asns = [world.proxies[p % len(world.proxies)] if p < providers - 1 or providers == 1 else world.hosting[4]
            for p in range(providers)]
    pools = [net.allocate(asn, int(k), v6_share=0.05) for asn, k in zip(asns, exits, strict=True)]
    world.vpn_ips = np.concatenate(pools)
    world.vpn_provider = np.repeat(np.arange(providers), exits).astype(np.int32)


def prepare_residential_pool(ctx: BuildContext, config: ScenarioConfig) -> None:
    """Residential proxy exits: fresh home-ISP addresses plus some real customers' home lines."""
    world, rng = ctx.world, ctx.rng
    size = ctx.scaled(config.residential_proxy_ips, 200)
    homes = np.concatenate(world.home_ips) if world.home_ips else np.zeros(0, dtype=np.int32)
    shared = min(len(homes), round(size * config.residential_shared_share))
    borrowed = rng.choice(homes, size=shared, replace=False) if shared else np.zeros(0, dtype=np.int32)
    fresh = world.home_ip(pick_countries(rng, {}, size - shared))
    world.residential_ips = rng.permutation(np.concatenate([borrowed, fresh]).astype(np.int32))


def common_columns(ctx: BuildContext, pop: Population, n: int, countries: np.ndarray | None = None,
            not_before: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Country, time zone, sign-up, enforcement, device and plan columns drawn the usual way."""
    rng = ctx.rng
    country = pick_countries(rng, pop.countries, n) if countries is None else countries.astype(np.int16)
    created = signup_times(rng, pop, n, ctx.start, ctx.end, not_before)
    status, status_at, active_to = enforcement(rng, pop, created, ctx.start, ctx.end)
    device = ctx.world.devices.add(n)
    device = np.where(rng.random(n) < pop.no_signup_fingerprint_share, -1, device).astype(np.int32)
    return {
        "country": country, "tz_minutes": tz_for(rng, country), "created_at": created, "status": status,
        "status_at": status_at, "active_to": active_to, "device": device, "plan": plan_indexes(rng, pop, n),
    }


def mobile_lines(ctx: BuildContext, country: np.ndarray, share: float, k_max: int = 3) -> Ragged:
    """0..k_max carrier-NAT addresses for a share of accounts."""
    n = len(country)
    mat = np.stack([ctx.world.mobile_ip(country) for _ in range(k_max)], axis=1)
    lengths = np.where(ctx.rng.random(n) < share, ctx.rng.integers(1, k_max + 1, size=n), 0)
    return Ragged.from_matrix(mat, lengths)


def optional_home(ctx: BuildContext, country: np.ndarray, share: float) -> Ragged:
    """A home line for a share of accounts."""
    present = ctx.rng.random(len(country)) < share
    values = np.full(len(country), -1, dtype=np.int32)
    if present.any():
        values[present] = ctx.world.home_ip(country[present])
    return single(values, present)


def template_shares(ctx: BuildContext, pop: Population, n: int, has_own: np.ndarray | None = None) -> np.ndarray:
    """Per-account share of templated exchanges: own templates (where ``has_own``) plus public prompts."""
    own = pop.traffic.template_share * (np.ones(n) if has_own is None else has_own)
    return np.clip((own + pop.traffic.public_template_share) * ctx.rng.uniform(0.5, 1.5, n), 0, 0.97).astype(
        np.float32
    )


def client_columns(ctx: BuildContext, n: int, main: np.ndarray | None = None, b_max: float = 0.4) -> dict[str, np.ndarray]:
    """Main client build (popular unless given), a second popular API client and its share of sessions."""
    world, rng = ctx.world, ctx.rng
    return {
        "client_a": world.popular_client(n) if main is None else main.astype(np.int32),
        "client_b": world.popular_client(n, api_only=True).astype(np.int32),
        "client_b_share": rng.uniform(0, b_max, n).astype(np.float32),
    }


def paying_rows(cols: dict[str, np.ndarray]) -> np.ndarray:
    """Accounts on a paid plan (they get billing instruments)."""
    return np.flatnonzero(cols["plan"] > 0)


def personal_billing(ctx: BuildContext, pop: Population, cols: dict[str, np.ndarray]) -> BillingBlock:
    """Each paying account on its own card, name and address (``common_columns`` accounts)."""
    paying = paying_rows(cols)
    return own_billing(ctx, pop, paying, cols["country"][paying], cols["created_at"][paying])


def build_individuals(ctx: BuildContext, cfg: Individuals, n: int, pop: int) -> Built:
    """Own card, home and mobile lines, popular SDKs, diurnal rhythm, mostly unique prompts."""
    rng, world = ctx.rng, ctx.world
    cols = common_columns(ctx, cfg, n)
    country = cols["country"]
    home = world.home_ip(country)
    world.home_ips.append(home)
    ips = join_ragged(single(home), optional_home(ctx, country, cfg.second_home_ip_share),
                      mobile_lines(ctx, country, cfg.mobile_share))
    personal = rng.random(n) < cfg.personal_template_share
    own_tpl = np.full(n, -1, dtype=np.int32)
    own_tpl[personal] = new_templates(ctx, cfg, int(personal.sum()))
    public = sample_rows(rng, world.public_templates, n, 4, 1, share=0.6)
    templates = join_ragged(single(own_tpl, personal), public)
    block = make_block(
        ctx, pop, cfg.traffic, n, **cols, ips=ips, signup_ip=home, templates=templates,
        template_share=template_shares(ctx, cfg, n, personal.astype(float)),
        email=np.array(emails(rng, mixed_domains(rng, n, cfg.own_domain_share)), dtype=object),
        **client_columns(ctx, n),
    )
    paying = paying_rows(cols)
    household = paying[rng.random(len(paying)) < cfg.household_share]
    partners = rng.choice(paying, size=len(household)) if len(paying) else household
    own = own_billing(ctx, cfg, paying, country[paying], cols["created_at"][paying])
    # family members: the partner's card, name and address also appear on the household account
    first_row = {int(a): i for i, a in reversed(list(enumerate(own.account.tolist())))}
    keep = np.array([int(p) in first_row and p != h for h, p in zip(household, partners, strict=True)], dtype=bool)
    rows = np.array([first_row[int(p)] for p, k in zip(partners, keep, strict=True) if k], dtype=np.int64)
    shared = billing_rows(ctx, household[keep], own.card[rows], own.address[rows], own.name[rows],
                          cols["created_at"][household[keep]], 0.3)
    return block, join_billing(own, shared)


def build_organisations(ctx: BuildContext, cfg: Organisations, n: int, pop: int, startup: bool) -> Built:
    """Members share a corporate card, billing name and address, office and cloud egress, the app's
    client build and prompt templates, and a corporate email domain; most declare the org_id."""
    rng, world, net = ctx.rng, ctx.world, ctx.world.network
    sizes = group_sizes(rng, n, max(2, round(n / cfg.members_mean)), minimum=2)
    n_orgs = len(sizes)
    of = np.repeat(np.arange(n_orgs), sizes)
    org_country = pick_countries(rng, cfg.countries, n_orgs)
    founded = signup_times(rng, cfg, n_orgs, ctx.start, ctx.end) - 30 * 86_400
    declared = rng.random(n_orgs) < cfg.declared_org_share
    org_ids = np.where(declared, world.new_orgs(n_orgs), -1)
    domains = claim_domains(company_domains(rng, n_orgs), world.domains)
    offices, clouds, tpls, clients = [], [], [], []
    for o in range(n_orgs):
        offices.append(net.allocate(world.business[int(rng.integers(len(world.business)))],
                                    int(rng.integers(1, cfg.office_ips + 1)), v6_share=0.1))
        clouds.append(net.allocate(world.hosting[int(rng.integers(len(world.hosting)))],
                                   int(rng.integers(1, cfg.cloud_ips + 1))))
        tpls.append(new_templates(ctx, cfg, int(rng.integers(2, max(2, cfg.templates_per_org) + 1))))
        slug = domains[o].split(".")[0]
        sdk = catalog.POPULAR_CLIENTS[int(rng.integers(0, 3))][0]
        ua = f"{slug}-agent/0.{rng.integers(3, 20)}.{rng.integers(0, 9)}" if startup else f"{slug}-app/{rng.integers(1, 6)}.{rng.integers(0, 20)}"
        clients.append(world.clients.add(f"{ua} {sdk}"))
    office_r = Ragged(np.array([len(x) for x in offices], dtype=np.int32), np.concatenate(offices))
    cloud_r = Ragged(np.array([len(x) for x in clouds], dtype=np.int32), np.concatenate(clouds))
    tpl_r = Ragged(np.array([len(x) for x in tpls], dtype=np.int32), np.concatenate(tpls))
    country = np.where(rng.random(n) < 0.9, org_country[of], pick_countries(rng, {}, n)).astype(np.int16)
    cols = common_columns(ctx, cfg, n, countries=country, not_before=founded[of])
    org_plan = plan_indexes(rng, cfg, n_orgs)
    cols["plan"] = org_plan[of]
    office_ips = gather_ragged(office_r, of)
    ips = join_ragged(office_ips, gather_ragged(cloud_r, of), optional_home(ctx, country, cfg.remote_share))
    app = np.array(clients, dtype=np.int32)[of]
    main = np.where(rng.random(n) < 0.75, app, world.popular_client(n, api_only=True))
    local_names = np.array(emails(rng, [domains[o] for o in of.tolist()]), dtype=object)
    block = make_block(
        ctx, pop, cfg.traffic, n, **cols, ips=ips, org=org_ids[of].astype(np.int32),
        signup_ip=office_ips.values[office_ips.offsets()[:-1]], templates=gather_ragged(tpl_r, of),
        template_share=template_shares(ctx, cfg, n), email=local_names, **client_columns(ctx, n, main=main),
    )
    org_card = world.cards.add(pick(rng, cfg.card_methods, METHODS, n_orgs).astype(np.int8), org_country)
    org_address = world.addresses.add(org_country)
    org_name = world.names.add(n_orgs)
    paying = paying_rows(cols)
    corporate = paying[rng.random(len(paying)) < cfg.shared_card_share]
    personal = np.setdiff1d(paying, corporate)
    shared = billing_rows(ctx, corporate, org_card[of[corporate]], org_address[of[corporate]],
                          org_name[of[corporate]], cols["created_at"][corporate])
    own = own_billing(ctx, cfg, personal, country[personal], cols["created_at"][personal])
    return block, join_billing(shared, own)



def _institution_members(ctx: BuildContext, n: int, groups: int) -> np.ndarray:
    sizes = group_sizes(ctx.rng, n, groups, minimum=1)
    return np.repeat(np.arange(len(sizes)), sizes)


def build_campus(ctx: BuildContext, cfg: Campus, n: int, pop: int) -> Built:
    """Students and staff behind a few NAT addresses (education ASN) shared by hundreds."""
    rng, world, net = ctx.rng, ctx.world, ctx.world.network
    of = _institution_members(ctx, n, ctx.scaled(cfg.campuses, 1))
    n_campus = int(of.max()) + 1
    places = catalog.UNIVERSITY_PLACES
    campus_country = pick_countries(rng, {"US": 0.5, "GB": 0.15, "DE": 0.1, "CA": 0.1, "IN": 0.1, "AU": 0.05},
                                    n_campus)
    nats, domains = [], []
    for c in range(n_campus):
        place = places[c % len(places)] + ("" if c < len(places) else f" {c // len(places) + 1}")
        asn = net.add_asn(f"University of {place} Network", "education")
        nats.append(net.allocate(asn, int(rng.integers(2, max(2, cfg.nat_ips) + 1))))
        domains.extend(claim_domains([place.lower().replace(" ", "") + ".edu"], world.domains))
    nat_r = Ragged(np.array([len(x) for x in nats], dtype=np.int32), np.concatenate(nats))
    country = campus_country[of]
    cols = common_columns(ctx, cfg, n, countries=country)
    campus_ips = gather_ragged(nat_r, of)
    ips = join_ragged(campus_ips, optional_home(ctx, country, cfg.off_campus_share * 0.6),
                      mobile_lines(ctx, country, cfg.off_campus_share * 0.8, 2))
    doms = [domains[o] if rng_u < 0.5 else free for o, rng_u, free in
            zip(of.tolist(), rng.random(n).tolist(), mixed_domains(rng, n, 0.0), strict=True)]
    block = make_block(
        ctx, pop, cfg.traffic, n, **cols, ips=ips, signup_ip=campus_ips.values[campus_ips.offsets()[:-1]],
        templates=sample_rows(rng, world.public_templates, n, 3, 1, share=0.5),
        template_share=template_shares(ctx, cfg, n, np.zeros(n)),
        email=np.array(emails(rng, doms), dtype=object), **client_columns(ctx, n, b_max=0.3),
    )
    return block, personal_billing(ctx, cfg, cols)


def build_vpn(ctx: BuildContext, cfg: VpnUsers, n: int, pop: int) -> Built:
    """Users behind commercial VPN exits shared by everyone on the same provider."""
    rng, world = ctx.rng, ctx.world
    cols = common_columns(ctx, cfg, n)
    country = cols["country"]
    providers = int(world.vpn_provider.max()) + 1
    provider = rng.integers(0, providers, size=n)
    k = rng.integers(1, cfg.exits_per_account + 1, size=n)
    mat = np.empty((n, cfg.exits_per_account), dtype=np.int32)
    for p in range(providers):
        pool = world.vpn_ips[world.vpn_provider == p]
        sel = provider == p
        mat[sel] = pool[rng.integers(0, len(pool), size=(int(sel.sum()), cfg.exits_per_account))]
    exits = Ragged.from_matrix(mat, k)
    ips = join_ragged(exits, optional_home(ctx, country, cfg.home_share))
    block = make_block(
        ctx, pop, cfg.traffic, n, **cols, ips=ips, signup_ip=exits.values[exits.offsets()[:-1]],
        templates=sample_rows(rng, world.public_templates, n, 3, 1, share=0.6),
        template_share=template_shares(ctx, cfg, n, np.zeros(n)),
        email=np.array(emails(rng, mixed_domains(rng, n, cfg.own_domain_share)), dtype=object),
        **client_columns(ctx, n),
    )
    return block, personal_billing(ctx, cfg, cols)


def build_benchmark(ctx: BuildContext, cfg: BenchmarkResearchers, n: int, pop: int) -> Built:
    """Researchers at unrelated institutions running the same public benchmark templates."""
    rng, world, net = ctx.rng, ctx.world, ctx.world.network
    of = _institution_members(ctx, n, ctx.scaled(cfg.institutions, 3))
    n_inst = int(of.max()) + 1
    inst_country = pick_countries(rng, {"US": 0.4, "GB": 0.1, "DE": 0.1, "FR": 0.1, "CA": 0.1, "JP": 0.1,
                                        "SG": 0.05, "CH": 0.05}, n_inst)
    university = rng.random(n_inst) < cfg.university_share
    inst_ips, domains = [], []
    for i in range(n_inst):
        if university[i]:
            place = catalog.UNIVERSITY_PLACES[-1 - i % len(catalog.UNIVERSITY_PLACES)]
            asn = net.add_asn(f"{place} Institute of Technology Network", "education")
            domains.extend(claim_domains([f"{place.lower()}tech.edu"], world.domains))
        else:
            asn = world.business[int(rng.integers(len(world.business)))]
            domains.extend(claim_domains(company_domains(rng, 1), world.domains))
        inst_ips.append(net.allocate(asn, int(rng.integers(1, 4))))
    inst_r = Ragged(np.array([len(x) for x in inst_ips], dtype=np.int32), np.concatenate(inst_ips))
    bench = new_templates(ctx, cfg, max(1, cfg.benchmarks) * max(1, cfg.templates_per_benchmark))
    bench = bench.reshape(max(1, cfg.benchmarks), -1)
    used = np.stack([rng.permutation(len(bench)) for _ in range(n)]) if n else np.zeros((0, len(bench)), int)
    k = rng.integers(min(2, len(bench)), min(4, len(bench)) + 1, size=n)
    per_bench = bench.shape[1]
    tpl_mat = bench[used].reshape(n, -1)
    templates = Ragged.from_matrix(tpl_mat, k * per_bench)
    country = inst_country[of]
    cols = common_columns(ctx, cfg, n, countries=country)
    site = gather_ragged(inst_r, of)
    cloud = world.network.allocate(world.hosting[int(rng.integers(len(world.hosting)))], n)
    ips = join_ragged(site, single(cloud), optional_home(ctx, country, 0.3))
    doms = [domains[o] if u < 0.6 else free for o, u, free in
            zip(of.tolist(), rng.random(n).tolist(), mixed_domains(rng, n, 0.0), strict=True)]
    main = np.where(rng.random(n) < 0.7, world.eval_client, world.popular_client(n, api_only=True))
    block = make_block(
        ctx, pop, cfg.traffic, n, **cols, ips=ips, signup_ip=site.values[site.offsets()[:-1]],
        templates=templates, template_share=template_shares(ctx, cfg, n),
        email=np.array(emails(rng, doms), dtype=object), **client_columns(ctx, n, main=main),
    )
    paying = paying_rows(cols)
    lab = paying[rng.random(len(paying)) < cfg.lab_card_share]
    personal = np.setdiff1d(paying, lab)
    lab_card = world.cards.add(np.zeros(n_inst, dtype=np.int8), inst_country)
    lab_address, lab_name = world.addresses.add(inst_country), world.names.add(n_inst)
    shared = billing_rows(ctx, lab, lab_card[of[lab]], lab_address[of[lab]], lab_name[of[lab]],
                          cols["created_at"][lab])
    own = own_billing(ctx, cfg, personal, country[personal], cols["created_at"][personal])
    return block, join_billing(shared, own)


def build_reseller_customers(ctx: BuildContext, cfg: ResellerCustomers, n: int, pop: int) -> Built:
    """Customers whose traffic leaves through the reseller's gateway addresses and client build."""
    rng, world = ctx.rng, ctx.world
    cols = common_columns(ctx, cfg, n)
    country = cols["country"]
    gateway = sample_rows(rng, world.reseller_ips, n, cfg.egress_per_account, 1)
    home = optional_home(ctx, country, cfg.direct_share)
    ips = join_ragged(gateway, home)
    signup = gateway.values[gateway.offsets()[:-1]].astype(np.int32)
    signup[home.lengths > 0] = home.values  # those who also call directly signed up from home
    block = make_block(
        ctx, pop, cfg.traffic, n, **cols, ips=ips, signup_ip=signup,
        templates=sample_rows(rng, world.public_templates, n, 3, 1, share=0.5),
        template_share=template_shares(ctx, cfg, n, np.zeros(n)),
        email=np.array(emails(rng, mixed_domains(rng, n, cfg.own_domain_share)), dtype=object),
        **client_columns(ctx, n, main=world.popular_client(n, api_only=True)),
    )
    return block, personal_billing(ctx, cfg, cols)


def empty_block(ctx: BuildContext, pop: Population, population: int) -> Built:
    """A population with no accounts (configured to zero)."""
    cols = common_columns(ctx, pop, 0)
    zero = np.zeros(0, dtype=np.int32)
    block = make_block(ctx, population, pop.traffic, 0, **cols, ips=empty_ragged(0), signup_ip=zero,
                       templates=empty_ragged(0), template_share=np.zeros(0, np.float32),
                       email=np.zeros(0, dtype=object), **client_columns(ctx, 0))
    return block, own_billing(ctx, pop, zero.astype(np.int64), zero.astype(np.int16), zero.astype(np.int64))
