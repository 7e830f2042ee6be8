"""Coordination without shared infrastructure: private templates across unrelated accounts raise the score;
colleagues on one employer's domain and offices, and strangers on public prompts, do not."""

from typing import Any

import numpy as np
import pytest

from graph.detection.coordination import template_groups
from graph.detection.features import cluster_profile
from graph.detection.params import DetectionParams
from graph.detection.rhythm import NewModelInfo, signup_bursts
from graph.detection.scoring import ClusterScore, score_cluster

H = 3600
DAY = 24 * H
T0 = 1_788_220_800  # 2026-09-01
RELEASE = T0 + 14 * DAY
MODELS = [NewModelInfo("nova-4", RELEASE)]
COUNTRIES = ("US", "DE", "BR", "IN", "JP", "GB", "FR", "KR")


def _diurnal(tz: int) -> tuple[list[int], list[int]]:
    """Awake 8:00-23:00 local on 20 days, a little activity at night."""
    hours = [T0 // H + d * 24 + (h - tz) % 24 for d in range(20) for h in range(24)]
    counts = [1 if (h - tz) % 24 < 7 else 8 for d in range(20) for h in range(24)]
    return hours, counts


def _stranger(i: int, templates: list[tuple[str, int]], *, reasoning: float = 0.5, pivot_h: float | None = 6.0,
              caps: list[int] | None = None) -> dict[str, Any]:
    """An account that shares no card, device, address or employer with anyone: free mail, its own home line."""
    hours, counts = _diurnal(tz=(i * 5) % 24)
    models = [{"id": "nova-3", "exchanges": 500, "first_seen": T0}]
    if pivot_h is not None:
        models.append({"id": "nova-4", "exchanges": 500, "first_seen": RELEASE + int((pivot_h + 5 * (i % 6)) * H)})
    return {
        "account_id": f"s{i}", "created_at": T0 - (30 + 37 * i) * DAY, "status": "active", "status_changed_at": None,
        "org_id": None, "email": {"id": ("gmail.com", "outlook.com", "proton.me")[i % 3], "free": True},
        "exchanges": 1000, "reasoning_exchanges": int(1000 * reasoning),
        "cap_counts": caps or [550, 350, 0, 0, 0, 0, 100, 0, 0], "hours": hours, "hour_counts": counts,
        "payments": [{"id": f"card{i}", "method": "card", "issuer": COUNTRIES[i % 8], "bin": "411111", "degree": 1}],
        "addresses": [{"id": f"home{i}", "country": COUNTRIES[i % 8], "degree": 1}], "names": [],
        "devices": [{"id": f"laptop{i}", "degree": 1}],
        "ips": [{"id": f"81.{i}.3.7", "sessions": 40, "degree": 1, "subnet": f"81.{i}.3.0/24",
                 "asn": {"number": 64600 + i % 8, "name": "Broadband", "type": "isp"}}],
        "clients": [{"id": "sdk-python", "sessions": 40, "degree": 5000}],
        "templates": [{"id": t, "exchanges": 60, "degree": degree} for t, degree in templates],
        "models": models,
    }  # fmt: skip


def _slice(i: int, n_templates: int = 24, width: int = 6) -> list[str]:
    return [f"kit{(i * 3 + k) % n_templates}" for k in range(width)]


def _campaign(n: int = 30) -> list[dict[str, Any]]:
    """Each account works a slice of one private template set used by nobody else (degree = users here)."""
    slices = [_slice(i) for i in range(n)]
    users = {t: sum(t in s for s in slices) for t in {t for s in slices for t in s}}
    return [_stranger(i, [(t, users[t]) for t in s]) for i, s in enumerate(slices)]


def _colleagues(n: int = 30) -> list[dict[str, Any]]:
    """The same accounts, but staff of one company: its domain, its office address (a business network)."""
    members = _campaign(n)
    for m in members:
        m["email"] = {"id": "evalworks.example", "free": False}
        m["ips"].append({"id": "198.51.100.7", "sessions": 60, "degree": n, "subnet": "198.51.100.0/24",
                         "asn": {"number": 64700, "name": "Citylink Business", "type": "business"}})  # fmt: skip
    return members


def _score(members: list[dict[str, Any]]) -> ClusterScore:
    return score_cluster(cluster_profile(members, MODELS), DetectionParams())


def _contribution(result: ClusterScore, signal: str) -> float:
    return next(c.contribution for c in result.contributions if c.signal == signal)


def test_private_templates_across_unrelated_accounts_flag_the_cluster() -> None:
    result = _score(_campaign())
    profile = cluster_profile(_campaign(), MODELS)
    assert profile.features["private_template_share"] == 1.0 and profile.features["employer_tie_share"] == 0.0
    assert profile.features["private_template_coverage"] == pytest.approx(24 / 6)
    assert _contribution(result, "private_templates") > 0.2 and _contribution(result, "fast_pivot") > 0.1
    assert result.flagged and result.score >= 0.5
    private = next(c for c in result.contributions if c.signal == "private_templates")
    first = private.evidence[0]
    assert first.kind == "template" and first.id.startswith("kit") and "and 0 elsewhere" in first.detail
    assert "24 private templates in all, a member works 6.0 of them" in first.detail


def test_private_templates_without_reasoning_traces_or_a_quick_move_count_half() -> None:
    """A prompt-sharing community: the same private set, but ordinary traffic and no move to the new model."""
    plain = _campaign()
    for m in plain:
        m["reasoning_exchanges"], m["models"] = 20, m["models"][:1]
        m["cap_counts"] = [100, 200, 0, 0, 0, 300, 100, 300, 0]
    spec = DetectionParams().signals["private_templates"]
    reliability = 30 / 33
    assert _contribution(_score(plain), "private_templates") == pytest.approx(spec.weight * spec.alone * reliability, abs=1e-3)
    assert _contribution(_score(_campaign()), "private_templates") == pytest.approx(spec.weight * reliability, abs=1e-3)
    assert not _score(plain).flagged


def test_without_the_private_templates_the_same_accounts_are_not_flagged() -> None:
    members = _campaign()
    for i, m in enumerate(members):
        m["templates"] = []
        m["account_id"] = f"s{i}"
    assert not _score(members).flagged


def test_a_companys_staff_on_its_domain_and_office_are_explained_away() -> None:
    result = _score(_colleagues())
    profile = cluster_profile(_colleagues(), MODELS)
    assert profile.features["employer_tie_share"] == 1.0
    assert _contribution(result, "private_templates") == 0.0
    assert _contribution(result, "common_employer") <= -0.29
    assert not result.flagged and result.score < 0.3
    kinds = {e.kind for c in result.contributions if c.signal == "common_employer" for e in c.evidence}
    assert kinds == {"email_domain", "ip"}


def test_researchers_each_at_their_own_institution_are_identified() -> None:
    """Nobody shares an address, but each signs up with its institution's domain and calls from its network."""
    members = _campaign()
    for i, m in enumerate(members):
        m["email"] = {"id": f"uni{i}.example.edu", "free": False}
        m["ips"].append({"id": f"192.0.{i}.1", "sessions": 20, "degree": 1, "subnet": f"192.0.{i}.0/24",
                         "asn": {"number": 64800 + i, "name": "University Network", "type": "education"}})  # fmt: skip
    result = _score(members)
    assert cluster_profile(members, MODELS).features["employer_tie_share"] == 1.0
    assert _contribution(result, "private_templates") == 0.0 and not result.flagged


def test_a_shared_domain_without_an_office_ties_half() -> None:
    """Staff working from home share their company's domain; so do a campaign's accounts on a throwaway domain."""
    home_staff = _campaign()
    for m in home_staff:
        m["email"] = {"id": "evalworks.example", "free": False}
    profile = cluster_profile(home_staff, MODELS)
    assert profile.features["employer_tie_share"] == 0.5
    result = _score(home_staff)
    assert _contribution(result, "common_employer") < 0 and not result.flagged
    domain = next(c for c in result.contributions if c.signal == "common_employer").evidence[0]
    assert domain.id == "evalworks.example" and "all from home or cloud addresses" in domain.detail
    # A campaign whose accounts mostly sign up on free mail, some on a few throwaway domains, still stands out.
    campaign = _campaign()
    for i, m in enumerate(campaign[:8]):
        m["email"] = {"id": f"quickmail-relay{i % 2}.io", "free": False}
    assert cluster_profile(campaign, MODELS).features["employer_tie_share"] == pytest.approx(4 / 30, abs=1e-4)
    assert _score(campaign).flagged


def test_strangers_on_public_prompts_that_many_others_use_are_not_flagged() -> None:
    """A popular collection's templates: used by a few hundred accounts outside this group."""
    members = [
        _stranger(i, [(f"collection{(i + k) % 10}", 400) for k in range(4)], reasoning=0.1, pivot_h=None,
                  caps=[100, 200, 0, 0, 0, 300, 100, 300, 0])
        for i in range(30)
    ]  # fmt: skip
    result = _score(members)
    profile = cluster_profile(members, MODELS)
    assert profile.features["private_template_share"] == 0.0
    assert _contribution(result, "private_templates") == 0.0 and not result.flagged
    public = next(c for c in result.contributions if c.signal == "private_templates").evidence
    assert public and "public, not counted" in public[0].detail


def test_a_campaign_cut_into_two_clusters_keeps_its_templates_private() -> None:
    members = _campaign(30)
    half, other = members[:15], members[15:]
    assert cluster_profile(half, MODELS).features["private_template_share"] < 0.5  # half their users are elsewhere
    groups = template_groups([half, other], min_members=3)
    together = cluster_profile(half, MODELS, template_groups=groups)
    assert together.features["private_template_share"] == 1.0
    assert "in other clusters around it and 0 elsewhere" in together.evidence["private_templates"][0].detail
    # ...but a template whose users sit mostly outside any cluster stays public.
    public = [_stranger(i, [("collection1", 200), ("collection2", 200)]) for i in range(6)]
    spread = template_groups([public[:3], public[3:]], min_members=3)
    assert cluster_profile(public[:3], MODELS, template_groups=spread).features["private_template_share"] == 0.0


def test_a_fast_move_is_the_share_of_members_first_using_the_model_within_two_days() -> None:
    profile = cluster_profile(_campaign(12), MODELS)
    assert profile.features["fast_pivot_share"] == 1.0  # all within 6 to 31 hours
    assert profile.evidence["fast_pivot"][0].detail.startswith("12 of 12 active accounts first used nova-4 within 48 h")
    late = [_stranger(i, [], pivot_h=50.0) for i in range(12)]
    assert cluster_profile(late, MODELS).features["fast_pivot_share"] == 0.0


def test_sign_ups_of_a_large_cluster_hours_apart_by_chance_are_no_burst() -> None:
    rng = np.random.default_rng(3)
    organic = T0 - rng.random(3000) * 720 * DAY
    share, _ = signup_bursts(organic)
    assert share < 0.01
    burst = np.concatenate([organic, T0 + rng.random(40) * 2 * H])
    share, evidence = signup_bursts(burst)
    assert share >= 40 / len(burst) and evidence[0].accounts >= 40


def test_ordinary_bans_in_a_large_cluster_are_not_hydra_replacements() -> None:
    rng = np.random.default_rng(5)
    members = [_stranger(i, []) for i in range(2000)]
    for i, m in enumerate(members):
        m["created_at"] = int(T0 - rng.random() * 720 * DAY)
        if i % 100 == 0:
            m["status"], m["status_changed_at"] = "suspended", int(T0 - rng.random() * 700 * DAY)
    assert cluster_profile(members, MODELS).features["replacement_share"] == 0.0
