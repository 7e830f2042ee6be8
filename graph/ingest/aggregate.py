"""Exchanges aggregated into session facts in two steps, so memory stays bounded: each chunk of valid exchanges is
reduced to partial aggregates (per session; per session and hour; per session and model; per session and
fingerprint) written to the partition of its account, then each partition's partials are combined once every chunk
has been read. Pure Arrow/numpy; nothing here touches Neo4j.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import xxhash

from graph.drop.contract import CAPABILITIES
from graph.ingest.simhash import hex_to_u64
from graph.ingest.templates import TemplatePlan
from graph.ingest.transform import MS, N_CAPS, epoch_ms

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
