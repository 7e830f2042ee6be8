"""Group prompt SimHashes into PromptTemplate near-duplicate groups (Hamming distance <= 3), vectorised.

A template is a connected component of the "within 3 bits" relation over every fingerprint that belongs to
a template. Components do not depend on the order fingerprints arrive in: a fingerprint that bridges two
existing templates merges them (the merge is the only repair later drops need). Candidate pairs and the
fingerprint arithmetic are in `graph/ingest/simhash.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from graph.ingest.simhash import (
    MAX_DISTANCE,
    UNION_EDGES,
    connected_components,
    edge_batches,
    hamming,
    union_edges,
)

MEMBER_CAP = 4096  # member fingerprints kept per template: the representative and those closest to it


def cap_members(members: np.ndarray, representative: int, cap: int = MEMBER_CAP) -> np.ndarray:
    """At most `cap` distinct members, sorted: the representative and the members closest to it. Every
    variant of a template lies within 3 bits of its base, which is its most frequent form (the
    representative), so a capped list still catches every later variant."""
    members = np.unique(np.asarray(members, dtype=np.uint64))
    if len(members) <= cap:
        return members
    distance = hamming(members, np.full(len(members), representative, dtype=np.uint64))
    return np.sort(members[np.lexsort((members, distance))[:cap]])


def matching_templates(fingerprint: int, existing: ExistingTemplates) -> list[tuple[int, str]]:
    """The templates a prompt fingerprint belongs to, nearest first: those with a member within MAX_DISTANCE bits
    of it (the rule that groups fingerprints at ingest), each with the distance to its nearest member."""
    if len(existing.member_fps) == 0:
        return []
    distance = hamming(existing.member_fps, np.full(len(existing.member_fps), fingerprint, dtype=np.uint64))
    near = distance <= MAX_DISTANCE
    best: dict[int, int] = {}
    for template, d in zip(existing.member_template[near].tolist(), distance[near].tolist(), strict=True):
        best[template] = min(d, best.get(template, d))
    return sorted((d, existing.ids[t]) for t, d in best.items())


def template_id_for(representative: int) -> str:
    """The id of a template first seen with this representative fingerprint."""
    return f"pt-{int(representative):016x}"


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
    fingerprint -> template mapping used to aggregate this drop's exchanges (`map_fps` sorted, each with the
    index in `names` of its template: compact for millions of fingerprints)."""

    new: tuple[NewTemplate, ...]
    added: dict[str, np.ndarray]  # existing template id -> new member fps (uint64)
    merges: dict[str, tuple[str, ...]]  # surviving template id -> ids merged into it
    map_fps: np.ndarray  # sorted uint64: every fingerprint of this drop that belongs to a template
    map_index: np.ndarray  # int32 per map_fps: index of its template id in `names`
    names: tuple[str, ...]  # template ids the mapping uses

    @classmethod
    def from_ids(
        cls,
        map_fps: np.ndarray,
        map_ids: np.ndarray | list[str],
        *,
        new: tuple[NewTemplate, ...] = (),
        added: dict[str, np.ndarray] | None = None,
        merges: dict[str, tuple[str, ...]] | None = None,
    ) -> TemplatePlan:
        """A plan from a fingerprint -> template id mapping given as parallel arrays (sorted by fingerprint)."""
        names, index = np.unique(np.asarray(map_ids, dtype=object).astype(str), return_inverse=True)
        return cls(
            new=new,
            added=added or {},
            merges=merges or {},
            map_fps=np.asarray(map_fps, dtype=np.uint64),
            map_index=index.astype(np.int32),
            names=tuple(str(n) for n in names),
        )

    @property
    def map_ids(self) -> np.ndarray:
        """Template id per entry of map_fps (object array; small plans and tests)."""
        return np.array(self.names + ("",), dtype=object)[self.map_index]

    def lookup_index(self, fps: np.ndarray) -> np.ndarray:
        """Index in `names` of each fingerprint's template (int32, -1 where it is in no template)."""
        out = np.full(len(fps), -1, dtype=np.int32)
        if len(self.map_fps) == 0 or len(fps) == 0:
            return out
        pos = np.searchsorted(self.map_fps, fps)
        pos[pos == len(self.map_fps)] = 0
        hit = self.map_fps[pos] == fps
        out[hit] = self.map_index[pos[hit]]
        return out

    def lookup(self, fps: np.ndarray) -> np.ndarray:
        """Template id per fingerprint (None where the fingerprint is in no template)."""
        index = self.lookup_index(fps)
        out = np.full(len(fps), None, dtype=object)
        hit = index >= 0
        if hit.any():
            out[hit] = np.array(self.names, dtype=object)[index[hit]]
        return out

    @property
    def touched(self) -> list[str]:
        """Ids of every template this plan creates, extends or merges into."""
        ids = {t.template_id for t in self.new} | set(self.added) | set(self.merges)
        return sorted(ids)


def _index_type(n: int) -> type[np.signedinteger]:
    return np.int32 if n < 2**31 else np.int64


