"""A small, realistic scenario for the analyst workspace, following graph/model.md.

The graph (Neo4j):
- hydra campaign (84 accounts hyd-0001..hyd-0084): 3 prepaid cards (28 accounts each), 2 billing addresses,
  one billing name on the first 40, 4 sign-up devices, six proxy IPs in 203.0.113.0/24 (AS64500, hosting),
  one SDK client fingerprint, two reasoning templates; round-the-clock activity; hyd-0001..0020 banned on
  2026-09-10 12:00 and hyd-0065..0084 signed up within hours (replacements); traffic pivots from nova-3 to
  nova-4 within ten hours of its release on 2026-09-15 16:00. hyd-0001 also used the campus NAT address.
- coding ring (13 accounts ring-01..ring-12 plus HOSTILE_ID): one card, one device, one coding template,
  an IP in the same hosting /24; telemetry strings full of markup, quotes, backticks and Cypher.
- organisation (acme-01..08): corporate card, office IP, app template, declared organisation (hard negative).
- individuals (user-001..020): own cards and home IPs; user-001..003 behind the campus NAT 198.51.100.7;
  user-001..004 are benchmark researchers sharing a public template.

The records (Django): runs 9001 (earlier) and 9002 (latest) with clusters C-000001 (hydra; 64 then 84
members), C-000002 (ring), C-000003 (organisation, not flagged) and C-000004 (benchmark researchers, flagged
low), explanations with evidence, a regrowth alert on C-000001, and MEMBER_OF edges for both runs.

Longer than ~400 lines on purpose: it is declarative fixture data, one scenario every UI test reads.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from graph.driver import Graph
from investigations.models import Cluster, ClusterMember, DetectionRun, JobStatus, RegrowthAlert

UTC = dt.UTC
START = dt.datetime(2026, 9, 1, tzinfo=UTC)
RELEASE = dt.datetime(2026, 9, 15, 16, tzinfo=UTC)
BAN_TIME = dt.datetime(2026, 9, 10, 12, tzinfo=UTC)
SCRIPT = "<script>alert(1)</script>"
CYPHER = "MATCH (n) DETACH DELETE n"
HOSTILE_ID = f"{SCRIPT}\"'`{CYPHER}"
HOSTILE_EMAIL = "\"'><script>alert(1)</script>@evil.example"
HOSTILE_UA = f"{SCRIPT} \"double\" 'single' `tick` {CYPHER}"
HOSTILE_ASN_NAME = f'HostCo {SCRIPT} "proxy"'
HOSTILE_DETAIL = f"template text `{SCRIPT}` {CYPHER}"
CAMPUS_IP = "198.51.100.7"
PROXY_IPS = [f"203.0.113.{10 + i}" for i in range(6)]
RING_IP = "203.0.113.77"
OFFICE_IP = "192.0.2.50"
HYDRA_CARDS = ["a1b2c3d4e5f60001", "a1b2c3d4e5f60002", "a1b2c3d4e5f60003"]
RING_CARD = "feedfacecafebeef"
ORG_CARD = "0a0b0c0d0e0f1011"
HYDRA_DEVICES = [f"d0d0d0d0000000{i:02d}" for i in range(1, 5)]
RING_DEVICE = "deadbeef00000001"
SDK_CLIENT = "c0ffee00c0ffee00"
HYDRA_TEMPLATES = [("tpl-reason-01", "0f0f0f0f0f0f0f0f"), ("tpl-reason-02", "f0f0f0f0f0f0f0f0")]
RING_TEMPLATE = ("tpl-code-01", "1234567890abcdef")
BENCH_TEMPLATE = ("tpl-bench-01", "00ff00ff00ff00ff")
ORG_TEMPLATE = ("tpl-app-01", "ffff0000ffff0000")
SHARED_HEX = "5a5a5a5a5a5a5a5a"  # user-020's device and card fingerprints are equal: a search with two hits
EARLIER_RUN, LATEST_RUN = 9001, 9002
TOP, RING_KEY, ORG_KEY, BENCH_KEY = "C-000001", "C-000002", "C-000003", "C-000004"
CAPS = ("reasoning", "coding", "agentic", "tool_use", "vision", "writing", "analysis", "chat", "other")

HYDRA = [f"hyd-{i:04d}" for i in range(1, 85)]
RING = [f"ring-{i:02d}" for i in range(1, 13)] + [HOSTILE_ID]
ORG = [f"acme-{i:02d}" for i in range(1, 9)]
USERS = [f"user-{i:03d}" for i in range(1, 21)]


def _hour(t: dt.datetime) -> int:
    return int(t.timestamp()) // 3600


@dataclass
class Account:
    """One account with everything the scenario writes about it."""

    account_id: str
    email: str
    created_at: dt.datetime
    status: str = "active"
    status_changed_at: dt.datetime | None = None
    plan: str = "build"
    country: str = "US"
    org_id: str | None = None
    device: str | None = None
    signup_ip: str | None = None
    cards: list[str] = field(default_factory=list)
    address: str | None = None
    name: str | None = None
    ips: list[str] = field(default_factory=list)  # session IPs, one session each, in order
    client: str | None = None
    user_agent: str = "python-sdk/1.2"
    templates: list[str] = field(default_factory=list)
    caps: tuple[int, ...] = (0, 0, 0, 0, 0, 0, 0, 40, 0)
    reasoning: int = 0
    models: dict[str, tuple[dt.datetime, dt.datetime]] = field(default_factory=dict)
    hours: list[int] = field(default_factory=list)

    @property
    def exchanges(self) -> int:
        """Total exchanges."""
        return sum(self.caps)


def _accounts() -> list[Account]:
    accounts: list[Account] = []
    for i, a in enumerate(HYDRA):
        replacement = i >= 64
        created = (
            BAN_TIME + dt.timedelta(hours=2 + (i - 64))
            if replacement
            else START + dt.timedelta(days=1, hours=i // 4)
        )
        start_h, end_h = _hour(created) + 1, _hour(START + dt.timedelta(days=29))
        banned = i < 20
        if banned:
            end_h = _hour(BAN_TIME)
        acct = Account(
            account_id=a, email=f"{a}@mailbox.example", created_at=created, plan="build", country="SG",
            status="banned" if banned else "active", status_changed_at=BAN_TIME if banned else None,
            device=HYDRA_DEVICES[i % 4], signup_ip=PROXY_IPS[i % 6], cards=[HYDRA_CARDS[i % 3]],
            address=f"addr-hydra-{i % 2}", name="name-hydra" if i < 40 else None,
            ips=[PROXY_IPS[(i + k) % 6] for k in range(3)] + ([CAMPUS_IP] if a == "hyd-0001" else []),
            client=SDK_CLIENT, user_agent="hydra-client/1.0", templates=[t for t, _ in HYDRA_TEMPLATES],
            caps=(600, 100, 50, 20, 0, 10, 20, 0, 0), reasoning=640,
            hours=list(range(start_h, end_h, 2)),
        )  # fmt: skip
        switch = RELEASE + dt.timedelta(hours=9)
        first, last = created + dt.timedelta(hours=1), START + dt.timedelta(days=29)
        acct.models = {"nova-3": (first, min(last, switch))}
        if not banned:
            acct.models["nova-4"] = (max(first, switch), last)
        accounts.append(acct)
    for i, a in enumerate(RING):
        accounts.append(
            Account(
                account_id=a, email=HOSTILE_EMAIL if i == 0 else f"{a}@coder.example" if i < 12 else f"{SCRIPT}@x.example",
                created_at=START + dt.timedelta(days=3, minutes=7 * i), plan="scale", country="VN",
                device=RING_DEVICE, signup_ip=RING_IP, cards=[RING_CARD], ips=[RING_IP, RING_IP],
                client=f"bead{i:012d}", user_agent=HOSTILE_UA, templates=[RING_TEMPLATE[0]],
                caps=(30, 300, 40, 10, 0, 0, 0, 0, 0), reasoning=20,
                hours=list(range(_hour(START) + 80, _hour(START) + 500, 3)),
                models={"nova-3": (START + dt.timedelta(days=4), START + dt.timedelta(days=20))},
            )
        )  # fmt: skip
    for i, a in enumerate(ORG):
        accounts.append(
            Account(
                account_id=a, email=f"{a}@acme.example", created_at=START - dt.timedelta(days=200 - i), plan="enterprise",
                country="DE", org_id="org-acme", device=f"0e0e0e0e{i:08d}", signup_ip=OFFICE_IP, cards=[ORG_CARD],
                address="addr-acme", ips=[OFFICE_IP, OFFICE_IP], client=SDK_CLIENT, templates=[ORG_TEMPLATE[0]],
                caps=(5, 20, 0, 0, 0, 60, 30, 80, 5),
                hours=[_hour(START + dt.timedelta(days=d, hours=h)) for d in range(0, 28) if d % 7 < 5 for h in (8, 10, 14, 16)],
                models={"nova-3": (START, START + dt.timedelta(days=28))},
            )
        )  # fmt: skip
    for i, a in enumerate(USERS):
        home = f"100.64.{i}.{20 + i}"
        accounts.append(
            Account(
                account_id=a, email=f"{a}@gmail.example", created_at=START - dt.timedelta(days=30 + i), plan="free",
                country="FR", device=SHARED_HEX if i == 19 else f"0f0f1e1e{i:08d}", signup_ip=home,
                cards=[SHARED_HEX if i == 19 else f"9a9a9a9a{i:08d}"],
                ips=[home, CAMPUS_IP] if i < 3 else ["2001:db8::1"] if i == 19 else [home],
                client=f"cafe{i:012d}", templates=[BENCH_TEMPLATE[0]] if i < 4 else [],
                caps=(10, 5, 0, 0, 0, 5, 5, 15, 0), reasoning=3,
                hours=[_hour(START + dt.timedelta(days=d, hours=19)) for d in range(0, 28, 2)],
                models={"nova-3": (START, START + dt.timedelta(days=27))},
            )
        )  # fmt: skip
    return accounts


ACCOUNTS = _accounts()


def _asn(ip: str) -> tuple[str, int, str, str]:
    """Subnet, ASN number, name and type of a scenario IP."""
    if ip.startswith("203.0.113."):
        return "203.0.113.0/24", 64500, HOSTILE_ASN_NAME, "hosting"
    if ip == CAMPUS_IP:
        return "198.51.100.0/24", 64501, "Campus 'Uni' \"Net\"", "education"
    if ip == OFFICE_IP:
        return "192.0.2.0/24", 64502, "Office ISP", "business"
    if ip.startswith("2001:db8:"):
        return "2001:db8::/48", 64504, "Home ISP v6", "isp"
    parts = ip.split(".")
    return f"{parts[0]}.{parts[1]}.{parts[2]}.0/24", 64503, "Home ISP", "isp"


def _spread(total: int, parts: int, index: int) -> int:
    """`total` split into `parts` near-equal integers; the `index`-th one."""
    return total // parts + (1 if index < total % parts else 0)


def _rows(accounts: list[Account]) -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, list[dict[str, Any]]] = {k: [] for k in ("accounts", "entities", "sessions", "ips")}
    templates = dict([*HYDRA_TEMPLATES, RING_TEMPLATE, BENCH_TEMPLATE, ORG_TEMPLATE])
    for a in accounts:
        n = len(a.hours) or 1
        hour_counts = [_spread(a.exchanges, n, i) for i in range(len(a.hours))]
        first = dt.datetime.fromtimestamp(a.hours[0] * 3600, tz=UTC) if a.hours else None
        last = dt.datetime.fromtimestamp(a.hours[-1] * 3600 + 3599, tz=UTC) if a.hours else None
        rows["accounts"].append(
            {
                "id": a.account_id,
                "props": {
                    "email": a.email, "created_at": a.created_at, "status": a.status,
                    "status_changed_at": a.status_changed_at, "plan": a.plan, "country": a.country,
                    "org_id": a.org_id, "exchanges": a.exchanges, "input_tokens": a.exchanges * 900,
                    "output_tokens": a.exchanges * 1500, "reasoning_exchanges": a.reasoning, "cap_counts": list(a.caps),
                    "hours": a.hours, "hour_counts": hour_counts, "first_seen": first, "last_seen": last,
                },
                "domain": a.email.rsplit("@", 1)[1],
                "free": a.email.endswith(("@mailbox.example", "@gmail.example")),
                "org": a.org_id, "device": a.device, "signup_ip": a.signup_ip, "address": a.address, "name": a.name,
                "cards": [{"fingerprint": c, "billing_id": f"b-{a.account_id}-{j}", "spend": 20.0 + j} for j, c in enumerate(a.cards)],
                "client": a.client,
                "templates": [{"id": t, "fingerprint": templates[t], "exchanges": _spread(a.exchanges, len(a.templates), j)} for j, t in enumerate(a.templates)],
                "models": [{"name": m, "first": f, "last": la, "exchanges": _spread(a.exchanges, len(a.models), j)} for j, (m, (f, la)) in enumerate(sorted(a.models.items()))],
            }
        )  # fmt: skip
        for k, ip in enumerate(a.ips):
            started = a.created_at + dt.timedelta(hours=6 + 30 * k)
            subnet, asn, asn_name, asn_type = _asn(ip)
            share = _spread(a.exchanges, len(a.ips), k)
            rows["sessions"].append(
                {
                    "id": f"s-{a.account_id}-{k + 1}", "account": a.account_id, "ip": ip, "key": f"k-{a.account_id}",
                    "client": a.client, "template": a.templates[0] if a.templates else None,
                    "model": sorted(a.models)[0] if a.models else None,
                    "props": {
                        "started_at": started, "ended_at": started + dt.timedelta(minutes=45), "user_agent": a.user_agent,
                        "asn": asn, "exchanges": share, "reasoning_exchanges": _spread(a.reasoning, len(a.ips), k),
                        "first_seen": started, "last_seen": started + dt.timedelta(minutes=44),
                    },
                }
            )  # fmt: skip
            rows["ips"].append({"ip": ip, "subnet": subnet, "asn": asn, "asn_name": asn_name, "asn_type": asn_type,
                                "version": 6 if ":" in ip else 4})  # fmt: skip
    return rows


_WRITE_ACCOUNTS = """
UNWIND $rows AS row
MERGE (a:Account {account_id: row.id})
SET a += row.props
MERGE (d:EmailDomain {domain: row.domain}) SET d.free = row.free
MERGE (a)-[:EMAIL_AT]->(d)
FOREACH (o IN CASE WHEN row.org IS NULL THEN [] ELSE [row.org] END |
  MERGE (org:Organization {org_id: o}) MERGE (a)-[:BELONGS_TO]->(org))
