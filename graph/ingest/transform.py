"""Turn validated rows into graph facts: exchange aggregates per session, account, hour, template and model,
plus the derived dimension values (email domains, subnets). Pure Arrow/numpy; nothing here touches Neo4j.

Exchanges are aggregated in two steps so memory stays bounded: each chunk is reduced to partial aggregates
(per session; per session and hour; per session and model; per session and fingerprint) written to the
partition of its account, then each partition's partials are combined once every chunk has been read.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import xxhash

from graph.drop.contract import CAPABILITIES
from graph.ingest.templates import TemplatePlan, hex_to_u64

FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com", "yahoo.com",
        "yahoo.co.jp", "yahoo.co.uk", "ymail.com", "icloud.com", "me.com", "mac.com", "aol.com", "proton.me",
        "protonmail.com", "pm.me", "gmx.de", "gmx.com", "gmx.net", "web.de", "mail.ru", "yandex.ru",
        "yandex.com", "qq.com", "163.com", "126.com", "sina.com", "naver.com", "daum.net", "zoho.com",
        "tutanota.com", "fastmail.com", "mail.com", "inbox.ru", "bk.ru", "list.ru", "rambler.ru", "hey.com",
    }
)  # fmt: skip

N_CAPS = len(CAPABILITIES)
MS = 1000

SESSION_PARTIAL = pa.schema(
    [
        ("session_id", pa.string()),
        ("account_id", pa.string()),
        ("exchanges", pa.int64()),
        ("input_tokens", pa.int64()),
        ("output_tokens", pa.int64()),
        ("reasoning_exchanges", pa.int64()),
        ("first_seen", pa.int64()),
        ("last_seen", pa.int64()),
        *[(f"cap_{i}", pa.int64()) for i in range(N_CAPS)],
    ]
)
HOUR_PARTIAL = pa.schema([("session_id", pa.string()), ("hour", pa.int64()), ("n", pa.int64())])
MODEL_PARTIAL = pa.schema(
    [
        ("session_id", pa.string()),
        ("model", pa.string()),
        ("n", pa.int64()),
        ("first", pa.int64()),
        ("last", pa.int64()),
    ]
)
FP_PARTIAL = pa.schema(
    [
        ("session_id", pa.string()),
        ("fp", pa.uint64()),
        ("n", pa.int64()),
        ("first", pa.int64()),
        ("last", pa.int64()),
    ]
)
PARTIAL_SCHEMAS = {
    "sessions": SESSION_PARTIAL,
    "hours": HOUR_PARTIAL,
    "models": MODEL_PARTIAL,
    "fps": FP_PARTIAL,
}


def partition_of(keys: pa.Array, partitions: int) -> np.ndarray:
    """Partition number (0..partitions-1) of each key, stable across processes (xxh3 of the UTF-8 text)."""
    if partitions == 1 or len(keys) == 0:
        return np.zeros(len(keys), dtype=np.int64)
    encoded = (
        pc.dictionary_encode(keys).combine_chunks()
        if isinstance(keys, pa.ChunkedArray)
        else pc.dictionary_encode(keys)
    )
    uniques = encoded.dictionary.to_pylist()
    hashed = np.fromiter((xxhash.xxh3_64_intdigest(u.encode()) for u in uniques), np.uint64, len(uniques))
    part = (hashed % np.uint64(partitions)).astype(np.int64)
    return part[encoded.indices.to_numpy(zero_copy_only=False)]


def epoch_ms(values: pd.Series) -> np.ndarray:
    """datetime64[ns, UTC] values as int64 epoch milliseconds (NaT becomes the int64 minimum)."""
    return (
        values.to_numpy(dtype="datetime64[ns]", na_value=np.datetime64("NaT")).astype(np.int64) // 1_000_000
    )


def fingerprint_words(values: pa.Array | pd.Series) -> np.ndarray:
    """16-hex-digit fingerprints as uint64."""
    if isinstance(values, pd.Series):
        values = pa.array(values)
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)[
        values.offset : values.offset + len(values) + 1
    ]
    if values.null_count == 0 and len(values) and np.all(np.diff(offsets) == 16):
        data = np.frombuffer(values.buffers()[2], dtype="S16", count=len(values), offset=int(offsets[0]))
        return hex_to_u64(data)
    return hex_to_u64(np.asarray(values.to_numpy(zero_copy_only=False)).astype("S16"))


@dataclass(frozen=True)
class ExchangeChunk:
    """One chunk of valid exchanges reduced to partial aggregates, split by account partition."""

    partials: dict[int, dict[str, pa.Table]]  # partition -> kind -> table
    fps: np.ndarray  # distinct uint64 fingerprints of the chunk
    fp_counts: np.ndarray  # exchanges per distinct fingerprint
    models: list[str]
    accounts: pa.Array  # distinct account ids
    max_ts: int | None  # epoch ms


def reduce_exchanges(frame: pd.DataFrame, partitions: int) -> ExchangeChunk:
    """Partial aggregates of one chunk of valid exchange rows (the validator's typed frame)."""
    n = len(frame)
    session = pa.array(frame["session_id"], type=pa.string())
    account = pa.array(frame["account_id"], type=pa.string())
    model = pa.array(frame["model"], type=pa.string())
    ts = epoch_ms(frame["ts"])
    fp = fingerprint_words(frame["prompt_fingerprint"])
    cap_codes = pd.Categorical(frame["capability"].astype(str), categories=list(CAPABILITIES)).codes.astype(
        np.int64
    )
    reasoning = frame["reasoning_elicited"].to_numpy(dtype=bool).astype(np.int64)
    part = partition_of(account, partitions)
    base = {
        "session_id": session,
        "account_id": account,
        "input_tokens": pa.array(frame["input_tokens"].to_numpy(dtype=np.int64)),
        "output_tokens": pa.array(frame["output_tokens"].to_numpy(dtype=np.int64)),
        "reasoning": pa.array(reasoning),
        "ts": pa.array(ts),
        "one": pa.array(np.ones(n, dtype=np.int64)),
        "hour": pa.array(ts // (3600 * MS)),
        "model": model,
        "fp": pa.array(fp, type=pa.uint64()),
        "part": pa.array(part),
    }
    for i in range(N_CAPS):
        base[f"cap_{i}"] = pa.array((cap_codes == i).astype(np.int64))
    table = pa.table(base)
    fps, fp_counts = np.unique(fp, return_counts=True)
    partials: dict[int, dict[str, pa.Table]] = {}
    for p in np.unique(part).tolist() if n else []:
        sub = table.filter(pc.equal(table["part"], p)) if partitions > 1 else table
        partials[p] = _partials(sub)
    return ExchangeChunk(
        partials=partials,
        fps=fps,
        fp_counts=fp_counts.astype(np.int64),
        models=pc.unique(model).to_pylist(),
        accounts=pc.unique(account),
        max_ts=int(ts.max()) if n else None,
    )


def _partials(t: pa.Table) -> dict[str, pa.Table]:
    caps = [(f"cap_{i}", "sum") for i in range(N_CAPS)]
    sessions = t.group_by(["session_id", "account_id"], use_threads=False).aggregate(
        [("one", "sum"), ("input_tokens", "sum"), ("output_tokens", "sum"), ("reasoning", "sum"), ("ts", "min"),
         ("ts", "max"), *caps]
    )  # fmt: skip
    sessions = pa.table(
        [sessions["session_id"], sessions["account_id"], sessions["one_sum"], sessions["input_tokens_sum"],
         sessions["output_tokens_sum"], sessions["reasoning_sum"], sessions["ts_min"], sessions["ts_max"],
         *[sessions[f"cap_{i}_sum"] for i in range(N_CAPS)]],
        schema=SESSION_PARTIAL,
    )  # fmt: skip
    hours = t.group_by(["session_id", "hour"], use_threads=False).aggregate([("one", "sum")])
    hours = pa.table([hours["session_id"], hours["hour"], hours["one_sum"]], schema=HOUR_PARTIAL)
    models = t.group_by(["session_id", "model"], use_threads=False).aggregate(
        [("one", "sum"), ("ts", "min"), ("ts", "max")]
    )
    models = pa.table(
        [models["session_id"], models["model"], models["one_sum"], models["ts_min"], models["ts_max"]],
        schema=MODEL_PARTIAL,
    )
    fps = t.group_by(["session_id", "fp"], use_threads=False).aggregate(
        [("one", "sum"), ("ts", "min"), ("ts", "max")]
    )
    fps = pa.table(
        [fps["session_id"], fps["fp"], fps["one_sum"], fps["ts_min"], fps["ts_max"]], schema=FP_PARTIAL
    )
    return {"sessions": sessions, "hours": hours, "models": models, "fps": fps}


@dataclass(frozen=True)
class SessionFacts:
    """Combined exchange facts of one partition: per session, and the session's templates and models."""

    sessions: (
        pa.Table
    )  # session_id, account_id, exchanges, tokens, reasoning, first/last, cap_counts, hours, hour_counts
    templates: pa.Table  # session_id, template_id, n, first, last
    models: pa.Table  # session_id, model, n, first, last


def combine_partials(parts: dict[str, pa.Table], plan: TemplatePlan) -> SessionFacts:
    """Final exchange facts of one partition from its partial aggregates and the template plan."""
    s = parts["sessions"].group_by(["session_id", "account_id"], use_threads=False).aggregate(
        [("exchanges", "sum"), ("input_tokens", "sum"), ("output_tokens", "sum"), ("reasoning_exchanges", "sum"),
         ("first_seen", "min"), ("last_seen", "max"), *[(f"cap_{i}", "sum") for i in range(N_CAPS)]]
    )  # fmt: skip
    # one row per session: if exchanges name a session under two accounts, the facts still belong to the session
    s = s.group_by(["session_id"], use_threads=False).aggregate(
        [("account_id", "min"), ("exchanges_sum", "sum"), ("input_tokens_sum", "sum"), ("output_tokens_sum", "sum"),
         ("reasoning_exchanges_sum", "sum"), ("first_seen_min", "min"), ("last_seen_max", "max"),
         *[(f"cap_{i}_sum", "sum") for i in range(N_CAPS)]]
    ).sort_by("session_id")  # fmt: skip
    caps = (
        np.stack([s[f"cap_{i}_sum_sum"].to_numpy() for i in range(N_CAPS)], axis=1)
        if s.num_rows
        else np.zeros((0, N_CAPS), np.int64)
    )
    cap_lists = pa.FixedSizeListArray.from_arrays(pa.array(caps.reshape(-1), pa.int64()), N_CAPS)

    hours = parts["hours"].group_by(["session_id", "hour"], use_threads=False).aggregate([("n", "sum")])
    hours = hours.sort_by([("session_id", "ascending"), ("hour", "ascending")])
    hour_lists, count_lists = _lists_by_session(
        s["session_id"], hours["session_id"], hours["hour"], hours["n_sum"]
    )

    sessions = pa.table(
        {
            "session_id": s["session_id"],
            "account_id": s["account_id_min"],
            "exchanges": s["exchanges_sum_sum"],
            "input_tokens": s["input_tokens_sum_sum"],
            "output_tokens": s["output_tokens_sum_sum"],
            "reasoning_exchanges": s["reasoning_exchanges_sum_sum"],
            "first_seen": s["first_seen_min_min"],
            "last_seen": s["last_seen_max_max"],
            "cap_counts": cap_lists.cast(pa.list_(pa.int64())),
            "hours": hour_lists,
            "hour_counts": count_lists,
        }
    )

    fps = (
        parts["fps"]
        .group_by(["session_id", "fp"], use_threads=False)
        .aggregate([("n", "sum"), ("first", "min"), ("last", "max")])
    )
    index = plan.lookup_index(fps["fp"].to_numpy())
    keep = index >= 0
    fps = fps.filter(pa.array(keep))
    names = pa.array(plan.names, type=pa.string())
    fps = fps.append_column("template_id", names.take(pa.array(index[keep])))
    templates = fps.group_by(["session_id", "template_id"], use_threads=False).aggregate(
        [("n_sum", "sum"), ("first_min", "min"), ("last_max", "max")]
    )
    templates = pa.table(
        {
            "session_id": templates["session_id"],
            "template_id": templates["template_id"],
            "n": templates["n_sum_sum"],
            "first": templates["first_min_min"],
            "last": templates["last_max_max"],
        }
    ).sort_by("template_id")  # each session's lists in key order, however the drop was chunked
    models = (
        parts["models"]
        .group_by(["session_id", "model"], use_threads=False)
        .aggregate([("n", "sum"), ("first", "min"), ("last", "max")])
    )
    models = pa.table(
        {
            "session_id": models["session_id"],
            "model": models["model"],
            "n": models["n_sum"],
            "first": models["first_min"],
            "last": models["last_max"],
        }
    ).sort_by("model")
    return SessionFacts(sessions, templates, models)


def _lists_by_session(
    sessions: pa.ChunkedArray, keys: pa.ChunkedArray, *columns: pa.ChunkedArray
) -> list[pa.ListArray]:
    """Group rows sorted by session into one list per entry of `sessions` (sorted the same way, same set)."""
    k = keys.combine_chunks() if isinstance(keys, pa.ChunkedArray) else keys
    n = len(k)
    if n:
        change = np.ones(n, dtype=bool)
        change[1:] = np.asarray(
            pc.not_equal(k.slice(1), k.slice(0, n - 1)).to_numpy(zero_copy_only=False), dtype=bool
        )
        starts = np.flatnonzero(change)
    else:
        starts = np.zeros(0, dtype=np.int64)
    lined_up = len(starts) == len(sessions) and (
        n == 0 or bool(pc.all(pc.equal(k.take(pa.array(starts)), sessions.combine_chunks())).as_py())
    )
    if not lined_up:
        raise ValueError("hour facts do not line up with session facts")
    offsets = pa.array(np.concatenate([starts, [n]]).astype(np.int32))
    return [pa.ListArray.from_arrays(offsets, col.combine_chunks().cast(pa.int64())) for col in columns]


def email_domains(emails: pa.Array) -> pa.Array:
    """The lower-cased domain of each email (text after the last '@'), null when there is none."""
    text = pc.cast(emails, pa.string())
    domain = pc.extract_regex(text, r"@(?P<d>[^@]*)$").field("d")
    domain = pc.utf8_lower(pc.utf8_trim_whitespace(domain))
    return pc.if_else(pc.equal(domain, ""), pa.nulls(len(domain), pa.string()), domain)


def subnet_of(address: str) -> tuple[int, str]:
    """IP version and the /24 (IPv4) or /48 (IPv6) prefix holding `address`."""
    ip = ipaddress.ip_address(address)
    length = 24 if ip.version == 4 else 48
    return ip.version, str(ipaddress.ip_network(f"{ip}/{length}", strict=False))


def keep_last(table: pa.Table, key: str) -> pa.Table:
    """The last row of each key, in first-seen order of the survivors (a later row of a key supersedes it)."""
    if table.num_rows == 0:
        return table
    indexed = table.append_column("_i", pa.array(np.arange(table.num_rows, dtype=np.int64)))
    last = indexed.group_by([key], use_threads=False).aggregate([("_i", "max")])["_i_max"].to_numpy()
    return table.take(pa.array(np.sort(last)))


def ms_column(values: pa.ChunkedArray | pa.Array) -> pa.Array:
    """A timestamp column as int64 epoch milliseconds (nulls stay null)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if pa.types.is_timestamp(values.type):
        values = pc.cast(values.cast(pa.timestamp("ns", tz="UTC")), pa.int64())
        return pc.divide(values, 1_000_000)
    return values


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


def record_hashes(table: pa.Table) -> pa.Array:
    """A content hash per row (16 hex digits of xxh3-64 over every column, nulls distinct from empty text): a
    record re-sent unchanged has the same hash, so its write can be skipped."""
    if table.num_rows == 0:
        return pa.array([], pa.string())
    parts = [pc.fill_null(pc.cast(table.column(name), pa.string()), "\x00") for name in table.column_names]
    joined = pc.binary_join_element_wise(*parts, "\x1f")
    return pa.array([xxhash.xxh3_64_hexdigest(v.encode()) for v in joined.to_pylist()], pa.string())
