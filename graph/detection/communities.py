"""Communities of the link graph, found by GDS: project LINKED, weakly connected components, Leiden, drop.

Plain modularity merges many small dense rings into a few large communities (the resolution limit) and, the
other way round, cuts a lone dense ring into pieces when little else is linked; weak links are already
pruned by linkage, Leiden runs with a tunable resolution `gamma`, and communities whose shared boundary
carries much of their weight are merged back (`merge_oversplit`). Communities never cross components. A side-by-side Leiden in python-igraph on the same exported projection is available for
benchmarks (`igraph_leiden`).
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import LiteralString, cast

import igraph as ig
import leidenalg
import numpy as np

from graph.detection.linkage import Memberships
from graph.detection.params import DetectionParams
from graph.driver import Graph, cypher
from graph.timing import timed


@dataclass(frozen=True)
class Community:
    """One community: its accounts (sorted) and the component it lies in."""

    accounts: tuple[str, ...]
    component: int

    @property
    def size(self) -> int:
        """Number of accounts."""
        return len(self.accounts)


@dataclass(frozen=True)
class CommunityResult:
    """Communities of at least `min_cluster_size` accounts, largest first, and the run's counts and timings."""

    communities: tuple[Community, ...]
    stats: dict[str, float]
    timings: dict[str, float] = field(default_factory=dict)


def projection_name(run_id: int) -> str:
    """The GDS graph name of one run's projection."""
    return f"detect-links-{run_id}"


def _auto(graph: Graph, query: str, **params: object) -> list[dict[str, object]]:
    return graph.auto(query, cast(LiteralString, cypher(query)), **params)


def project(graph: Graph, name: str) -> dict[str, int]:
    """Project the LINKED relationships (undirected, weighted) under `name`, replacing an old one."""
    _auto(graph, "detect_drop_projection", graph_name=name)
    rows = _auto(graph, "detect_project", graph_name=name)
    row = rows[0] if rows else {}
    return {"nodes": int(cast(int, row.get("nodes") or 0)), "relationships": int(cast(int, row.get("relationships") or 0))}


def drop(graph: Graph, name: str) -> None:
    """Drop the projection (no error when it is gone already)."""
    _auto(graph, "detect_drop_projection", graph_name=name)


def _group(rows: list[dict[str, object]], key: str) -> dict[int, list[str]]:
    groups: dict[int, list[str]] = defaultdict(list)
    for row in rows:
        groups[int(cast(int, row[key]))].append(str(row["account_id"]))
    return groups


@dataclass(frozen=True)
class LinkArrays:
    """The weighted links as arrays over dense account indexes (what the merge step needs)."""

    account_ids: tuple[str, ...]
    src: np.ndarray
    dst: np.ndarray
    weight: np.ndarray
    anchored: np.ndarray | None = None
    memberships: dict[str, Memberships] | None = None
    """Which accounts share which entities (kind -> CSR), for attaching members by signature entities."""


def _components(n: int, pairs: list[tuple[int, int]]) -> np.ndarray:
    """The connected component of each of `n` items joined by `pairs` (igraph's, not a hand-written union-find)."""
    if not pairs:
        return np.arange(n)
    return np.asarray(ig.Graph(n=n, edges=pairs).connected_components().membership)


