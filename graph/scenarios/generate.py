"""Entry point: write a whole drop (accounts, billing, sessions, exchanges, model_releases, labels)."""

from __future__ import annotations

import multiprocessing
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import numpy as np
import pyarrow as pa
from tqdm import tqdm

from graph.scenarios import catalog
from graph.scenarios.accounts import STATUSES
from graph.scenarios.config import METHODS, PLANS, ScenarioConfig, validate_config
from graph.scenarios.encode import derive_key, format_iso, hex_strings, opaque_ids, parse_iso
from graph.scenarios.plan import Plan, build_plan
from graph.scenarios.sinks import DropFileWriter, remove_other_formats
from graph.scenarios.traffic import EXCHANGE_SCHEMA, SESSION_SCHEMA, TS, block_accounts, generate_block

ACCOUNT_SCHEMA = pa.schema([
    ("account_id", pa.string()), ("created_at", TS), ("email", pa.string()), ("org_id", pa.string()),
    ("country", pa.string()), ("signup_ip", pa.string()), ("signup_fingerprint", pa.string()),
    ("plan", pa.string()), ("status", pa.string()), ("status_changed_at", TS),
])
BILLING_SCHEMA = pa.schema([
    ("billing_id", pa.string()), ("account_id", pa.string()), ("created_at", TS), ("method", pa.string()),
    ("payment_fingerprint", pa.string()), ("card_bin", pa.string()), ("issuer_country", pa.string()),
    ("billing_country", pa.string()), ("billing_postal", pa.string()), ("billing_name_hash", pa.string()),
    ("billing_address_hash", pa.string()), ("spend_usd", pa.float64()),
])
MODEL_RELEASE_SCHEMA = pa.schema([("model", pa.string()), ("released_at", TS)])
LABEL_SCHEMA = pa.schema([("account_id", pa.string()), ("campaign", pa.string()), ("population", pa.string())])
SERIES_LABEL_SCHEMA = LABEL_SCHEMA.append(pa.field("first_activity", TS))
DROP_FILES: tuple[str, ...] = ("accounts", "billing", "sessions", "exchanges", "model_releases", "labels")
_ROWS_PER_WRITE = 100_000


@dataclass(frozen=True)
class DropSummary:
    """What ``generate_drop`` wrote (rows per file) and how the accounts split by population."""

    out_dir: Path
    fmt: str
    seed: int
    scale: float
    files: dict[str, Path]
    rows: dict[str, int]
    accounts_by_population: dict[str, int]
    exchanges_by_population: dict[str, int]
    release_at: str
    seconds: float


def generate_drop(
    out_dir: Path,
    config: ScenarioConfig,
    *,
    seed: int,
    fmt: str = "csv",
    progress: bool = False,
    workers: int = 1,
) -> DropSummary:
    """Generate a drop into ``out_dir`` (created if needed); a tqdm bar on stderr if ``progress``.

    Same config, seed and format give byte-identical files, whatever ``workers`` (processes that
    generate blocks while this one writes). Memory stays bounded at any scale: accounts are
    planned up front (one row each), then sessions and exchanges are generated and appended
    block by block (``config.block_exchanges``)."""
    validate_config(config)
    began = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    plan = build_plan(config, seed)
    files: dict[str, Path] = {}
    rows: dict[str, int] = {}
    for name, schema, tables in (
        ("model_releases", MODEL_RELEASE_SCHEMA, lambda: iter([model_releases(plan)])),
        ("accounts", ACCOUNT_SCHEMA, lambda: account_tables(plan)),
        ("billing", BILLING_SCHEMA, lambda: billing_tables(plan)),
        ("labels", LABEL_SCHEMA, lambda: label_tables(plan)),
    ):
        files[name], rows[name] = write_file(out_dir, name, schema, fmt, tables)
    sessions = DropFileWriter(out_dir, "sessions", SESSION_SCHEMA, fmt, quote_strings=True)
    exchanges = DropFileWriter(out_dir, "exchanges", EXCHANGE_SCHEMA, fmt)
    try:
        total = int(plan.n_exchanges.sum())
        with tqdm(total=total, unit="exch", unit_scale=True, disable=not progress, desc="exchanges") as bar:
            for session_table, exchange_table in blocks(plan, workers):
                sessions.write(session_table)
                exchanges.write(exchange_table)
                bar.update(exchange_table.num_rows)
    except BaseException:
        sessions.abort()
        exchanges.abort()
        raise
    for name, writer in (("sessions", sessions), ("exchanges", exchanges)):
        remove_other_formats(out_dir, name, fmt)
        files[name], rows[name] = writer.close(), writer.rows
    names = plan.population_names
    pops = plan.accounts.population
    return DropSummary(
        out_dir=out_dir, fmt=fmt, seed=seed, scale=config.scale, files=files, rows=rows,
        accounts_by_population={n: int((pops == p).sum()) for p, n in enumerate(names)},
        exchanges_by_population={n: int(plan.n_exchanges[pops == p].sum()) for p, n in enumerate(names)},
        release_at=format_iso(plan.release), seconds=time.perf_counter() - began,
    )


