"""Behavioural similarity of account pairs: synchronised activity hours and the same fast move to a new model.

Only ever computed for candidate pairs that shared entities or similar template sets proposed, never for
all pairs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from graph.detection.rarity import rarity
from graph.driver import Graph


def hour_bitsets(graph: Graph, ids: Sequence[str], span: tuple[int, int]) -> np.ndarray:
    """One bitset of active UTC hours per account (rows follow `ids`), over the hours of `span`."""
    first_hour, last_hour = span
    width = max(1, last_hour - first_hour + 1)
    words = (width + 63) // 64
    bits = np.zeros((len(ids), words), dtype=np.uint64)
    row_of = {a: r for r, a in enumerate(ids)}
    for start in range(0, len(ids), 20_000):
        for row in graph.read("detect_account_hours", ids=list(ids[start : start + 20_000])):
            r = row_of.get(row["account_id"])
            if r is None:
                continue
            h = np.asarray(row["hours"], dtype=np.int64) - first_hour
            h = h[(h >= 0) & (h < width)]
            if len(h) == 0:
                continue
            np.bitwise_or.at(bits[r], h // 64, np.left_shift(np.uint64(1), (h % 64).astype(np.uint64)))
    return bits


def hour_similarity(bits: np.ndarray, rows_a: np.ndarray, rows_b: np.ndarray, min_active: int) -> np.ndarray:
    """Synchronised activity of each pair: the share of their active hours they have in common, rescaled.

    Jaccard of the two hour sets; 0 when either account has fewer than `min_active` active hours, and
    Jaccard values at the level chance gives unrelated accounts (about 0.1) count for nothing.
    """
    active = np.bitwise_count(bits).sum(axis=1).astype(np.float64)
    out = np.zeros(len(rows_a))
    chunk = 500_000
    for start in range(0, len(rows_a), chunk):
        a, b = rows_a[start : start + chunk], rows_b[start : start + chunk]
        inter = np.bitwise_count(bits[a] & bits[b]).sum(axis=1).astype(np.float64)
        union = active[a] + active[b] - inter
        jac = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
        ok = (active[a] >= min_active) & (active[b] >= min_active)
        out[start : start + chunk] = np.where(ok, np.clip((jac - 0.1) / 0.4, 0.0, 1.0), 0.0)
    return out


@dataclass(frozen=True)
class NewModel:
    """A model released during the period the graph covers, with its release time (epoch seconds)."""

    name: str
    released_at: int


def new_models(graph: Graph, span: tuple[int, int]) -> list[NewModel]:
    """Models released inside the observed period: declared `released_at`, else the first observed use.

    A model first used more than two days after activity starts is treated as released then.
    """
    start, end = span
    out = []
    for row in graph.read("detect_models"):
        released = row["released_at"]
        first_use = row["first_use"]
        if released is None and first_use is not None and first_use > start + 2 * 86400:
            released = first_use
        if released is not None and start + 86400 < released < end:
            out.append(NewModel(name=str(row["model"]), released_at=int(released)))
    return out


def fast_pivots(graph: Graph, models: list[NewModel], window_hours: float) -> dict[str, tuple[str, int]]:
    """Account id -> (model, first use) for accounts that moved to a new model within the window."""
    if not models:
        return {}
    rows = graph.read(
        "detect_model_pivots",
        models=[{"name": m.name, "until": m.released_at + int(window_hours * 3600)} for m in models],
    )
    out: dict[str, tuple[str, int]] = {}
    for row in rows:
        account, t = str(row["account_id"]), int(row["first_seen"])
        if account not in out or t < out[account][1]:
            out[account] = (str(row["model"]), t)
    return out


def pivot_similarity(
    pivots: dict[int, tuple[str, int]], first: np.ndarray, second: np.ndarray, sync_hours: float
) -> np.ndarray:
    """How much moving to a new model together says about a pair.

    1 for two accounts that moved to the same new model at the same moment while nobody else did, falling
    to 0 at `sync_hours` apart; like a shared entity, a moment many accounts moved in (a whole campaign, or
    the first rush of ordinary adopters) says less: the value is scaled by rarity(movers within
    `sync_hours` / 2 of the pair's moment) / rarity(2).
    """
    out = np.zeros(len(first))
    if not pivots:
        return out
    size = int(max(first.max(initial=0), second.max(initial=0), max(pivots))) + 1
    model_code = np.full(size, -1, dtype=np.int64)
    when = np.zeros(size, dtype=np.float64)
    names: dict[str, int] = {}
    for i, (model, t) in pivots.items():
        model_code[i] = names.setdefault(model, len(names))
        when[i] = t
    same = (model_code[first] >= 0) & (model_code[first] == model_code[second])
    gap = np.abs(when[first] - when[second]) / 3600.0
    sim = np.clip(1.0 - gap / sync_hours, 0.0, 1.0)
    half = sync_hours * 1800.0
    crowd = np.zeros(len(first))
    for code in range(len(names)):
        times = np.sort(when[model_code == code])
        pick = same & (model_code[first] == code)
        middle = (when[first[pick]] + when[second[pick]]) / 2.0
        crowd[pick] = np.searchsorted(times, middle + half, side="right") - np.searchsorted(times, middle - half)
    scale = rarity(np.maximum(crowd, 2.0)) / rarity(np.asarray([2.0]))[0]
    out[same] = (sim * scale)[same]
    return out


def activity_span(graph: Graph) -> tuple[int, int] | None:
    """(first, last) exchange time over all accounts, or None for a graph without traffic."""
    rows = graph.read("detect_activity_span")
    if not rows or rows[0]["first_seen"] is None:
        return None
    return int(rows[0]["first_seen"]), int(rows[0]["last_seen"])