def merge_oversplit(groups: list[list[str]], links: LinkArrays, threshold: float) -> list[list[str]]:
    """Merge back communities that modularity split out of one tight group.

    Modularity compares a community with the whole graph, so a lone dense ring is cut into pieces when little
    else is linked. Two communities are merged while the weight of the links between them is at least
    `threshold` of the smaller one's total link weight (a real boundary carries little weight across).
    """
    if len(groups) < 2 or threshold <= 0:
        return groups
    position = {a: i for i, a in enumerate(links.account_ids)}
    label = np.full(len(links.account_ids), -1, dtype=np.int64)
    for g, accounts in enumerate(groups):
        for account in accounts:
            if account in position:
                label[position[account]] = g
    ls, ld = label[links.src], label[links.dst]
    ok = (ls >= 0) & (ld >= 0)
    ls, ld, w = ls[ok], ld[ok], links.weight[ok]
    volume = np.bincount(ls, weights=w, minlength=len(groups)) + np.bincount(ld, weights=w, minlength=len(groups))
    across = ls != ld
    cut: dict[tuple[int, int], float] = defaultdict(float)
    for i, j, x in zip(ls[across].tolist(), ld[across].tolist(), w[across].tolist(), strict=True):
        cut[(min(i, j), max(i, j))] += x
    # Communities joined by any cross link form a neighbourhood; merging never leaves one, so each
    # neighbourhood is merged on its own (most communities have no neighbour at all).
    neighbourhood: dict[int, list[tuple[int, int]]] = defaultdict(list)
    hood = _components(len(groups), list(cut))
    for pair in cut:
        neighbourhood[int(hood[pair[0]])].append(pair)
    merges: list[tuple[int, int]] = []
    for pairs in neighbourhood.values():
        local = {pair: cut[pair] for pair in pairs}
        vol = {i: float(volume[i]) for pair in pairs for i in pair}
        while local:
            (a, b), x = max(local.items(), key=lambda kv: kv[1] / max(1e-9, min(vol[kv[0][0]], vol[kv[0][1]])))
            if x / max(1e-9, min(vol[a], vol[b])) < threshold:
                break
            merges.append((a, b))
            vol[a] += vol.pop(b)
            merged: dict[tuple[int, int], float] = defaultdict(float)
            for (p, q), y in local.items():
                p, q = (a if p == b else p), (a if q == b else q)
                if p != q:
                    merged[(min(p, q), max(p, q))] += y
            local = merged
    root = _components(len(groups), merges)
    out: dict[int, list[str]] = defaultdict(list)
    for g, accounts in enumerate(groups):
        out[int(root[g])].extend(accounts)
    return list(out.values())


def prune_peripheral(
    groups: list[list[str]], links: LinkArrays, min_size: int, min_weight: float, detached: set[str] | None = None,
    private_share: float = 0.8,
) -> list[list[str]]:
    """Drop members that hang on a larger community by one weak link, repeatedly.

    A shared proxy address plus a coincidence can tie an ordinary customer to one member of a campaign;
    a real member of a community of `min_size` or more is tied to it by several links, a strong one, or one
    anchored in standalone evidence (its card or sign-up device). Dropping one such member can leave another
    hanging by a single weak link (two strangers who each share a rare public prompt with the next): peeling
    repeats until none is left.
    """
    if min_weight <= 0:
        return groups
    while True:
        weak = _weak_members(groups, links, min_size, min_weight)
        if weak:
            groups = [[a for a in accounts if a not in weak] if len(accounts) >= min_size else accounts for accounts in groups]
            continue
        split = split_weak_bridges(groups, links, min_size, min_weight, detached, private_share)
        if len(split) == len(groups):
            return groups
        groups = split


