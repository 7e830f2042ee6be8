"""A small scenario for case tests: a ring of four accounts in Neo4j, a legitimate neighbour, detection runs.

The ring r1..r4 shares one card (r1-r3), a sign-up device, two proxy IPs in one /24, a campus NAT address
(also used by the legitimate l1), a prompt template and a non-free email domain. Card c-solo is used by r4
alone, so it is not a shared indicator. The top cluster of run 1 is C-000001 = r1..r4; C-000002 = x1, x2.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from graph.driver import Graph
from investigations.models import Cluster, ClusterMember, DetectionRun, IndicatorKind, JobStatus
from investigations.roles import Role

CARD = "aaaa1111bbbb2222"
SOLO_CARD = "cccc3333dddd4444"
DEVICE = "deadbeefcafe0001"
TEMPLATE_ID = "T-0001"
TEMPLATE_FP = "0123456789abcdef"
DOMAIN = "mailbox-ring.example"
RING = ["r1", "r2", "r3", "r4"]

# Every indicator the case holds after opening it from C-000001 (kind, value, accounts in case, accounts overall).
EXPECTED_INDICATORS = {
    (IndicatorKind.PAYMENT_FINGERPRINT, CARD, 3, 3),
    (IndicatorKind.DEVICE, DEVICE, 4, 4),
    (IndicatorKind.IP, "203.0.113.5", 2, 2),
    (IndicatorKind.IP, "203.0.113.9", 2, 2),
    (IndicatorKind.IP, "10.0.0.7", 2, 3),
    (IndicatorKind.SUBNET, "203.0.113.0/24", 4, 4),
    (IndicatorKind.SUBNET, "10.0.0.0/24", 2, 3),
    (IndicatorKind.PROMPT_TEMPLATE, TEMPLATE_FP, 4, 4),
    (IndicatorKind.EMAIL_DOMAIN, DOMAIN, 4, 4),
}

EXPLANATION = [
    {"signal": "card_rotation", "label": "cards shared across accounts", "value": 0.75, "contribution": 0.31,
     "evidence": [{"kind": "payment_instrument", "id": CARD, "accounts": 3, "detail": "card on 3 accounts here"},
                  {"kind": "payment_instrument", "id": "BIN 411111", "accounts": 3, "detail": "prepaid"}]},
    {"signal": "template_concentration", "label": "few templates", "value": 1.0, "contribution": 0.22,
     "evidence": [{"kind": "template", "id": TEMPLATE_ID, "accounts": 4, "detail": "template of 4 accounts"}]},
    {"signal": "hosting_share", "label": "hosting and proxy networks", "value": 0.5, "contribution": 0.12,
     "evidence": [{"kind": "asn", "id": "64500", "accounts": 4, "detail": "AS64500 proxy"}]},
    {"signal": "human_rhythm", "label": "sleep-shaped activity", "value": 0.1, "contribution": -0.04, "evidence": []},
]  # fmt: skip

_ACCOUNTS = """
UNWIND $rows AS row
MERGE (a:Account {account_id: row.id})
SET a.status = row.status, a.email = row.email, a.plan = 'build', a.created_at = datetime(row.created),
    a.exchanges = row.exchanges, a.country = 'NL', a.org_id = null
WITH a, row
MERGE (d:EmailDomain {domain: row.domain}) SET d.free = row.free
MERGE (a)-[:EMAIL_AT]->(d)
"""
_LINKS = """
UNWIND $rows AS row
MATCH (a:Account {account_id: row.account})
FOREACH (fp IN CASE WHEN row.kind = 'card' THEN [row.value] ELSE [] END |
  MERGE (p:PaymentInstrument {fingerprint: fp}) MERGE (a)-[:PAID_WITH]->(p))
FOREACH (fp IN CASE WHEN row.kind = 'device' THEN [row.value] ELSE [] END |
  MERGE (d:Device {fingerprint: fp}) MERGE (a)-[:SIGNED_UP_FROM]->(d))
FOREACH (ip IN CASE WHEN row.kind = 'signup_ip' THEN [row.value] ELSE [] END |
  MERGE (i:IP {address: ip}) MERGE (s:Subnet {prefix: row.extra}) MERGE (i)-[:IN]->(s) MERGE (a)-[:SIGNED_UP_AT]->(i))
FOREACH (ip IN CASE WHEN row.kind = 'ip' THEN [row.value] ELSE [] END |
  MERGE (i:IP {address: ip}) MERGE (s:Subnet {prefix: row.extra}) MERGE (i)-[:IN]->(s) MERGE (a)-[:USED_IP]->(i))