FOREACH (f IN CASE WHEN row.device IS NULL THEN [] ELSE [row.device] END |
  MERGE (dev:Device {fingerprint: f}) MERGE (a)-[:SIGNED_UP_FROM]->(dev))
FOREACH (ip IN CASE WHEN row.signup_ip IS NULL THEN [] ELSE [row.signup_ip] END |
  MERGE (i:IP {address: ip}) MERGE (a)-[:SIGNED_UP_AT]->(i))
FOREACH (h IN CASE WHEN row.address IS NULL THEN [] ELSE [row.address] END |
  MERGE (ba:BillingAddress {hash: h}) SET ba.country = 'SG', ba.postal = '018956' MERGE (a)-[:BILLED_AT]->(ba))
FOREACH (h IN CASE WHEN row.name IS NULL THEN [] ELSE [row.name] END |
  MERGE (bn:BillingName {hash: h}) MERGE (a)-[:BILLED_AS]->(bn))
FOREACH (c IN row.cards |
  MERGE (p:PaymentInstrument {fingerprint: c.fingerprint}) SET p.method = 'prepaid_card', p.card_bin = '411111',
    p.issuer_country = 'US'
  MERGE (a)-[r:PAID_WITH]->(p) SET r.billing_id = c.billing_id, r.spend_usd = c.spend, r.method = 'prepaid_card',
    r.created_at = a.created_at)