def write_file(out_dir: Path, name: str, schema: pa.Schema, fmt: str,
               tables: Callable[[], Iterator[pa.Table]]) -> tuple[Path, int]:
    """Write one account-level file (its values never need CSV quoting)."""
    writer = DropFileWriter(out_dir, name, schema, fmt)
    try:
        for table in tables():
            writer.write(table)
    except BaseException:
        writer.abort()
        raise
    remove_other_formats(out_dir, name, fmt)
    return writer.close(), writer.rows


# Worker processes rebuild the plan from (config, seed) -- it is deterministic -- instead of
# receiving it pickled, and are spawned rather than forked (forking after Arrow has started its
# thread pools can deadlock).
_WORKER_PLAN: Plan | None = None


def _init_worker(config: ScenarioConfig, seed: int) -> None:
    global _WORKER_PLAN
    _WORKER_PLAN = build_plan(config, seed)


def _work(job: tuple[int, np.ndarray]) -> tuple[pa.Table, pa.Table]:
    assert _WORKER_PLAN is not None
    return generate_block(_WORKER_PLAN, job[0], job[1])


def blocks(plan: Plan, workers: int) -> Iterator[tuple[pa.Table, pa.Table]]:
    """Generated blocks (sessions, exchanges) in order; with workers, at most two blocks per worker are in
    flight."""
    jobs = list(enumerate(block_accounts(plan)))
    if workers <= 1 or len(jobs) < 2:
        for block, accounts in jobs:
            yield generate_block(plan, block, accounts)
        return
    context = multiprocessing.get_context("spawn")
    with context.Pool(min(workers, len(jobs)), initializer=_init_worker, initargs=(plan.config, plan.seed)) as pool:
        queue = iter(jobs)
        pending = deque(pool.apply_async(_work, (job,)) for job in islice(queue, 2 * workers))
        while pending:
            result = pending.popleft().get()
            job = next(queue, None)
            if job is not None:
                pending.append(pool.apply_async(_work, (job,)))
            yield result


def _strings(values: list[str]) -> pa.StringArray:
    return pa.array(values, pa.string())


def _masked(index: np.ndarray, missing: np.ndarray) -> pa.Array:
    """Index array with nulls where ``missing``: ``take`` turns those into nulls."""
    return pa.array(np.where(missing, 0, index).astype(np.int64), pa.int64(), mask=missing)


def model_releases(plan: Plan, as_of: int | None = None) -> pa.Table:
    """The model line-up; with ``as_of``, only the models released before it."""
    models = plan.config.models
    names = [m.name for m in models.legacy] + [models.new_model]
    times = [parse_iso(m.released_at) for m in models.legacy] + [plan.release]
    if as_of is not None:
        names, times = [n for n, t in zip(names, times, strict=True) if t < as_of], [t for t in times if t < as_of]
    return pa.table({"model": _strings(names), "released_at": pa.array(times, TS)}, schema=MODEL_RELEASE_SCHEMA)


def account_tables(plan: Plan, as_of: int | None = None) -> Iterator[pa.Table]:
    """Account rows in output order; with ``as_of`` (epoch seconds), only the accounts created before it, with
    the status they had then (a later ban or suspension is not known yet)."""
    A, world = plan.accounts, plan.world
    org_ids = opaque_ids(np.arange(max(world.orgs, 1), dtype=np.uint64), derive_key(plan.seed, "org"), "org_")
    countries = _strings(list(catalog.COUNTRY_CODES))
    devices = hex_strings(np.concatenate(world.devices.hi), np.concatenate(world.devices.lo))
    plans, statuses = _strings(list(PLANS)), _strings(list(STATUSES))
    known = _known_status(plan, as_of)
    for idx in _output_rows(plan, as_of):
        status, status_at = np.where(known[idx], A.status[idx], 0), np.where(known[idx], A.status_at[idx], -1)
        yield pa.table({
            "account_id": plan.account_ids.take(idx),
            "created_at": pa.array(A.created_at[idx], TS),
            "email": _strings(A.email[idx].tolist()),
            "org_id": org_ids.take(_masked(A.org[idx], A.org[idx] < 0)),
            "country": countries.take(_masked(A.country[idx], ~plan.country_declared[idx])),
            "signup_ip": plan.ip_text.take(_masked(A.signup_ip[idx], A.signup_ip[idx] < 0)),
            "signup_fingerprint": devices.take(_masked(A.device[idx], A.device[idx] < 0)),
            "plan": plans.take(A.plan[idx].astype(np.int64)),
            "status": statuses.take(status.astype(np.int64)),
            "status_changed_at": pa.array(status_at, TS, mask=status_at < 0),
        }, schema=ACCOUNT_SCHEMA)


