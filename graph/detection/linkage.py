"""Account-to-account linkage: shared entities weighted by rarity, plus behaviour among candidate pairs.

Rare shared entities (a card on three accounts) are expanded into account pairs; entities shared by more
accounts than a kind's `expand_cap` are never expanded (a NAT address with 800 accounts must not make
320k pairs) but may still add a little weight, 1/log2(1 + degree), to pairs something rarer proposed, up to
`enrich_cap`; above that they count for nothing. Behavioural similarity (synchronised hour buckets, the
same fast pivot to a new model) is computed only for those candidate pairs. Independent families of
evidence multiply a pair's weight; weak pairs are pruned. The surviving links are written to Neo4j as
`(:Account)-[:LINKED {weight, kinds}]->(:Account)` for GDS to project.

A little over ~400 lines: one algorithm (candidate pairs, enrichment, combination, pruning) whose parts share
the `AccountIndex`/`Memberships` arrays; behaviour among pairs is `behaviour.py`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import LiteralString, cast

import numpy as np

from graph.detection.behaviour import (
    activity_span,
    fast_pivots,
    hour_bitsets,
    hour_similarity,
    new_models,
    pivot_similarity,
)
from graph.detection.params import DetectionParams
from graph.detection.rarity import rarity
from graph.driver import Graph, cypher
from graph.timing import timed

log = logging.getLogger(__name__)

Progress = Callable[[str, float], None]

BEHAVIOUR_KINDS: tuple[str, ...] = ("hours", "pivot")


class AccountIndex:
    """Dense integer ids for account ids, assigned in first-seen order."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self._index: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self.ids)

    def add_all(self, account_ids: Iterable[str]) -> np.ndarray:
        """Indexes of `account_ids`, adding the unknown ones."""
        index = self._index
        out = []
        for account_id in account_ids:
            i = index.get(account_id)
            if i is None:
                i = len(self.ids)
                index[account_id] = i
                self.ids.append(account_id)
            out.append(i)
        return np.asarray(out, dtype=np.int64)

    def get(self, account_id: str) -> int | None:
        """The index of an account, or None."""
        return self._index.get(account_id)


@dataclass(frozen=True)
class Memberships:
    """Which accounts share each entity of one kind, in CSR form (entity -> accounts)."""

    kind: str
    entity_ids: tuple[str, ...]
    ptr: np.ndarray
    accounts: np.ndarray

    @property
    def degrees(self) -> np.ndarray:
        """Accounts per entity."""
        return np.diff(self.ptr)


@dataclass(frozen=True)
class LinkageResult:
    """The pruned weighted links, what each kind contributed to them, and counts for the run report."""

    account_ids: tuple[str, ...]
    src: np.ndarray
    dst: np.ndarray
    weight: np.ndarray
    anchored: np.ndarray
    """Links that hold by identity-grade evidence (a shared card or sign-up device)."""
    kind_scores: dict[str, np.ndarray]
    stats: dict[str, float]
    timings: dict[str, float] = field(default_factory=dict)
    memberships: dict[str, Memberships] = field(default_factory=dict)
    """The shared entities read for linkage (kind -> entity -> accounts), over the same account indexes."""

    def kinds_of(self, k: int, minimum: float = 0.05) -> list[str]:
        """Names of the kinds that contributed to link `k`."""
        return [name for name, scores in self.kind_scores.items() if scores[k] >= minimum]


def fetch_memberships(graph: Graph, kind: str, cap: int, index: AccountIndex) -> Memberships:
    """Stream the entities of `kind` shared by 2..cap accounts with their accounts."""
    entity_ids: list[str] = []
    counts: list[int] = []
    chunks: list[np.ndarray] = []
    if cap >= 2:
        for row in graph.stream(f"detect_members_{kind}", cap=cap):
            members = index.add_all(row["accounts"])
            if len(members) < 2:
                continue
            entity_ids.append(str(row["entity"]))
            counts.append(len(members))
            chunks.append(members)
    ptr = np.zeros(len(counts) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum(np.asarray(counts, dtype=np.int64))
    accounts = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int64)
    return Memberships(kind=kind, entity_ids=tuple(entity_ids), ptr=ptr, accounts=accounts)


