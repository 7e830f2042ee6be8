"""Reads for the account page and entity pages: profile, billing, sessions, neighbours, cluster history.

Every query starts from an indexed node (an account id or an entity's natural key) and caps what it expands,
so pages stay fast on graphs of hundreds of thousands of accounts and tens of millions of sessions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import Count, QuerySet

from graph.drop.contract import CAPABILITIES  # the storage order of every cap_counts list
from graph.reads import GraphSlice, read, read_many
from investigations.models import ClusterMember, DetectionRun

# Capabilities distillation campaigns aim at (the queue's "campaign-like" filter).
CAMPAIGN_CAPABILITIES: tuple[str, ...] = ("reasoning", "coding", "agentic", "tool_use")

NEIGHBOUR_SAMPLE = 5  # neighbours listed per entity on the account page
NEIGHBOUR_KINDS_CAP = 10  # busiest IPs, clients and templates of an account considered for neighbours
EXPAND_LIMIT = 200  # most neighbours shown when one entity is expanded
EXACT_COUNT_CAP = 2000  # busier addresses are counted by relationship degree (an upper bound, constant time)
ENTITY_SCAN = 5000  # most accounts read for one entity (bigger ones are sampled and say so)


class EntityKind(models.TextChoices):
    """Kinds of thing accounts share; the values match the detection's evidence kinds."""

    PAYMENT_INSTRUMENT = "payment_instrument", "Payment instrument"
    BILLING_ADDRESS = "billing_address", "Billing address"
    BILLING_NAME = "billing_name", "Billing name"
    DEVICE = "device", "Sign-up device"
    IP = "ip", "IP address"
    SUBNET = "subnet", "Subnet"
    ASN = "asn", "ASN"
    CLIENT_FINGERPRINT = "client_fingerprint", "Client fingerprint"
    EMAIL_DOMAIN = "email_domain", "Email domain"
    TEMPLATE = "template", "Prompt template"
    MODEL = "model", "Model"
    ORGANIZATION = "organization", "Organisation"
    API_KEY = "api_key", "API key"


def kind_label(kind: str) -> str:
    """Human label of an entity kind (the kind itself when unknown, e.g. `time_window`)."""
    try:
        return str(EntityKind(kind).label)
    except ValueError:
        return kind.replace("_", " ")


@dataclass(frozen=True)
class Neighbours:
    """Accounts that share one entity with an account: how many, and a few (or, expanded, many) of them."""

    kind: str
    id: str
    others: int
    accounts: list[dict[str, Any]]

    @property
    def kind_label(self) -> str:
        """Human label of the entity kind."""
        return kind_label(self.kind)

    @property
    def more(self) -> int:
        """How many neighbours are not listed."""
        return max(0, self.others - len(self.accounts))


@dataclass
class AccountOverview:
    """Everything the account page shows except the session list (paginated separately)."""

    account_id: str
    profile: dict[str, Any]
    org_id: str | None
    email_domain: str | None
    email_free: bool | None
    device: str | None
    signup_ip: str | None
    sessions: int
    api_keys: int
    billing: list[dict[str, Any]] = field(default_factory=list)
    templates: list[dict[str, Any]] = field(default_factory=list)
    models: list[dict[str, Any]] = field(default_factory=list)
    neighbours: list[Neighbours] = field(default_factory=list)
    memberships: list[ClusterMember] = field(default_factory=list)

    @property
    def capabilities(self) -> list[tuple[str, int]]:
        """Exchanges per capability, in the contract's order."""
        counts = self.profile.get("cap_counts") or [0] * len(CAPABILITIES)
        return list(zip(CAPABILITIES, [int(c or 0) for c in counts], strict=False))

    @property
    def reasoning_share(self) -> float | None:
        """Share of exchanges that asked for a full reasoning trace."""
        total = int(self.profile.get("exchanges") or 0)
        return (int(self.profile.get("reasoning_exchanges") or 0) / total) if total else None

    @property
    def hourly(self) -> list[tuple[dt.datetime, int]]:
        """Exchanges per UTC hour."""
        hours = self.profile.get("hours") or []
        counts = self.profile.get("hour_counts") or []
        return [(hour_start(h), int(n)) for h, n in zip(hours, counts, strict=False)]


