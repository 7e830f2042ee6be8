"""Hand-built scenario graphs for detection tests, written with Cypher exactly as graph/model.md describes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from graph.driver import Graph

T0 = int(dt.datetime(2026, 9, 1, tzinfo=dt.UTC).timestamp())
HOUR = 3600
DAY = 24 * HOUR
NEW_MODEL = "nova-4"
RELEASE = T0 + 14 * DAY


@dataclass
class Acct:
    """One account and everything it shares; times are epoch seconds."""

    id: str
    created: int
    email: str
    org: str | None = None
    status: str = "active"
    status_changed: int | None = None
    plan: str = "build"
    cards: list[tuple[str, str, str]] = field(default_factory=list)  # (fingerprint, method, issuer country)
    address: tuple[str, str] | None = None  # (hash, country)
    name: str | None = None
    device: str | None = None
    signup_ip: str | None = None
    ips: list[tuple[str, str]] = field(default_factory=list)  # (address, asn type)
    clients: list[str] = field(default_factory=list)
    templates: list[str] = field(default_factory=list)
    hours: list[int] = field(default_factory=list)
    caps: list[int] = field(default_factory=lambda: [1, 1, 1, 1, 1, 1, 1, 1, 1])
    reasoning_share: float = 0.1
    pivot_at: int | None = None


_ACCOUNTS = """
UNWIND $rows AS r
MERGE (a:Account {account_id: r.id})
SET a.created_at = datetime({epochSeconds: r.created}), a.email = r.email, a.plan = r.plan, a.status = r.status,
    a.status_changed_at = CASE WHEN r.status_changed IS NULL THEN null ELSE datetime({epochSeconds: r.status_changed}) END,
    a.org_id = r.org, a.exchanges = r.exchanges, a.reasoning_exchanges = r.reasoning, a.cap_counts = r.caps,
    a.hours = r.hours, a.hour_counts = r.hour_counts, a.input_tokens = r.exchanges * 500, a.output_tokens = r.exchanges * 500,
    a.first_seen = CASE WHEN size(r.hours) = 0 THEN null ELSE datetime({epochSeconds: r.hours[0] * 3600}) END,
    a.last_seen = CASE WHEN size(r.hours) = 0 THEN null ELSE datetime({epochSeconds: r.hours[-1] * 3600 + 1800}) END
MERGE (d:EmailDomain {domain: r.domain}) SET d.free = r.free
MERGE (a)-[:EMAIL_AT]->(d)
FOREACH (o IN CASE WHEN r.org IS NULL THEN [] ELSE [r.org] END |
  MERGE (org:Organization {org_id: o}) MERGE (a)-[:BELONGS_TO]->(org))
FOREACH (c IN r.cards |
  MERGE (p:PaymentInstrument {fingerprint: c[0]}) SET p.method = c[1], p.issuer_country = c[2], p.card_bin = '404163'
  MERGE (a)-[x:PAID_WITH]->(p) SET x.method = c[1], x.billing_id = r.id + c[0], x.spend_usd = 10.0)
FOREACH (h IN CASE WHEN r.address IS NULL THEN [] ELSE [r.address] END |
  MERGE (b:BillingAddress {hash: h[0]}) SET b.country = h[1] MERGE (a)-[:BILLED_AT]->(b))
FOREACH (n IN CASE WHEN r.name IS NULL THEN [] ELSE [r.name] END |
  MERGE (b:BillingName {hash: n}) MERGE (a)-[:BILLED_AS]->(b))
FOREACH (dv IN CASE WHEN r.device IS NULL THEN [] ELSE [r.device] END |
  MERGE (d2:Device {fingerprint: dv}) MERGE (a)-[:SIGNED_UP_FROM]->(d2))
FOREACH (ip IN CASE WHEN r.signup_ip IS NULL THEN [] ELSE [r.signup_ip] END |
  MERGE (i:IP {address: ip}) MERGE (a)-[:SIGNED_UP_AT]->(i))
FOREACH (ip IN r.ips |
  MERGE (i:IP {address: ip[0]}) SET i.version = 4
  MERGE (s:Subnet {prefix: ip[2]})
  MERGE (n:ASN {number: ip[3]}) SET n.type = ip[1], n.name = 'AS ' + ip[1]
  MERGE (i)-[:IN]->(s) MERGE (s)-[:IN]->(n)
  MERGE (a)-[u:USED_IP]->(i) SET u.sessions = 5, u.exchanges = 50)
