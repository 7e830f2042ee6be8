"""Sessions and exchanges for one block of accounts, fully vectorised.

A block is a run of consecutive accounts in output order (which is a random permutation of all
populations), generated from its own random stream ``(seed, 2, block)``: the output never
depends on how blocks are scheduled, and memory is bounded by the block size.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from graph.drop.contract import CAPABILITIES
from graph.scenarios import catalog
from graph.scenarios.config import SCHEDULES
from graph.scenarios.encode import derive_key, hex_strings, opaque_ids, random_words
from graph.scenarios.plan import Plan

TS = pa.timestamp("s", tz="UTC")
SESSION_SCHEMA = pa.schema([
    ("session_id", pa.string()), ("account_id", pa.string()), ("api_key_id", pa.string()),
    ("started_at", TS), ("ended_at", TS), ("ip", pa.string()), ("asn", pa.int64()), ("asn_name", pa.string()),
    ("asn_type", pa.string()), ("user_agent", pa.string()), ("client_fingerprint", pa.string()),
])
EXCHANGE_SCHEMA = pa.schema([
    ("exchange_id", pa.string()), ("session_id", pa.string()), ("account_id", pa.string()), ("ts", TS),
    ("model", pa.string()), ("capability", pa.string()), ("prompt_fingerprint", pa.string()),
    ("input_tokens", pa.int64()), ("output_tokens", pa.int64()), ("reasoning_elicited", pa.bool_()),
])

DAY = 86_400
_DIURNAL = np.array([0.35, 0.2, 0.12, 0.08, 0.06, 0.07, 0.15, 0.35, 0.6, 0.85, 1.0, 1.0, 0.95, 1.0, 1.0, 0.95,
                     0.9, 0.85, 0.8, 0.85, 0.95, 1.0, 0.85, 0.6])
_OFFICE = np.array([0.03, 0.02, 0.02, 0.02, 0.02, 0.03, 0.08, 0.25, 0.7, 1.0, 1.0, 1.0, 0.8, 0.95, 1.0, 1.0, 0.95,
                    0.7, 0.4, 0.25, 0.2, 0.15, 0.1, 0.05])
_HOUR_CDF = np.stack([np.cumsum(p) / p.sum() for p in (_DIURNAL, _OFFICE, np.ones(24))])
_CAPABILITY_STRINGS = pa.array(list(CAPABILITIES), pa.string())
_LOG_IN = np.log([catalog.CAPABILITY_TOKENS[c][0] for c in CAPABILITIES])
_LOG_OUT = np.log([catalog.CAPABILITY_TOKENS[c][1] for c in CAPABILITIES])
_REASONING = CAPABILITIES.index("reasoning")


def block_accounts(plan: Plan) -> list[np.ndarray]:
    """Split the output order into blocks of roughly ``config.block_exchanges`` exchanges."""
    n = len(plan.order)
    per_account = max(1.0, float(plan.n_exchanges.sum()) / max(n, 1))
    size = max(16, int(plan.config.block_exchanges / per_account))
    return [plan.order[i:i + size] for i in range(0, n, size)]


def generate_block(plan: Plan, block: int, accounts: np.ndarray) -> tuple[pa.Table, pa.Table]:
    """The sessions and exchanges of the given accounts, each table sorted by time."""
    rng = np.random.default_rng([plan.seed, 2, block])
    A = plan.accounts
    acc = accounts[plan.n_exchanges[accounts] > 0]
    n_ex = plan.n_exchanges[acc]
    n_sess = np.clip(np.rint(n_ex / A.per_session[acc] * rng.lognormal(0, 0.2, len(acc))), 1, n_ex).astype(np.int64)
    sess_acc = np.repeat(acc, n_sess)
    n_s = len(sess_acc)
    first_sess = np.cumsum(n_sess) - n_sess
    extra_owner = np.repeat(np.arange(len(acc)), n_ex - n_sess)
    skew = np.floor(n_sess[extra_owner] * rng.random(len(extra_owner)) ** 1.7).astype(np.int64)
    sizes = 1 + np.bincount(first_sess[extra_owner] + skew, minlength=n_s)
    ex_sess = np.repeat(np.arange(n_s), sizes)
    ex_acc = sess_acc[ex_sess]
    n_e = len(ex_sess)
    sess_first_ex = np.cumsum(sizes) - sizes

    cap, fingerprint = _prompts(plan, rng, ex_acc)
    elicit = rng.random(n_e) < np.where(cap == _REASONING, A.elicit_reasoning[ex_acc], A.elicit_other[ex_acc])
    scale = A.token_scale[ex_acc]
    tokens_in = np.maximum(1, np.rint(np.exp(_LOG_IN[cap] + rng.normal(0, 0.8, n_e)) * scale)).astype(np.int64)
    out_mult = np.where(elicit, 2.5, 1.0) * scale
    tokens_out = np.maximum(1, np.rint(np.exp(_LOG_OUT[cap] + rng.normal(0, 0.7, n_e)) * out_mult)).astype(np.int64)

    # timing: gaps inside sessions, squeezed to fit the account's active span, then a start time
    lo = A.active_from[sess_acc]
    hi = A.active_to[sess_acc] - 1
    span = np.maximum(hi - lo, 1).astype(np.float64)
    gaps = rng.exponential(1.0, n_e) * A.gap[ex_acc]
    gaps[sess_first_ex] = 0.0
    cum = np.cumsum(gaps)
    offset = cum - cum[sess_first_ex][ex_sess]
    last = sess_first_ex + sizes - 1
    raw = offset[last]
    allowed = np.minimum(0.8 * span, 12 * 3600.0)
    squeeze = np.where(raw > allowed, allowed / np.maximum(raw, 1e-9), 1.0)
    offset *= squeeze[ex_sess]
    tail = np.minimum(2.0 + tokens_out[last] / 60.0, np.maximum(1.0, 0.1 * span))
    duration = np.ceil(offset[last] + tail).astype(np.int64)
    started = _session_starts(plan, rng, sess_acc, lo, np.maximum(lo, hi - duration))
    ended = np.minimum(started + duration, np.maximum(hi, started))
    ts = np.minimum(started[ex_sess] + np.floor(offset).astype(np.int64), ended[ex_sess])
    model = _models(plan, rng, ex_acc, ts)

    sessions = _session_table(plan, rng, block, sess_acc, started, ended)
    s_order = np.argsort(started, kind="stable")
    e_order = np.argsort(ts, kind="stable")
    session_ids = sessions.column("session_id")
    exchanges = pa.table({
        "exchange_id": opaque_ids((np.uint64(block) << np.uint64(36)) + np.arange(n_e, dtype=np.uint64),
                                  derive_key(plan.seed, "exchange"), "ex_").take(e_order),
        "session_id": session_ids.take(ex_sess[e_order]),
        "account_id": plan.account_ids.take(ex_acc[e_order]),
        "ts": pa.array(ts[e_order], TS),
        "model": plan.model_names.take(model[e_order]),
        "capability": _CAPABILITY_STRINGS.take(cap[e_order]),
        "prompt_fingerprint": hex_strings(fingerprint[e_order]),
        "input_tokens": pa.array(tokens_in[e_order], pa.int64()),
        "output_tokens": pa.array(tokens_out[e_order], pa.int64()),
        "reasoning_elicited": pa.array(elicit[e_order], pa.bool_()),
    }, schema=EXCHANGE_SCHEMA)
    return sessions.take(s_order), exchanges


def _prompts(plan: Plan, rng: np.random.Generator, ex_acc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Capability and 64-bit SimHash per exchange: a template variant (<= 3 bits from its base)
    for the account's template share, otherwise a unique prompt (random, ~32 bits from anything)."""
    A = plan.accounts
    n_e = len(ex_acc)
    t_len = A.templates.lengths[ex_acc]
    use = (rng.random(n_e) < A.template_share[ex_acc]) & (t_len > 0)
    pick = np.floor(rng.random(n_e) ** 1.3 * t_len).astype(np.int64)
    flat = plan.template_offsets[ex_acc] + pick
    tpl = np.where(use, A.templates.values[np.minimum(flat, max(len(A.templates.values) - 1, 0))], 0) \
        if len(A.templates.values) else np.zeros(n_e, dtype=np.int64)
    flips = rng.integers(0, 4, n_e)
    mask = np.zeros(n_e, dtype=np.uint64)
    for i in range(3):
        bit = np.left_shift(np.uint64(1), rng.integers(0, 64, n_e).astype(np.uint64))
        mask ^= np.where(flips > i, bit, np.uint64(0))
    fingerprint = np.where(use, plan.template_base[tpl] ^ mask, random_words(rng, n_e))
    cdf = A.cap_cdf[ex_acc]
    own_cap = np.minimum((rng.random(n_e)[:, None] > cdf).sum(axis=1), len(CAPABILITIES) - 1)
    cap = np.where(use, plan.template_capability[tpl], own_cap).astype(np.int64)
    return cap, fingerprint


