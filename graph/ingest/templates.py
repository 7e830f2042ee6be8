"""Group prompt SimHashes into PromptTemplate near-duplicate groups (Hamming distance <= 3), vectorised.

A template is a connected component of the "within 3 bits" relation over every fingerprint that belongs to
a template. Components do not depend on the order fingerprints arrive in: a fingerprint that bridges two
existing templates merges them (the merge is the only repair later drops need). Candidate pairs come from
band keys: the 64 bits are cut into 5 bands and two fingerprints within 3 bits of each other agree exactly
on at least 2 of the 5 bands (pigeonhole), so the 10 band-pair keys (26 bits each) find every such pair
while unrelated fingerprints (about 32 bits apart) almost never share a key.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import combinations

import numpy as np

MAX_DISTANCE = 3
BANDS = ((0, 13), (13, 26), (26, 39), (39, 52), (52, 64))
MAX_ROUNDS = 64
MEMBER_CAP = 4096  # member fingerprints kept per template: the representative and those closest to it


_NIBBLE = np.zeros(256, dtype=np.uint8)
_NIBBLE[np.frombuffer(b"0123456789", np.uint8)] = np.arange(10, dtype=np.uint8)
_NIBBLE[np.frombuffer(b"abcdef", np.uint8)] = np.arange(10, 16, dtype=np.uint8)
_NIBBLE[np.frombuffer(b"ABCDEF", np.uint8)] = np.arange(10, 16, dtype=np.uint8)


def hex_to_u64(hex_values: np.ndarray) -> np.ndarray:
    """16-hex-digit strings (numpy bytes/str/object array, any case) as uint64, vectorised."""
    if len(hex_values) == 0:
        return np.zeros(0, dtype=np.uint64)
    raw = np.asarray(hex_values)
    if raw.dtype != np.dtype("S16"):
        raw = raw.astype("S16")
    nibbles = _NIBBLE[np.frombuffer(raw.tobytes(), dtype=np.uint8).reshape(len(raw), 16)]
    octets = (nibbles[:, 0::2] << 4) | nibbles[:, 1::2]
    return np.ascontiguousarray(octets).view(">u8").reshape(-1).astype(np.uint64)


def u64_to_hex(values: np.ndarray) -> list[str]:
    """uint64 values as 16 lower-case hex digits."""
    return [f"{int(v):016x}" for v in values]


def u64_to_i64(values: np.ndarray) -> np.ndarray:
    """The signed view Neo4j stores (its integers are signed 64-bit)."""
    return np.asarray(values, dtype=np.uint64).view(np.int64)


def i64_to_u64(values: np.ndarray) -> np.ndarray:
    """Back from Neo4j's signed integers to the unsigned SimHash."""
    return np.asarray(values, dtype=np.int64).view(np.uint64)