FOREACH (f IN CASE WHEN row.client IS NULL THEN [] ELSE [row.client] END |
  MERGE (cf:ClientFingerprint {fingerprint: f}) MERGE (a)-[r:USED_CLIENT]->(cf) SET r.sessions = 2)
FOREACH (t IN row.templates |
  MERGE (pt:PromptTemplate {template_id: t.id}) SET pt.fingerprint = t.fingerprint
  MERGE (a)-[r:USED_TEMPLATE]->(pt) SET r.exchanges = t.exchanges, r.first_seen = a.first_seen, r.last_seen = a.last_seen)
FOREACH (m IN row.models |
  MERGE (mo:Model {name: m.name})
  MERGE (a)-[r:USED_MODEL]->(mo) SET r.exchanges = m.exchanges, r.first_seen = m.first, r.last_seen = m.last)
"""

_WRITE_IPS = """
UNWIND $rows AS row
MERGE (i:IP {address: row.ip}) SET i.version = row.version
MERGE (s:Subnet {prefix: row.subnet})
MERGE (n:ASN {number: row.asn}) SET n.name = row.asn_name, n.type = row.asn_type
MERGE (i)-[:IN]->(s)
MERGE (s)-[:IN]->(n)
"""

_WRITE_SESSIONS = """
UNWIND $rows AS row
MATCH (a:Account {account_id: row.account})
MERGE (s:Session {session_id: row.id})
SET s += row.props
MERGE (a)-[:HAD_SESSION]->(s)
MERGE (k:APIKey {key_id: row.key})
MERGE (a)-[:HAS_KEY]->(k)
MERGE (s)-[:USED_KEY]->(k)
MERGE (i:IP {address: row.ip})
MERGE (s)-[:FROM_IP]->(i)
MERGE (a)-[u:USED_IP]->(i)
SET u.sessions = coalesce(u.sessions, 0) + 1, u.exchanges = coalesce(u.exchanges, 0) + row.props.exchanges,
    u.first_seen = row.props.started_at, u.last_seen = row.props.ended_at
