"""Rows that stage two writes, built from the staged Arrow tables: pure functions, no Neo4j.

Each function returns what one Cypher statement of `graph/cypher/ingest_*.cypher` reads (rows as maps, or an
Arrow table the loader cuts into batches).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from graph.drop.contract import DUP_COLUMN, ROW_COLUMN
from graph.ingest.simhash import hex_to_u64, i64_to_u64, u64_to_i64
from graph.ingest.templates import ExistingTemplates, TemplatePlan, cap_members
from graph.ingest.transform import (
    FREE_MAIL_DOMAINS,
    email_domains,
    keep_last,
    ms_column,
    record_hashes,
    subnet_of,
)

Rows = list[dict[str, Any]]


def distinct(values: pa.ChunkedArray | pa.Array) -> list[Any]:
    """The distinct non-null values of a column."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    return [v for v in pc.unique(values).to_pylist() if v is not None]


def organisation_rows(accounts: pa.Table) -> Rows:
    """One row per declared organisation."""
    return [{"org_id": v} for v in distinct(accounts["org_id"])]


def email_domain_rows(accounts: pa.Table) -> Rows:
    """One row per email domain, marked when it is a free-mail provider."""
    domains = distinct(email_domains(accounts["email"].combine_chunks()))
    return [{"domain": d, "free": d in FREE_MAIL_DOMAINS} for d in domains]


def device_rows(accounts: pa.Table) -> Rows:
    """One row per sign-up device."""
    return [{"fingerprint": v} for v in distinct(accounts["signup_fingerprint"])]


def ip_rows(addresses: Iterable[pa.ChunkedArray]) -> tuple[Rows, dict[str, str]]:
    """One row per IP address (with its version and subnet), and each address's subnet prefix."""
    chunks = [c for column in addresses for c in column.chunks]
    ips = pc.unique(pa.chunked_array(chunks, pa.string()).combine_chunks())
    prefix_of: dict[str, str] = {}
    rows = []
    for address in sorted(v for v in ips.to_pylist() if v is not None):
        version, prefix = subnet_of(address)
        prefix_of[address] = prefix
        rows.append({"address": address, "version": version, "prefix": prefix})
    return rows, prefix_of


def asn_rows(sessions: pa.Table) -> Rows:
    """One row per ASN seen in the sessions (the last name and type given for it)."""
    with_asn = sessions.filter(pc.is_valid(sessions["asn"]))
    asns = with_asn.group_by(["asn"], use_threads=False).aggregate([("asn_name", "last"), ("asn_type", "last")])
    return [{"number": r["asn"], "name": r["asn_name_last"], "type": r["asn_type_last"]} for r in asns.to_pylist()]


def subnet_asn_rows(sessions: pa.Table, prefix_of: dict[str, str]) -> Rows:
    """One row per (subnet, ASN) pair seen together in the sessions."""
    with_asn = sessions.filter(pc.is_valid(sessions["asn"]))
    pairs = with_asn.group_by(["ip", "asn"], use_threads=False).aggregate([])
    subnet_asn = sorted(
        set(zip((prefix_of[ip] for ip in pairs["ip"].to_pylist()), pairs["asn"].to_pylist(), strict=True))
    )
    return [{"prefix": p, "number": n} for p, n in subnet_asn]


def client_rows(sessions: pa.Table) -> Rows:
    """One row per client fingerprint."""
    return [{"fingerprint": v} for v in distinct(sessions["client_fingerprint"])]


def instrument_rows(billing: pa.Table) -> Rows:
    """One row per payment instrument (the last method, BIN and issuer country given for it)."""
    instruments = billing.group_by(["payment_fingerprint"], use_threads=False).aggregate(
        [("method", "last"), ("card_bin", "last"), ("issuer_country", "last")]
    )
    return [{"fingerprint": r["payment_fingerprint"], "method": r["method_last"], "card_bin": r["card_bin_last"],
             "issuer_country": r["issuer_country_last"]} for r in instruments.to_pylist()]  # fmt: skip


def address_rows(billing: pa.Table) -> Rows:
    """One row per billing address (the last country and postcode given for it)."""
    with_address = billing.filter(pc.is_valid(billing["billing_address_hash"]))
    addresses = with_address.group_by(["billing_address_hash"], use_threads=False).aggregate(
        [("billing_country", "last"), ("billing_postal", "last")]
    )
    return [{"hash": r["billing_address_hash"], "country": r["billing_country_last"],
             "postal": r["billing_postal_last"]} for r in addresses.to_pylist()]  # fmt: skip


def billing_name_rows(billing: pa.Table) -> Rows:
    """One row per billing name."""
    return [{"hash": v} for v in distinct(billing["billing_name_hash"])]