def plan_templates(fps: np.ndarray, counts: np.ndarray, existing: ExistingTemplates) -> TemplatePlan:
    """Group this drop's distinct fingerprints (`fps` unique uint64, `counts` exchanges each) with the
    existing templates. A new group qualifies as a template when it holds at least 2 exchanges (a fingerprint
    seen once by one account is not a template); a fingerprint within 3 bits of an existing template's member
    joins it whatever its count.

    Memory is about 20 bytes per distinct fingerprint plus one band-pair table's working arrays: indexes and
    labels are int32, priorities uint32, and only fingerprints that can belong to a template (grouped with
    another, or seen at least twice) get per-fingerprint Python-side work.
    """
    fps = np.asarray(fps, dtype=np.uint64)
    counts = np.asarray(counts)
    if counts.dtype.kind not in "iu":
        counts = counts.astype(np.int64)
    n_old = len(existing.member_fps)
    if n_old:
        fresh = ~np.isin(fps, existing.member_fps)
        new_fps, new_counts = fps[fresh], counts[fresh]
        del fresh
        everything = np.concatenate([existing.member_fps, new_fps])
    else:
        new_fps, new_counts = fps, counts
        everything = fps
    n_all = len(everything)
    # leaders: existing representatives first, then this drop's most frequent fingerprints
    top = np.iinfo(np.uint32).max
    priority = np.empty(n_all, dtype=np.uint32)
    if n_old:
        is_rep = existing.member_fps == existing.representatives[existing.member_template]
        priority[:n_old] = np.where(is_rep, top, 0)
    np.minimum(new_counts, top - 1, out=priority[n_old:], casting="unsafe")
    labels = np.arange(n_all, dtype=_index_type(n_all))
    pending: list[tuple[np.ndarray, np.ndarray]] = []
    pending_edges = 0
    for src, dst in edge_batches(everything, priority):
        if n_old:
            useful = (src >= n_old) | (dst >= n_old)  # links among existing members alone change nothing
            src, dst = src[useful], dst[useful]
        pending.append((src.astype(labels.dtype), dst.astype(labels.dtype)))
        pending_edges += len(src)
        if pending_edges >= UNION_EDGES:  # each union pass walks every label: batch the edges
            labels = union_edges(labels, *(np.concatenate(x) for x in zip(*pending, strict=True)))
            pending, pending_edges = [], 0
    if pending:
        labels = union_edges(labels, *(np.concatenate(x) for x in zip(*pending, strict=True)))
    del priority, pending

    n_templates = len(existing.ids)
    # per component: which existing templates it touches
    old_labels = labels[:n_old]
    new_labels = labels[n_old:]
    comp_templates: dict[int, set[int]] = {}
    if n_old and len(new_labels):
        touched = np.zeros(n_all, dtype=bool)
        touched[new_labels] = True
        involved_old = np.flatnonzero(touched[old_labels])  # components this drop adds to
        del touched
        pairs = np.unique(
            np.stack(
                [
                    old_labels[involved_old].astype(np.int64),
                    existing.member_template[involved_old].astype(np.int64),
                ]
            ),
            axis=1,
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
    names: dict[str, int] = {}
    map_fp_parts: list[np.ndarray] = []
    map_index_parts: list[np.ndarray] = []

    if len(new_fps):
        # most fingerprints are unique prompts in no group: keep only those grouped with another fingerprint
        # (a component's root or a node pointing at another root) or seen at least twice
        grouped = np.zeros(n_all, dtype=bool)
        moved = np.flatnonzero(labels != np.arange(n_all, dtype=labels.dtype))
        grouped[moved] = True
        grouped[labels[moved]] = True
        del moved
        candidates = grouped[n_old:]
        candidates |= new_counts >= 2
        wanted = np.flatnonzero(candidates)
        del grouped, candidates
        labels_seen, inverse = np.unique(new_labels[wanted], return_inverse=True)
        totals = np.bincount(inverse, weights=new_counts[wanted], minlength=len(labels_seen))
        joins = np.isin(labels_seen, np.fromiter(survivors, dtype=np.int64, count=len(survivors)))
        wanted = wanted[(joins | (totals >= 2))[inverse]]
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
                best = np.lexsort((g_fps, -g_counts.astype(np.int64)))[0]
                rep = int(g_fps[best])
                tid = template_id_for(rep)
                new_templates.append(NewTemplate(tid, rep, np.sort(g_fps)))
            map_fp_parts.append(g_fps)
            map_index_parts.append(np.full(len(g_fps), names.setdefault(tid, len(names)), dtype=np.int32))
    if n_old and old_seen.any():
        seen_idx = np.flatnonzero(old_seen)
        surviving = redirect[existing.member_template[seen_idx]]
        positions = np.array(
            [names.setdefault(existing.ids[t], len(names)) for t in range(n_templates)], dtype=np.int32
        )
        map_fp_parts.append(existing.member_fps[seen_idx])
        map_index_parts.append(positions[surviving])

    if map_fp_parts:
        map_fps = np.concatenate(map_fp_parts)
        map_index = np.concatenate(map_index_parts)
        order = np.argsort(map_fps, kind="stable")
        map_fps, map_index = map_fps[order], map_index[order]
    else:
        map_fps, map_index = np.zeros(0, np.uint64), np.zeros(0, np.int32)
    used = np.unique(map_index)  # drop names only registered for positions (existing ids not seen)
    remap = np.full(len(names), -1, dtype=np.int32)
    remap[used] = np.arange(len(used), dtype=np.int32)
    by_position = list(names)
    return TemplatePlan(
        new=tuple(sorted(new_templates, key=lambda t: t.template_id)),
        added={tid: np.sort(np.concatenate(parts)) for tid, parts in sorted(added.items())},
        merges=merges,
        map_fps=map_fps,
        map_index=remap[map_index],
        names=tuple(by_position[i] for i in used.tolist()),
    )