def _session_starts(plan: Plan, rng: np.random.Generator, sess_acc: np.ndarray, lo: np.ndarray,
                    hi: np.ndarray) -> np.ndarray:
    """Start times: human day in local time, office hours, round the clock, or campaign batches."""
    A = plan.accounts
    n = len(sess_acc)
    width = (hi - lo).astype(np.float64)
    flat = lo + np.floor(rng.random(n) * (width + 1)).astype(np.int64)
    start = flat.copy()
    schedule = A.schedule[sess_acc].astype(np.int64)
    human = schedule != SCHEDULES.index("flat")
    if human.any():
        tz = A.tz_minutes[sess_acc].astype(np.int64) * 60
        d0, d1 = (lo + tz) // DAY, (hi + tz) // DAY
        day = d0 + np.floor(rng.random(n) * (d1 - d0 + 1)).astype(np.int64)
        weekend = (day + 3) % 7 >= 5
        redraw = weekend & (rng.random(n) > A.weekend[sess_acc])
        day = np.where(redraw, d0 + np.floor(rng.random(n) * (d1 - d0 + 1)).astype(np.int64), day)
        hour = (rng.random(n)[:, None] > _HOUR_CDF[schedule]).sum(axis=1)
        local = day * DAY + hour * 3600 + np.floor(rng.random(n) * 3600).astype(np.int64)
        t = local - tz
        start = np.where(human & (t >= lo) & (t <= hi), t, start)
    batch = A.batch[sess_acc].astype(np.int64)
    on_batch = (batch >= 0) & (rng.random(n) < A.batch_share[sess_acc])
    if on_batch.any() and plan.batches:
        phase = np.array([b.phase for b in plan.batches], dtype=np.int64)[np.maximum(batch, 0)]
        interval = np.array([b.interval for b in plan.batches], dtype=np.int64)[np.maximum(batch, 0)]
        jitter = np.array([b.jitter for b in plan.batches], dtype=np.int64)[np.maximum(batch, 0)]
        k_lo = -((phase - lo) // interval)  # ceil((lo - phase) / interval)
        k_hi = (hi - phase) // interval
        k = k_lo + np.floor(rng.random(n) * np.maximum(k_hi - k_lo + 1, 1)).astype(np.int64)
        t = phase + k * interval + np.floor(np.abs(rng.normal(0, 1, n)) * jitter).astype(np.int64)
        start = np.where(on_batch & (k_hi >= k_lo) & (t >= lo) & (t <= hi), t, start)
    return start


def _models(plan: Plan, rng: np.random.Generator, ex_acc: np.ndarray, ts: np.ndarray) -> np.ndarray:
    """Legacy model (mostly the account's main one) or, after adoption starts, the new model."""
    A = plan.accounts
    n_e = len(ex_acc)
    since = (ts - A.adopt_at[ex_acc]).astype(np.float64)
    p_new = np.where(since > 0, A.adopt_share[ex_acc] * -np.expm1(-np.maximum(since, 0) / A.adopt_tau[ex_acc]), 0.0)
    w = np.array(plan.config.models.legacy_weights, dtype=np.float64)
    other = rng.choice(len(w), size=n_e, p=w / w.sum())
    legacy = np.where(rng.random(n_e) < 0.85, A.legacy_model[ex_acc], other)
    return np.where(rng.random(n_e) < p_new, plan.new_model, legacy).astype(np.int64)


def _session_table(plan: Plan, rng: np.random.Generator, block: int, sess_acc: np.ndarray, started: np.ndarray,
                   ended: np.ndarray) -> pa.Table:
    A = plan.accounts
    n = len(sess_acc)
    ip_pick = plan.ip_offsets[sess_acc] + np.floor(rng.random(n) * A.ips.lengths[sess_acc]).astype(np.int64)
    ip = A.ips.values[ip_pick]
    client = np.where(rng.random(n) < A.client_b_share[sess_acc], A.client_b[sess_acc], A.client_a[sess_acc])
    client = np.where(plan.ip_reseller[ip], plan.world.reseller_client, client)
    key = plan.position[sess_acc].astype(np.uint64) * np.uint64(8) + np.floor(
        rng.random(n) * A.keys[sess_acc]).astype(np.uint64)
    return pa.table({
        "session_id": opaque_ids((np.uint64(block) << np.uint64(32)) + np.arange(n, dtype=np.uint64),
                                 derive_key(plan.seed, "session"), "sess_"),
        "account_id": plan.account_ids.take(sess_acc),
        "api_key_id": opaque_ids(key, derive_key(plan.seed, "api_key"), "key_"),
        "started_at": pa.array(started, TS),
        "ended_at": pa.array(ended, TS),
        "ip": plan.ip_text.take(ip),
        "asn": plan.ip_asn_number.take(ip),
        "asn_name": plan.ip_asn_name.take(ip),
        "asn_type": plan.ip_asn_type.take(ip),
        "user_agent": plan.client_ua.take(client),
        "client_fingerprint": plan.client_fp.take(client),
    }, schema=SESSION_SCHEMA)
