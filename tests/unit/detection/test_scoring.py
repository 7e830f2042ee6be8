"""Cluster features and the explained score on hand-made members: a ring is flagged, a company is not."""

from typing import Any

import numpy as np
import pytest

from graph.detection.features import cluster_profile
from graph.detection.params import DetectionParams, default_signals
from graph.detection.rhythm import NewModelInfo, pivot_sync, quiet_share, replacements, signup_bursts
from graph.detection.scoring import SIGNALS, score_cluster, soft_cap

H = 3600
T0 = 1_788_220_800  # 2026-09-01
RELEASE = T0 + 14 * 24 * H
EVIDENCE_KINDS = {
    "payment_instrument", "billing_address", "billing_name", "device", "ip", "subnet", "asn", "client_fingerprint",
    "email_domain", "template", "model", "time_window",
}  # fmt: skip


def _flat_hours() -> tuple[list[int], list[int]]:
    hours = [T0 // H + h for h in range(0, 24 * 20)]
    return hours, [5] * len(hours)


def _office_hours() -> tuple[list[int], list[int]]:
    hours = [T0 // H + d * 24 + h for d in range(20) if d % 7 < 5 for h in range(8, 17)]
    return hours, [5] * len(hours)


def _ring_member(i: int) -> dict[str, Any]:
    hours, counts = _flat_hours()
    return {
        "account_id": f"r{i}", "created_at": T0 - 5 * 24 * H + i * 300, "status": "banned" if i < 2 else "active",
        "status_changed_at": T0 + 2 * 24 * H if i < 2 else None,
        "org_id": None, "email": {"id": "gmail.com", "free": True}, "exchanges": 500, "reasoning_exchanges": 400,
        "cap_counts": [400, 50, 0, 0, 0, 0, 50, 0, 0], "hours": hours, "hour_counts": counts,
        "payments": [{"id": f"card{i // 3}", "method": "prepaid_card", "issuer": "US", "bin": "404163", "degree": 3}],
        "addresses": [{"id": f"addr{i // 4}", "country": "SG", "degree": 4}], "names": [],
        "devices": [{"id": f"dev{i // 3}", "degree": 3}],
        "ips": [{"id": f"10.0.0.{i // 2}", "sessions": 10, "degree": 2, "subnet": "10.0.0.0/24",
                 "asn": {"number": 64500, "name": "Stratus", "type": "hosting"}}],
        "clients": [{"id": "rare-client", "sessions": 10, "degree": 12}],
        "templates": [{"id": "t1", "exchanges": 300, "degree": 12}],
        "models": [{"id": "nova-4", "exchanges": 200, "first_seen": RELEASE + 8 * H + i * 600}],
    }  # fmt: skip


def _company_member(i: int, declared: bool = True) -> dict[str, Any]:
    hours, counts = _office_hours()
    return {
        "account_id": f"c{i}", "created_at": T0 - (500 - 40 * i) * 24 * H, "status": "active",
        "status_changed_at": None, "org_id": "org-acme" if declared else None,
        "email": {"id": "acme.example", "free": False}, "exchanges": 300, "reasoning_exchanges": 10,
        "cap_counts": [10, 100, 20, 50, 0, 40, 60, 20, 0], "hours": hours, "hour_counts": counts,
        "payments": [{"id": "corp-card", "method": "card", "issuer": "DE", "bin": "411111", "degree": 10}],
        "addresses": [{"id": "hq", "country": "DE", "degree": 10}], "names": [{"id": "acme", "degree": 10}],
        "devices": [{"id": f"laptop{i}", "degree": 1}],
        "ips": [{"id": "192.0.2.1", "sessions": 10, "degree": 10, "subnet": "192.0.2.0/24",
                 "asn": {"number": 64501, "name": "Citylink", "type": "business"}}],
        "clients": [{"id": "sdk", "sessions": 10, "degree": 5000}],
        "templates": [{"id": "app1", "exchanges": 100, "degree": 10}],
        "models": [{"id": "nova-4", "exchanges": 20, "first_seen": RELEASE + (2 + 7 * i) * 24 * H}],
    }  # fmt: skip


MODELS = [NewModelInfo("nova-4", RELEASE)]
INFRA_SIGNALS = {s.name for s in SIGNALS if s.group == "infrastructure"}


def _score(members: list[dict[str, Any]]) -> Any:
    return score_cluster(cluster_profile(members, MODELS), DetectionParams())


def test_signup_bursts_count_members_created_close_together() -> None:
    created = np.asarray([0, 600, 1200, 10 * 86400, 20 * 86400], dtype=float)
    share, evidence = signup_bursts(created)
    assert share == pytest.approx(3 / 5)
    assert evidence[0].accounts == 3 and evidence[0].kind == "time_window"


def test_replacements_are_sign_ups_within_a_day_of_a_ban() -> None:
    members = [
        {"account_id": "old", "status": "banned", "status_changed_at": 1000, "created_at": 0},
        {"account_id": "new", "status": "active", "created_at": 1000 + 5 * H},
        {"account_id": "late", "status": "active", "created_at": 1000 + 30 * H},
    ]
    count, evidence = replacements(members)
    assert count == 1
    assert "new created 5.0 h after old" in evidence[0].detail


def test_quiet_share_tells_people_from_machines() -> None:
    flat = quiet_share(*_flat_hours())
    office = quiet_share(*_office_hours())
    assert flat == pytest.approx(0.25)
    assert office == 0.0
    assert quiet_share([1, 2], [1, 1]) is None


def test_pivot_sync_finds_the_synchronised_move() -> None:
    ring = pivot_sync([_ring_member(i) for i in range(6)], MODELS, 48.0, 6.0)
    assert ring.fast_share == 1.0 and ring.together == 1.0 and 8.0 <= ring.median_hours <= 9.0
    assert ring.evidence[0].kind == "model" and ring.evidence[0].id == "nova-4"
    # Ordinary adoption: people move one by one over days; within 48 h some do, but not together.
    spread = pivot_sync([_company_member(i) for i in range(10)], MODELS, 48.0, 6.0)
    assert spread.fast_share == pytest.approx(0.1) and spread.together <= 0.1


def test_a_ring_is_flagged_with_an_explanation() -> None:
    result = _score([_ring_member(i) for i in range(12)])
    assert result.flagged and result.score > 0.9
    assert {"signup_burst", "bans", "round_the_clock"} <= {c.signal for c in result.contributions if c.contribution > 0}
    assert len(result.top_signals) == 3
    for item in result.explanation():
        assert set(item) == {"signal", "label", "value", "contribution", "evidence"}
        for e in item["evidence"]:  # type: ignore[union-attr]
            assert {"kind", "id", "accounts", "detail"} <= set(e) <= {"kind", "id", "accounts", "detail", "label"}
            assert e["kind"] in EVIDENCE_KINDS
    cards = next(c for c in result.contributions if c.signal == "card_rotation")
    assert cards.evidence and cards.evidence[0].kind == "payment_instrument" and cards.evidence[0].accounts == 3


def test_evidence_names_entities_by_their_natural_key() -> None:
    """The UI opens evidence by id: a card is its fingerprint (not "BIN 404163"), an address its hash..."""
    members = [_ring_member(i) for i in range(12)]
    keys: dict[str, set[str]] = {
        "payment_instrument": {p["id"] for m in members for p in m["payments"]},
        "billing_address": {a["id"] for m in members for a in m["addresses"]},
        "device": {d["id"] for m in members for d in m["devices"]},
        "ip": {i["id"] for m in members for i in m["ips"]},
        "subnet": {i["subnet"] for m in members for i in m["ips"]},
        "asn": {str(i["asn"]["number"]) for m in members for i in m["ips"]},
        "client_fingerprint": {c["id"] for m in members for c in m["clients"]},
        "template": {t["id"] for m in members for t in m["templates"]},
        "model": {x["id"] for m in members for x in m["models"]},
        "email_domain": {m["email"]["id"] for m in members},
    }
    result = _score(members)
    seen = set()
    for c in result.contributions:
        for e in c.evidence:
            if e.kind in keys:
                assert e.id in keys[e.kind], (c.signal, e)
                seen.add((c.signal, e.kind))
    assert ("prepaid_virtual", "payment_instrument") in seen and ("card_rotation", "payment_instrument") in seen
    prepaid = next(c for c in result.contributions if c.signal == "prepaid_virtual").evidence[0]
    assert prepaid.label == "prepaid card BIN 404163" and "4 prepaid cards from this BIN" in prepaid.detail


def test_a_company_sharing_a_card_is_not_flagged() -> None:
    declared = _score([_company_member(i) for i in range(10)])
    assert not declared.flagged and declared.score < 0.2
    mitigation = next(c for c in declared.contributions if c.signal == "declared_organisation")
    assert mitigation.contribution < -0.5 and mitigation.evidence[0].kind == "email_domain"
    undeclared = _score([_company_member(i, declared=False) for i in range(10)])
    assert not undeclared.flagged
    infrastructure = sum(c.contribution for c in undeclared.contributions if c.signal in INFRA_SIGNALS)
    assert 0 < infrastructure <= 0.35 + 1e-9
    assert next(c for c in undeclared.contributions if c.signal == "single_tenant").contribution < 0


def test_small_clusters_are_never_flagged() -> None:
    result = score_cluster(cluster_profile([_ring_member(i) for i in range(2)], MODELS), DetectionParams())
    assert not result.flagged


def test_soft_cap_keeps_order_inside_zero_one() -> None:
    values = [soft_cap(x) for x in (-1.0, 0.0, 0.3, 0.8, 1.2, 3.0, 10.0)]
    assert values[0] == 0.0 and values[2] == 0.3 and values[3] == pytest.approx(0.8)
    assert values == sorted(values) and values[-1] <= 1.0 and values[4] < values[5]


def test_every_signal_reads_a_feature_the_profile_computes() -> None:
    profile = cluster_profile([_ring_member(i) for i in range(5)], MODELS, link_profile={"hours": 0.5})
    for s in SIGNALS:
        if s.transform is None:
            assert s.feature in profile.features, s.name
        assert not s.evidence or s.evidence in profile.evidence, s.name


def test_every_signal_has_a_weight_and_ramp_in_the_parameters() -> None:
    assert [s.name for s in SIGNALS] == list(default_signals())
    assert all(name in default_signals() for s in SIGNALS for name in s.conditioned_on)
    quieter = DetectionParams.from_dict({"signals": {"bans": {"weight": 0.0}}})
    ring = cluster_profile([_ring_member(i) for i in range(12)], MODELS)
    bans = {c.signal: c.contribution for c in score_cluster(ring, quieter).contributions}["bans"]
    assert bans == 0.0 < {c.signal: c.contribution for c in score_cluster(ring, DetectionParams()).contributions}["bans"]