def _output_rows(plan: Plan, as_of: int | None) -> Iterator[np.ndarray]:
    """Accounts in output order, in slices of ``_ROWS_PER_WRITE``; with ``as_of``, those created before it."""
    order = plan.order if as_of is None else plan.order[plan.accounts.created_at[plan.order] < as_of]
    for i in range(0, len(order), _ROWS_PER_WRITE):
        yield order[i:i + _ROWS_PER_WRITE]


def _known_status(plan: Plan, as_of: int | None) -> np.ndarray:
    """Per account: whether its status change has happened by ``as_of`` (always, without a cut)."""
    at = plan.accounts.status_at
    return np.ones(len(at), dtype=bool) if as_of is None else at < as_of


def billing_tables(plan: Plan, as_of: int | None = None, spend: np.ndarray | None = None) -> Iterator[pa.Table]:
    """Billing rows by account then attachment time; with ``as_of``, the instruments attached before it, and
    ``spend`` (USD per account) in place of the whole window's spend."""
    B, world = plan.billing, plan.world
    cards, addresses = world.cards, world.addresses
    order = np.lexsort((B.created_at, plan.position[B.account]))
    number = np.arange(len(order), dtype=np.uint64)  # a row's id follows its place in the whole window's file
    if as_of is not None:
        attached = (B.created_at[order] < as_of) & (plan.accounts.created_at[B.account[order]] < as_of)
        order, number = order[attached], number[attached]
    spend = plan.spend if spend is None else spend
    fps = hex_strings(np.concatenate(cards.fp_hi), np.concatenate(cards.fp_lo))
    bins = pa.array([b for part in cards.bin for b in part], pa.string())
    methods = _strings(list(METHODS))
    card_method = np.concatenate(cards.method).astype(np.int64)
    card_country = np.concatenate(cards.issuer_country).astype(np.int64)
    countries = _strings(list(catalog.COUNTRY_CODES))
    addr_country = np.concatenate(addresses.country).astype(np.int64) if addresses.country else np.zeros(0, np.int64)
    postals = pa.array(addresses.postal, pa.string())
    addr_hash = hex_strings(np.concatenate(world.address_hashes.hi), np.concatenate(world.address_hashes.lo))
    names = hex_strings(np.concatenate(world.names.hi), np.concatenate(world.names.lo))
    ids = opaque_ids(number, derive_key(plan.seed, "billing"), "bill_")
    for i in range(0, len(order), _ROWS_PER_WRITE):
        rows = order[i:i + _ROWS_PER_WRITE]
        card, address, name = B.card[rows], B.address[rows], B.name[rows]
        no_address = address < 0
        spent = np.round(spend[B.account[rows]] * B.spend_share[rows], 2)
        yield pa.table({
            "billing_id": ids.slice(i, len(rows)),
            "account_id": plan.account_ids.take(B.account[rows]),
            "created_at": pa.array(B.created_at[rows], TS),
            "method": methods.take(card_method[card]),
            "payment_fingerprint": fps.take(card),
            "card_bin": bins.take(card),
            "issuer_country": countries.take(card_country[card]),
            "billing_country": countries.take(_masked(addr_country[np.maximum(address, 0)], no_address)),
            "billing_postal": postals.take(_masked(address, no_address)),
            "billing_name_hash": names.take(_masked(name, name < 0)),
            "billing_address_hash": addr_hash.take(_masked(address, no_address)),
            "spend_usd": pa.array(spent, pa.float64()),
        }, schema=BILLING_SCHEMA)


def label_tables(plan: Plan, as_of: int | None = None, first_activity: np.ndarray | None = None
                 ) -> Iterator[pa.Table]:
    """Ground truth per account (accounts created before ``as_of``); with ``first_activity`` (epoch seconds
    per account, negative for none), also each account's first exchange."""
    A = plan.accounts
    campaigns = _strings([""] + list(plan.campaign_names))
    populations = _strings(list(plan.population_names))
    for idx in _output_rows(plan, as_of):
        table = pa.table({
            "account_id": plan.account_ids.take(idx),
            "campaign": campaigns.take(A.campaign[idx].astype(np.int64) + 1),
            "population": populations.take(A.population[idx].astype(np.int64)),
        }, schema=LABEL_SCHEMA)
        if first_activity is not None:
            first = first_activity[idx]
            table = table.append_column(SERIES_LABEL_SCHEMA.field("first_activity"),
                                        pa.array(first, TS, mask=first < 0))
        yield table
