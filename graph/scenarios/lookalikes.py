"""Legitimate look-alikes of a content-only campaign: groups that share prompts without being coordinated
abuse. Evaluation start-ups' staff run their company's private eval suite, reasoning-heavy, and move to a
new model on its release day, but share an email domain, office addresses and business hours; users of a
popular public prompt collection paste the same templates as thousands of strangers.
"""

from __future__ import annotations

import numpy as np

from graph.scenarios.accounts import (
    HOUR,
    Ragged,
    gather_ragged,
    group_sizes,
    join_ragged,
    pick_countries,
    single,
)
from graph.scenarios.config import EvalStartups, PromptCollectionUsers
from graph.scenarios.context import BuildContext, Built, make_block, new_templates
from graph.scenarios.identity import claim_domains, company_domains, emails, mixed_domains
from graph.scenarios.legit import (
    client_columns,
    common_columns,
    mobile_lines,
    optional_home,
    personal_billing,
    template_shares,
)


def _ragged(rows: list[np.ndarray]) -> Ragged:
    """A ragged array from one array per row."""
    values = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int32)
    return Ragged(np.array([len(r) for r in rows], dtype=np.int32), values.astype(np.int32))


def build_eval_startups(ctx: BuildContext, cfg: EvalStartups, n: int, pop: int) -> Built:
    """Staff on personal cards who share a company domain, office addresses and hours, the company's own
    eval suite (each member a part of it) and a release-day move to the new model."""
    rng, world, net = ctx.rng, ctx.world, ctx.world.network
    sizes = group_sizes(rng, n, max(1, round(n / max(cfg.members_mean, 2.0))), minimum=2)
    n_co = len(sizes)
    of = np.repeat(np.arange(n_co), sizes)
    co_country = pick_countries(rng, cfg.countries, n_co)
    declared = rng.random(n_co) < cfg.declared_org_share
    org_ids = np.where(declared, world.new_orgs(n_co), -1)
    domains = claim_domains(company_domains(rng, n_co), world.domains)
    offices, suites = [], []
    for _ in range(n_co):
        asn = world.business[int(rng.integers(len(world.business)))]
        offices.append(net.allocate(asn, int(rng.integers(1, max(1, cfg.office_ips) + 1)), v6_share=0.1))
        suites.append(new_templates(ctx, cfg, int(rng.integers(4, max(4, cfg.suite_templates) + 1))))
    runs = []
    for company in of.tolist():
        suite = suites[company]
        k = max(2, round(cfg.suite_share * len(suite)))
        runs.append(rng.choice(suite, size=min(k, len(suite)), replace=False))
    country = np.where(rng.random(n) < 0.9, co_country[of], pick_countries(rng, {}, n)).astype(np.int16)
    cols = common_columns(ctx, cfg, n, countries=country)
    office = gather_ragged(_ragged(offices), of)
    ips = join_ragged(office, optional_home(ctx, country, cfg.remote_share))
    harness = np.where(rng.random(n) < 0.5, world.eval_client, world.popular_client(n, api_only=True))
    block = make_block(
        ctx, pop, cfg.traffic, n, **cols, ips=ips, org=org_ids[of].astype(np.int32),
        signup_ip=office.values[office.offsets()[:-1]], templates=_ragged(runs),
        template_share=template_shares(ctx, cfg, n),
        email=np.array(emails(rng, [domains[o] for o in of.tolist()]), dtype=object),
        **client_columns(ctx, n, main=harness),
    )
    switch = ctx.release + (rng.exponential(cfg.switch_delay_hours * HOUR, size=n_co)).astype(np.int64)
    spread = max(1, int(cfg.switch_spread_hours * HOUR))
    block.adopt_at[:] = switch[of] + rng.integers(0, spread, size=n)
    block.adopt_tau[:] = 3600.0
    block.adopt_share[:] = np.clip(cfg.switch_model_share * rng.uniform(0.85, 1.1, n), 0.05, 0.98)
    return block, personal_billing(ctx, cfg, cols)


def build_prompt_collection(ctx: BuildContext, cfg: PromptCollectionUsers, n: int, pop: int) -> Built:
    """Strangers (own card, home line, rhythm) pasting from one popular public prompt collection."""
    rng, world = ctx.rng, ctx.world
    cols = common_columns(ctx, cfg, n)
    country = cols["country"]
    home = world.home_ip(country)
    ips = join_ragged(single(home), mobile_lines(ctx, country, cfg.mobile_share))
    collection = new_templates(ctx, cfg, max(2, cfg.collection_templates))
    weight = 1.0 / np.arange(1, len(collection) + 1) ** cfg.popularity
    # k popular-weighted draws without replacement per user (Gumbel top-k)
    keys = np.log(weight)[None, :] + rng.gumbel(size=(n, len(collection)))
    k_max = min(max(2, cfg.templates_per_account), len(collection))
    chosen = collection[np.argsort(-keys, axis=1)[:, :k_max]]
    pasted = Ragged.from_matrix(chosen, rng.integers(2, k_max + 1, size=n))
    block = make_block(
        ctx, pop, cfg.traffic, n, **cols, ips=ips, signup_ip=home, templates=pasted,
        template_share=template_shares(ctx, cfg, n),
        email=np.array(emails(rng, mixed_domains(rng, n, cfg.own_domain_share)), dtype=object),
        **client_columns(ctx, n),
    )
    return block, personal_billing(ctx, cfg, cols)