FOREACH (t IN CASE WHEN row.kind = 'template' THEN [row.value] ELSE [] END |
  MERGE (p:PromptTemplate {template_id: t}) SET p.fingerprint = row.extra MERGE (a)-[:USED_TEMPLATE]->(p))
"""
_STATUS = "MATCH (a:Account {account_id: $account}) SET a.status = $status, a.status_changed_at = datetime()"


def _account(account_id: str, domain: str = DOMAIN, free: bool = False) -> dict[str, Any]:
    return {"id": account_id, "status": "active", "email": f"{account_id}@{domain}", "domain": domain,
            "free": free, "created": "2026-09-01T00:00:00Z", "exchanges": 100}  # fmt: skip


def _links(account_id: str, pairs: list[tuple[str, str, str]]) -> list[dict[str, str]]:
    return [{"account": account_id, "kind": k, "value": v, "extra": e} for k, v, e in pairs]


def seed_ring(g: Graph) -> None:
    """Write the ring, the legitimate neighbour and the second cluster's accounts."""
    accounts = [_account(a) for a in RING] + [_account("l1", "campus.example"), _account("x1", "gmail.com", True),
                                               _account("x2", "gmail.com", True)]  # fmt: skip
    g.write_text("test_cases_accounts", _ACCOUNTS, rows=accounts)
    links: list[dict[str, str]] = []
    for n, account in enumerate(RING):
        pairs = [("device", DEVICE, ""), ("template", TEMPLATE_ID, TEMPLATE_FP),
                 ("ip", "203.0.113.5" if n < 2 else "203.0.113.9", "203.0.113.0/24")]  # fmt: skip
        if n < 3:
            pairs.append(("card", CARD, ""))
        if n < 2:
            pairs.append(("ip", "10.0.0.7", "10.0.0.0/24"))
        links += _links(account, pairs)
    links += _links("r4", [("card", SOLO_CARD, "")])
    links += _links("l1", [("ip", "10.0.0.7", "10.0.0.0/24"), ("signup_ip", "10.0.0.7", "10.0.0.0/24")])
    g.write_text("test_cases_links", _LINKS, rows=links)


def later_ingest(g: Graph) -> None:
    """A later drop: r5 joins the ring's card and device; r1 and r5 share a new address; r2 gets banned."""
    g.write_text("test_cases_accounts", _ACCOUNTS, rows=[_account("r5")])
    links = _links("r5", [("card", CARD, ""), ("device", DEVICE, ""), ("ip", "198.51.100.77", "198.51.100.0/24")])
    links += _links("r1", [("ip", "198.51.100.77", "198.51.100.0/24")])
    g.write_text("test_cases_links", _LINKS, rows=links)
    g.write_text("test_cases_status", _STATUS, account="r2", status="banned")


def make_run(clusters: dict[str, tuple[list[str], float]], *, new: set[str] | None = None) -> DetectionRun:
    """A succeeded detection run with the given clusters {key: (members, score)} (the ring's explanation on all)."""
    now = timezone.now()
    run = DetectionRun.objects.create(status=JobStatus.SUCCEEDED, stage="done", progress=1.0, started_at=now,
                                      finished_at=now)  # fmt: skip
    for key, (members, score) in clusters.items():
        cluster = Cluster.objects.create(
            run=run, key=key, size=len(members), score=score, flagged=score >= 0.5, exchanges=100 * len(members),
            features={"size": len(members)}, explanation=EXPLANATION, top_signals=["card_rotation"],
            lineage={"status": "continued", "predecessor": key}, new_members=len(new or set()),
            dominant_capability="reasoning",
        )  # fmt: skip
        ClusterMember.objects.bulk_create(
            [ClusterMember(cluster=cluster, account_id=a, exchanges=100, is_new=a in (new or set())) for a in members]
        )
    return run


@dataclass
class Scenario:
    """The seeded graph and the first detection run."""

    graph: Graph
    run: DetectionRun
    top: Cluster
    other: Cluster


@pytest.fixture
def scenario(clean_graph: Graph, db: Any) -> Scenario:
    """The ring in Neo4j and run 1 (C-000001 = the ring, top; C-000002 = x1, x2)."""
    seed_ring(clean_graph)
    run = make_run({"C-000001": (RING, 0.91), "C-000002": (["x1", "x2"], 0.42)})
    return Scenario(clean_graph, run, run.clusters.get(key="C-000001"), run.clusters.get(key="C-000002"))


@pytest.fixture
def second_manager(make_user: Callable[..., User]) -> User:
    """Another case manager, to assign cases to."""
    return make_user(Role.CASE_MANAGER, "casey")