FOREACH (c IN r.clients |
  MERGE (cf:ClientFingerprint {fingerprint: c}) MERGE (a)-[u:USED_CLIENT]->(cf) SET u.sessions = 5)
FOREACH (t IN r.templates |
  MERGE (pt:PromptTemplate {template_id: t}) SET pt.fingerprint = t
  MERGE (a)-[u:USED_TEMPLATE]->(pt) SET u.exchanges = 20)
FOREACH (m IN r.models |
  MERGE (mo:Model {name: m[0]})
  MERGE (a)-[u:USED_MODEL]->(mo) SET u.first_seen = datetime({epochSeconds: m[1]}), u.exchanges = 10)
"""

ASNS = {"isp": 64501, "hosting": 64502, "business": 64503, "education": 64504, "proxy": 64505, "mobile": 64506}
_RELEASE = "MERGE (m:Model {name: $model}) SET m.released_at = datetime({epochSeconds: $at})"
_TEMPLATE_USERS = "MATCH (t:PromptTemplate) SET t.accounts = COUNT { (t)<-[:USED_TEMPLATE]-(:Account) }"


def _row(a: Acct) -> dict[str, Any]:
    domain = a.email.split("@", 1)[1]
    exchanges = 10 * len(a.hours)
    models = [["nova-3", a.hours[0] * HOUR if a.hours else T0]]
    if a.pivot_at is not None:
        models.append([NEW_MODEL, a.pivot_at])
    return {
        "id": a.id, "created": a.created, "email": a.email, "plan": a.plan, "status": a.status,
        "status_changed": a.status_changed, "org": a.org, "domain": domain,
        "free": domain in {"gmail.com", "outlook.com", "yahoo.com", "proton.me"},
        "exchanges": exchanges, "reasoning": int(exchanges * a.reasoning_share),
        "caps": [c * max(1, exchanges // max(1, sum(a.caps))) for c in a.caps],
        "hours": sorted(a.hours), "hour_counts": [10] * len(a.hours),
        "cards": [list(c) for c in a.cards], "address": list(a.address) if a.address else None, "name": a.name,
        "device": a.device, "signup_ip": a.signup_ip,
        "ips": [[ip, kind, ".".join(ip.split(".")[:3]) + ".0/24", ASNS.get(kind, 64599)] for ip, kind in a.ips],
        "clients": a.clients, "templates": a.templates, "models": models,
    }  # fmt: skip


def _net(prefix: str) -> int:
    """A second octet of its own for each prefix, so unrelated groups never share addresses by accident."""
    return sum(ord(ch) * (i + 1) for i, ch in enumerate(prefix)) % 250 + 1


def write_accounts(graph: Graph, accounts: list[Acct]) -> None:
    """Write the accounts and what they share, and the new model's release."""
    graph.write_text("test_write_accounts", _ACCOUNTS, rows=[_row(a) for a in accounts])
    graph.write_text("test_release", _RELEASE, model=NEW_MODEL, at=RELEASE)
    graph.write_text("test_template_users", _TEMPLATE_USERS)  # as ingest keeps it


def flat_hours(start_day: int, days: int, every: int = 1, offset: int = 0) -> list[int]:
    """Round-the-clock activity: every `every`-th hour of the given days (epoch hours)."""
    first = T0 // HOUR + start_day * 24
    return [first + h for h in range(offset, days * 24, every)]


def office_hours(start_day: int, days: int, tz_shift: int = 0) -> list[int]:
    """Human activity: 9:00-17:00 on weekdays (epoch hours)."""
    first = T0 // HOUR + start_day * 24
    out = []
    for d in range(days):
        if (start_day + d) % 7 in (5, 6):
            continue
        out += [first + d * 24 + h + tz_shift for h in range(9, 17)]
    return out


def human_days(start_day: int, days: int, tz_shift: int = 0) -> list[int]:
    """A person's day in their own time zone: 8:00-23:00 local, and one night hour a day (epoch hours)."""
    first = T0 // HOUR + start_day * 24 - tz_shift
    return sorted(first + d * 24 + h for d in range(days) for h in [*range(8, 24), (d * 5) % 7])