def split_weak_bridges(
    groups: list[list[str]], links: LinkArrays, min_size: int, min_weight: float, detached: set[str] | None = None,
    private_share: float = 0.8,
) -> list[list[str]]:
    """Cut off the parts of a community that hang on the rest by one weak link, unless private things hold them.

    The same rule as for a single member, for a group: five strangers who share prompts among themselves, one of whom
    shares a prompt with one member of a campaign, are tied to it by that one link (a bridge: removing it
    disconnects them). Links inside communities of `min_size` or more that are bridges, weaker than `min_weight`
    and not anchored are cut; the largest part keeps the community and each other part becomes a community of its
    own, scored on its own evidence. A part whose members share mostly *private* entities (used by at least
    `private_share` of their users inside the community: a quiet corner of a campaign working its own slice of the
    private templates) stays; strangers who share public prompts used by many outside do not. The accounts cut off
    are added to `detached`: attaching by signature may still bring them back one by one.
    """
    label = _labels(groups, links, min_size)
    inside = np.flatnonzero((label[links.src] >= 0) & (label[links.src] == label[links.dst]))
    if inside.size == 0:
        return groups
    by_group = label[links.src[inside]]
    order = np.argsort(by_group, kind="stable")
    inside, by_group = inside[order], by_group[order]
    starts = np.flatnonzero(np.r_[True, by_group[1:] != by_group[:-1]])
    mains: dict[int, list[str]] = {}
    pieces: list[tuple[int, list[str]]] = []  # (community, accounts) of each part cut off
    for lo, hi in zip(starts.tolist(), [*starts[1:].tolist(), inside.size], strict=True):
        edges = inside[lo:hi]
        g = int(by_group[lo])
        nodes, local = np.unique(np.concatenate([links.src[edges], links.dst[edges]]), return_inverse=True)
        pairs = list(zip(local[: edges.size].tolist(), local[edges.size :].tolist(), strict=True))
        graph = ig.Graph(n=nodes.size, edges=pairs)
        weak = links.weight[edges] < min_weight
        if links.anchored is not None:
            weak &= ~links.anchored[edges]
        cut = [e for e in graph.bridges() if weak[e]]
        if not cut:
            continue
        graph.delete_edges(cut)
        parts = graph.connected_components().membership
        sizes = np.bincount(parts)
        if sizes.size < 2:
            continue
        main = int(np.argmax(sizes))
        by_part: dict[int, list[str]] = defaultdict(list)
        for node, part in zip(nodes.tolist(), parts, strict=True):
            by_part[part].append(links.account_ids[node])
        linked = {links.account_ids[n] for n in nodes.tolist()}
        mains[g] = by_part.pop(main) + [a for a in groups[g] if a not in linked]  # unlinked members stay
        pieces.extend((g, accounts) for accounts in by_part.values())
    if not pieces:
        return groups
    private = _private_pieces(pieces, mains, links, private_share)
    out = [accounts for g, accounts in enumerate(groups) if g not in mains]
    for g, main_part in mains.items():
        out.append(main_part + [a for (h, accounts), keep in zip(pieces, private, strict=True) if h == g and keep
                                for a in accounts])  # fmt: skip
    for (_, accounts), keep in zip(pieces, private, strict=True):
        if not keep:
            out.append(accounts)
            if detached is not None:
                detached.update(accounts)
    return out


def _private_pieces(
    pieces: list[tuple[int, list[str]]], mains: dict[int, list[str]], links: LinkArrays, private_share: float
) -> list[bool]:
    """For each part cut off a community: whether at least half of the entities two or more of its members share are
    private to the community (at least `private_share` of their users are its members, the part included)."""
    if not links.memberships:
        return [False] * len(pieces)
    position = {a: i for i, a in enumerate(links.account_ids)}
    n, count = len(links.account_ids), len(pieces)
    piece_of = np.full(n, -1, dtype=np.int64)
    community_of = np.full(n, -1, dtype=np.int64)
    for p, (g, accounts) in enumerate(pieces):
        for account in accounts:
            if account in position:
                piece_of[position[account]] = p
                community_of[position[account]] = g
    for g, accounts in mains.items():
        for account in accounts:
            if account in position:
                community_of[position[account]] = g
    origin = np.asarray([g for g, _ in pieces], dtype=np.int64)
    width = np.int64(max(1, max(mains) + 1))
    shared = np.zeros(count, dtype=np.int64)
    held = np.zeros(count, dtype=np.int64)
    for m in links.memberships.values():
        if len(m.accounts) == 0:
            continue
        degrees = m.degrees
        ent = np.repeat(np.arange(len(degrees), dtype=np.int64), degrees)
        in_piece = piece_of[m.accounts]
        keys, users = np.unique(ent[in_piece >= 0] * count + in_piece[in_piece >= 0], return_counts=True)
        keys = keys[users >= 2]
        if keys.size == 0:
            continue
        e, part = keys // count, keys % count
        home = community_of[m.accounts]
        home_keys, home_users = np.unique(ent[home >= 0] * width + home[home >= 0], return_counts=True)
        where = np.searchsorted(home_keys, e * width + origin[part])
        members = home_users[np.minimum(where, home_keys.size - 1)]
        private = members >= private_share * degrees[e]
        np.add.at(shared, part, 1)
        np.add.at(held, part, private.astype(np.int64))
    return [bool(h > 0 and 2 * h >= s) for h, s in zip(held.tolist(), shared.tolist(), strict=True)]


