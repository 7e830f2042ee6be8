"""The scenario as one configuration object: populations, sizes, tradecraft, time window, models.

Every size is given *at scale 1* (the reported case) and is multiplied by ``ScenarioConfig.scale``
when the drop is generated (see ``resolve_sizes``). Weight mappings (capabilities, plans, card
methods, countries, egress) need not sum to one; they are normalised, and always read in a
fixed, sorted or declared order so that the dictionary order of a JSON file never changes the
output. ``config_json.config_from_dict`` reads a JSON scenario on top of a named preset;
``config_to_dict`` writes one back (both in ``config_json``; ``presets.load_config`` reads a file).

Longer than ~400 lines on purpose: it is declarative (dataclasses of documented knobs with their defaults),
the one place a scenario author reads; logic that uses the knobs lives in the generator modules.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from graph.drop.contract import CAPABILITIES

SCHEDULES: tuple[str, ...] = ("diurnal", "office", "flat")
PLANS: tuple[str, ...] = ("free", "build", "scale", "enterprise")
METHODS: tuple[str, ...] = ("card", "prepaid_card", "virtual_card", "bank_transfer", "invoice")
EGRESS_KINDS: tuple[str, ...] = ("cloud", "reseller", "residential_proxy", "vpn", "home")
LEGIT_POPULATIONS: tuple[str, ...] = (
    "individual", "organisation", "coding_startup", "campus", "vpn", "benchmark_researcher",
    "reseller_customer", "eval_startup", "prompt_collection_user",
)
OPTIONAL_POPULATIONS: tuple[str, ...] = ("eval_startup", "prompt_collection_user")
"""Look-alike populations the presets leave empty (0 accounts); a scenario file switches them on."""


@dataclass(frozen=True, kw_only=True)
class TimeWindow:
    """The period one drop covers: sessions and exchanges all fall inside it."""

    start: str = "2026-09-01T00:00:00Z"
    """First second of the window, ISO 8601 UTC."""
    days: int = 30
    """Length of the window in days. Volumes (exchange totals) do not depend on it."""


@dataclass(frozen=True, kw_only=True)
class ModelRelease:
    """A model and when it became available (one row of ``model_releases``)."""

    name: str
    released_at: str
    """ISO 8601 UTC; legacy models are released before the window."""


@dataclass(frozen=True, kw_only=True)
class ModelLineup:
    """The models on offer: legacy models before the window plus one new release inside it."""

    legacy: tuple[ModelRelease, ...] = (
        ModelRelease(name="nova-2-lite", released_at="2025-10-07T16:00:00Z"),
        ModelRelease(name="nova-2", released_at="2025-10-07T16:00:00Z"),
        ModelRelease(name="nova-3", released_at="2026-03-18T16:00:00Z"),
    )
    legacy_weights: tuple[float, ...] = (0.25, 0.25, 0.5)
    """How often each legacy model is an account's main model (same order as ``legacy``)."""
    new_model: str = "nova-4"
    """Name of the model released inside the window."""
    release_at: float = 0.45
    """Release time as a fraction of the window after its start, rounded down to the hour."""


