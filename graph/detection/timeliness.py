"""Time-to-detect: how long after an account's first exchange the first run that flagged it was made.

Measured on the data's clock, so that a series of past drops replayed today measures the same thing as live
operation: from the account's first exchange to the run's *data horizon* (the latest time in any drop ingested
before the run started, `Drop.as_of`). The day's processing (ingest and detection wall time) comes on top
and is reported beside it (``bench/bench_series.py``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from graph.driver import Graph
from graph.drop import iter_chunks, locate_drop

LOOKUP_BATCH = 20_000


def data_horizon(graph: Graph) -> dt.datetime | None:
    """The latest time in any ingested drop (the latest a run can know about), or None before any drop."""
    rows = graph.read("detect_data_as_of")
    value = rows[0]["as_of"] if rows else None
    return value.to_native() if value is not None else None


def first_seen(graph: Graph, account_ids: Iterable[str]) -> dict[str, dt.datetime]:
    """Each account's first exchange (accounts without one are left out)."""
    ids = list(account_ids)
    out: dict[str, dt.datetime] = {}
    for start in range(0, len(ids), LOOKUP_BATCH):
        for row in graph.read("detect_first_seen", ids=ids[start : start + LOOKUP_BATCH]):
            if row["first_seen"] is not None:
                out[row["id"]] = row["first_seen"].to_native()
    return out


def hours_between(start: dt.datetime | None, end: dt.datetime | None) -> float | None:
    """Hours from `start` to `end` (never negative: an account first seen after the horizon is detected at once)."""
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds() / 3600)


@dataclass(frozen=True)
class CampaignTiming:
    """Time-to-detect of one campaign's accounts (hours; None when no account was flagged)."""

    accounts: int
    active: int
    detected: int
    median_hours: float | None
    p90_hours: float | None
    max_hours: float | None

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return asdict(self)


def time_to_detect(campaign_of: Mapping[str, str], active: Iterable[str],
                   hours: Mapping[str, float]) -> dict[str, CampaignTiming]:
    """Per campaign: of its accounts (`campaign_of`, account -> campaign, legitimate ones left out), how many were
    active (had an exchange), how many were flagged, and the median, 90th percentile and maximum of the hours
    from first exchange to the first flagging run (`hours`, per flagged account)."""
    active_set = set(active)
    members: dict[str, list[str]] = defaultdict(list)
    for account, campaign in campaign_of.items():
        if campaign:
            members[campaign].append(account)
    out = {}
    for campaign, accounts in sorted(members.items()):
        waits = np.array([hours[a] for a in accounts if a in hours], dtype=np.float64)
        out[campaign] = CampaignTiming(
            accounts=len(accounts),
            active=sum(1 for a in accounts if a in active_set),
            detected=len(waits),
            median_hours=float(np.median(waits)) if len(waits) else None,
            p90_hours=float(np.percentile(waits, 90)) if len(waits) else None,
            max_hours=float(waits.max()) if len(waits) else None,
        )
    return out


def _read(drop: Path, name: str, columns: list[str]) -> pa.Table:
    path = locate_drop(drop)[name]
    tables = [c.table.select(columns) for c in iter_chunks(path, columns=columns)]
    return pa.concat_tables(tables) if tables else pa.table({c: pa.array([], pa.string()) for c in columns})


def hydra_replacements(previous: Path, current: Path, watched: set[str]) -> set[str]:
    """Accounts of drop `current` that were not in drop `previous`, and sign up from the device of, or attach a
    card of, an account of `watched` that `current` shows banned: hydra replacements, read from the telemetry as
    a provider sees it (an evaluation aid: detection never uses it)."""
    before = set(_read(previous, "accounts", ["account_id"])["account_id"].to_pylist())
    accounts = _read(current, "accounts", ["account_id", "status", "signup_fingerprint"]).to_pylist()
    billing = _read(current, "billing", ["account_id", "payment_fingerprint"]).to_pylist()
    banned = {r["account_id"] for r in accounts if str(r["status"]) == "banned"} & watched
    devices = {r["signup_fingerprint"] for r in accounts if r["account_id"] in banned and r["signup_fingerprint"]}
    cards = {r["payment_fingerprint"] for r in billing if r["account_id"] in banned}
    by_card = {r["account_id"] for r in billing if r["payment_fingerprint"] in cards}
    return {
        r["account_id"] for r in accounts
        if r["account_id"] not in before and (r["signup_fingerprint"] in devices or r["account_id"] in by_card)
    }  # fmt: skip