def model_rows(releases: pa.Table, seen: Iterable[str]) -> Rows:
    """One row per model named by the exchanges or the release table, with its release time (epoch ms) if known."""
    releases = keep_last(releases, "model")
    released = {
        r["model"]: r["released_at"]
        for r in releases.select(["model"]).append_column("released_at", ms_column(releases["released_at"])).to_pylist()
    }
    return [{"name": m, "released_at": released.get(m)} for m in sorted(set(seen) | set(released))]


def account_rows(accounts: pa.Table) -> pa.Table:
    """One row per account (its last row in the file wins: with one row per account, batches commute), with
    the content hash of the record (`record`) that tells an unchanged re-send."""
    rows = pa.table(
        {
            "account_id": accounts["account_id"],
            "created_at": ms_column(accounts["created_at"]),
            "email": accounts["email"],
            "domain": email_domains(accounts["email"].combine_chunks()),
            "plan": accounts["plan"],
            "status": accounts["status"],
            "status_changed_at": ms_column(accounts["status_changed_at"]),
            "country": accounts["country"],
            "org_id": accounts["org_id"],
            "signup_ip": accounts["signup_ip"],
            "signup_fingerprint": accounts["signup_fingerprint"],
        }
    )
    rows = keep_last(rows, "account_id")
    return rows.append_column("record", record_hashes(rows))


def billing_rows(billing: pa.Table) -> pa.Table:
    """One row per billing id (its last row wins), times in epoch ms."""
    rows = billing.drop_columns([ROW_COLUMN, DUP_COLUMN]).set_column(
        billing.schema.get_field_index("created_at"), "created_at", ms_column(billing["created_at"])
    )
    return keep_last(rows, "billing_id")


def api_key_rows(sessions: Iterable[pa.Table]) -> pa.Table:
    """One row per (API key, account) pair of the sessions, an account's keys together (parallel transactions
    then rarely lock the same account)."""
    pairs = pa.concat_tables(sessions)
    pairs = pairs.group_by(["api_key_id", "account_id"], use_threads=False).aggregate([])
    pairs = pairs.sort_by([("account_id", "ascending"), ("api_key_id", "ascending")])
    return pa.table({"key_id": pairs["api_key_id"], "account_id": pairs["account_id"]})


def existing_templates(rows: Iterable[dict[str, Any]]) -> ExistingTemplates:
    """The templates already in the graph from the rows of `ingest_templates_existing` (a template whose member
    list is missing has its representative as its one member). Each row's member list becomes an array as it
    arrives, so a stream of rows never holds millions of member fingerprints as Python ints."""
    ids: list[str] = []
    exchanges: list[int] = []
    representatives: list[str] = []
    members: list[np.ndarray] = []
    for r in rows:
        ids.append(r["template_id"])
        exchanges.append(r["exchanges"])
        representatives.append(r["fingerprint"])
        members.append(
            np.asarray(r["members"], dtype=np.int64)
            if r["members"]
            else u64_to_i64(hex_to_u64(np.array([r["fingerprint"]])))
        )
    if not ids:
        return ExistingTemplates.empty()
    return ExistingTemplates(
        ids=tuple(ids),
        exchanges=np.array(exchanges, dtype=np.int64),
        representatives=hex_to_u64(np.array(representatives)),
        member_fps=i64_to_u64(np.concatenate(members)),
        member_template=np.repeat(np.arange(len(members), dtype=np.int64), [len(m) for m in members]),
    )


def template_writes(plan: TemplatePlan, existing: ExistingTemplates) -> tuple[Rows, Rows]:
    """Rows for ingest_templates_write (full member lists) and ingest_templates_merge, as plain JSON data."""
    members_of: dict[str, np.ndarray] = {}
    index = {tid: i for i, tid in enumerate(existing.ids)}
    for tid in set(plan.added) | set(plan.merges) | {g for gone in plan.merges.values() for g in gone}:
        members_of[tid] = existing.member_fps[existing.member_template == index[tid]]

    def rep(tid: str) -> int:
        return int(existing.representatives[index[tid]])

    merges = []
    for keep, gone in plan.merges.items():
        union = np.concatenate(
            [members_of[keep], *[members_of[g] for g in gone], plan.added.get(keep, members_of[keep])]
        )
        members_of[keep] = cap_members(union, rep(keep))
        for g in gone:
            merges.append({"keep": keep, "gone": g, "members": u64_to_i64(members_of[keep]).tolist()})
    writes = []
    for t in plan.new:
        members = cap_members(t.members, t.representative)
        writes.append({"template_id": t.template_id, "fingerprint": f"{t.representative:016x}",
                       "members": u64_to_i64(members).tolist()})  # fmt: skip
    for tid, added in plan.added.items():
        union = cap_members(np.concatenate([members_of[tid], added]), rep(tid))
        writes.append({"template_id": tid, "fingerprint": None, "members": u64_to_i64(union).tolist()})
    return writes, merges