@dataclass(frozen=True, kw_only=True)
class Traffic:
    """How a population's accounts use the API (shape of sessions and exchanges)."""

    capabilities: dict[str, float]
    """Population-wide capability mix (keys from ``CAPABILITIES``)."""
    capability_concentration: float = 4.0
    """Dirichlet concentration of each account's mix around the population mix: low = diverse
    accounts each focused on a few capabilities, high = every account uses the population mix."""
    schedule: str = "diurnal"
    """When sessions start: ``diurnal`` (human day in the account's time zone, evenings too),
    ``office`` (working hours, weekdays) or ``flat`` (round the clock)."""
    weekend_activity: float = 0.7
    """Relative activity on Saturdays and Sundays (local time) for diurnal and office schedules."""
    exchanges_per_session: float = 6.0
    """Mean exchanges per session."""
    seconds_between_exchanges: float = 45.0
    """Mean gap between consecutive exchanges of a session."""
    volume_sigma: float = 1.2
    """Log-normal sigma of per-account volume (heavy tail of busy accounts)."""
    inactive_share: float = 0.0
    """Share of accounts with no traffic at all in the window."""
    template_share: float = 0.05
    """Mean share of an account's exchanges built from its own/shared prompt templates."""
    public_template_share: float = 0.02
    """Share of exchanges copied from popular public prompts, shared by unrelated accounts."""
    reasoning_elicited: float = 0.15
    """Share of reasoning exchanges that ask for a full step-by-step trace."""
    elicited_other: float = 0.01
    """Share of non-reasoning exchanges that ask for one."""
    token_scale: float = 1.0
    """Multiplier on input and output token counts."""
    adoption_delay_days: float = 6.0
    """Mean delay (exponential) after the new model's release before an account starts moving."""
    adoption_ramp_days: float = 7.0
    """Time constant of the move once it starts."""
    adoption_share: float = 0.6
    """Mean final share of an adopting account's traffic on the new model."""
    never_adopt_share: float = 0.35
    """Share of accounts that never move in the window."""


@dataclass(frozen=True, kw_only=True)
class Population:
    """Sizes, plans, billing and enforcement common to every population (legitimate or campaign)."""

    accounts: int
    """Accounts at scale 1."""
    exchanges: int
    """Exchanges at scale 1 (the whole window; scaled with the account count actually generated)."""
    traffic: Traffic
    plans: dict[str, float] = field(default_factory=lambda: {"free": 0.6, "build": 0.34, "scale": 0.06})
    """Plan mix; accounts on a paid plan get billing instruments."""
    card_methods: dict[str, float] = field(
        default_factory=lambda: {"card": 0.92, "virtual_card": 0.05, "prepaid_card": 0.03}
    )
    """Payment method mix of the population's own instruments."""
    second_instrument_share: float = 0.08
    """Share of paying accounts with a second instrument."""
    suspended_share: float = 0.004
    """Share of accounts suspended during or before the window (ordinary enforcement)."""
    banned_share: float = 0.002
    """Share of accounts banned (ordinary enforcement; no replacement)."""
    own_domain_share: float = 0.12
    """Share of sign-up emails on the person's own domain rather than a free-mail provider."""
    countries: dict[str, float] = field(default_factory=dict)
    """Declared-country mix; empty = the default world mix."""
    signup_days_before: float = 720.0
    """Accounts are created up to this many days before the window."""
    signup_in_window_share: float = 0.08
    """Share of accounts created inside the window."""
    no_signup_fingerprint_share: float = 0.04
    """Share of accounts created through the API without a device fingerprint (same everywhere)."""


@dataclass(frozen=True, kw_only=True)
class Individuals(Population):
    """Individual developers and hobbyists: the bulk of accounts, each on its own card and home line."""

    mobile_share: float = 0.55
    """Share also calling from mobile networks (carrier NAT addresses shared by many)."""
    second_home_ip_share: float = 0.3
    """Share whose home address changed during the window."""
    household_share: float = 0.01
    """Share of paying individuals who share a card and address with one other account (family)."""
    personal_template_share: float = 0.3
    """Share with a personal prompt template (their own workflow), used at ``traffic.template_share``."""


@dataclass(frozen=True, kw_only=True)
class Organisations(Population):
    """Companies with a declared workspace: corporate card, office and cloud egress, app templates."""

    members_mean: float = 8.0
    """Mean accounts per organisation (geometric, at least two)."""
    declared_org_share: float = 0.9
    """Share of organisations whose members declare ``org_id`` (the rest share card and domain only)."""
    shared_card_share: float = 0.85
    """Share of paying members billed to the corporate instrument."""
    office_ips: int = 3
    """Maximum office addresses (business ASN) per organisation."""
    cloud_ips: int = 4
    """Maximum cloud egress addresses (hosting ASN) per organisation."""
    templates_per_org: int = 6
    """Maximum prompt templates of the organisation's app, shared by its members."""
    remote_share: float = 0.4
    """Share of members who also work from home (home ISP address)."""