def _labels(groups: list[list[str]], links: LinkArrays, min_size: int) -> np.ndarray:
    """The community of each linked account, among communities of `min_size` or more (-1: none)."""
    position = {a: i for i, a in enumerate(links.account_ids)}
    label = np.full(len(links.account_ids), -1, dtype=np.int64)
    for g, accounts in enumerate(groups):
        if len(accounts) >= min_size:
            for account in accounts:
                if account in position:
                    label[position[account]] = g
    return label


def _weak_members(groups: list[list[str]], links: LinkArrays, min_size: int, min_weight: float) -> set[str]:
    """Members of communities of `min_size` or more tied to the rest by a single link weaker than `min_weight`
    that is not anchored."""
    label = _labels(groups, links, min_size)
    inside = (label[links.src] >= 0) & (label[links.src] == label[links.dst])
    ends = np.concatenate([links.src[inside], links.dst[inside]])
    weights = np.concatenate([links.weight[inside], links.weight[inside]])
    degree = np.bincount(ends, minlength=len(links.account_ids))
    strength = np.bincount(ends, weights=weights, minlength=len(links.account_ids))
    anchored = np.zeros(len(links.account_ids), dtype=bool)
    if links.anchored is not None:
        held = inside & links.anchored
        anchored[links.src[held]] = True
        anchored[links.dst[held]] = True
    return {links.account_ids[i] for i in np.flatnonzero((degree == 1) & (strength < min_weight) & ~anchored)}


