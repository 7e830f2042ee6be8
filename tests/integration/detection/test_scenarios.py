"""Detection on small hand-built graphs whose expected clusters are written down beside them."""

from __future__ import annotations

import pytest

from graph.detection.params import DetectionParams
from graph.detection.pipeline import DetectionResult, run_detection
from graph.driver import Graph
from tests.integration.detection.builders import (
    DAY,
    HOUR,
    RELEASE,
    T0,
    Acct,
    flat_hours,
    human_days,
    office_hours,
    organisation,
    ring,
    stranger,
    write_accounts,
)

pytestmark = pytest.mark.integration


def _detect(graph: Graph, run_id: int = 1) -> DetectionResult:
    return run_detection(graph, run_id, DetectionParams())


def _clusters(result: DetectionResult) -> dict[frozenset[str], bool]:
    return {frozenset(c.accounts): c.score.flagged for c in result.clusters}


def _flagged_accounts(result: DetectionResult) -> set[str]:
    return {a for c in result.clusters if c.score.flagged for a in c.accounts}


def test_two_rings_sharing_nothing_become_two_flagged_clusters(clean_graph: Graph) -> None:
    red = ring("red", 9, created=T0 - 5 * DAY)
    blue = ring("blue", 7, created=T0 - 2 * DAY)
    write_accounts(clean_graph, red + blue)
    result = _detect(clean_graph)
    # Expected: exactly {red-000..red-008} and {blue-000..blue-006}, both flagged.
    assert _clusters(result) == {frozenset(a.id for a in red): True, frozenset(a.id for a in blue): True}
    top = result.clusters[0]
    assert top.score.score > 0.9 and len(top.score.top_signals) == 3
    kinds = {e.kind for c in top.score.contributions for e in c.evidence}
    assert {"payment_instrument", "device", "time_window", "model"} <= kinds


def test_an_organisation_sharing_a_card_is_a_cluster_but_not_flagged(clean_graph: Graph) -> None:
    acme = organisation("acme", 10)
    quiet = organisation("quietco", 6, declared=False)
    write_accounts(clean_graph, acme + quiet)
    result = _detect(clean_graph)
    # Expected: each company is one cluster of its own members, neither flagged.
    assert _clusters(result) == {frozenset(a.id for a in acme): False, frozenset(a.id for a in quiet): False}
    by_members = {frozenset(c.accounts): c for c in result.clusters}
    mitigation = {c.signal: c.contribution for c in by_members[frozenset(a.id for a in acme)].score.contributions}
    assert mitigation["declared_organisation"] < -0.5


def _crowd(prefix: str, n: int, ips: list[tuple[str, str]], **extra: object) -> list[Acct]:
    """Unrelated people behind the same shared addresses, each with their own card and device."""
    return [
        Acct(
            id=f"{prefix}-{i:03d}", created=T0 - (300 + 7 * i) * DAY, email=f"{prefix}{i}@gmail.com",
            cards=[(f"{prefix}-own-card-{i}", "card", "US")], device=f"{prefix}-dev-{i}",
            ips=[ips[i % len(ips)], ips[(i + 1) % len(ips)]], clients=["sdk-python-1.42"],
            hours=office_hours(i % 5, 10, tz_shift=i % 7), **extra,  # type: ignore[arg-type]
        )
        for i in range(n)
    ]  # fmt: skip


def test_campus_vpn_reseller_and_benchmark_look_alikes_are_not_flagged(clean_graph: Graph) -> None:
    campus = _crowd("campus", 40, [(f"172.16.0.{k}", "education") for k in range(3)])
    vpn = _crowd("vpn", 30, [(f"185.1.1.{k}", "proxy") for k in range(6)])
    reseller = _crowd("resell", 30, [(f"203.0.113.{k}", "hosting") for k in range(4)])
    bench = _crowd(
        "bench", 12, [(f"198.18.{k}.1", "business") for k in range(12)],
        templates=[f"public-benchmark-{k}" for k in range(8)], reasoning_share=0.5,
    )  # fmt: skip
    red = ring("red", 8, created=T0 - 3 * DAY)
    # The ring also calls through the reseller's gateway and the VPN exits.
    for i, a in enumerate(red):
        a.ips.append(reseller[0].ips[0] if i % 2 else vpn[0].ips[0])
    write_accounts(clean_graph, campus + vpn + reseller + bench + red)
    result = _detect(clean_graph)
    # Expected: the ring alone is flagged; no campus, VPN, reseller or benchmark account is.
    assert _flagged_accounts(result) == {a.id for a in red}