@dataclass(frozen=True, kw_only=True)
class Campus(Population):
    """Students and staff behind a few university NAT addresses shared by hundreds."""

    campuses: int = 25
    """Campuses at scale 1 (each its own education ASN)."""
    nat_ips: int = 6
    """Maximum NAT addresses per campus."""
    off_campus_share: float = 0.35
    """Share also calling from home or mobile."""


@dataclass(frozen=True, kw_only=True)
class VpnUsers(Population):
    """Privacy-minded users behind commercial VPN exits (proxy/hosting ASNs) shared with everyone."""

    providers: int = 4
    """VPN providers (each an ASN)."""
    exit_ips: int = 600
    """Exit addresses across providers at scale 1."""
    exits_per_account: int = 4
    """Maximum exits one account uses."""
    home_share: float = 0.3
    """Share also seen on their home line."""


@dataclass(frozen=True, kw_only=True)
class BenchmarkResearchers(Population):
    """Researchers at unrelated institutions running the same public benchmark prompts."""

    institutions: int = 40
    """Institutions at scale 1 (universities on education ASNs, labs on business ASNs)."""
    university_share: float = 0.6
    """Share of institutions that are universities."""
    benchmarks: int = 6
    """Public benchmarks (each a set of shared templates)."""
    templates_per_benchmark: int = 8
    """Templates per benchmark."""
    lab_card_share: float = 0.3
    """Share of paying researchers billed to a lab card shared within their institution (no org_id)."""


@dataclass(frozen=True, kw_only=True)
class ResellerCustomers(Population):
    """Customers of an API reseller: their traffic leaves through its gateway (hosting ASN)."""

    egress_ips: int = 40
    """Reseller gateway addresses."""
    egress_per_account: int = 3
    """Maximum gateway addresses one account's sessions use."""
    direct_share: float = 0.25
    """Share of accounts that also call directly from their own line."""


@dataclass(frozen=True, kw_only=True)
class EvalStartups(Population):
    """Staff of evaluation start-ups: a personal card each, but one company email domain, a few office
    addresses and business hours; they run the company's own eval suite (prompt templates nobody outside
    uses), reasoning-heavy, and move the suite to a new model on its release day."""

    members_mean: float = 6.0
    """Mean staff per company (geometric, at least two)."""
    declared_org_share: float = 0.25
    """Share of companies whose staff declare an ``org_id`` (most just share the email domain)."""
    office_ips: int = 3
    """Maximum office addresses (business ASN) per company."""
    remote_share: float = 0.3
    """Share of staff who also work from home (home ISP address)."""
    suite_templates: int = 24
    """Maximum prompt templates in a company's eval suite (at least four)."""
    suite_share: float = 0.7
    """Share of its company's suite one member runs (a random part of it)."""
    switch_delay_hours: float = 3.0
    """Mean delay (exponential) after a release before a company moves its evals to the new model."""
    switch_spread_hours: float = 4.0
    """Members of one company move within this many hours of each other."""
    switch_model_share: float = 0.7
    """Share of a member's traffic on the new model once moved."""


@dataclass(frozen=True, kw_only=True)
class PromptCollectionUsers(Population):
    """Unrelated individuals who paste prompts from one popular public prompt collection: their own card,
    home line and rhythm; each collection template is used by many strangers."""

    collection_templates: int = 150
    """Templates in the collection (not scaled: a collection is as big at any scale)."""
    popularity: float = 1.0
    """Zipf exponent of the templates' popularity (0 = all equally popular)."""
    templates_per_account: int = 8
    """Most collection templates one user pastes from (at least two)."""
    mobile_share: float = 0.4
    """Share also calling from mobile networks."""


