"""Small hand-written drops whose graph is written down beside them, and helpers to read the graph back."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path
from typing import Any

from graph.driver import Graph

TEMPLATE_BASE = 0x5A5A_0F0F_3C3C_9696
UNIQUE_A = 0x0123_4567_89AB_CDEF
UNIQUE_B = 0xFEDC_BA98_7654_3210


def fp(value: int) -> str:
    """A 64-bit SimHash as 16 hex digits."""
    return f"{value:016x}"


def variant(bits: tuple[int, ...]) -> str:
    """The template base with the given bits flipped (<= 3 bits: the same template)."""
    value = TEMPLATE_BASE
    for b in bits:
        value ^= 1 << b
    return fp(value)


ACCOUNTS = [
    {"account_id": "acct_1", "created_at": "2026-08-01T10:00:00Z", "email": "ann@gmail.com", "org_id": "org_1",
     "country": "DE", "signup_ip": "10.0.0.1", "signup_fingerprint": "d1d1d1d1d1d1d1d1", "plan": "build",
     "status": "active", "status_changed_at": ""},
    {"account_id": "acct_2", "created_at": "2026-08-02T10:00:00Z", "email": "bob@corp.example", "org_id": "org_1",
     "country": "FR", "signup_ip": "10.0.0.2", "signup_fingerprint": "d1d1d1d1d1d1d1d1", "plan": "scale",
     "status": "active", "status_changed_at": ""},
    {"account_id": "acct_3", "created_at": "2026-08-03T10:00:00+00:00", "email": "cy@gmail.com", "org_id": "",
     "country": "", "signup_ip": "", "signup_fingerprint": "", "plan": "free", "status": "banned",
     "status_changed_at": "2026-09-02T00:00:00Z"},
]  # fmt: skip
BILLING = [
    {"billing_id": "bill_1", "account_id": "acct_1", "created_at": "2026-08-01T11:00:00Z", "method": "card",
     "payment_fingerprint": "aaaa0000aaaa0000", "card_bin": "424242", "issuer_country": "DE",
     "billing_country": "DE", "billing_postal": "10115", "billing_name_hash": "ab01", "billing_address_hash": "cd01",
     "spend_usd": "12.50"},
    {"billing_id": "bill_2", "account_id": "acct_2", "created_at": "2026-08-02T11:00:00Z", "method": "card",
     "payment_fingerprint": "aaaa0000aaaa0000", "card_bin": "", "issuer_country": "", "billing_country": "DE",
     "billing_postal": "10115", "billing_name_hash": "ab02", "billing_address_hash": "cd01", "spend_usd": "7.5"},
]  # fmt: skip
SESSIONS = [
    {"session_id": "sess_1", "account_id": "acct_1", "api_key_id": "key_1", "started_at": "2026-09-01T08:00:00Z",
     "ended_at": "2026-09-01T09:30:00Z", "ip": "10.0.0.1", "asn": "100", "asn_name": "Net One", "asn_type": "isp",
     "user_agent": "sdk/1.0", "client_fingerprint": "c1c1c1c1"},
    {"session_id": "sess_2", "account_id": "acct_1", "api_key_id": "key_1", "started_at": "2026-09-01T12:00:00Z",
     "ended_at": "2026-09-01T12:10:00Z", "ip": "10.0.1.5", "asn": "100", "asn_name": "Net One", "asn_type": "isp",
     "user_agent": "sdk/1.0", "client_fingerprint": "c1c1c1c1"},
    {"session_id": "sess_3", "account_id": "acct_2", "api_key_id": "key_2", "started_at": "2026-09-02T08:00:00Z",
     "ended_at": "2026-09-02T08:05:00Z", "ip": "2001:db8::1", "asn": "200", "asn_name": "Cloud Two",
     "asn_type": "hosting", "user_agent": "", "client_fingerprint": ""},
    {"session_id": "sess_4", "account_id": "acct_3", "api_key_id": "key_3", "started_at": "2026-09-03T08:00:00Z",
     "ended_at": "2026-09-03T08:00:00Z", "ip": "10.0.0.1", "asn": "100", "asn_name": "", "asn_type": "",
     "user_agent": "curl/8", "client_fingerprint": "c2c2c2c2"},
]  # fmt: skip


def _exchange(
    n: int, session: str, account: str, ts: str, model: str, cap: str, prompt: str, reasoning: bool
) -> dict[str, str]:
    return {"exchange_id": f"ex_{n}", "session_id": session, "account_id": account, "ts": ts, "model": model,
            "capability": cap, "prompt_fingerprint": prompt, "input_tokens": str(100 * n), "output_tokens": str(10 * n),
            "reasoning_elicited": "true" if reasoning else "false"}  # fmt: skip


EXCHANGES = [
    _exchange(1, "sess_1", "acct_1", "2026-09-01T08:01:00Z", "m1", "reasoning", variant(()), True),
    _exchange(2, "sess_1", "acct_1", "2026-09-01T08:20:00Z", "m1", "reasoning", variant((3,)), True),
    _exchange(3, "sess_1", "acct_1", "2026-09-01T09:10:00Z", "m1", "coding", variant((3, 40)), False),
    _exchange(4, "sess_1", "acct_1", "2026-09-01T09:20:00Z", "m2", "chat", fp(UNIQUE_A), False),
    _exchange(5, "sess_2", "acct_1", "2026-09-01T12:05:00Z", "m1", "chat", fp(UNIQUE_B), False),
    _exchange(6, "sess_3", "acct_2", "2026-09-02T08:01:00Z", "m2", "reasoning", variant((60,)), True),
    _exchange(7, "sess_3", "acct_2", "2026-09-02T08:02:00Z", "m2", "reasoning", variant((3, 40, 60)), True),
]
RELEASES = [{"model": "m2", "released_at": "2026-08-31T00:00:00Z"}]
COLUMNS = {
    "accounts": list(ACCOUNTS[0]),
    "billing": list(BILLING[0]),
    "sessions": list(SESSIONS[0]),
    "exchanges": list(EXCHANGES[0]),
    "model_releases": list(RELEASES[0]),
}

# What the small drop becomes in the graph.
EXPECTED_NODES = {
    "Account": 3, "Organization": 1, "EmailDomain": 2, "Device": 1, "IP": 4, "Subnet": 3, "ASN": 2,
    "PaymentInstrument": 1, "BillingAddress": 1, "BillingName": 2, "APIKey": 3, "ClientFingerprint": 2,
    "Session": 4, "PromptTemplate": 1, "Model": 2, "Drop": 1,
}  # fmt: skip
EXPECTED_RELATIONSHIPS = {
    "BELONGS_TO": 2, "EMAIL_AT": 3, "SIGNED_UP_FROM": 2, "SIGNED_UP_AT": 2, "PAID_WITH": 2, "BILLED_AT": 2,
    "BILLED_AS": 2, "HAS_KEY": 3, "HAD_SESSION": 4, "USED_KEY": 4, "FROM_IP": 4, "WITH_CLIENT": 3, "IN": 7,
    "USED_IP": 4, "USED_CLIENT": 2, "USED_TEMPLATE": 2, "USED_MODEL": 3,
}  # fmt: skip
# Per session, template and model facts are list properties, not relationships (see graph/model.md).
# Exchanges per model and per template of each session (sess_2 has one unique prompt, sess_4 none).
EXPECTED_SESSION_LISTS = {
    "sess_1": ({"m1": 3, "m2": 1}, [3]),
    "sess_2": ({"m1": 1}, None),
    "sess_3": ({"m2": 2}, [2]),
    "sess_4": ({}, None),
}


def write_csv(path: Path, rows: list[dict[str, str]], columns: list[str] | None = None) -> None:
    """Write rows as an RFC 4180 CSV with a header."""
    columns = columns or (list(rows[0]) if rows else [])
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def small_drop(
    path: Path,
    *,
    accounts: list[dict[str, str]] | None = None,
    billing: list[dict[str, str]] | None = None,
    sessions: list[dict[str, str]] | None = None,
    exchanges: list[dict[str, str]] | None = None,
    drop_columns: dict[str, str] | None = None,
) -> Path:
    """Write the small drop (or a variant of it) into `path`; `drop_columns` removes a column from a file."""
    path.mkdir(parents=True, exist_ok=True)
    files = {
        "accounts": accounts if accounts is not None else ACCOUNTS,
        "billing": billing if billing is not None else BILLING,
        "sessions": sessions if sessions is not None else SESSIONS,
        "exchanges": exchanges if exchanges is not None else EXCHANGES,
        "model_releases": RELEASES,
    }
    for name, rows in files.items():
        columns = list(COLUMNS[name])
        if drop_columns and name in drop_columns:
            columns.remove(drop_columns[name])
        extra = sorted({c for row in rows for c in row if c not in COLUMNS[name]})
        write_csv(path / f"{name}.csv", rows, columns + extra)
    return path


def node_counts(graph: Graph) -> dict[str, int]:
    """Nodes per label."""
    rows = graph.auto("count_nodes", "MATCH (n) RETURN labels(n)[0] AS label, count(*) AS n")
    return {r["label"]: r["n"] for r in rows}


def relationship_counts(graph: Graph) -> dict[str, int]:
    """Relationships per type."""
    rows = graph.auto("count_rels", "MATCH ()-[r]->() RETURN type(r) AS type, count(*) AS n")
    return {r["type"]: r["n"] for r in rows}


KEY = (
    "coalesce(x.account_id, x.session_id, x.address, x.prefix, x.template_id, x.key_id, x.fingerprint, x.hash,"
    " x.domain, x.org_id, x.name, toString(x.number), x.cluster_id)"
)


def snapshot(graph: Graph) -> list[str]:
    """Every node and relationship with its properties, as sorted JSON lines (Drop.ingested_at left out)."""
    nodes = graph.auto(
        "snapshot_nodes",
        "MATCH (n) RETURN labels(n) AS labels, properties(n) AS props",
    )
    rels = graph.auto(
        "snapshot_rels",
        "MATCH (a)-[r]->(b) WITH a, r, b, a AS x WITH a, r, b, " + KEY + " AS ka, b AS x "  # noqa: S608
        "RETURN type(r) AS type, properties(r) AS props, labels(a)[0] AS la, ka, labels(b)[0] AS lb, "
        + KEY
        + " AS kb",
    )
    lines = []
    for n in nodes:
        props = dict(n["props"])
        props.pop("ingested_at", None)
        lines.append(json.dumps({"labels": n["labels"], "props": props}, sort_keys=True, default=str))
    lines.extend(json.dumps(r, sort_keys=True, default=str) for r in rels)
    return sorted(lines)


def digest(lines: list[str]) -> str:
    """A short hash of a snapshot."""
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]


def duplicate_relationships(graph: Graph) -> list[dict[str, Any]]:
    """Pairs of nodes joined twice by the same relationship type (there must be none)."""
    return graph.auto(
        "duplicate_rels",
        "MATCH (a)-[r]->(b) WITH a, b, type(r) AS t, count(*) AS n WHERE n > 1 "
        "RETURN elementId(a) AS a, elementId(b) AS b, t, n LIMIT 10",
    )