def hour_start(bucket: int) -> dt.datetime:
    """The UTC start of an hour bucket (epoch seconds // 3600)."""
    return dt.datetime.fromtimestamp(int(bucket) * 3600, tz=dt.UTC)


def account_overview(account_id: str, *, expand: tuple[str, str] | None = None) -> AccountOverview | None:
    """The account's profile, billing, templates, models, neighbours (one entity expanded) and cluster history."""
    rows = read_many(
        {
            "profile": ("ui_account_profile", {"account_id": account_id}),
            "billing": ("ui_account_billing", {"account_id": account_id, "limit": 100}),
            "templates": ("ui_account_templates", {"account_id": account_id, "limit": 50}),
            "models": ("ui_account_models", {"account_id": account_id}),
            "neighbours": ("ui_account_neighbours", _neighbour_params(account_id)),
        }
    )
    if not rows["profile"]:
        return None
    row = rows["profile"][0]
    links = ("org_id", "email_domain", "email_free", "device", "signup_ip", "sessions", "api_keys")
    return AccountOverview(
        account_id=account_id,
        profile={k: v for k, v in row.items() if k not in links},
        org_id=row["org_id"],
        email_domain=row["email_domain"],
        email_free=row["email_free"],
        device=row["device"],
        signup_ip=row["signup_ip"],
        sessions=int(row["sessions"]),
        api_keys=int(row["api_keys"]),
        billing=rows["billing"],
        templates=rows["templates"],
        models=rows["models"],
        neighbours=_neighbours(account_id, rows["neighbours"], expand),
        memberships=list(account_memberships(account_id)),
    )


def _neighbour_params(account_id: str) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "per_kind": NEIGHBOUR_KINDS_CAP,
        "sample": NEIGHBOUR_SAMPLE,
        "exact_cap": EXACT_COUNT_CAP,
    }


def account_neighbours(account_id: str, *, expand: tuple[str, str] | None = None) -> list[Neighbours]:
    """Per entity the account holds: how many other accounts hold it and a sample; `expand` lists up to 200."""
    return _neighbours(account_id, read("ui_account_neighbours", **_neighbour_params(account_id)), expand)


def _neighbours(
    account_id: str, rows: list[dict[str, Any]], expand: tuple[str, str] | None
) -> list[Neighbours]:
    groups = []
    for row in rows:
        kind, entity_id = row["kind"], str(row["id"])
        accounts = list(row["sample"])  # {account_id, status} of a few holders
        if expand == (kind, entity_id):
            ids = [a for a in entity_account_ids(kind, entity_id, scan=EXPAND_LIMIT + 1) if a != account_id]
            brief = accounts_brief(ids[:EXPAND_LIMIT])
            accounts = [brief.get(a, {"account_id": a}) for a in ids[:EXPAND_LIMIT]]
        groups.append(
            Neighbours(kind=kind, id=entity_id, others=max(0, int(row["others"])), accounts=accounts)
        )
    # Rarest shared entities first: a card shared by three accounts says more than an office IP shared by 300.
    return sorted(groups, key=lambda g: (g.others == 0, g.others, g.kind, g.id))


def account_sessions(account_id: str, total: int) -> GraphSlice:
    """The account's sessions newest first, fetched one page at a time."""

    def fetch(skip: int, limit: int) -> list[dict[str, Any]]:
        return read("ui_account_sessions", account_id=account_id, skip=skip, limit=limit)

    return GraphSlice(total, fetch)


def account_session_count(account_id: str) -> int | None:
    """How many sessions the account had (None when the account is unknown)."""
    rows = read("ui_account_session_count", account_id=account_id)
    return int(rows[0]["sessions"]) if rows else None