EVAL_TRAFFIC = Traffic(
    capabilities={"reasoning": 0.5, "coding": 0.3, "analysis": 0.1, "tool_use": 0.1},
    capability_concentration=12.0, schedule="office", weekend_activity=0.2, exchanges_per_session=30.0,
    seconds_between_exchanges=10.0, volume_sigma=0.8, template_share=0.6, public_template_share=0.0,
    reasoning_elicited=0.8, elicited_other=0.3,
)  # fmt: skip
"""Default traffic of evaluation start-ups: their suite, reasoning traces, office hours."""
COLLECTION_TRAFFIC = Traffic(
    capabilities={"reasoning": 0.3, "coding": 0.25, "writing": 0.2, "chat": 0.15, "analysis": 0.1},
    capability_concentration=3.0, template_share=0.35, public_template_share=0.02, reasoning_elicited=0.4,
    elicited_other=0.05,
)  # fmt: skip
"""Default traffic of prompt-collection users: a chain-of-thought collection, pasted by people."""


@dataclass(frozen=True, kw_only=True)
class Campaign(Population):
    """One coordinated extraction campaign and its tradecraft. No knob makes one strong link:
    each signal is shared by some but not all accounts, and most are shared with legitimate users."""

    name: str
    """Opaque label written in ``labels.campaign`` and ``labels.population``."""
    signup_bursts: int = 6
    """Bursts of sign-ups (spread from ``burst_lead_days`` before the window to mid-window); at most
    one per eight accounts of a generation, so small campaigns still show bursts."""
    burst_share: float = 0.7
    """Share of first-generation accounts created in bursts (the rest are aged accounts)."""
    burst_hours: float = 3.0
    """Width of one burst."""
    burst_lead_days: float = 20.0
    """The earliest burst is this many days before the window."""
    device_reuse_share: float = 0.4
    """Share of accounts that sign up from a device another account of the campaign also used."""
    accounts_per_device: float = 5.0
    """Mean accounts per reused sign-up device."""
    drop_address_share: float = 0.35
    """Share of instruments billed to a drop address shared by several accounts."""
    accounts_per_drop_address: float = 8.0
    """Mean instruments per drop address."""
    card_sharing_share: float = 0.6
    """Share of paying accounts whose card is also on other accounts of the campaign."""
    accounts_per_card: float = 3.0
    """Mean accounts per shared card (2-5)."""
    country_mismatch_share: float = 0.3
    """Share of instruments whose issuer country differs from the billing country."""
    egress: dict[str, float] = field(default_factory=lambda: {"cloud": 0.4, "residential_proxy": 0.6})
    """Egress mix (``EGRESS_KINDS``): rented cloud addresses, the reseller's gateway, residential
    proxy pools (isp addresses, some also used by their legitimate owners), VPN exits, or ``home``:
    each account's own residential line (and mobile network), shared with nobody."""
    signup_via_proxy_share: float = 0.7
    """Share of accounts that sign up through a residential proxy address (the rest from their first
    egress address)."""
    cloud_ips: int = 120
    """Cloud addresses rented by the campaign at scale 1."""
    ips_per_account: int = 6
    """Maximum addresses in one account's rotation."""
    custom_client_share: float = 0.3
    """Share of accounts that also use the campaign's own client build (a popular user agent over
    a rare TLS fingerprint)."""
    templates: int = 8
    """Prompt templates of the campaign (``traffic.template_share`` of its exchanges)."""
    templates_per_account: int = 0
    """0: each account uses half to all of the templates; n > 0: each account works a slice of n
    consecutive templates of the set (wrapping round) from a random start, the accounts sharing the set
    out between them."""
    batch_interval_minutes: float = 90.0
    """Synchronised batches start every this many minutes, round the clock."""
    batch_share: float = 0.6
    """Share of an active account's sessions that start on a batch (within ``batch_jitter_minutes``)."""
    batch_jitter_minutes: float = 4.0
    """Spread of session starts around a batch."""
    replacement_share: float = 0.9
    """Share of banned accounts replaced by a new account (hydra)."""
    replacement_delay_hours: float = 5.0
    """Mean delay (exponential, capped at 20 h) between a ban and the replacement's sign-up."""
    replacement_card_reuse: float = 0.7
    """Share of replacements that attach the banned account's card."""
    replacement_device_reuse: float = 0.6
    """Share of replacements that sign up from the banned account's device."""
    pivot_share: float = 0.8
    """Share of active (non-camouflage) accounts that move to the new model after its release."""
    pivot_delay_hours: float = 8.0
    """Hours after the release at which the campaign moves (each account within ``pivot_spread_hours``)."""
    pivot_spread_hours: float = 6.0
    """Accounts start moving at a random time this many hours wide after ``pivot_delay_hours``."""
    pivot_model_share: float = 0.9
    """Share of a moved account's traffic on the new model."""
    camouflage_share: float = 0.15
    """Share of quiet accounts: low volume, diverse capabilities, human schedule, few templates."""
    camouflage_volume: float = 0.15
    """Volume of a camouflage account relative to an active one."""
    email_domains: int = 0
    """Throwaway own-looking email domains shared across the campaign (0 = free mail only)."""


