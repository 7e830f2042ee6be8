"""A series of consecutive drops of one evolving world, as a provider sends them: one drop per period.

The world is planned once over the whole series (``periods * period_days`` days) and its traffic is generated
exactly as for a single drop; each session, with all of its exchanges, lands in the drop of the period in
which it started. Every drop re-sends the account and billing tables as they stood at the end of its period
(sign-ups so far, bans and suspensions that have happened, instruments attached so far, each instrument's
spend during the period) and the models released so far. So the union of the series' sessions and exchanges
is the single drop of the same config and seed, new sign-ups and hydra replacements appear in the drop of the
period they were created in, and the new model is released inside the series.

Each drop's labels (evaluation only) add ``first_activity``: the account's first exchange, when it falls
before the end of the period.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from tqdm import tqdm

from graph.scenarios.accounts import STATUS_BANNED
from graph.scenarios.config import ScenarioConfig, TimeWindow, validate_config
from graph.scenarios.encode import format_iso
from graph.scenarios.generate import (
    ACCOUNT_SCHEMA,
    BILLING_SCHEMA,
    DROP_FILES,
    MODEL_RELEASE_SCHEMA,
    SERIES_LABEL_SCHEMA,
    account_tables,
    billing_tables,
    blocks,
    label_tables,
    model_releases,
    write_file,
)
from graph.scenarios.plan import Plan, build_plan
from graph.scenarios.sinks import DropFileWriter, remove_other_formats
from graph.scenarios.traffic import EXCHANGE_SCHEMA, SESSION_SCHEMA

DAY = 86_400
NEVER = np.iinfo(np.int64).max


@dataclass(frozen=True)
class PeriodSummary:
    """One drop of a series: its folder, period (ISO UTC, end exclusive) and what changed in it."""

    index: int
    out_dir: Path
    start: str
    end: str
    rows: dict[str, int]
    signups: int
    bans: int
    campaign_signups: int
    campaign_active: int


@dataclass(frozen=True)
class SeriesSummary:
    """What ``generate_series`` wrote."""

    out_dir: Path
    fmt: str
    seed: int
    scale: float
    period_days: float
    drops: tuple[PeriodSummary, ...]
    release_at: str
    seconds: float


def series_config(config: ScenarioConfig, periods: int, period_days: int, *, ramp: bool = True) -> ScenarioConfig:
    """The config of the whole series: the same world over ``periods * period_days`` days. With ``ramp``, the
    campaigns' sign-up bursts all fall inside the series (none before it), so each campaign grows from its aged
    accounts over the first periods instead of arriving whole."""
    if periods < 1 or period_days < 1:
        raise ValueError("a series needs at least one period of at least one day")
    campaigns = tuple(dataclasses.replace(c, burst_lead_days=0.0) for c in config.campaigns) if ramp else None
    return dataclasses.replace(
        config,
        window=TimeWindow(start=config.window.start, days=periods * period_days),
        campaigns=campaigns if campaigns is not None else config.campaigns,
    )


def drop_name(index: int) -> str:
    """Folder name of the drop of period ``index`` (0-based): ``drop-0001`` for the first."""
    return f"drop-{index + 1:04d}"


def generate_series(
    out_dir: Path,
    config: ScenarioConfig,
    *,
    periods: int,
    period_days: int = 1,
    seed: int,
    fmt: str = "csv",
    progress: bool = False,
    workers: int = 1,
    ramp: bool = True,
) -> SeriesSummary:
    """Write ``out_dir/drop-0001`` ... ``drop-NNNN``: consecutive periods of one world (see the module); the
    world is ``series_config(config, periods, period_days, ramp=ramp)``."""
    began = time.perf_counter()
    config = series_config(config, periods, period_days, ramp=ramp)
    validate_config(config)
    plan = build_plan(config, seed)
    ends = plan.start + np.arange(1, periods + 1, dtype=np.int64) * period_days * DAY
    dirs = [Path(out_dir) / drop_name(k) for k in range(periods)]
    for d in dirs:
        d.mkdir(parents=True, exist_ok=True)
    exchanges_by_period, first_activity, rows = _traffic(plan, dirs, ends, fmt, progress, workers)
    totals = np.maximum(exchanges_by_period.sum(axis=1), 1)
    drops = []
    for k, (d, end) in enumerate(zip(dirs, ends.tolist(), strict=True)):
        spend = plan.spend * exchanges_by_period[:, k] / totals
        first = np.where(first_activity < end, first_activity, -1)
        tables: dict[str, tuple[pa.Schema, Iterator[pa.Table]]] = {
            "model_releases": (MODEL_RELEASE_SCHEMA, iter([model_releases(plan, end)])),
            "accounts": (ACCOUNT_SCHEMA, account_tables(plan, end)),
            "billing": (BILLING_SCHEMA, billing_tables(plan, end, spend)),
            "labels": (SERIES_LABEL_SCHEMA, label_tables(plan, end, first)),
        }
        for name, (schema, parts) in tables.items():
            rows[k][name] = write_file(d, name, schema, fmt, partial(iter, parts))[1]
        drops.append(_period_summary(plan, k, d, int(ends[k]) - period_days * DAY, end, rows[k],
                                     exchanges_by_period[:, k]))
    return SeriesSummary(
        out_dir=Path(out_dir), fmt=fmt, seed=seed, scale=config.scale, period_days=period_days,
        drops=tuple(drops), release_at=format_iso(plan.release), seconds=time.perf_counter() - began,
    )  # fmt: skip


def _traffic(
    plan: Plan, dirs: list[Path], ends: np.ndarray, fmt: str, progress: bool, workers: int
) -> tuple[np.ndarray, np.ndarray, list[dict[str, int]]]:
    """Write every period's sessions and exchanges; return exchanges per account and period, each account's
    first exchange (epoch seconds, ``NEVER`` without one) and the rows written per drop."""
    n, periods = len(plan.order), len(dirs)
    per_period = np.zeros((n, periods), dtype=np.int64)
    first = np.full(n, NEVER, dtype=np.int64)
    account_index = pd.Index(plan.account_ids.to_numpy(zero_copy_only=False))
    writers = [
        (DropFileWriter(d, "sessions", SESSION_SCHEMA, fmt, quote_strings=True),
         DropFileWriter(d, "exchanges", EXCHANGE_SCHEMA, fmt))
        for d in dirs
    ]  # fmt: skip
    try:
        total = int(plan.n_exchanges.sum())
        with tqdm(total=total, unit="exch", unit_scale=True, disable=not progress, desc="exchanges") as bar:
            for sessions, exchanges in blocks(plan, workers):
                started = _seconds(sessions["started_at"])
                period = np.minimum(np.searchsorted(ends, started, side="right"), periods - 1)
                owner = pc.index_in(exchanges["session_id"], value_set=sessions["session_id"].combine_chunks())
                ex_period = period[owner.to_numpy(zero_copy_only=False)]
                for k in np.unique(period).tolist():
                    writers[k][0].write(sessions.filter(pa.array(period == k)))
                    writers[k][1].write(exchanges.filter(pa.array(ex_period == k)))
                account = account_index.get_indexer(exchanges["account_id"].to_numpy())
                np.add.at(per_period, (account, ex_period), 1)
                np.minimum.at(first, account, _seconds(exchanges["ts"]))
                bar.update(exchanges.num_rows)
    except BaseException:
        for pair in writers:
            for writer in pair:
                writer.abort()
        raise
    rows: list[dict[str, int]] = []
    for d, pair in zip(dirs, writers, strict=True):
        rows.append({})
        for name, writer in zip(("sessions", "exchanges"), pair, strict=True):
            remove_other_formats(d, name, fmt)
            writer.close()
            rows[-1][name] = writer.rows
    return per_period, first, rows


def _seconds(column: pa.ChunkedArray) -> np.ndarray:
    return column.combine_chunks().cast(pa.int64()).to_numpy(zero_copy_only=False)


def _period_summary(
    plan: Plan, k: int, out: Path, start: int, end: int, rows: dict[str, int], exchanges: np.ndarray
) -> PeriodSummary:
    A = plan.accounts
    created = (A.created_at >= start) & (A.created_at < end)
    campaign = A.campaign >= 0
    banned = (A.status == STATUS_BANNED) & (A.status_at >= start) & (A.status_at < end)
    return PeriodSummary(
        index=k, out_dir=out, start=format_iso(start), end=format_iso(end),
        rows={name: rows[name] for name in DROP_FILES if name in rows},
        signups=int(created.sum()), bans=int(banned.sum()), campaign_signups=int((created & campaign).sum()),
        campaign_active=int(((exchanges > 0) & campaign).sum()),
    )  # fmt: skip