FOREACH (f IN CASE WHEN row.client IS NULL THEN [] ELSE [row.client] END |
  MERGE (cf:ClientFingerprint {fingerprint: f}) MERGE (s)-[:WITH_CLIENT]->(cf))
FOREACH (t IN CASE WHEN row.template IS NULL THEN [] ELSE [row.template] END |
  MERGE (pt:PromptTemplate {template_id: t})
  SET s.templates = [t], s.template_exchanges = [row.props.exchanges])
FOREACH (m IN CASE WHEN row.model IS NULL THEN [] ELSE [row.model] END |
  MERGE (mo:Model {name: m})
  SET s.models = [m], s.model_exchanges = [row.props.exchanges])
"""

_WRITE_MODELS = """
UNWIND $rows AS row
MERGE (m:Model {name: row.name}) SET m.released_at = row.released_at
"""

_WRITE_TEMPLATE_COUNTS = """
MATCH (t:PromptTemplate)
SET t.accounts = COUNT { (t)<-[:USED_TEMPLATE]-(:Account) },
    t.exchanges = COLLECT { MATCH (t)<-[r:USED_TEMPLATE]-(:Account) RETURN sum(r.exchanges) }[0]
"""

_WRITE_CLUSTERS = """
UNWIND $rows AS row
MERGE (c:Cluster {cluster_id: row.cluster_id})
SET c.run_id = row.run_id, c.key = row.key, c.score = row.score, c.flagged = row.flagged, c.size = size(row.members)
WITH c, row
UNWIND row.members AS m
MATCH (a:Account {account_id: m.id})
MERGE (a)-[r:MEMBER_OF]->(c)
SET r.is_new = m.is_new
"""


def load_graph(graph: Graph) -> None:
    """Write the scenario's accounts, entities, sessions and models into an (empty) graph."""
    rows = _rows(ACCOUNTS)
    graph.write_text("scenario_ips", _WRITE_IPS, rows=rows["ips"])
    graph.write_text("scenario_accounts", _WRITE_ACCOUNTS, rows=rows["accounts"])
    graph.write_text("scenario_sessions", _WRITE_SESSIONS, rows=rows["sessions"])
    graph.write_text("scenario_ips", _WRITE_IPS, rows=rows["ips"])
    graph.write_text(
        "scenario_models",
        _WRITE_MODELS,
        rows=[
            {"name": "nova-3", "released_at": dt.datetime(2026, 3, 18, 16, tzinfo=UTC)},
            {"name": "nova-4", "released_at": RELEASE},
        ],
    )
    graph.write_text("scenario_template_counts", _WRITE_TEMPLATE_COUNTS)


