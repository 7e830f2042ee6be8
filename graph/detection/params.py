"""Every knob of a detection run in one frozen object, stored with the run so a result can be reproduced."""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from graph.jsontypes import coerce


@dataclass(frozen=True)
class KindSpec:
    """How one kind of shared entity links accounts.

    `weight` is the most a pair can get from this kind (when it shares several rare entities of it);
    `expand_cap` is the largest number of accounts an entity may have and still be expanded into
    account pairs; `enrich_cap` is the largest degree that still adds weight to a pair that some other
    entity already proposed. `family` groups kinds that are not independent evidence (a card, its
    billing address and its cardholder name come from one person).
    """

    weight: float
    expand_cap: int
    enrich_cap: int
    family: str


def default_kinds() -> dict[str, KindSpec]:
    """The shared-entity kinds detection links accounts by."""
    return {
        "payment_instrument": KindSpec(weight=1.0, expand_cap=40, enrich_cap=200, family="payment"),
        "billing_address": KindSpec(weight=0.8, expand_cap=40, enrich_cap=200, family="payment"),
        "billing_name": KindSpec(weight=0.5, expand_cap=20, enrich_cap=100, family="payment"),
        "device": KindSpec(weight=0.9, expand_cap=40, enrich_cap=200, family="device"),
        "ip": KindSpec(weight=0.55, expand_cap=60, enrich_cap=400, family="network"),
        "subnet": KindSpec(weight=0.25, expand_cap=0, enrich_cap=400, family="network"),
        "client_fingerprint": KindSpec(weight=0.6, expand_cap=40, enrich_cap=2000, family="network"),
        "email_domain": KindSpec(weight=0.45, expand_cap=60, enrich_cap=400, family="identity"),
        "template": KindSpec(weight=0.6, expand_cap=40, enrich_cap=50_000, family="content"),
    }


@dataclass(frozen=True)
class SignalSpec:
    """How one scored signal (a row of `scoring.SIGNALS`) turns its feature into a contribution.

    The contribution is `weight` times the feature's place on a linear ramp from `low` (nothing) to `high` (full
    weight), clipped to [0, 1]; a negative weight mitigates. A signal conditioned on others counts `alone` of
    that by itself and the rest in proportion to the strongest of them.
    """

    weight: float
    low: float
    high: float
    alone: float = 1.0
    """For a signal conditioned on others (`Signal.conditioned_on`): the share of its contribution that holds
    without them; the rest comes with the strongest of them."""


def default_signals() -> dict[str, SignalSpec]:
    """Weight and ramp of every scored signal (documented in graph/detection/README.md)."""
    return {
        "signup_burst": SignalSpec(0.30, 0.05, 0.4),
        "bans": SignalSpec(0.25, 0.02, 0.15),
        "replacements": SignalSpec(0.20, 0.0, 0.05),
        "card_rotation": SignalSpec(0.20, 0.05, 0.35),
        "drop_addresses": SignalSpec(0.10, 0.05, 0.3),
        "prepaid_virtual": SignalSpec(0.20, 0.1, 0.4),
        "country_mismatch": SignalSpec(0.10, 0.05, 0.25),
        "device_reuse": SignalSpec(0.15, 0.05, 0.35),
        "round_the_clock": SignalSpec(0.25, 0.04, 0.12),
        "synchronised_hours": SignalSpec(0.10, 0.1, 0.5),
        "pivot_sync": SignalSpec(0.25, 0.1, 0.4),
        "fast_pivot": SignalSpec(0.15, 0.2, 0.6),
        "private_templates": SignalSpec(0.45, 0.2, 0.6, alone=0.5),
        "reasoning_share": SignalSpec(0.15, 0.15, 0.6),
        "capability_concentration": SignalSpec(0.08, 0.5, 0.9),
        "volume": SignalSpec(0.05, 2.0, 3.0),
        "hosting_share": SignalSpec(0.08, 0.2, 0.7),
        "shared_templates": SignalSpec(0.05, 0.3, 0.8),
        "custom_client": SignalSpec(0.10, 0.05, 0.3),
        "size": SignalSpec(0.05, 0.5, 3.0),
        "human_rhythm": SignalSpec(-0.2, 0.0, 1.0),
        "declared_organisation": SignalSpec(-0.9, 0.0, 1.0),
        "single_tenant": SignalSpec(-0.4, 0.0, 1.0),
        "common_employer": SignalSpec(-0.3, 0.2, 0.6),
    }