def attach_by_signature(
    groups: list[list[str]], links: LinkArrays, *, kinds: tuple[str, ...], min_size: int, exclusivity: float,
    min_shared: int, min_members: dict[str, int] | None = None, network_kinds: tuple[str, ...] = ("ip",),
    min_network_only: int = 3, detached: frozenset[str] | set[str] = frozenset(),
) -> tuple[list[list[str]], int]:
    """Bring in accounts that use a community's own infrastructure but were not linked strongly enough.

    An entity is a *signature* of a community when at least `min_members[kind]` (default 3) of its users,
    and `exclusivity` of its other users, are members (a campaign's private prompt templates, its own cloud
    and proxy addresses or client build, a company's app templates). A quiet camouflage account of a campaign
    may share no card or device with any one member, yet use several of its signature entities; an account
    that is in no community of `min_size` or more joins a community whose signature entities it uses, when they
    are at least `min_shared` and not only addresses (`network_kinds`), or at least `min_network_only` addresses;
    of several such communities, the one with the most non-address signatures (then the most in all). Accounts in
    `detached` (cut off a community by a weak bridge) count as outside every community here. Returns the groups and
    the number of accounts attached.
    """
    if not links.memberships:
        return groups, 0
    min_members = min_members or {}
    n = len(links.account_ids)
    position = {a: i for i, a in enumerate(links.account_ids)}
    label = np.full(n, -1, dtype=np.int64)
    targets = [g for g, accounts in enumerate(groups) if len(accounts) >= min_size]
    for g in targets:
        for account in groups[g]:
            if account in position and account not in detached:
                label[position[account]] = g
    width = np.int64(max(1, len(groups)))
    vote_keys: list[np.ndarray] = []
    network_keys: list[np.ndarray] = []
    for kind in kinds:
        m = links.memberships.get(kind)
        if m is None or len(m.accounts) == 0:
            continue
        degrees = m.degrees
        ent = np.repeat(np.arange(len(degrees), dtype=np.int64), degrees)
        lab = label[m.accounts]
        inside = lab >= 0
        keys, counts = np.unique(ent[inside] * width + lab[inside], return_counts=True)
        e_of, g_of = keys // width, keys % width
        # Judged from an outsider's side: the other users of the entity are (nearly) all members.
        others = np.maximum(degrees[e_of] - 1, 1)
        signature = (counts >= min_members.get(kind, 3)) & (counts >= exclusivity * others)
        owner = np.full(len(degrees), -1, dtype=np.int64)
        owner[e_of[signature]] = g_of[signature]
        outside = (lab < 0) & (owner[ent] >= 0)
        (network_keys if kind in network_kinds else vote_keys).append(
            m.accounts[outside] * width + owner[ent[outside]]
        )
    if not vote_keys and not network_keys:
        return groups, 0
    own_keys = np.concatenate(vote_keys) if vote_keys else np.zeros(0, dtype=np.int64)
    net_keys = np.concatenate(network_keys) if network_keys else np.zeros(0, dtype=np.int64)
    keys = np.unique(np.concatenate([own_keys, net_keys]))
    own = np.zeros(len(keys), dtype=np.int64)
    net = np.zeros(len(keys), dtype=np.int64)
    if len(own_keys):
        u, c = np.unique(own_keys, return_counts=True)
        own[np.searchsorted(keys, u)] = c
    if len(net_keys):
        u, c = np.unique(net_keys, return_counts=True)
        net[np.searchsorted(keys, u)] = c
    votes = own + net
    # Addresses alone are shared infrastructure more often than anything else (a VPN exit, a residential proxy
    # pool two campaigns rent from): they need more votes unless something of the community's own (a template,
    # a card) comes with them, and an account goes to the eligible community whose own entities it uses most.
    eligible = (votes >= min_shared) & ((own > 0) | (votes >= min_network_only))
    keys, own, votes = keys[eligible], own[eligible], votes[eligible]
    accounts, group = keys // width, keys % width
    order = np.lexsort((group, -votes, -own, accounts))
    accounts, group = accounts[order], group[order]
    chosen = np.concatenate([[True], accounts[1:] != accounts[:-1]]) if len(accounts) else np.zeros(0, dtype=bool)
    moving = {links.account_ids[int(a)]: int(g) for a, g in zip(accounts[chosen], group[chosen], strict=True)}
    if not moving:
        return groups, 0
    out = [[a for a in accounts_ if a not in moving] for accounts_ in groups]
    for account, g in sorted(moving.items()):
        out[g].append(account)
    return [g for g in out if g], len(moving)


def find_communities(
    graph: Graph, run_id: int, params: DetectionParams, links: LinkArrays | None = None
) -> CommunityResult:
    """Project, run WCC and Leiden in GDS, drop the projection; merge over-split parts; return the communities."""
    name = projection_name(run_id)
    timings: dict[str, float] = {}
    with timed(timings, "project", digits=6):
        counts = project(graph, name)
    try:
        if counts["nodes"] == 0:
            return CommunityResult(communities=(), stats={"projected_nodes": 0, "components": 0, "communities": 0})
        with timed(timings, "wcc", digits=6):
            wcc = _group(_auto(graph, "detect_wcc", graph_name=name, concurrency=2), "component")
        with timed(timings, "leiden", digits=6):
            leiden = _group(
                _auto(
                    graph, "detect_leiden", graph_name=name, gamma=params.leiden_gamma, seed=params.leiden_seed,
                    max_levels=params.max_levels,
                ),
                "community",
            )
    finally:
        drop(graph, name)
    component_of = {a: c for c, accounts in wcc.items() for a in accounts}
    groups = list(leiden.values())
    if links is not None:
        with timed(timings, "merge", digits=6):
            groups = merge_oversplit(groups, links, params.merge_cut_share)
            detached: set[str] = set()
            groups = prune_peripheral(groups, links, params.prune_min_size, params.prune_min_weight, detached,
                                      params.signature_exclusivity)  # fmt: skip
            groups, attached = attach_by_signature(
                groups, links, kinds=params.signature_kinds, min_size=params.min_cluster_size,
                exclusivity=params.signature_exclusivity, min_shared=params.signature_min_shared,
                min_members=params.signature_min_members, detached=detached,
            )  # fmt: skip
    communities = [
        Community(accounts=tuple(sorted(accounts)), component=next((component_of[a] for a in accounts if a in component_of), -1))
        for accounts in groups
        if len(accounts) >= params.min_cluster_size
    ]
    communities.sort(key=lambda c: (-c.size, c.accounts[0]))
    stats: dict[str, float] = {
        "projected_nodes": counts["nodes"],
        "projected_relationships": counts["relationships"],
        "components": len(wcc),
        "components_min_size": sum(1 for a in wcc.values() if len(a) >= params.min_cluster_size),
        "largest_component": max((len(a) for a in wcc.values()), default=0),
        "leiden_communities": len(leiden),
        "merged_communities": len(groups),
        "attached_by_signature": attached if links is not None else 0,
        "communities": len(communities),
    }
    return CommunityResult(
        communities=tuple(communities), stats=stats, timings={k: round(v, 3) for k, v in timings.items()}
    )