def _ev(kind: str, entity_id: str, accounts: int | list[str], detail: str, label: str = "") -> dict[str, Any]:
    return {"kind": kind, "id": entity_id, "accounts": accounts, "detail": detail, **({"label": label} if label else {})}


HYDRA_EXPLANATION = [
    {"signal": "shared_payment", "label": "Prepaid cards shared across accounts", "value": 3, "contribution": 0.28,
     "evidence": [_ev("payment_instrument", c, 28, "prepaid card, no organisation declared", "prepaid card BIN 404163")
                  for c in HYDRA_CARDS]
     + [_ev("billing_address", "addr-hydra-0", 42, "same street address")]},
    {"signal": "device_reuse", "label": "Sign-up devices reused", "value": 4, "contribution": 0.18,
     "evidence": [_ev("device", d, 21, "browser fingerprint at sign-up") for d in HYDRA_DEVICES]},
    {"signal": "templates", "label": "Few prompt templates", "value": 2, "contribution": 0.15,
     "evidence": [_ev("template", t, 84, "reasoning-trace extraction template") for t, _ in HYDRA_TEMPLATES]},
    {"signal": "hosting_egress", "label": "Traffic from hosting networks", "value": 0.97, "contribution": 0.12,
     "evidence": [_ev("asn", "64500", 84, "hosting"), _ev("subnet", "203.0.113.0/24", 84, "six addresses"),
                  _ev("ip", PROXY_IPS[0], 28, "busiest egress address")]},
    {"signal": "reasoning_share", "label": "Share of reasoning-trace requests", "value": 0.8, "contribution": 0.1,
     "evidence": [_ev("model", "nova-4", 64, "targeted model")]},
    {"signal": "model_pivot", "label": "Pivot to the new model", "value": "9 h", "contribution": 0.08,
     "evidence": [_ev("time_window", "2026-09-15T16:00Z/2026-09-16T01:00Z", 64, "first use of nova-4 after release")]},
    {"signal": "ban_replacement", "label": "Bans followed by replacement sign-ups", "value": 20, "contribution": 0.06,
     "evidence": [_ev("time_window", "2026-09-10T12:00Z/2026-09-11T10:00Z", 20, "20 banned, 20 created within 22 h")]},
    {"signal": "popular_client", "label": "Popular SDK client (common, weak)", "value": 1, "contribution": -0.04,
     "evidence": [_ev("client_fingerprint", SDK_CLIENT, 84, "also used by the organisation's accounts")]},
]  # fmt: skip

