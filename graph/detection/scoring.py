"""An explained additive risk score: each signal turns one feature into a contribution in [0, 1] units.

The table `SIGNALS` says what each signal reads (a feature, or a transform of several) and where its evidence
is; its weight and ramp are `DetectionParams.signals` (`params.default_signals`). A signal's contribution is
its weight times the feature's strength, a linear ramp from `low` (nothing) to `high` (full weight), clipped
to [0, 1]. Mitigating signals have negative weights. The score is the sum of the contributions, softly capped
so that it stays in [0, 1] and a stronger case still ranks higher: up to 0.8 it is the plain sum; above, the
remaining 0.2 fills exponentially. The shared-infrastructure signals together contribute at most
`group_caps["infrastructure"]` (0.35, scaled down in proportion), so coordination alone, which companies and
labs show too, never flags a cluster. Raising contributions of a cluster of n accounts are multiplied by
n / (n + 3) (`small_cluster_damping`): shares measured on five accounts are weaker evidence than on five
hundred.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass

from graph.detection.evidence import Evidence
from graph.detection.features import ClusterProfile
from graph.detection.params import DetectionParams, SignalSpec

SOFT_CAP_START = 0.8
INFRA = "infrastructure"


@dataclass(frozen=True)
class Signal:
    """One scored signal: which feature it reads and where its evidence is (weight and ramp: `SignalSpec`)."""

    name: str
    label: str
    feature: str
    evidence: str = ""
    transform: Callable[[dict[str, float]], float] | None = None
    minimum_size: int = 0
    group: str = ""
    """Signals of one group share a cap (`DetectionParams.group_caps`): shared infrastructure shows coordination,
    which companies, labs and families have too; it cannot flag a cluster without signs of abuse."""
    conditioned_on: tuple[str, ...] = ()
    """Signals that must come with this one for it to count fully (`SignalSpec.alone` counts without them):
    private templates among strangers are a prompt-sharing community until reasoning traces or a quick move
    to a new model say what the prompts are for."""

    def value(self, features: dict[str, float]) -> float:
        """The raw feature value this signal reads."""
        if self.transform is not None:
            return self.transform(features)
        return float(features.get(self.feature, 0.0))



def strength(spec: SignalSpec, value: float) -> float:
    """Where the value lies on a signal's ramp, in [0, 1]."""
    if spec.high == spec.low:
        return 1.0 if value >= spec.high else 0.0
    return min(1.0, max(0.0, (value - spec.low) / (spec.high - spec.low)))


def _human_rhythm(f: dict[str, float]) -> float:
    """1 for sleep-shaped activity, 0 for round the clock; 0.5 when unknown."""
    q = f.get("quiet_hours_share", -1.0)
    if q < 0:
        return 0.5
    return min(1.0, max(0.0, 1.0 - (q - 0.03) / 0.09))


def _declared_org(f: dict[str, float]) -> float:
    """Members declare one organisation and sign up on its own domain, at human hours."""
    return f.get("org_share", 0.0) * f.get("corporate_domain_share", 0.0) * (0.5 + 0.5 * _human_rhythm(f))


def _single_tenant(f: dict[str, float]) -> float:
    """Without a declared org: one corporate domain and one instrument for (nearly) everyone."""
    domain = min(1.0, max(0.0, (f.get("corporate_domain_share", 0.0) - 0.5) / 0.4))
    card = min(1.0, max(0.0, (f.get("dominant_instrument_share", 0.0) - 0.3) / 0.4)) if f.get("paying_share") else 0.5
    return domain * (0.5 + 0.5 * card) * (1.0 - f.get("org_share", 0.0))


def _sleeping(f: dict[str, float]) -> float:
    """1 when the members' quietest 6 hours hold at most 1% of their exchanges, 0 from 3% (or unknown)."""
    q = f.get("quiet_hours_share", -1.0)
    if q < 0:
        return 0.0
    return min(1.0, max(0.0, (0.03 - q) / 0.02))


def _log_size(f: dict[str, float]) -> float:
    return math.log10(max(1.0, f.get("size", 0.0)))


def _log_volume(f: dict[str, float]) -> float:
    return math.log10(max(1.0, f.get("exchanges_per_account", 0.0)))


def _quiet(f: dict[str, float]) -> float:
    return max(0.0, f.get("quiet_hours_share", 0.0))


def _private_unrelated(f: dict[str, float]) -> float:
    """Templated traffic on private templates, times the members working them, among members with no common
    employer (colleagues share their company's templates; that is not coordination)."""
    shared = f.get("private_template_share", 0.0) * f.get("private_template_members", 0.0)
    return shared * (1.0 - f.get("employer_tie_share", 0.0))