def test_a_nat_address_shared_by_hundreds_links_nothing(clean_graph: Graph) -> None:
    nat = [
        Acct(id=f"nat-{i:03d}", created=T0 - i * HOUR, email=f"n{i}@gmail.com", ips=[("100.64.0.1", "mobile")],
             hours=flat_hours(0, 3, every=5, offset=i % 5))
        for i in range(450)
    ]  # fmt: skip
    write_accounts(clean_graph, nat)
    result = _detect(clean_graph)
    assert result.stats["link_pairs_ip"] == 0 and result.stats["link_candidate_pairs"] == 0
    assert result.clusters == ()


def _kit_users(prefix: str, n: int, *, kit: int = 16, width: int = 5, **extra: object) -> list[Acct]:
    """Each account works its own slice of one private template set, reasoning-heavy, moving to the new model
    within a day of its release (each at its own hour)."""
    return [
        stranger(
            prefix, i, templates=[f"{prefix}-kit-{(i + k) % kit}" for k in range(width)], caps=[5, 3, 0, 0, 0, 0, 1, 0, 0],
            reasoning_share=0.8, pivot_at=RELEASE + (6 + 2 * (i % 8)) * HOUR, **extra,
        )
        for i in range(n)
    ]  # fmt: skip


def _contribution(result: DetectionResult, accounts: set[str], signal: str) -> float:
    cluster = next(c for c in result.clusters if set(c.accounts) == accounts)
    return next(c.contribution for c in cluster.score.contributions if c.signal == signal)


def test_unrelated_accounts_working_one_private_template_set_are_flagged(clean_graph: Graph) -> None:
    kit = _kit_users("kit", 16)
    write_accounts(clean_graph, kit)
    result = _detect(clean_graph)
    # Expected: the 16 accounts are one flagged cluster, held together and flagged by their templates alone.
    members = {a.id for a in kit}
    assert _clusters(result) == {frozenset(members): True}
    assert _contribution(result, members, "private_templates") > 0.25
    assert _contribution(result, members, "fast_pivot") > 0.1
    private = next(c for c in result.clusters[0].score.contributions if c.signal == "private_templates")
    assert private.evidence[0].kind == "template" and private.evidence[0].id.startswith("kit-kit-")
    assert "and 0 elsewhere" in private.evidence[0].detail


def test_a_companys_staff_running_its_eval_prompts_is_not_flagged(clean_graph: Graph) -> None:
    offices = [("192.0.2.10", "business"), ("192.0.2.11", "business")]
    staff = _kit_users("evalco", 10)
    for i, a in enumerate(staff):
        a.email = f"staff{i}@evalworks.example"
        a.ips = [offices[i % 2], a.ips[0]]
        a.hours = office_hours(0, 28, tz_shift=-1)
        a.pivot_at = RELEASE + 3 * HOUR + i * 600
    write_accounts(clean_graph, staff)
    result = _detect(clean_graph)
    # Expected: one cluster of the ten colleagues, not flagged: one domain and office explain the shared prompts.
    members = {a.id for a in staff}
    assert _clusters(result) == {frozenset(members): False}
    assert _contribution(result, members, "private_templates") == 0.0
    assert _contribution(result, members, "common_employer") < -0.25
    employer = next(c for c in result.clusters[0].score.contributions if c.signal == "common_employer")
    assert {"email_domain", "ip"} <= {e.kind for e in employer.evidence}


def test_strangers_pasting_public_prompts_are_not_flagged(clean_graph: Graph) -> None:
    public = [f"collection-{k}" for k in range(6)]
    pasters = [
        stranger("paste", i, templates=[public[(i + k) % 6] for k in (0, 1, 3)], caps=[3, 2, 0, 0, 0, 2, 1, 2, 0],
                 reasoning_share=0.3)
        for i in range(60)
    ]  # fmt: skip
    crowd = [stranger("crowd", i, templates=[public[i % 6]], hours=human_days(0, 3, tz_shift=i % 24)) for i in range(400)]
    write_accounts(clean_graph, pasters + crowd)
    result = _detect(clean_graph)
    # Expected: nothing flagged; whatever groups form share prompts that hundreds of others use too.
    assert _flagged_accounts(result) == set()
    for cluster in result.clusters:
        assert cluster.profile.features["private_template_share"] == 0.0