RING_EXPLANATION = [
    {"signal": "shared_payment", "label": "One card on every account", "value": 1, "contribution": 0.3,
     "evidence": [_ev("payment_instrument", RING_CARD, RING, "card shared by the whole ring")]},
    {"signal": "device_reuse", "label": "One sign-up device", "value": 1, "contribution": 0.2,
     "evidence": [_ev("device", RING_DEVICE, 13, HOSTILE_DETAIL)]},
    {"signal": "templates", "label": "One coding template", "value": 1, "contribution": 0.14,
     "evidence": [_ev("template", RING_TEMPLATE[0], 13, "agentic coding prompts")]},
    {"signal": "hosting_egress", "label": "Traffic from hosting networks", "value": 1.0, "contribution": 0.1,
     "evidence": [_ev("ip", RING_IP, 13, HOSTILE_ASN_NAME)]},
]  # fmt: skip

ORG_EXPLANATION = [
    {"signal": "shared_payment", "label": "Corporate card shared", "value": 1, "contribution": 0.2,
     "evidence": [_ev("payment_instrument", ORG_CARD, 8, "declared organisation")]},
    {"signal": "declared_org", "label": "Declared organisation", "value": True, "contribution": -0.25,
     "evidence": [_ev("organization", "org-acme", 8, "all members belong to org-acme")]},
    {"signal": "human_rhythm", "label": "Office-hours activity", "value": 0.95, "contribution": -0.15, "evidence": []},
]  # fmt: skip

BENCH_EXPLANATION = [
    {"signal": "templates", "label": "Same public benchmark prompts", "value": 1, "contribution": 0.35,
     "evidence": [_ev("template", BENCH_TEMPLATE[0], 4, "public benchmark")]},
    {"signal": "human_rhythm", "label": "Evening activity", "value": 0.8, "contribution": -0.1, "evidence": []},
]  # fmt: skip


@dataclass
class ClusterSpec:
    """One cluster of one run."""

    key: str
    score: float
    flagged: bool
    members: list[str]
    new: list[str]
    explanation: list[dict[str, Any]]
    top_signals: list[str]
    capability: str
    lineage: dict[str, Any] = field(default_factory=dict)