def account_memberships(account_id: str) -> QuerySet[ClusterMember]:
    """The account's cluster memberships across runs, newest run first."""
    return (
        ClusterMember.objects.filter(account_id=account_id)
        .select_related("cluster", "cluster__run")
        .order_by("-cluster__run__created_at", "-cluster__run_id")
    )


def accounts_brief(account_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Short profiles of the given accounts, by id (unknown ids are left out)."""
    if not account_ids:
        return {}
    return {row["account_id"]: row for row in read("ui_accounts_brief", account_ids=list(account_ids))}


@dataclass(frozen=True)
class Entity:
    """One shared entity (a card, an IP, a template...) and how many accounts hold it."""

    kind: str
    id: str
    props: dict[str, Any]
    accounts: int

    @property
    def kind_label(self) -> str:
        """Human label of the kind."""
        return kind_label(self.kind)

    @property
    def sampled(self) -> bool:
        """True when the account count hit the scan cap (the entity is bigger than what is listed)."""
        return self.accounts >= ENTITY_SCAN


MAX_ASN = 2**32 - 1  # AS numbers are 32-bit; the graph stores them as integers


def known_kind_and_id(kind: str, entity_id: str) -> bool:
    """Whether `entity_id` can name an entity of `kind` at all: a known kind, and for ASNs a number in range (a
    longer one must answer "no such entity", not reach Neo4j as an integer it cannot hold)."""
    if kind not in EntityKind.values:
        return False
    if kind == EntityKind.ASN:
        return entity_id.isascii() and entity_id.isdigit() and int(entity_id) <= MAX_ASN
    return True


def entity(kind: str, entity_id: str) -> Entity | None:
    """An entity by kind and natural id, or None when the graph has no such entity."""
    if not known_kind_and_id(kind, entity_id):
        return None
    rows = read("ui_entity", kind=kind, id=entity_id, scan=ENTITY_SCAN)
    if not rows:
        return None
    return Entity(kind=kind, id=entity_id, props=rows[0]["props"], accounts=int(rows[0]["accounts"]))


def entity_account_ids(kind: str, entity_id: str, *, scan: int = ENTITY_SCAN) -> list[str]:
    """Ids of the accounts holding an entity (at most `scan`), sorted."""
    if not known_kind_and_id(kind, entity_id):
        return []
    rows = read("ui_entity_account_ids", kind=kind, id=entity_id, scan=scan)
    return sorted(row["account_id"] for row in rows)


def entity_accounts(account_ids: list[str]) -> GraphSlice:
    """Pages of short profiles for a known list of account ids."""

    def fetch(skip: int, limit: int) -> list[dict[str, Any]]:
        page = account_ids[skip : skip + limit]
        brief = accounts_brief(page)
        return [brief.get(a, {"account_id": a}) for a in page]

    return GraphSlice(len(account_ids), fetch)


@dataclass(frozen=True)
class ClusterHit:
    """A cluster of one run that holds some of the given accounts."""

    key: str
    score: float
    flagged: bool
    size: int
    accounts: int


def clusters_holding(account_ids: Sequence[str], run: DetectionRun | None) -> list[ClusterHit]:
    """Clusters of `run` that hold any of the accounts, with how many of them each holds, riskiest first."""
    if run is None or not account_ids:
        return []
    rows = (
        ClusterMember.objects.filter(cluster__run=run, account_id__in=list(account_ids))
        .values("cluster__key", "cluster__score", "cluster__flagged", "cluster__size")
        .annotate(n=Count("id"))
        .order_by("-cluster__score", "cluster__key")
    )
    return [
        ClusterHit(
            key=r["cluster__key"],
            score=r["cluster__score"],
            flagged=r["cluster__flagged"],
            size=r["cluster__size"],
            accounts=r["n"],
        )
        for r in rows
    ]
