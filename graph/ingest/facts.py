"""Session rows and account facts of one partition: each session's file row joined with its exchange facts (template
and model facts as parallel lists), and the exchange facts and derived USED_* lists of the partition's accounts from
their sessions in the drop. Pure Arrow/numpy; nothing here touches Neo4j.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from graph.ingest.aggregate import SessionFacts
from graph.ingest.transform import N_CAPS, keep_last, ms_column


def nest(parents: pa.Array, child_keys: pa.Array, children: pa.Table) -> pa.ListArray:
    """One list of child structs per parent: `children` rows grouped by `child_keys` matched against the
    distinct `parents` (parents without children get an empty list; children without a parent are dropped)."""
    if isinstance(parents, pa.ChunkedArray):
        parents = parents.combine_chunks()
    if isinstance(child_keys, pa.ChunkedArray):
        child_keys = child_keys.combine_chunks()
    owner = (
        pc.fill_null(pc.index_in(child_keys, value_set=parents), -1)
        .to_numpy(zero_copy_only=False)
        .astype(np.int64)
    )
    keep = owner >= 0
    order = np.argsort(np.where(keep, owner, len(parents)), kind="stable")[: int(keep.sum())]
    counts = np.bincount(owner[keep], minlength=len(parents))
    offsets = np.zeros(len(parents) + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    structs = pa.StructArray.from_arrays(
        [children.column(name).combine_chunks().take(pa.array(order)) for name in children.column_names],
        names=children.column_names,
    )
    return pa.ListArray.from_arrays(pa.array(offsets), structs)


def session_rows(sessions: pa.Table, facts: SessionFacts) -> tuple[pa.Table, pa.Table]:
    """Rows for writing this partition's sessions (file rows joined with their facts, template and model facts
    as parallel lists) and the facts of sessions not in `sessions` (sessions of earlier drops: `orphans`)."""
    sessions = keep_last(sessions, "session_id")
    ids = sessions["session_id"].combine_chunks()
    fact_ids = facts.sessions["session_id"].combine_chunks()
    where = pc.index_in(ids, value_set=fact_ids)
    joined = facts.sessions.take(where)
    has_facts = pc.is_valid(where)
    zeros = pa.array([[0] * N_CAPS] * 1, pa.list_(pa.int64()))[0]
    empty = pa.scalar([], pa.list_(pa.int64()))
    rows = pa.table(
        {
            "session_id": ids,
            "account_id": sessions["account_id"],
            "api_key_id": sessions["api_key_id"],
            "ip": sessions["ip"],
            "client_fingerprint": sessions["client_fingerprint"],
            "user_agent": sessions["user_agent"],
            "asn": sessions["asn"],
            "started_at": ms_column(sessions["started_at"]),
            "ended_at": ms_column(sessions["ended_at"]),
            "has_facts": has_facts,
            "exchanges": pc.fill_null(joined["exchanges"], 0),
            "input_tokens": pc.fill_null(joined["input_tokens"], 0),
            "output_tokens": pc.fill_null(joined["output_tokens"], 0),
            "reasoning_exchanges": pc.fill_null(joined["reasoning_exchanges"], 0),
            "cap_counts": pc.fill_null(joined["cap_counts"], zeros),
            "hours": pc.fill_null(joined["hours"], empty),
            "hour_counts": pc.fill_null(joined["hour_counts"], empty),
            "first_seen": joined["first_seen"],
            "last_seen": joined["last_seen"],
        }
    )
    rows = _with_nested(rows, facts)
    orphan_mask = pc.invert(pc.is_in(fact_ids, value_set=ids))
    orphans = _with_nested(facts.sessions.filter(orphan_mask), facts)
    return rows, orphans


def _with_nested(rows: pa.Table, facts: SessionFacts) -> pa.Table:
    """Append each session's template and model facts as parallel lists (null when it has none): `templates`,
    `template_exchanges`, `template_first`, `template_last` and the same four for `models` (times in epoch ms)."""
    ids = rows["session_id"].combine_chunks()
    t = facts.templates
    m = facts.models
    for prefix, plural, keys, table in (
        ("template", "templates", t["template_id"], t),
        ("model", "models", m["model"], m),
    ):
        nested = nest(ids, table["session_id"], pa.table({"key": keys, "n": table["n"], "first": table["first"],
                                                          "last": table["last"]}))  # fmt: skip
        offsets = nested.offsets
        empty = pc.equal(pc.list_value_length(nested), 0)
        values = nested.flatten()
        for name, field in ((plural, "key"), (f"{prefix}_exchanges", "n"), (f"{prefix}_first", "first"),
                            (f"{prefix}_last", "last")):  # fmt: skip
            rows = rows.append_column(name, pa.ListArray.from_arrays(offsets, values.field(field), mask=empty))
    return rows


def account_facts(rows: pa.Table, facts: SessionFacts, accounts: pa.Array) -> pa.Table:
    """Exchange facts and derived USED_* lists of `accounts` from this partition's session `rows` (the
    output of `session_rows`), valid when these are all of the accounts' sessions (accounts new in this drop)."""
    rows = rows.filter(pc.is_in(rows["account_id"], value_set=accounts))
    accounts = pc.unique(rows["account_id"].combine_chunks()).sort()
    caps = (
        np.stack(rows["cap_counts"].combine_chunks().flatten().to_numpy().reshape(-1, N_CAPS).T)
        if rows.num_rows
        else np.zeros((N_CAPS, 0), np.int64)
    )
    base = pa.table(
        {
            "account_id": rows["account_id"],
            "exchanges": rows["exchanges"],
            "input_tokens": rows["input_tokens"],
            "output_tokens": rows["output_tokens"],
            "reasoning_exchanges": rows["reasoning_exchanges"],
            "first_seen": rows["first_seen"],
            "last_seen": rows["last_seen"],
            **{f"cap_{i}": pa.array(caps[i], pa.int64()) for i in range(N_CAPS)},
        }
    )
    totals = base.group_by(["account_id"], use_threads=False).aggregate(
        [("exchanges", "sum"), ("input_tokens", "sum"), ("output_tokens", "sum"), ("reasoning_exchanges", "sum"),
         ("first_seen", "min"), ("last_seen", "max"), *[(f"cap_{i}", "sum") for i in range(N_CAPS)]]
    )  # fmt: skip
    totals = totals.take(pc.index_in(accounts, value_set=totals["account_id"].combine_chunks()))
    cap_matrix = (
        np.stack([totals[f"cap_{i}_sum"].to_numpy() for i in range(N_CAPS)], axis=1)
        if totals.num_rows
        else np.zeros((0, N_CAPS), np.int64)
    )

    # hours: explode each session's (hour, count) lists, then sum per account and hour
    n_hours = pc.list_value_length(rows["hours"].combine_chunks()).to_numpy(zero_copy_only=False)
    hour_rows = pa.table(
        {
            "account_id": rows["account_id"]
            .combine_chunks()
            .take(pa.array(np.repeat(np.arange(rows.num_rows), n_hours))),
            "hour": rows["hours"].combine_chunks().flatten(),
            "n": rows["hour_counts"].combine_chunks().flatten(),
        }
    )
    hours = hour_rows.group_by(["account_id", "hour"], use_threads=False).aggregate([("n", "sum")])
    hours = hours.sort_by([("account_id", "ascending"), ("hour", "ascending")])
    hour_lists = nest(accounts, hours["account_id"], pa.table({"h": hours["hour"], "n": hours["n_sum"]}))

    def used(key: str, extra: list[tuple[str, str]]) -> pa.ListArray:
        subset = rows.filter(pc.is_valid(rows[key]))
        g = subset.group_by(["account_id", key], use_threads=False).aggregate(
            [("session_id", "count"), ("started_at", "min"), ("ended_at", "max"), *extra]
        )
        cols = {
            "key": g[key],
            "sessions": g["session_id_count"],
            "first": g["started_at_min"],
            "last": g["ended_at_max"],
        }
        if extra:
            cols["n"] = g["exchanges_sum"]
        return nest(accounts, g["account_id"], pa.table(cols))

    session_account = rows.select(["session_id", "account_id"])

    def used_facts(table: pa.Table, key: str) -> pa.ListArray:
        owner = pc.index_in(table["session_id"], value_set=session_account["session_id"].combine_chunks())
        keep = pc.is_valid(owner)
        table = table.filter(keep)
        acct = session_account["account_id"].combine_chunks().take(owner.filter(keep))
        table = table.append_column("account_id", acct)
        g = table.group_by(["account_id", key], use_threads=False).aggregate(
            [("n", "sum"), ("first", "min"), ("last", "max")]
        )
        return nest(
            accounts,
            g["account_id"],
            pa.table({"key": g[key], "n": g["n_sum"], "first": g["first_min"], "last": g["last_max"]}),
        )

    hour_struct = hour_lists.flatten()
    hours_only = pa.ListArray.from_arrays(hour_lists.offsets, hour_struct.field("h"))
    counts_only = pa.ListArray.from_arrays(hour_lists.offsets, hour_struct.field("n"))
    return pa.table(
        {
            "account_id": accounts,
            "exchanges": totals["exchanges_sum"],
            "input_tokens": totals["input_tokens_sum"],
            "output_tokens": totals["output_tokens_sum"],
            "reasoning_exchanges": totals["reasoning_exchanges_sum"],
            "first_seen": totals["first_seen_min"],
            "last_seen": totals["last_seen_max"],
            "cap_counts": pa.array(cap_matrix.tolist(), pa.list_(pa.int64())),
            "hours": hours_only,
            "hour_counts": counts_only,
            "ips": used("ip", [("exchanges", "sum")]),
            "clients": used("client_fingerprint", []),
            "templates": used_facts(
                facts.templates.rename_columns(["session_id", "key", "n", "first", "last"]), "key"
            ),
            "models": used_facts(
                facts.models.rename_columns(["session_id", "key", "n", "first", "last"]), "key"
            ),
        }
    )