def cluster_specs() -> dict[int, list[ClusterSpec]]:
    """The clusters of both runs."""
    earlier = [
        ClusterSpec(TOP, 0.81, True, HYDRA[:64], [], HYDRA_EXPLANATION[:4], ["shared_payment", "device_reuse", "templates"], "reasoning"),
        ClusterSpec(RING_KEY, 0.7, True, RING[:10], [], RING_EXPLANATION, ["shared_payment", "device_reuse", "templates"], "coding"),
        ClusterSpec(ORG_KEY, 0.2, False, ORG, [], ORG_EXPLANATION, ["shared_payment", "declared_org", "human_rhythm"], "chat"),
    ]  # fmt: skip
    latest = [
        ClusterSpec(TOP, 0.93, True, HYDRA, HYDRA[64:], HYDRA_EXPLANATION, ["shared_payment", "device_reuse", "templates"], "reasoning",
                    {"predecessors": [TOP], "carried_share": 0.76, "event": "grew"}),
        ClusterSpec(RING_KEY, 0.74, True, RING, RING[10:], RING_EXPLANATION, ["shared_payment", "device_reuse", "templates"], "coding",
                    {"predecessors": [RING_KEY], "carried_share": 0.77, "event": "grew"}),
        ClusterSpec(ORG_KEY, 0.22, False, ORG, [], ORG_EXPLANATION, ["shared_payment", "declared_org", "human_rhythm"], "chat"),
        ClusterSpec(BENCH_KEY, 0.52, True, USERS[:4], USERS[:4], BENCH_EXPLANATION, ["templates", "human_rhythm"], "chat"),
    ]  # fmt: skip
    return {EARLIER_RUN: earlier, LATEST_RUN: latest}


def load_memberships(graph: Graph) -> None:
    """Write the Cluster nodes and MEMBER_OF edges of both runs."""
    rows = [
        {
            "cluster_id": f"{run_id}:{spec.key}", "run_id": run_id, "key": spec.key, "score": spec.score,
            "flagged": spec.flagged, "members": [{"id": m, "is_new": m in spec.new} for m in spec.members],
        }
        for run_id, specs in cluster_specs().items()
        for spec in specs
    ]  # fmt: skip
    graph.write_text("scenario_clusters", _WRITE_CLUSTERS, rows=rows)


def create_records() -> dict[int, DetectionRun]:
    """Create both detection runs with their clusters, members and the regrowth alert (explicit run ids)."""
    exchanges = {a.account_id: a.exchanges for a in ACCOUNTS}
    now = timezone.now()
    runs: dict[int, DetectionRun] = {}
    for offset, (run_id, specs) in enumerate(sorted(cluster_specs().items())):
        run = DetectionRun.objects.create(
            pk=run_id, status=JobStatus.SUCCEEDED, stage="done", progress=1.0,
            stats={"accounts": len(ACCOUNTS), "clusters": len(specs), "flagged": sum(s.flagged for s in specs)},
            started_at=now - dt.timedelta(days=7 - offset * 6, minutes=5), finished_at=now - dt.timedelta(days=7 - offset * 6),
        )  # fmt: skip
        # created_at is auto_now_add: order the runs explicitly so "latest" is unambiguous.
        DetectionRun.objects.filter(pk=run_id).update(
            created_at=now - dt.timedelta(days=7 - offset * 6, minutes=6)
        )
        run.refresh_from_db()
        runs[run_id] = run
        for spec in specs:
            cluster = Cluster.objects.create(
                run=run, key=spec.key, size=len(spec.members), score=spec.score, flagged=spec.flagged,
                exchanges=sum(exchanges[m] for m in spec.members), explanation=spec.explanation,
                top_signals=spec.top_signals, lineage=spec.lineage, new_members=len(spec.new),
                dominant_capability=spec.capability,
                features={"size": len(spec.members), "new_members": len(spec.new), "score": spec.score},
            )  # fmt: skip
            ClusterMember.objects.bulk_create(
                ClusterMember(cluster=cluster, account_id=m, is_new=m in spec.new, exchanges=exchanges[m])
                for m in spec.members
            )
            if run_id == LATEST_RUN and spec.key == TOP:
                RegrowthAlert.objects.create(
                    run=run, cluster=cluster, cluster_key=TOP, account_ids=spec.new,
                    reason="20 new accounts joined a cluster that was actioned",
                )  # fmt: skip
    return runs


def load(graph: Graph) -> None:
    """Write the whole scenario graph (accounts, entities, sessions, memberships)."""
    load_graph(graph)
    load_memberships(graph)