def stranger(prefix: str, i: int, **extra: object) -> Acct:
    """An account tied to nobody: free mail, its own card, billing address, device and home line, a popular SDK,
    a human day in its own time zone."""
    fields: dict[str, Any] = {
        "id": f"{prefix}-{i:03d}", "created": T0 - (40 + 23 * i) * DAY, "email": f"{prefix}.{i}@{_FREE[i % 3]}",
        "cards": [(f"{prefix}-card-{i}", "card", "US")], "address": (f"{prefix}-home-{i}", "US"),
        "name": f"{prefix}-name-{i}", "device": f"{prefix}-dev-{i}",
        "ips": [(f"81.{_net(prefix)}.{i % 250}.{7 + i // 250}", "isp")], "clients": ["sdk-python-1.42"],
        "hours": human_days(0, 28, tz_shift=(5 * i) % 24),
    }  # fmt: skip
    return Acct(**{**fields, **extra})


_FREE = ("gmail.com", "outlook.com", "proton.me")


def ring(
    prefix: str, n: int, *, created: int, reasoning: float = 0.8, banned: int = 2, hours_every: int = 2
) -> list[Acct]:
    """A coordinated ring: prepaid cards shared in threes, shared devices, cloud addresses, templates,
    round-the-clock synchronised hours, a sign-up burst, bans, a fast synchronised move to the new model."""
    accounts = []
    for i in range(n):
        status = "banned" if i < banned else "active"
        accounts.append(
            Acct(
                id=f"{prefix}-{i:03d}",
                created=created + i * 600,
                email=f"{prefix}{i}@gmail.com",
                status=status,
                status_changed=T0 + 10 * DAY if status == "banned" else None,
                cards=[(f"{prefix}-card-{i // 3}", "prepaid_card" if i % 2 else "virtual_card", "US")],
                address=(f"{prefix}-addr-{i // 4}", "SG"),
                device=f"{prefix}-dev-{i // 3}",
                ips=[(f"10.{_net(prefix)}.0.{i // 2}", "hosting"), (f"10.{_net(prefix)}.1.{i // 3}", "hosting")],
                clients=[f"{prefix}-client"],
                templates=[f"{prefix}-tpl-{k}" for k in range(3)],
                hours=flat_hours(0, 28, every=hours_every),
                caps=[8, 1, 0, 0, 0, 0, 1, 0, 0],
                reasoning_share=reasoning,
                pivot_at=RELEASE + 8 * HOUR + (i % 5) * 600,
            )
        )  # fmt: skip
    return accounts


def organisation(prefix: str, n: int, *, declared: bool = True, card: str = "card") -> list[Acct]:
    """A company: one corporate card, office and cloud addresses, app templates, its own domain, office hours."""
    return [
        Acct(
            id=f"{prefix}-{i:03d}",
            created=T0 - (400 - 37 * i) * DAY,
            email=f"user{i}@{prefix}.example",
            org=f"org-{prefix}" if declared else None,
            plan="scale",
            cards=[(f"{prefix}-corp-card", card, "DE")],
            address=(f"{prefix}-hq", "DE"),
            name=f"{prefix}-corp",
            device=f"{prefix}-laptop-{i}",
            ips=[(f"192.{_net(prefix)}.0.{k}", "business") for k in range(2)] + [(f"198.{_net(prefix)}.0.1", "hosting")],
            clients=["sdk-python-1.42"],
            templates=[f"{prefix}-app-{k}" for k in range(3)],
            hours=office_hours(0, 28, tz_shift=-1),
            caps=[1, 3, 1, 1, 0, 1, 2, 1, 0],
            reasoning_share=0.05,
            pivot_at=RELEASE + (3 + 9 * i) * DAY // 4 if i % 3 == 0 else None,
        )
        for i in range(n)
    ]  # fmt: skip


def ban_and_replace(graph: Graph, old: Acct) -> Acct:
    """Ban `old`; five hours later a replacement signs up on its card and device and takes over its traffic."""
    banned_at = T0 + 20 * DAY
    graph.write_text(
        "test_ban",
        "MATCH (a:Account {account_id: $id}) SET a.status = 'banned', a.status_changed_at = datetime({epochSeconds: $at})",
        id=old.id, at=banned_at,
    )  # fmt: skip
    new = Acct(
        id="hydra-new", created=banned_at + 5 * HOUR, email="fresh.start@gmail.com", cards=old.cards,
        address=old.address, device=old.device, ips=old.ips, clients=old.clients, templates=old.templates,
        hours=old.hours, caps=old.caps, reasoning_share=old.reasoning_share, pivot_at=old.pivot_at,
    )  # fmt: skip
    write_accounts(graph, [new])
    return new