@dataclass(frozen=True, kw_only=True)
class ScenarioConfig:
    """A whole synthetic world: legitimate populations (the hard negatives) and campaigns."""

    scale: float = 1.0
    """Multiplier on every size; 1 = the reported case."""
    volume: float = 1.0
    """Extra multiplier on exchange totals only (keeps account counts)."""
    min_campaign_accounts: int = 40
    """A campaign keeps at least this many accounts at any scale."""
    min_population_accounts: int = 20
    """A legitimate population keeps at least this many accounts at any scale."""
    window: TimeWindow = field(default_factory=TimeWindow)
    models: ModelLineup = field(default_factory=ModelLineup)
    individuals: Individuals
    organisations: Organisations
    coding_startups: Organisations
    campus: Campus
    vpn: VpnUsers
    benchmark_researchers: BenchmarkResearchers
    reseller_customers: ResellerCustomers
    campaigns: tuple[Campaign, ...]
    eval_startups: EvalStartups = field(
        default_factory=lambda: EvalStartups(accounts=0, exchanges=0, traffic=EVAL_TRAFFIC)
    )
    """Evaluation start-ups' staff (a look-alike of a content-only campaign; 0 accounts unless configured)."""
    prompt_collection: PromptCollectionUsers = field(
        default_factory=lambda: PromptCollectionUsers(accounts=0, exchanges=0, traffic=COLLECTION_TRAFFIC)
    )
    """Individuals pasting from one public prompt collection (0 accounts unless configured)."""
    residential_proxy_ips: int = 30000
    """Residential proxy pool size at scale 1 (isp addresses)."""
    residential_shared_share: float = 0.25
    """Share of the proxy pool that are home lines of legitimate individuals (proxyware)."""
    block_exchanges: int = 400_000
    """Approximate exchanges per generated block. Bounds memory (~100 MB per 400k); changing it
    changes the exact bytes (each block has its own random stream) but not sizes or statistics."""

    def legit(self) -> tuple[tuple[str, Population], ...]:
        """The legitimate populations with their ``labels.population`` names, in generation order."""
        return (
            ("individual", self.individuals),
            ("organisation", self.organisations),
            ("coding_startup", self.coding_startups),
            ("campus", self.campus),
            ("vpn", self.vpn),
            ("benchmark_researcher", self.benchmark_researchers),
            ("reseller_customer", self.reseller_customers),
            ("eval_startup", self.eval_startups),
            ("prompt_collection_user", self.prompt_collection),
        )