@dataclass(frozen=True)
class SideBySide:
    """Community step timed in GDS and in python-igraph's Leiden on the same exported projection."""

    nodes: int
    relationships: int
    gds_seconds: float
    igraph_seconds: float
    export_seconds: float
    gds_communities: int
    igraph_communities: int

    @property
    def ratio(self) -> float:
        """igraph time divided by GDS time (above 1: GDS is faster)."""
        return self.igraph_seconds / self.gds_seconds if self.gds_seconds > 0 else float("inf")


def igraph_leiden(
    n: int, sources: np.ndarray, targets: np.ndarray, weights: np.ndarray, gamma: float, seed: int
) -> np.ndarray:
    """Leiden (RB configuration model, resolution gamma) in python-igraph/leidenalg; membership per node."""
    g = ig.Graph(n=n, edges=np.column_stack([sources, targets]).tolist(), directed=False)
    g.es["weight"] = weights.tolist()
    part = leidenalg.find_partition(
        g, leidenalg.RBConfigurationVertexPartition, weights="weight", resolution_parameter=gamma, seed=seed,
        n_iterations=-1,
    )
    return np.asarray(part.membership)


def compare_with_igraph(graph: Graph, run_id: int, params: DetectionParams) -> SideBySide:
    """Project the current links, time GDS Leiden, export the projection, time igraph Leiden on it."""
    name = projection_name(run_id) + "-bench"
    counts = project(graph, name)
    try:
        t0 = time.perf_counter()
        rows = _auto(
            graph, "detect_leiden", graph_name=name, gamma=params.leiden_gamma, seed=params.leiden_seed,
            max_levels=params.max_levels,
        )
        gds_seconds = time.perf_counter() - t0
        gds_communities = len({r["community"] for r in rows})
        t0 = time.perf_counter()
        export = _auto(graph, "detect_export_projection", graph_name=name)
        export_seconds = time.perf_counter() - t0
    finally:
        drop(graph, name)
    src = np.asarray([int(cast(int, r["source"])) for r in export], dtype=np.int64)
    dst = np.asarray([int(cast(int, r["target"])) for r in export], dtype=np.int64)
    w = np.asarray([float(cast(float, r["weight"])) for r in export])
    nodes, inverse = np.unique(np.concatenate([src, dst]), return_inverse=True)
    t0 = time.perf_counter()
    membership = igraph_leiden(
        len(nodes), inverse[: len(src)], inverse[len(src) :], w, params.leiden_gamma, params.leiden_seed
    )
    igraph_seconds = time.perf_counter() - t0
    return SideBySide(
        nodes=counts["nodes"],
        relationships=counts["relationships"],
        gds_seconds=round(gds_seconds, 3),
        igraph_seconds=round(igraph_seconds, 3),
        export_seconds=round(export_seconds, 3),
        gds_communities=gds_communities,
        igraph_communities=len(set(membership.tolist())),
    )