@dataclass(frozen=True)
class DetectionParams:
    """Thresholds and weights of linkage, communities, scoring and lineage."""

    kinds: dict[str, KindSpec] = field(default_factory=default_kinds)
    # --- linkage -----------------------------------------------------------------------------
    lsh_kinds: tuple[str, ...] = ("template",)
    """Kinds whose per-account *sets* also propose candidate pairs by MinHash LSH (a campaign's accounts each use
    several of its few templates, each template far too popular to expand)."""
    lsh_bands: int = 10
    lsh_rows: int = 2
    lsh_neighbours: int = 6
    lsh_min_items: int = 3
    kind_saturation: float = 1.0
    """A pair's evidence from one kind is the sum of its shared entities' rarities, capped here."""
    hours_weight: float = 0.35
    """Most a pair gets for synchronised activity (the same UTC hour buckets)."""
    hours_min_active: int = 4
    """Both accounts need this many active hours before their overlap means anything."""
    pivot_weight: float = 0.35
    """Most a pair gets for moving to a new model in the same few hours soon after its release."""
    pivot_window_hours: float = 48.0
    """A first use of a new model within this many hours of its release counts as a fast pivot."""
    pivot_sync_hours: float = 6.0
    """Two fast pivots this close in time are synchronised."""
    hours_window_days: int = 62
    """Synchronised activity is compared over the last this many days of the graph's activity."""
    independence_bonus: float = 0.35
    """Each further independent family of evidence multiplies a pair's weight by (1 + this)."""
    family_min: float = 0.12
    """A family counts as independent evidence for a pair only from this much weight."""
    standalone_families: dict[str, float] = field(default_factory=lambda: {"payment": 0.0, "device": 0.0, "content": 0.2})
    """Families that may link a pair on their own, from the given family score (a shared card or device; several
    shared prompt templates); any other pair needs two independent families."""
    max_links_per_account: int = 15
    """A link is kept only if it is among the strongest this many of one of its accounts."""
    min_link_weight: float = 0.2
    """Links weaker than this are pruned before community detection (fights the resolution limit)."""
    # --- communities -------------------------------------------------------------------------
    leiden_gamma: float = 1.0
    """Leiden resolution; higher splits more."""
    leiden_seed: int = 42
    max_levels: int = 10
    prune_min_size: int = 10
    prune_min_weight: float = 1.0
    """In communities of `prune_min_size`+ accounts, a member tied by a single link weaker than this is dropped,
    unless that link is anchored (a family in `anchor_families`); a part of such a community tied to the rest by a
    single such link (a bridge) is cut off as a community of its own."""
    anchor_families: tuple[str, ...] = ("payment", "device")
    family_evidence: dict[str, tuple[int, float]] = field(default_factory=lambda: {"content": (2, 0.3)})
    """Family -> (shared entities, score): the family counts as evidence only with that many shared entities or
    that score (two accounts sharing one public prompt template is a coincidence; sharing three is not)."""
    signature_kinds: tuple[str, ...] = (
        "template", "client_fingerprint", "ip", "device", "payment_instrument", "billing_address", "billing_name",
        "email_domain",
    )  # fmt: skip
    signature_exclusivity: float = 0.8
    """An entity is a community's signature when this share of its users (and 3 or more) are members."""
    signature_min_members: dict[str, int] = field(default_factory=lambda: {"ip": 1})
    """Members an entity needs to be a signature, per kind (default 3): an address used by one member and
    nobody else outside the community counts; a template or card needs three members."""
    signature_min_shared: int = 2
    """An unclustered account joins a community when it uses this many of its signature entities."""
    merge_cut_share: float = 0.25
    """Communities are merged back while the links between them carry this share of the smaller one's weight."""
    min_cluster_size: int = 3
    """Communities smaller than this are not clusters."""
    # --- scoring -----------------------------------------------------------------------------
    signals: dict[str, SignalSpec] = field(default_factory=default_signals)
    """Weight and ramp of each scored signal, by name (`scoring.SIGNALS` says what each reads)."""
    group_caps: dict[str, float] = field(default_factory=lambda: {"infrastructure": 0.35})
    """The most the signals of one group contribute together (shared infrastructure shows coordination, which
    companies, labs and families show too)."""
    small_cluster_damping: float = 3.0
    """Raising contributions of a cluster of n accounts are multiplied by n / (n + this)."""
    burst_window_hours: float = 6.0
    """Members created within a window this wide (centred on each) can form a sign-up burst."""
    replacement_window_hours: float = 24.0
    """A member created this soon after another member's ban or suspension is a (hydra) replacement; the cluster
    page marks replacements with the run's value."""
    quiet_hours: int = 6
    """The quietest this many consecutive hours of the UTC day measure round-the-clock activity."""
    burst_background_sigmas: float = 4.0
    """Sign-ups close together count as a burst only this many Poisson deviations above what chance gives a
    cluster of that size (a cluster of thousands of ordinary accounts has sign-ups hours apart by chance)."""
    private_template_exclusivity: float = 0.9
    """A template is *private* to a cluster when at least this share of all its users are members..."""
    private_template_min_members: int = 3
    """...and at least this many members use it."""
    flag_threshold: float = 0.5
    """A cluster is flagged (put in front of analysts) from this score up."""
    min_flag_size: int = 3
    """Clusters smaller than this are never flagged."""
    # --- lineage -----------------------------------------------------------------------------
    carry_share: float = 0.5
    """A cluster keeps its predecessor's key when more than this share of its members carried over."""
    merge_share: float = 0.2
    """A predecessor contributing at least this share of a cluster's members is recorded as merged in."""
    keep_runs_in_graph: int = 3
    """Cluster nodes of older runs are removed from the graph (Django keeps them all)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, stored on the run."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> DetectionParams:
        """Defaults overlaid with the given values (unknown keys are an error)."""
        if not data:
            return cls()
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"unknown detection parameters: {unknown}")
        hints = typing.get_type_hints(cls)
        values: dict[str, Any] = {}
        try:
            for name, value in data.items():
                if name in _NAMED_SPECS:
                    values[name] = _named_specs(value, name, _NAMED_SPECS[name]())
                else:
                    values[name] = coerce(hints[name], value, name)
        except ValueError as exc:
            raise ValueError(f"detection parameter {exc}") from exc
        return cls(**values)


def _named_specs(value: Any, name: str, defaults: dict[str, Any]) -> dict[str, Any]:
    """The defaults with the given fields of some entries replaced: {"ip": {"weight": 0.4}, ...}."""
    if not isinstance(value, dict):
        raise ValueError(f"{name}: expected an object of {name}")
    out = dict(defaults)
    for key, spec in value.items():
        if key not in out:
            raise ValueError(f"{name}: unknown entry {key!r} (known: {', '.join(sorted(out))})")
        if not isinstance(spec, dict):
            raise ValueError(f"{name}.{key}: expected an object")
        hints = typing.get_type_hints(type(out[key]))
        unknown = sorted(set(spec) - set(hints))
        if unknown:
            raise ValueError(f"{name}.{key}: unknown fields {unknown}")
        changes = {k: coerce(hints[k], v, f"{name}.{key}.{k}") for k, v in spec.items()}
        out[key] = dataclasses.replace(out[key], **changes)
    return out


_NAMED_SPECS: dict[str, Callable[[], dict[str, Any]]] = {"kinds": default_kinds, "signals": default_signals}
"""Fields holding named spec objects: a run's value overrides fields of some entries, the rest stay default."""