@dataclass(frozen=True)
class Size:
    """Accounts and exchanges one population gets at the configured scale."""

    accounts: int
    exchanges: int


def resolve_sizes(config: ScenarioConfig) -> dict[str, Size]:
    """Scale every population (name -> size); minimums apply, per-account volume is kept."""
    sizes: dict[str, Size] = {}
    groups: list[tuple[str, Population, int]] = [(n, p, config.min_population_accounts) for n, p in config.legit()]
    groups += [(c.name, c, config.min_campaign_accounts) for c in config.campaigns]
    for name, pop, minimum in groups:
        accounts = max(minimum, round(pop.accounts * config.scale)) if pop.accounts > 0 else 0
        per_account = pop.exchanges / pop.accounts if pop.accounts else 0.0
        sizes[name] = Size(accounts, round(accounts * per_account * config.volume))
    return sizes


def validate_config(config: ScenarioConfig) -> None:
    """Raise ValueError naming the first knob that is out of range."""
    if config.scale <= 0 or config.volume < 0:
        raise ValueError("scale must be > 0 and volume >= 0")
    if config.window.days < 4:
        raise ValueError("window.days must be at least 4")
    if len(config.models.legacy) != len(config.models.legacy_weights) or not config.models.legacy:
        raise ValueError("models.legacy and models.legacy_weights must be non-empty and the same length")
    if not 0.05 <= config.models.release_at <= 0.8:
        raise ValueError("models.release_at must be within [0.05, 0.8]")
    names = [c.name for c in config.campaigns]
    if len(set(names)) != len(names) or set(names) & set(LEGIT_POPULATIONS) or "" in names:
        raise ValueError("campaign names must be unique, non-empty and differ from the legitimate populations")
    pops: list[tuple[str, Population]] = list(config.legit()) + [(c.name, c) for c in config.campaigns]
    for name, pop in pops:
        _check_weights(f"{name}.traffic.capabilities", pop.traffic.capabilities, CAPABILITIES)
        _check_weights(f"{name}.plans", pop.plans, PLANS)
        _check_weights(f"{name}.card_methods", pop.card_methods, METHODS)
        if pop.traffic.schedule not in SCHEDULES:
            raise ValueError(f"{name}.traffic.schedule must be one of {SCHEDULES}")
        if pop.accounts < 0 or pop.exchanges < 0:
            raise ValueError(f"{name}: accounts and exchanges must be >= 0")
    _check_ranges(config, "scenario")
    for c in config.campaigns:
        _check_weights(f"{c.name}.egress", c.egress, EGRESS_KINDS)
        if c.accounts <= 0:
            raise ValueError(f"{c.name}.accounts must be > 0 (drop the campaign from the list instead)")


def _check_ranges(obj: Any, where: str) -> None:
    """Every ``*_share`` knob is a probability; every other number is non-negative."""
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        here = f"{where}.{f.name}"
        if dataclasses.is_dataclass(value):
            _check_ranges(value, here)
        elif isinstance(value, tuple):
            for i, item in enumerate(value):
                if dataclasses.is_dataclass(item):
                    _check_ranges(item, f"{here}[{i}]")
        elif isinstance(value, int | float) and not isinstance(value, bool):
            if f.name.endswith("_share") and not 0.0 <= value <= 1.0:
                raise ValueError(f"{here} must be within [0, 1]")
            if value < 0:
                raise ValueError(f"{here} must be >= 0")


def _check_weights(where: str, weights: dict[str, float], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(weights) - set(allowed))
    if unknown:
        raise ValueError(f"{where}: unknown keys {unknown} (allowed: {', '.join(allowed)})")
    if any(w < 0 for w in weights.values()) or sum(weights.values()) <= 0:
        raise ValueError(f"{where}: weights must be >= 0 with a positive sum")
