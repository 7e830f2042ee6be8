"""Every population and campaign is present with the properties the scenario promises.

The hard negatives share things innocently (corporate cards, NAT and VPN addresses, reseller egress,
public benchmark prompts); the campaigns are linked by several weak signals and behave differently in
time (batches, quick pivot to the new model, hydra replacements).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from graph.scenarios import LEGIT_POPULATIONS, OPTIONAL_POPULATIONS, ScenarioConfig, preset
from graph.scenarios.plan import Plan, build_plan
from tests.unit.scenarios.conftest import Drop

HOUR = pd.Timedelta(hours=1)


def _utc(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, utc=True)


def _epoch(values: pd.Series) -> pd.Series:
    """Timestamps as integer epoch seconds."""
    return pd.to_datetime(values, utc=True).dt.tz_convert(None).astype("datetime64[s]").astype("int64")


def _words(hex_values: pd.Series) -> np.ndarray:
    return np.array([int(v, 16) for v in hex_values], dtype=np.uint64)


def _hamming(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.bitwise_count(a[:, None] ^ b[None, :])


def test_every_population_and_campaign_is_present(drop: Drop, test_config: ScenarioConfig) -> None:
    labels = drop["labels"]
    names = [c.name for c in test_config.campaigns]
    assert set(labels["population"]) == set(LEGIT_POPULATIONS) - set(OPTIONAL_POPULATIONS) | set(names)
    assert set(labels["campaign"].dropna()) == set(names)
    assert (labels["campaign"].dropna() == labels.loc[labels["campaign"].notna(), "population"]).all()
    assert labels["campaign"].notna().sum() >= 3 * 40
    assert set(drop["exchanges"]["population"]) == set(labels["population"])


def test_organisation_members_share_card_address_and_domain(drop: Drop) -> None:
    accounts, billing = drop["accounts"], drop["billing"]
    members = accounts[accounts["org_id"].notna()]
    assert set(members["population"]) == {"organisation", "coding_startup"}
    org_of = members.set_index("account_id")["org_id"]
    paid = billing[billing["account_id"].isin(org_of.index)].assign(org=lambda b: b["account_id"].map(org_of))
    shared = paid.groupby(["org", "payment_fingerprint"])["account_id"].nunique()
    orgs_with_shared_card = shared[shared >= 2].index.get_level_values("org").unique()
    orgs_with_two_payers = paid.groupby("org")["account_id"].nunique().pipe(lambda s: s[s >= 2].index)
    assert len(orgs_with_shared_card) >= 0.8 * len(orgs_with_two_payers) > 0
    addresses = paid.groupby(["org", "billing_address_hash"])["account_id"].nunique()
    assert (addresses >= 2).any()
    domain = members["email"].str.split("@").str[1]
    assert (domain.groupby(members["org_id"]).nunique() == 1).all()
    assert (members["org_id"].groupby(domain).nunique() == 1).all()  # unrelated organisations never share one


def test_coding_startups_run_agentic_traffic_round_the_clock(drop: Drop) -> None:
    exchanges, sessions = drop["exchanges"], drop["sessions"]
    startups = exchanges[exchanges["population"] == "coding_startup"]
    assert startups["capability"].isin(["agentic", "coding", "tool_use"]).mean() > 0.6
    hours = _utc(sessions.loc[sessions["population"] == "coding_startup", "started_at"]).dt.hour
    assert hours.nunique() >= 20 and hours.value_counts(normalize=True).max() < 0.12


def test_campus_and_vpn_addresses_are_shared_by_many(drop: Drop) -> None:
    sessions = drop["sessions"]
    campus = sessions[(sessions["population"] == "campus") & (sessions["asn_type"] == "education")]
    assert campus.groupby("ip")["account_id"].nunique().max() >= 5
    proxy = sessions[sessions["asn_type"] == "proxy"]
    per_ip = proxy.groupby("ip")["population"].nunique()
    assert (per_ip >= 2).any()  # VPN exits carry more than one population


def test_proxies_and_reseller_mix_campaign_and_customer_traffic(drop: Drop) -> None:
    sessions = drop["sessions"]
    reseller = sessions[sessions["user_agent"].str.startswith("relaybase-gateway/")]
    assert set(reseller["asn_type"]) <= {"hosting", "unknown"}
    is_campaign = reseller["campaign"].notna()
    gateway = is_campaign.groupby(reseller["ip"]).agg(["any", "all"])
    assert (gateway["any"] & ~gateway["all"]).any()  # one gateway address, both kinds of traffic
    everywhere = sessions["campaign"].notna().groupby(sessions["ip"]).agg(["any", "all"])
    assert (everywhere["any"] & ~everywhere["all"]).sum() >= 5
    campaign_types = sessions.loc[sessions["campaign"].notna(), "asn_type"].value_counts(normalize=True)
    assert campaign_types.reindex(["hosting", "proxy", "isp"]).fillna(0).sum() > 0.9


def test_benchmark_researchers_share_public_prompts_across_institutions(drop: Drop) -> None:
    exchanges, accounts = drop["exchanges"], drop["accounts"]
    research = exchanges[exchanges["population"] == "benchmark_researcher"]
    assert research["capability"].eq("reasoning").mean() > 0.3
    assert research["reasoning_elicited"].eq("true").mean() > 0.15
    sharing = research.groupby("prompt_fingerprint")["account_id"].unique()
    shared = sharing[sharing.map(len) >= 2]
    site = accounts.set_index("account_id")["signup_ip"]
    assert any(len({site[a] for a in group}) >= 2 for group in shared)


def test_campaigns_reuse_a_few_templates_across_accounts(drop: Drop, plan: Plan) -> None:
    exchanges = drop["exchanges"]
    bases = plan.template_base
    for k, name in enumerate(plan.campaign_names):
        own = np.flatnonzero(plan.accounts.campaign == k)
        offsets = plan.template_offsets
        used = np.unique(np.concatenate([plan.accounts.templates.values[offsets[a]:offsets[a + 1]] for a in own]))
        campaign_tpl = np.setdiff1d(used, plan.world.public_templates)
        rows = exchanges[exchanges["campaign"] == name]
        distance = _hamming(_words(rows["prompt_fingerprint"]), bases[campaign_tpl])
        nearest = distance.min(axis=1)
        from_template = nearest <= 3
        assert from_template.mean() > 0.4, name
        assert len(campaign_tpl) <= 20
        template_of = campaign_tpl[distance.argmin(axis=1)][from_template]
        accounts_per_template = pd.Series(rows["account_id"].values[from_template]).groupby(template_of).nunique()
        assert accounts_per_template.max() >= 10 and (accounts_per_template >= 2).mean() > 0.8, name
        assert np.median(nearest[~from_template]) > 20  # the rest are unrelated, unique prompts


def test_unrelated_prompts_are_about_32_bits_apart(drop: Drop) -> None:
    sample = _words(drop["exchanges"]["prompt_fingerprint"].drop_duplicates().sample(400, random_state=0))
    distance = _hamming(sample, sample)[np.triu_indices(len(sample), k=1)]
    assert 30 < np.median(distance) < 34


def test_campaigns_focus_on_narrow_capabilities(drop: Drop) -> None:
    exchanges = drop["exchanges"]
    mix = pd.crosstab(exchanges["population"], exchanges["capability"], normalize="index")
    elicited = exchanges["reasoning_elicited"].eq("true").groupby(exchanges["population"]).mean()
    assert mix["reasoning"]["aurora"] > 0.5 and elicited["aurora"] > 0.5
    assert mix.loc["basalt", ["coding", "agentic", "tool_use"]].sum() > 0.7
    legit = [p for p in LEGIT_POPULATIONS if p in mix.index]
    assert mix.loc["cobalt", "vision"] > mix.loc[legit, "vision"].max()


def test_campaigns_use_shared_prepaid_and_virtual_cards_without_an_org(drop: Drop) -> None:
    billing = drop["billing"]
    accounts_per_card = billing.groupby("payment_fingerprint")["account_id"].nunique()
    campaign = billing[billing["campaign"].notna()]
    assert campaign["payment_fingerprint"].map(accounts_per_card).gt(1).mean() > 0.3
    assert campaign["method"].isin(["prepaid_card", "virtual_card"]).mean() > 0.4
    assert drop["accounts"].loc[drop["accounts"]["campaign"].notna(), "org_id"].isna().all()
    individuals = billing[billing["population"] == "individual"]
    assert individuals["payment_fingerprint"].map(accounts_per_card).gt(1).mean() < 0.1


def test_campaigns_reuse_signup_devices_but_not_all(drop: Drop) -> None:
    accounts = drop["accounts"]
    per_device = accounts["signup_fingerprint"].map(accounts["signup_fingerprint"].value_counts())
    reused = per_device.gt(1).groupby(accounts["campaign"].fillna("")).mean()
    for name in accounts["campaign"].dropna().unique():
        assert 0.2 < reused[name] < 0.95
    assert reused[""] < 0.01


def test_campaign_sessions_start_in_synchronised_batches(drop: Drop, test_config: ScenarioConfig) -> None:
    sessions = drop["sessions"]
    started = _epoch(sessions["started_at"])
    for campaign in test_config.campaigns:
        interval = int(campaign.batch_interval_minutes * 60)
        phase = started[sessions["campaign"] == campaign.name] % interval
        window = int(campaign.batch_jitter_minutes * 60 * 3)
        baseline = window / interval  # what an unsynchronised schedule puts in the busiest window
        best = max(((phase - p) % interval < window).mean() for p in range(0, interval, 60))
        assert best > baseline + 0.2, campaign.name
        individual = started[sessions["population"] == "individual"] % interval
        assert max(((individual - p) % interval < window).mean() for p in range(0, interval, 60)) < baseline + 0.1


def test_campaign_traffic_moves_to_the_new_model_within_a_day(drop: Drop) -> None:
    releases = drop["model_releases"]
    released = _utc(releases["released_at"])
    new_model = releases["model"].iloc[int(released.to_numpy().argmax())]
    release = released.max()
    exchanges = drop["exchanges"]
    ts = _utc(exchanges["ts"])
    assert not exchanges.loc[ts < release, "model"].eq(new_model).any()
    day_after = exchanges[(ts >= release + 24 * HOUR) & (ts < release + 72 * HOUR)]
    share = day_after["model"].eq(new_model).groupby(day_after["campaign"].fillna("")).mean()
    assert share[""] < 0.3  # legitimate traffic moves over days and weeks
    campaign_share = day_after.loc[day_after["campaign"].notna(), "model"].eq(new_model).mean()
    assert campaign_share > 0.45 and campaign_share > share[""] + 0.3
    for name in exchanges["campaign"].dropna().unique():
        assert share[name] > share[""] + 0.15, name
    last_days = exchanges[ts > ts.max() - 72 * HOUR]
    assert last_days.loc[last_days["campaign"].isna(), "model"].eq(new_model).mean() > share[""]


def test_banned_campaign_accounts_are_replaced_within_hours_reusing_card_or_device(drop: Drop) -> None:
    accounts, billing = drop["accounts"], drop["billing"]
    accounts = accounts.assign(created=_utc(accounts["created_at"]), changed=_utc(accounts["status_changed_at"]))
    end = _utc(drop["exchanges"]["ts"]).max()
    cards = billing.groupby("account_id")["payment_fingerprint"].agg(set)
    replaced = banned_total = 0
    for name, group in accounts[accounts["campaign"].notna()].groupby("campaign"):
        banned = group[(group["status"] == "banned") & (group["changed"] < end - 24 * HOUR)]
        hits = 0
        for _, ban in banned.iterrows():
            soon = group[(group["created"] > ban["changed"]) & (group["created"] <= ban["changed"] + 24 * HOUR)]
            same_device = soon["signup_fingerprint"].eq(ban["signup_fingerprint"]).fillna(False).astype(bool)
            banned_cards = cards.get(ban["account_id"], set())
            same_card = soon["account_id"].map(lambda a, c=banned_cards: bool(cards.get(a, set()) & c)).astype(bool)
            hits += bool((same_device | same_card).any())
        assert hits >= 1, name
        replaced, banned_total = replaced + hits, banned_total + len(banned)
    assert replaced >= 0.6 * banned_total


def _busiest_window(created: pd.Series, hours: int = 3) -> int:
    """Most sign-ups within any window of the given length."""
    times = np.sort(created.to_numpy())
    return int((np.searchsorted(times, times + hours * 3600, side="right") - np.arange(len(times))).max())


def test_campaign_signups_come_in_bursts(drop: Drop) -> None:
    accounts = drop["accounts"]
    created = _epoch(accounts["created_at"])
    individuals = _busiest_window(created[accounts["population"] == "individual"])
    for name in accounts["campaign"].dropna().unique():
        busiest = _busiest_window(created[accounts["campaign"] == name])
        assert busiest >= 5 and busiest > individuals, name  # ten times fewer accounts, more sign-ups at once


def test_some_campaign_accounts_are_quiet_camouflage(drop: Drop) -> None:
    exchanges = drop["exchanges"]
    per_account = exchanges[exchanges["campaign"].notna()].groupby(["campaign", "account_id"]).size()
    for name, counts in per_account.groupby(level="campaign"):
        assert counts.min() < 0.3 * counts.median(), name


def test_legitimate_accounts_are_sometimes_enforced_for_ordinary_reasons() -> None:
    demo = build_plan(preset("demo"), 2)
    individual = demo.accounts.population == demo.population_names.index("individual")
    statuses = demo.accounts.status[individual]
    assert 0 < (statuses > 0).mean() < 0.02