def expand_pairs(m: Memberships, cap: int) -> tuple[np.ndarray, np.ndarray]:
    """Every account pair sharing an entity of degree <= cap: (pair keys lo*2^32+hi, rarity of the entity).

    Entities are grouped by degree so each group expands with one vectorised upper-triangle index.
    """
    degrees = m.degrees
    keys: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    for d in np.unique(degrees[(degrees >= 2) & (degrees <= cap)]):
        ents = np.nonzero(degrees == d)[0]
        block = m.accounts[m.ptr[ents][:, None] + np.arange(d)[None, :]]
        iu, ju = np.triu_indices(int(d), 1)
        a, b = block[:, iu].ravel(), block[:, ju].ravel()
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        keep = lo != hi
        keys.append((lo[keep] << 32) | hi[keep])
        weights.append(np.full(int(keep.sum()), float(rarity(np.asarray([d]))[0])))
    if not keys:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    return np.concatenate(keys), np.concatenate(weights)


_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _mix(values: np.ndarray, salt: int) -> np.ndarray:
    """A keyed 64-bit mix (splitmix64 finaliser) of non-negative integers: one hash function per salt."""
    with np.errstate(over="ignore"):
        z = values.astype(np.uint64) + np.uint64((salt * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF)
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
        return z ^ (z >> np.uint64(31))


def lsh_pairs(m: Memberships, *, bands: int, rows: int, neighbours: int, min_items: int, seed: int) -> np.ndarray:
    """Candidate pairs of accounts whose *sets* of entities are similar (MinHash LSH), however popular each is.

    Each account's set gets `bands` x `rows` MinHash values; accounts whose `rows` values of a band all agree
    share a bucket. A bucket is never expanded into all its pairs: its members, in a seeded random order,
    are each paired with the next `neighbours` members, so a bucket of n accounts gives at most
    n x neighbours pairs and a small bucket gives all of its pairs.
    """
    degrees = m.degrees
    if len(degrees) == 0:
        return np.zeros(0, dtype=np.int64)
    ent = np.repeat(np.arange(len(degrees), dtype=np.int64), degrees)
    acc = m.accounts
    order = np.argsort(acc, kind="stable")
    acc, ent = acc[order], ent[order]
    starts = np.flatnonzero(np.concatenate([[True], acc[1:] != acc[:-1]]))
    sizes = np.diff(np.concatenate([starts, [len(acc)]]))
    owners = acc[starts]
    keep = sizes >= min_items
    out: list[np.ndarray] = []
    for band in range(bands):
        key = np.zeros(len(starts), dtype=np.uint64)
        for row in range(rows):
            h = _mix(ent, seed * 1_000_003 + band * rows + row)
            mins = np.minimum.reduceat(h, starts)
            key = _mix(key ^ mins, 7 + row)
        sel = np.flatnonzero(keep)
        k, who = key[sel], owners[sel]
        shuffle = _mix(who, seed + 101 * band)
        idx = np.lexsort((shuffle, k))
        k, who = k[idx], who[idx]
        for offset in range(1, neighbours + 1):
            same = k[offset:] == k[:-offset]
            a, b = who[:-offset][same], who[offset:][same]
            out.append((np.minimum(a, b) << 32) | np.maximum(a, b))
    return np.unique(np.concatenate(out)) if out else np.zeros(0, dtype=np.int64)


def sum_by_key(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique keys and the sum of values per key."""
    if len(keys) == 0:
        return keys, values
    uniq, inverse = np.unique(keys, return_inverse=True)
    return uniq, np.bincount(inverse, weights=values, minlength=len(uniq))


def enrich_pairs(
    pairs: np.ndarray, m: Memberships, lo_cap: int, hi_cap: int, n_accounts: int
) -> tuple[np.ndarray, np.ndarray]:
    """For each candidate pair, the summed rarity and the number of entities with lo_cap < degree <= hi_cap
    both share.

    Joins each pair's first account to its entities (CSR expansion), then looks the (second account,
    entity) combination up in the sorted membership keys; never enumerates pairs of an entity.
    """
    out = np.zeros(len(pairs))
    shared = np.zeros(len(pairs), dtype=np.int64)
    degrees = m.degrees
    ents = np.nonzero((degrees > lo_cap) & (degrees <= hi_cap))[0]
    if len(ents) == 0 or len(pairs) == 0:
        return out, shared
    ent_of_member = np.repeat(np.arange(len(degrees)), degrees)
    sel = np.isin(ent_of_member, ents)
    acc, ent = m.accounts[sel], ent_of_member[sel]
    r_ent = rarity(degrees)
    order = np.argsort(acc, kind="stable")
    acc, ent = acc[order], ent[order]
    acc_ptr = np.searchsorted(acc, np.arange(n_accounts + 1))
    member_keys = np.sort(acc * np.int64(len(degrees)) + ent)
    first, second = pairs >> 32, pairs & 0xFFFFFFFF
    chunk = 2_000_000
    for start in range(0, len(pairs), chunk):
        f, s = first[start : start + chunk], second[start : start + chunk]
        counts = acc_ptr[f + 1] - acc_ptr[f]
        total = int(counts.sum())
        if total == 0:
            continue
        pair_rep = np.repeat(np.arange(len(f)), counts)
        offsets = np.repeat(acc_ptr[f] - np.cumsum(counts) + counts, counts) + np.arange(total)
        e = ent[offsets]
        probe = s[pair_rep] * np.int64(len(degrees)) + e
        pos = np.searchsorted(member_keys, probe)
        pos[pos >= len(member_keys)] = len(member_keys) - 1
        hit = member_keys[pos] == probe
        out[start : start + chunk] += np.bincount(pair_rep[hit], weights=r_ent[e[hit]], minlength=len(f))
        shared[start : start + chunk] += np.bincount(pair_rep[hit], minlength=len(f))
    return out, shared


def strongest_per_account(first: np.ndarray, second: np.ndarray, weight: np.ndarray, k: int) -> np.ndarray:
    """Mask of the links among the `k` strongest of at least one of their two accounts.

    Inside a campaign of thousands every account may be linked to a hundred others; communities need far
    fewer, and each written link costs time. Small groups (a company of 8) keep all their links.
    """
    n = len(weight)
    if n == 0 or k <= 0:
        return np.ones(n, dtype=bool)
    ends = np.concatenate([first, second])
    link = np.concatenate([np.arange(n), np.arange(n)])
    order = np.lexsort((-np.concatenate([weight, weight]), ends))
    ends, link = ends[order], link[order]
    starts = np.flatnonzero(np.concatenate([[True], ends[1:] != ends[:-1]]))
    rank = np.arange(len(ends)) - np.repeat(starts, np.diff(np.concatenate([starts, [len(ends)]])))
    keep = np.zeros(n, dtype=bool)
    keep[link[rank < k]] = True
    return keep


def combine(
    kind_scores: dict[str, np.ndarray],
    families: dict[str, str],
    params: DetectionParams,
    kind_counts: dict[str, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pair weights from per-kind scores, and whether each pair may be kept.

    Kinds of one family are not independent (a card, its billing address and cardholder name come from one
    person), so a family scores its strongest kind plus a quarter of the others. The family scores add up,
    and every further independent family (one scoring at least `family_min`) multiplies the weight by
    (1 + `independence_bonus`). A pair may be kept on one family alone only if that family is standalone
    evidence (a shared card or sign-up device, several shared templates); shared addresses or hours alone
    never link.
    A family listed in `family_evidence` (content) counts only with several shared entities or a high score.
    Returns (weight, eligible, anchored): anchored pairs share identity-grade evidence (a family in
    `anchor_families`: the same card or sign-up device).
    """
    n = len(next(iter(kind_scores.values()))) if kind_scores else 0
    members: dict[str, list[np.ndarray]] = {}
    shared: dict[str, np.ndarray] = {}
    for name, scores in kind_scores.items():
        members.setdefault(families[name], []).append(scores)
        if kind_counts is not None and name in kind_counts:
            shared[families[name]] = shared.get(families[name], 0) + kind_counts[name]
    total = np.zeros(n)
    independent = np.zeros(n, dtype=np.int64)
    standalone = np.zeros(n, dtype=bool)
    anchored = np.zeros(n, dtype=bool)
    for family, arrays in members.items():
        stack = np.vstack(arrays)
        strongest = stack.max(axis=0)
        score = strongest + 0.25 * (stack.sum(axis=0) - strongest)
        total += score
        counts = score >= params.family_min
        if family in params.family_evidence and family in shared:
            # One shared template is a coincidence as often as not; it counts only when very rare.
            min_shared, strong = params.family_evidence[family]
            counts &= (shared[family] >= min_shared) | (score >= strong)
        independent += counts
        if family in params.standalone_families:
            standalone |= counts & (score >= params.standalone_families[family])
        if family in params.anchor_families:
            anchored |= counts
    bonus = (1.0 + params.independence_bonus) ** np.maximum(independent - 1, 0)
    return total * bonus, (independent >= 2) | standalone, anchored


def build_links(graph: Graph, params: DetectionParams, progress: Progress | None = None) -> LinkageResult:
    """Compute the pruned weighted account links from the graph (reads only)."""
    timings: dict[str, float] = {}
    stats: dict[str, float] = {}
    index = AccountIndex()
    started = time.perf_counter()

    def tick(stage: str, share: float) -> None:
        if progress:
            progress(stage, share)

    members: dict[str, Memberships] = {}
    for n, (kind, spec) in enumerate(params.kinds.items()):
        tick(f"reading shared {kind}", 0.5 * n / len(params.kinds))
        with timed(timings, f"read_{kind}", digits=6):
            members[kind] = fetch_memberships(graph, kind, max(spec.expand_cap, spec.enrich_cap), index)
        stats[f"entities_{kind}"] = len(members[kind].entity_ids)

    tick("expanding candidate pairs", 0.5)
    with timed(timings, "expand", digits=6):
        per_kind: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        per_kind_counts: dict[str, np.ndarray] = {}
        for kind, spec in params.kinds.items():
            keys, values = expand_pairs(members[kind], spec.expand_cap)
            per_kind[kind] = sum_by_key(keys, values)
            per_kind_counts[kind] = sum_by_key(keys, np.ones(len(keys)))[1]
            stats[f"pairs_{kind}"] = len(per_kind[kind][0])
        all_keys = [k for k, _ in per_kind.values() if len(k)]
        for kind in params.lsh_kinds:
            similar = lsh_pairs(
                members[kind], bands=params.lsh_bands, rows=params.lsh_rows, neighbours=params.lsh_neighbours,
                min_items=params.lsh_min_items, seed=params.leiden_seed,
            )  # fmt: skip
            stats[f"lsh_pairs_{kind}"] = len(similar)
            all_keys.append(similar)
        pairs = np.unique(np.concatenate(all_keys)) if all_keys else np.zeros(0, dtype=np.int64)
        stats["candidate_pairs"] = len(pairs)

    tick("scoring candidate pairs", 0.6)
    with timed(timings, "enrich", digits=6):
        kind_scores: dict[str, np.ndarray] = {}
        kind_counts: dict[str, np.ndarray] = {}
        families: dict[str, str] = {}
        for kind, spec in params.kinds.items():
            raw = np.zeros(len(pairs))
            count = np.zeros(len(pairs), dtype=np.int64)
            keys, values = per_kind[kind]
            if len(keys):
                at = np.searchsorted(pairs, keys)
                raw[at] += values
                count[at] += per_kind_counts[kind].astype(np.int64)
            extra, extra_count = enrich_pairs(pairs, members[kind], spec.expand_cap, spec.enrich_cap, len(index))
            kind_scores[kind] = spec.weight * np.minimum(raw + extra, params.kind_saturation)
            kind_counts[kind] = count + extra_count
            families[kind] = spec.family

    first = (pairs >> 32).astype(np.int64)
    second = (pairs & 0xFFFFFFFF).astype(np.int64)
    with timed(timings, "behaviour", digits=6):
        span = activity_span(graph)
        if span is not None and len(pairs):
            tick("comparing activity hours", 0.7)
            involved, inverse = np.unique(np.concatenate([first, second]), return_inverse=True)
            last_hour = span[1] // 3600
            first_hour = max(span[0] // 3600, last_hour - 24 * params.hours_window_days)
            bits = hour_bitsets(graph, [index.ids[int(a)] for a in involved], (first_hour, last_hour))
            rows_a, rows_b = inverse[: len(first)], inverse[len(first) :]
            kind_scores["hours"] = params.hours_weight * hour_similarity(bits, rows_a, rows_b, params.hours_min_active)
            tick("comparing model pivots", 0.85)
            models = new_models(graph, span)
            movers = fast_pivots(graph, models, params.pivot_window_hours)
            pivots = {i: move for account, move in movers.items() if (i := index.get(account)) is not None}
            kind_scores["pivot"] = params.pivot_weight * pivot_similarity(pivots, first, second, params.pivot_sync_hours)
            stats["new_models"] = len(models)
            stats["fast_pivots"] = len(pivots)
        else:
            kind_scores["hours"] = np.zeros(len(pairs))
            kind_scores["pivot"] = np.zeros(len(pairs))
        families["hours"] = "behaviour"
        families["pivot"] = "behaviour"

    weight, eligible, anchored = combine(kind_scores, families, params, kind_counts)
    keep = eligible & (weight >= params.min_link_weight)
    stats["links_before_sparsify"] = int(keep.sum())
    kept = np.flatnonzero(keep)
    keep[kept[~strongest_per_account(first[kept], second[kept], weight[kept], params.max_links_per_account)]] = False
    stats["links"] = int(keep.sum())
    stats["linked_accounts"] = int(len(np.unique(np.concatenate([first[keep], second[keep]])))) if keep.any() else 0
    timings["total"] = time.perf_counter() - started
    tick("links computed", 1.0)
    return LinkageResult(
        account_ids=tuple(index.ids),
        src=first[keep],
        dst=second[keep],
        weight=weight[keep],
        anchored=anchored[keep],
        kind_scores={name: scores[keep] for name, scores in kind_scores.items()},
        stats=stats,
        timings={k: round(v, 3) for k, v in timings.items()},
        memberships=members,
    )


def clear_links(graph: Graph) -> None:
    """Delete every LINKED relationship (they belong to the previous run)."""
    graph.auto("detect_clear_links", cast(LiteralString, cypher("detect_clear_links")))


def write_links(graph: Graph, links: LinkageResult, batch_size: int = 10_000) -> int:
    """Replace the LINKED relationships with this run's links; returns how many were written."""
    clear_links(graph)
    ids = links.account_ids
    rows = [
        {
            "a": ids[int(links.src[k])],
            "b": ids[int(links.dst[k])],
            "weight": round(float(links.weight[k]), 4),
            "kinds": links.kinds_of(k),
        }
        for k in range(len(links.src))
    ]
    return graph.write_batches("detect_write_links", rows, batch_size=batch_size)
