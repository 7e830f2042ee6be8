"""Detection on small hand-built graphs whose expected clusters are written down beside them."""

from __future__ import annotations

import pytest

from graph.detection.params import DetectionParams
from graph.detection.pipeline import DetectionResult, run_detection
from graph.driver import Graph
from tests.integration.detection.builders import (
    DAY,
    HOUR,
    T0,
    Acct,
    flat_hours,
    office_hours,
    organisation,
    ring,
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