def hamming(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Bitwise Hamming distance of two uint64 arrays (elementwise)."""
    return np.bitwise_count(np.bitwise_xor(a, b))


def cap_members(members: np.ndarray, representative: int, cap: int = MEMBER_CAP) -> np.ndarray:
    """At most `cap` distinct members, sorted: the representative and the members closest to it. Every
    variant of a template lies within 3 bits of its base, which is its most frequent form (the
    representative), so a capped list still catches every later variant."""
    members = np.unique(np.asarray(members, dtype=np.uint64))
    if len(members) <= cap:
        return members
    distance = hamming(members, np.full(len(members), representative, dtype=np.uint64))
    return np.sort(members[np.lexsort((members, distance))[:cap]])


def template_id_for(representative: int) -> str:
    """The id of a template first seen with this representative fingerprint."""
    return f"pt-{int(representative):016x}"


def _band_keys(fps: np.ndarray) -> Iterator[np.ndarray]:
    """The 10 band-pair keys (26-bit uint32), one at a time: bands are kept as uint16 to bound memory."""
    bands = [((fps >> np.uint64(lo)) & np.uint64((1 << (hi - lo)) - 1)).astype(np.uint16) for lo, hi in BANDS]
    for i, j in combinations(range(len(BANDS)), 2):
        yield (bands[i].astype(np.uint32) << np.uint32(13)) | bands[j].astype(np.uint32)


def candidate_edges(fps: np.ndarray, priority: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """All the pairs `edge_batches` finds, concatenated (small inputs and tests)."""
    batches = list(edge_batches(fps, priority))
    if not batches:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate([b[0] for b in batches]), np.concatenate([b[1] for b in batches])


def edge_batches(
    fps: np.ndarray, priority: np.ndarray | None = None
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Pairs (i, j) of indexes of `fps` within MAX_DISTANCE bits, enough to connect every template's variants,
    yielded one band-pair table at a time so that memory holds one table's pairs, not all of them.

    Within each run of equal band-pair keys, the pending fingerprint with the highest `priority` (the most
    frequent: a template's base form) leads a round and links every pending fingerprint within 3 bits of it;
    rounds repeat until the run is exhausted. A fingerprint that linked to nothing in its run is then
    compared with every member of the run, so a variant close only to a non-leader is not missed.
    """
    if len(fps) < 2:
        return
    prio = np.zeros(len(fps), np.int64) if priority is None else np.asarray(priority, dtype=np.int64)
    for key in _band_keys(fps):
        order = np.argsort(key, kind="stable")
        k = key[order]
        same_next = k[1:] == k[:-1]
        in_run = np.zeros(len(k), dtype=bool)
        in_run[1:] |= same_next
        in_run[:-1] |= same_next
        if not in_run.any():
            continue
        members = order[in_run]
        members = members[np.lexsort((fps[members], -prio[members], key[members]))]
        run_keys = key[members]
        starts = np.flatnonzero(np.concatenate([[True], run_keys[1:] != run_keys[:-1]]))
        sizes = np.diff(np.concatenate([starts, [len(members)]]))
        run_id = np.repeat(np.arange(len(starts)), sizes)
        pending = np.ones(len(members), dtype=bool)
        linked = np.zeros(len(members), dtype=bool)
        for _ in range(MAX_ROUNDS):
            idx = np.flatnonzero(pending)
            if len(idx) == 0:
                break
            runs = run_id[idx]
            first = np.concatenate([[True], runs[1:] != runs[:-1]])
            leader_pos = np.full(len(starts), -1, dtype=np.int64)
            leader_pos[runs[first]] = idx[first]
            leaders = leader_pos[runs]
            close = hamming(fps[members[idx]], fps[members[leaders]]) <= MAX_DISTANCE
            pending[idx[close]] = False
            pending[idx[first]] = False
            hit = close & ~first
            if hit.any():
                yield members[idx[hit]].astype(np.int64), members[leaders[hit]].astype(np.int64)
                linked[idx[hit]] = True
                linked[leaders[hit]] = True
        alone = np.flatnonzero(~linked)
        if len(alone):
            reach = sizes[run_id[alone]]
            a = np.repeat(alone, reach)
            offsets = np.arange(int(reach.sum())) - np.repeat(np.cumsum(reach) - reach, reach)
            b = np.repeat(starts[run_id[alone]], reach) + offsets
            close = (a != b) & (hamming(fps[members[a]], fps[members[b]]) <= MAX_DISTANCE)
            if close.any():
                yield members[a[close]].astype(np.int64), members[b[close]].astype(np.int64)


def connected_components(n: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Component label (the smallest member index) of each of `n` nodes given undirected edges."""
    return union_edges(np.arange(n, dtype=np.int64), src, dst)


def union_edges(parent: np.ndarray, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Join the components of `parent` (every node pointing at its root) along more edges; returns the new
    fully compressed parent array (roots are the smallest index of each component)."""
    if len(src) == 0:
        return parent
    while True:
        ps, pd_ = parent[src], parent[dst]
        lo, hi = np.minimum(ps, pd_), np.maximum(ps, pd_)
        moving = lo != hi
        if not moving.any():
            break
        np.minimum.at(parent, hi[moving], lo[moving])
        while True:  # pointer jumping: every node points at its root
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand
    return parent


@dataclass(frozen=True)
class ExistingTemplates:
    """Templates already in the graph: ids, exchange totals and every member fingerprint (uint64)."""

    ids: tuple[str, ...]
    exchanges: np.ndarray  # int64 per template
    representatives: np.ndarray  # uint64 per template
    member_fps: np.ndarray  # uint64
    member_template: np.ndarray  # int64 index into ids

    @classmethod
    def empty(cls) -> ExistingTemplates:
        """No templates yet."""
        return cls(
            (), np.zeros(0, np.int64), np.zeros(0, np.uint64), np.zeros(0, np.uint64), np.zeros(0, np.int64)
        )


@dataclass(frozen=True)
class NewTemplate:
    """A template first seen in this drop."""

    template_id: str
    representative: int
    members: np.ndarray  # uint64


@dataclass(frozen=True)
class TemplatePlan:
    """What grouping decided for one drop: new templates, members added to existing ones, merges, and the
    fingerprint -> template mapping used to aggregate this drop's exchanges."""

    new: tuple[NewTemplate, ...]
    added: dict[str, np.ndarray]  # existing template id -> new member fps (uint64)
    merges: dict[str, tuple[str, ...]]  # surviving template id -> ids merged into it
    map_fps: np.ndarray  # sorted uint64: every fingerprint of this drop that belongs to a template
    map_ids: np.ndarray  # object array of template ids, parallel to map_fps

    def lookup(self, fps: np.ndarray) -> np.ndarray:
        """Template id per fingerprint (None where the fingerprint is in no template)."""
        out = np.full(len(fps), None, dtype=object)
        if len(self.map_fps) == 0 or len(fps) == 0:
            return out
        pos = np.searchsorted(self.map_fps, fps)
        pos[pos == len(self.map_fps)] = 0
        hit = self.map_fps[pos] == fps
        out[hit] = self.map_ids[pos[hit]]
        return out

    @property
    def touched(self) -> list[str]:
        """Ids of every template this plan creates, extends or merges into."""
        ids = {t.template_id for t in self.new} | set(self.added) | set(self.merges)
        return sorted(ids)


def plan_templates(fps: np.ndarray, counts: np.ndarray, existing: ExistingTemplates) -> TemplatePlan:
    """Group this drop's distinct fingerprints (`fps` unique uint64, `counts` exchanges each) with the
    existing templates. A new group qualifies as a template when it holds at least 2 exchanges (a fingerprint
    seen once by one account is not a template); a fingerprint within 3 bits of an existing template's member
    joins it whatever its count.
    """
    fps = np.asarray(fps, dtype=np.uint64)
    counts = np.asarray(counts, dtype=np.int64)
    n_old = len(existing.member_fps)
    fresh = ~np.isin(fps, existing.member_fps) if n_old else np.ones(len(fps), dtype=bool)
    new_fps, new_counts = fps[fresh], counts[fresh]
    everything = np.concatenate([existing.member_fps, new_fps])
    # leaders: existing representatives first, then this drop's most frequent fingerprints
    is_rep = np.zeros(n_old, dtype=bool)
    if n_old:
        is_rep = existing.member_fps == existing.representatives[existing.member_template]
    priority = np.concatenate([np.where(is_rep, 1 << 62, 0), new_counts]).astype(np.int64)
    labels = np.arange(len(everything), dtype=np.int64)
    for src, dst in edge_batches(everything, priority):
        useful = (src >= n_old) | (dst >= n_old)  # links among existing members alone change nothing
        labels = union_edges(labels, src[useful], dst[useful])

    n_templates = len(existing.ids)
    # per component: which existing templates it touches
    old_labels = labels[:n_old]
    new_labels = labels[n_old:]
    comp_templates: dict[int, set[int]] = {}
    if n_old and len(new_labels):
        involved_old = np.flatnonzero(np.isin(old_labels, new_labels))  # components this drop adds to
        pairs = np.unique(
            np.stack([old_labels[involved_old], existing.member_template[involved_old]]), axis=1
        )
        for lab, t in zip(pairs[0].tolist(), pairs[1].tolist(), strict=True):
            comp_templates.setdefault(lab, set()).add(t)
    # existing member fingerprints seen again in this drop map to their template directly
    old_seen = np.isin(existing.member_fps, fps) if n_old else np.zeros(0, dtype=bool)

    # templates joined through this drop's fingerprints merge: union them at the template level
    t_src: list[int] = []
    t_dst: list[int] = []
    for ts in comp_templates.values():
        first, *rest = sorted(ts)
        t_src.extend([first] * len(rest))
        t_dst.extend(rest)
    t_labels = connected_components(n_templates, np.array(t_src, np.int64), np.array(t_dst, np.int64))
    redirect = np.arange(n_templates, dtype=np.int64)  # template index -> surviving template index
    merges: dict[str, tuple[str, ...]] = {}
    groups: dict[int, list[int]] = {}
    for t in sorted({t for ts in comp_templates.values() for t in ts}):
        groups.setdefault(int(t_labels[t]), []).append(t)
    for members in groups.values():
        ranked = sorted(members, key=lambda t: (-int(existing.exchanges[t]), existing.ids[t]))
        redirect[ranked] = ranked[0]
        if len(ranked) > 1:
            merges[existing.ids[ranked[0]]] = tuple(existing.ids[t] for t in ranked[1:])
    survivors = {lab: int(redirect[next(iter(ts))]) for lab, ts in comp_templates.items()}

    new_templates: list[NewTemplate] = []
    added: dict[str, list[np.ndarray]] = {}
    map_fp_parts: list[np.ndarray] = []
    map_id_parts: list[np.ndarray] = []

    if len(new_fps):
        # most fingerprints are unique prompts in no group: skip them without a Python loop
        labels_seen, inverse = np.unique(new_labels, return_inverse=True)
        totals = np.bincount(inverse, weights=new_counts, minlength=len(labels_seen))
        joins = np.isin(labels_seen, np.fromiter(survivors, dtype=np.int64, count=len(survivors)))
        wanted = np.flatnonzero((joins | (totals >= 2))[inverse])
        order = wanted[np.argsort(new_labels[wanted], kind="stable")]
        sorted_labels = new_labels[order]
        starts = (
            np.flatnonzero(np.concatenate([[True], sorted_labels[1:] != sorted_labels[:-1]]))
            if len(order)
            else order
        )
        ends = np.concatenate([starts[1:], [len(order)]]) if len(order) else order
        for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
            lab = int(sorted_labels[s])
            group = order[s:e]
            g_fps, g_counts = new_fps[group], new_counts[group]
            if lab in survivors:
                tid = existing.ids[survivors[lab]]
                added.setdefault(tid, []).append(g_fps)
            else:
                best = np.lexsort((g_fps, -g_counts))[0]
                rep = int(g_fps[best])
                tid = template_id_for(rep)
                new_templates.append(NewTemplate(tid, rep, np.sort(g_fps)))
            map_fp_parts.append(g_fps)
            map_id_parts.append(np.full(len(g_fps), tid, dtype=object))
    if n_old and old_seen.any():
        seen_idx = np.flatnonzero(old_seen)
        ids = np.array(existing.ids, dtype=object)[redirect[existing.member_template[seen_idx]]]
        map_fp_parts.append(existing.member_fps[seen_idx])
        map_id_parts.append(ids)

    if map_fp_parts:
        map_fps = np.concatenate(map_fp_parts)
        map_ids = np.concatenate(map_id_parts)
        order = np.argsort(map_fps, kind="stable")
        map_fps, map_ids = map_fps[order], map_ids[order]
    else:
        map_fps, map_ids = np.zeros(0, np.uint64), np.zeros(0, dtype=object)
    return TemplatePlan(
        new=tuple(sorted(new_templates, key=lambda t: t.template_id)),
        added={tid: np.sort(np.concatenate(parts)) for tid, parts in sorted(added.items())},
        merges=merges,
        map_fps=map_fps,
        map_ids=map_ids,
    )