SIGNALS: tuple[Signal, ...] = (
    Signal("signup_burst", "accounts created in bursts", "signup_burst_share", "signup_burst", minimum_size=5),
    Signal("bans", "members banned or suspended", "banned_share"),
    Signal("replacements", "new accounts right after bans (hydra)", "replacement_share", "replacements"),
    Signal("card_rotation", "many cards, each shared by a few accounts", "card_rotation", "card_rotation",
           group=INFRA),
    Signal("drop_addresses", "billing addresses shared by several accounts", "drop_addresses", "drop_addresses",
           group=INFRA),
    Signal("prepaid_virtual", "many distinct prepaid and virtual cards", "prepaid_virtual_per_member",
           "prepaid_virtual"),
    Signal("country_mismatch", "card issued in another country than billed", "country_mismatch_share"),
    Signal("device_reuse", "sign-up devices shared between accounts", "device_reuse_share", "device_reuse",
           group=INFRA),
    Signal("round_the_clock", "active round the clock", "quiet_hours_share", "round_the_clock", transform=_quiet),
    Signal("synchronised_hours", "accounts active in the same hours", "link_hours", group=INFRA),
    Signal("pivot_sync", "moved to a new model together, fast", "pivot_together", "pivot_sync"),
    Signal("fast_pivot", "moved to a new model within two days of its release", "fast_pivot_share", "fast_pivot"),
    Signal("private_templates", "unrelated accounts working one private set of prompt templates",
           "private_template_share", "private_templates", transform=_private_unrelated,
           conditioned_on=("reasoning_share", "fast_pivot", "pivot_sync")),
    Signal("reasoning_share", "requests for full reasoning traces", "reasoning_share"),
    Signal("capability_concentration", "traffic concentrated on one or two capabilities",
           "capability_concentration"),
    Signal("volume", "exchanges per account", "exchanges_per_account", transform=_log_volume),
    Signal("hosting_share", "traffic from hosting and proxy networks", "hosting_share", "hosting_share"),
    Signal("shared_templates", "the same prompt templates across accounts", "shared_template_share",
           "shared_templates", group=INFRA),
    Signal("custom_client", "a rare client build shared by the accounts", "custom_client_share", "custom_client",
           group=INFRA),
    Signal("size", "number of accounts", "size", transform=_log_size),
    Signal("human_rhythm", "members sleep: little activity at night", "quiet_hours_share", "round_the_clock",
           transform=_sleeping),
    Signal("declared_organisation", "a declared organisation on its own domain, human hours", "org_share",
           "declared_organisation", transform=_declared_org),
    Signal("single_tenant", "one corporate domain and card for everyone", "corporate_domain_share",
           "single_tenant", transform=_single_tenant),
    Signal("common_employer", "colleagues: one employer's domain used from its offices", "employer_tie_share",
           "common_employer"),
)  # fmt: skip


@dataclass(frozen=True)
class Contribution:
    """One signal's part in a cluster's score, with its evidence."""

    signal: str
    label: str
    value: float
    contribution: float
    evidence: tuple[Evidence, ...]

    def to_dict(self) -> dict[str, object]:
        """The JSON form stored in Cluster.explanation (the UI reads it)."""
        return {
            "signal": self.signal,
            "label": self.label,
            "value": round(self.value, 4),
            "contribution": round(self.contribution, 4),
            "evidence": [e.to_dict() for e in self.evidence],
        }


@dataclass(frozen=True)
class ClusterScore:
    """The score of one cluster, whether it is flagged, and its explanation."""

    score: float
    raw: float
    flagged: bool
    contributions: tuple[Contribution, ...]

    @property
    def top_signals(self) -> list[str]:
        """The three signals with the largest positive contributions."""
        positive = sorted((c for c in self.contributions if c.contribution > 0), key=lambda c: -c.contribution)
        return [c.signal for c in positive[:3]]

    def explanation(self) -> list[dict[str, object]]:
        """Every signal that moved the score (largest effect first), as stored JSON."""
        moved = [c for c in self.contributions if abs(c.contribution) >= 0.005]
        moved.sort(key=lambda c: -abs(c.contribution))
        return [c.to_dict() for c in moved]


def soft_cap(raw: float) -> float:
    """The sum of contributions mapped into [0, 1]: identity up to 0.8, then exponentially towards 1."""
    if raw <= 0:
        return 0.0
    if raw <= SOFT_CAP_START:
        return raw
    room = 1.0 - SOFT_CAP_START
    return SOFT_CAP_START + room * (1.0 - math.exp(-(raw - SOFT_CAP_START) / room))


def score_cluster(
    profile: ClusterProfile, params: DetectionParams, signals: tuple[Signal, ...] = SIGNALS
) -> ClusterScore:
    """Score one cluster from its features; flagged when the score reaches the threshold and it is big enough."""
    f = profile.features
    size = int(f.get("size", 0))
    contributions = []
    strengths = {s.name: strength(params.signals[s.name], s.value(f)) for s in signals}
    for s in signals:
        spec = params.signals[s.name]
        value = s.value(f)
        amount = 0.0 if size < s.minimum_size else spec.weight * strengths[s.name]
        if s.conditioned_on:
            amount *= spec.alone + (1.0 - spec.alone) * max(strengths[name] for name in s.conditioned_on)
        contributions.append(
            Contribution(
                signal=s.name, label=s.label, value=value, contribution=amount,
                evidence=profile.evidence.get(s.evidence, ()) if s.evidence else (),
            )
        )  # fmt: skip
    for group, cap in params.group_caps.items():
        members = [i for i, s in enumerate(signals) if s.group == group]
        total = sum(contributions[i].contribution for i in members)
        if total > cap:
            for i in members:
                c = contributions[i]
                contributions[i] = dataclasses.replace(c, contribution=c.contribution * cap / total)
    # Shares measured on a handful of accounts are noisy: raising evidence of n accounts counts n / (n + 3).
    reliability = size / (size + params.small_cluster_damping) if size > 0 else 0.0
    contributions = [
        dataclasses.replace(c, contribution=c.contribution * reliability)
        if c.contribution > 0 and c.signal != "size" else c
        for c in contributions
    ]
    raw = sum(c.contribution for c in contributions)
    score = round(soft_cap(raw), 4)
    return ClusterScore(
        score=score,
        raw=round(raw, 4),
        flagged=score >= params.flag_threshold and size >= params.min_flag_size,
        contributions=tuple(contributions),
    )
