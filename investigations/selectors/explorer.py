"""The graph explorer's reads: a cluster opened as its accounts and the entities they share (an entity shared by
very many is one aggregate node, not thousands of edges), one node's neighbours on demand (a big entity paged
through), and the shortest rarity-weighted paths that tie two accounts through shared entities.

Answers are compact (rows as arrays, edges as one flat list of indexes) because the largest campaigns have
sixteen thousand accounts: the browser draws what it gets without reshaping it. An account row is
`[account_id, exchanges, status, created_ms, last_seen_ms, flags, cluster]`, where `cluster` indexes the answer's
`clusters` list (`[key, score, flagged]`, the account's cluster in the run, -1 when it has none) and `flags` is a bit
set of FLAG_*; an entity row is `[key, kind, members, degree, aggregate]`: `members` of the answer's accounts hold
it, `degree` accounts hold it in the whole graph, and an aggregate has no edges drawn.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import igraph as ig

from graph.reads import read
from investigations.models import Cluster, ClusterMember, DetectionRun
from investigations.selectors.accounts import EXACT_COUNT_CAP, NEIGHBOUR_KINDS_CAP
from investigations.selectors.cluster_timelines import replacement_ids, replacement_window_hours
from investigations.selectors.members import graph_cluster_id
from investigations.selectors.networks import PER_ACCOUNT, entity_key, split_key
from investigations.selectors.page_cache import cached

# Entity kinds the explorer draws, by the family its filter names.
KIND_FAMILY: dict[str, str] = {
    "payment_instrument": "payment",
    "billing_address": "payment",
    "billing_name": "payment",
    "device": "device",
    "client_fingerprint": "device",
    "ip": "network",
    "email_domain": "identity",
    "organization": "identity",
    "template": "content",
}
FAMILIES = ("payment", "device", "network", "identity", "content")

MAX_ACCOUNTS = 20_000  # members a cluster opens with (the largest campaigns at scale 1 have about 16,000)
AGGREGATE_MEMBERS = 250  # an entity more members than this share is one aggregate node, its edges not drawn
AGGREGATE_DEGREE = 2_000  # nor are the edges of one that more accounts than this hold graph-wide
MAX_EDGES = 60_000  # edges a cluster opens with; past it the most shared entities become aggregates too
GROUPS_ABOVE = 2_500  # a cluster with more members opens aggregated: groups of members by what they share
GROUP_NODES = 300  # groups (shared entities) such a cluster opens with
GROUP_EDGES = 3_000  # ties between groups drawn (the most shared members first)
GROUP_PER_ACCOUNT = 12  # groups of one member counted for the ties (its most shared ones)
GROUP_COMMON = 0.5  # an entity more than this share of the members hold stands alone
EXPAND_PAGE = 200  # accounts one expansion of an entity lists by default
EXPAND_MAX = 500  # and at most
PATH_MAX_HOPS = 4  # entity hops a traced path may take at most (account-entity-account is one hop)
PATH_DEFAULT_HOPS = 3
PATH_COUNT = 3  # paths answered
PATH_MAX_DEGREE = 1_000  # paths never pass through an entity more accounts than this hold: it ties too many
PATH_PER_ENTITY = 200  # holders of one entity followed by the path search
PATH_FRONTIER = 2_000  # accounts one step of the path search goes on from (those reached by the rarest ties)

FLAG_FLAGGED = 1  # member of a flagged cluster in the run
FLAG_NEW = 2  # new in its cluster since the run before
FLAG_REPLACEMENT = 4  # signed up within the run's replacement window after a ban in its cluster


def rarity_cost(degree: int) -> float:
    """What passing through an entity costs a path: log2(1 + accounts holding it), so a card two accounts share
    (1.6) ties them far more closely than an address three hundred share (8.2)."""
    return math.log2(1 + max(1, degree))


def _ms(value: dt.datetime | None) -> int | None:
    return None if value is None else int(value.timestamp() * 1000)


@dataclass
class ClusterIndex:
    """The clusters an answer's accounts belong to in the run, indexed for account rows."""

    run: DetectionRun | None
    rows: list[list[Any]] = field(default_factory=list)
    _index: dict[str, int] = field(default_factory=dict)
    by_account: dict[str, tuple[int, bool, bool]] = field(default_factory=dict)  # -> (index, flagged, is_new)

    def add(self, key: str, score: float, flagged: bool) -> int:
        """The index of cluster `key`, added when new."""
        if key not in self._index:
            self._index[key] = len(self.rows)
            self.rows.append([key, round(score, 4), flagged])
        return self._index[key]

    def load(self, account_ids: Iterable[str]) -> None:
        """Look up the run's cluster of each account not known yet."""
        if self.run is None:
            return
        missing = [a for a in dict.fromkeys(account_ids) if a not in self.by_account]
        for start in range(0, len(missing), 5_000):
            members = ClusterMember.objects.filter(
                cluster__run=self.run, account_id__in=missing[start : start + 5_000]
            ).values_list("account_id", "is_new", "cluster__key", "cluster__score", "cluster__flagged")
            for account_id, is_new, key, score, flagged in members:
                self.by_account[account_id] = (self.add(key, score, flagged), flagged, is_new)

    def row(self, r: dict[str, Any], *, replacement: bool = False) -> list[Any]:
        """An account row from a graph record (`account_id`, `exchanges`, `status`, `created_at`, `last_seen`)."""
        index, flagged, is_new = self.by_account.get(r["account_id"], (-1, False, False))
        flags = (FLAG_FLAGGED if flagged else 0) | (FLAG_NEW if is_new else 0)
        flags |= FLAG_REPLACEMENT if replacement else 0
        return [r["account_id"], int(r.get("exchanges") or 0), r.get("status") or "", _ms(r.get("created_at")),
                _ms(r.get("last_seen")), flags, index]  # fmt: skip


def degrees(keys: Sequence[str]) -> dict[str, int]:
    """How many accounts hold each entity graph-wide (unknown keys are left out)."""
    found: dict[str, int] = {}
    for start in range(0, len(keys), 5_000):
        for row in read("ui_explore_degrees", keys=list(keys[start : start + 5_000])):
            found[row["key"]] = int(row["accounts"])
    return found


def cluster_view(cluster: Cluster) -> dict[str, Any]:
    """A cluster opened in the explorer (cached per cluster, run and ingest like the rest of its page)."""
    return cached(cluster, "explorer", lambda: _cluster_view(cluster))


def _cluster_view(cluster: Cluster) -> dict[str, Any]:
    rows = read("ui_cluster_account_keys", cluster_id=graph_cluster_id(cluster), account_ids=None,
                per_account=PER_ACCOUNT, keys=None, only_key=None, limit=MAX_ACCOUNTS)  # fmt: skip
    index = ClusterIndex(cluster.run)
    me = index.add(cluster.key, cluster.score, cluster.flagged)
    new = set(cluster.members.filter(is_new=True).values_list("account_id", flat=True))
    for r in rows:
        index.by_account[r["account_id"]] = (me, cluster.flagged, r["account_id"] in new)
    replaced = replacement_ids(rows, replacement_window_hours(cluster))

    held = Counter(k for r in rows for k in r["keys"] if split_key(k)[0] in KIND_FAMILY)
    answer = {
        "run": cluster.run_id,
        "cluster": {
            "key": cluster.key,
            "size": cluster.size,
            "score": cluster.score,
            "flagged": cluster.flagged,
        },
        "truncated": cluster.size > len(rows),
        "clusters": index.rows,
    }
    if len(rows) > GROUPS_ABOVE:
        return answer | _groups(rows, held)
    shared = [k for k, n in held.items() if n >= 2]
    degree = degrees(shared)
    # Rarest first: when the edge budget runs out, the entities that tie the fewest accounts keep their edges.
    shared.sort(key=lambda k: (held[k], degree.get(k, held[k]), k))
    aggregate: set[str] = set()
    budget = MAX_EDGES
    for k in shared:
        if held[k] > AGGREGATE_MEMBERS or degree.get(k, 0) > AGGREGATE_DEGREE or held[k] > budget:
            aggregate.add(k)
        else:
            budget -= held[k]
    position = {k: i for i, k in enumerate(shared)}
    edges: list[int] = []
    for i, r in enumerate(rows):
        for k in r["keys"]:
            if k in position and k not in aggregate:
                edges.extend((i, position[k]))
    return answer | {
        "mode": "accounts",
        "accounts": [index.row(r, replacement=r["account_id"] in replaced) for r in rows],
        "entities": [[k, split_key(k)[0], held[k], degree.get(k, held[k]), k in aggregate] for k in shared],
        "edges": edges,
        "group_edges": [],
    }


def _groups(rows: list[dict[str, Any]], held: Counter[str]) -> dict[str, Any]:
    """A big cluster opened aggregated: the GROUP_NODES entities most of its members share (at most a third of one
    kind), each one node standing for the members holding it, tied to one another by how many members hold both
    (`group_edges`: flat [entity index, entity index, members] triples, the GROUP_EDGES heaviest); no account is
    drawn until a group is expanded. An entity nearly every member holds (over GROUP_COMMON of them) says nothing
    about how the members split, so it stands alone."""
    per_kind = GROUP_NODES // 3
    taken: Counter[str] = Counter()
    chosen: list[str] = []
    for k, n in sorted(held.items(), key=lambda item: (-item[1], item[0])):
        kind = split_key(k)[0]
        if n < 2 or taken[kind] >= per_kind:
            continue
        taken[kind] += 1
        chosen.append(k)
        if len(chosen) == GROUP_NODES:
            break
    common = {k for k in chosen if held[k] > GROUP_COMMON * len(rows)}
    position = {k: i for i, k in enumerate(chosen)}
    pairs: Counter[tuple[int, int]] = Counter()
    for r in rows:
        mine = sorted({position[k] for k in r["keys"] if k in position and k not in common})[
            :GROUP_PER_ACCOUNT
        ]
        pairs.update((a, b) for i, a in enumerate(mine) for b in mine[i + 1 :])
    heaviest = sorted(pairs.items(), key=lambda item: (-item[1], item[0]))[:GROUP_EDGES]
    degree = degrees(chosen)
    return {
        "mode": "groups",
        "accounts": [],
        "entities": [[k, split_key(k)[0], held[k], degree.get(k, held[k]), k in common] for k in chosen],
        "edges": [],
        "group_edges": [v for (a, b), n in heaviest for v in (a, b, n)],
    }


def _entity_row(key: str, degree: int, members: int = 0) -> list[Any]:
    aggregate = degree > AGGREGATE_DEGREE
    return [key, split_key(key)[0], members, degree, aggregate]


def expand_entity(
    run: DetectionRun | None, kind: str, entity_id: str, *, offset: int, limit: int
) -> dict[str, Any]:
    """The accounts holding one entity, `limit` of them after the first `offset` (a page through a big one)."""
    key = entity_key(kind, entity_id)
    degree = degrees([key]).get(key)
    if degree is None:
        return {}
    holders = read("ui_explore_holders", keys=[key], skip=offset, limit=limit)
    ids = holders[0]["holders"] if holders else []
    rows = read("ui_accounts_brief", account_ids=ids)
    index = ClusterIndex(run)
    index.load(ids)
    following = offset + len(ids)
    return {
        "entity": _entity_row(key, degree, len(ids)),
        "total": degree,
        "offset": offset,
        "limit": limit,
        "next_offset": following if len(ids) == limit and following < degree else None,
        "clusters": index.rows,
        "accounts": [index.row(r) for r in rows],
    }


def expand_account(run: DetectionRun | None, account_id: str) -> dict[str, Any]:
    """One account and the entities it holds (its busiest IPs, clients and templates), with their rarity."""
    brief = read("ui_accounts_brief", account_ids=[account_id])
    if not brief:
        return {}
    entities = read("ui_account_neighbours", account_id=account_id, per_kind=NEIGHBOUR_KINDS_CAP, sample=0,
                    exact_cap=EXACT_COUNT_CAP)  # fmt: skip
    index = ClusterIndex(run)
    index.load([account_id])
    rows = [
        _entity_row(entity_key(e["kind"], str(e["id"])), int(e["others"]) + 1, 1)
        for e in entities
        if e["kind"] in KIND_FAMILY
    ]
    rows.sort(key=lambda e: (e[3], e[0]))
    return {"account": index.row(brief[0]), "clusters": index.rows, "entities": rows}


# --- why are these two linked? --------------------------------------------------------------------------------


@dataclass
class _Search:
    """The part of the account-entity graph a path search has read."""

    degree: dict[str, int] = field(default_factory=dict)
    ties: set[tuple[str, str]] = field(default_factory=set)  # (account id, entity key)
    entities_read: set[str] = field(default_factory=set)  # accounts whose entities were read
    holders_read: set[str] = field(default_factory=set)  # entities whose holders were read

    def entities_of(self, accounts: Sequence[str]) -> list[str]:
        """Read the entities of `accounts` (not read before); the traversable ones they hold, rarest first."""
        todo = [a for a in accounts if a not in self.entities_read]
        self.entities_read.update(todo)
        if not todo:
            return []
        rows = read("ui_cluster_account_keys", cluster_id=None, account_ids=todo, per_account=PER_ACCOUNT,
                    keys=None, only_key=None, limit=len(todo))  # fmt: skip
        found = {k for r in rows for k in r["keys"] if split_key(k)[0] in KIND_FAMILY}
        unknown = [k for k in found if k not in self.degree]
        self.degree.update(degrees(unknown))
        for r in rows:
            for k in r["keys"]:
                if k in found and self.degree.get(k, 0) <= PATH_MAX_DEGREE:
                    self.ties.add((r["account_id"], k))
        return sorted((k for k in found if 2 <= self.degree.get(k, 0) <= PATH_MAX_DEGREE),
                      key=lambda k: (self.degree[k], k))  # fmt: skip

    def holders_of(self, entities: Sequence[str]) -> list[str]:
        """Read the holders of `entities` (not read before); the accounts reached, through the rarest first."""
        todo = [k for k in entities if k not in self.holders_read]
        self.holders_read.update(todo)
        if not todo:
            return []
        holders = {
            row["key"]: row["holders"]
            for row in read("ui_explore_holders", keys=todo, skip=0, limit=PATH_PER_ENTITY)
        }
        reached: dict[str, None] = {}
        for k in todo:  # rarest first: `todo` keeps the order entities_of gave
            self.ties.update((account_id, k) for account_id in holders.get(k, []))
            reached.update(dict.fromkeys(sorted(holders.get(k, []))))
        return list(reached)[:PATH_FRONTIER]

    def paths(self, a: str, b: str, max_hops: int, count: int) -> list[list[str]]:
        """Up to `count` cheapest paths from account `a` to account `b` over what was read, as alternating node
        keys (`account|<id>`, entity key, ...), at most `max_hops` entities each, cheapest first."""
        names = sorted(
            {f"account|{x}" for x, _ in self.ties}
            | {k for _, k in self.ties}
            | {f"account|{a}", f"account|{b}"}
        )
        at = {n: i for i, n in enumerate(names)}
        g = ig.Graph(n=len(names), edges=[(at[f"account|{x}"], at[k]) for x, k in sorted(self.ties)])
        g.es["w"] = [rarity_cost(self.degree.get(k, 2)) / 2 for _, k in sorted(self.ties)]
        found = g.get_k_shortest_paths(at[f"account|{a}"], to=at[f"account|{b}"], k=count * 3, weights="w",
                                       output="vpath")  # fmt: skip
        short = [[names[v] for v in p] for p in found if p and (len(p) - 1) // 2 <= max_hops]
        return heapq.nsmallest(count, short, key=lambda p: (self.cost(p), len(p), p))

    def cost(self, path: list[str]) -> float:
        """A path's cost: the rarity costs of the entities it passes through."""
        return sum(rarity_cost(self.degree.get(k, 2)) for k in path[1::2])


def trace_paths(run: DetectionRun | None, a: str, b: str, *, max_hops: int) -> dict[str, Any]:
    """The shortest rarity-weighted paths between accounts `a` and `b` through shared entities, searched from both
    ends at once, at most `max_hops` entities long; never through an entity more than PATH_MAX_DEGREE accounts hold.
    An empty `paths` means none was found within the bound (the answer says how much was searched)."""
    search = _Search()
    frontier = [[a], [b]]
    reached: list[set[str]] = [{a}, {b}]
    held: list[set[str]] = [set(), set()]  # entities each side has passed through
    found: list[list[str]] = []
    for step in range(max_hops):  # one entity hop a step, from each end in turn
        side = step % 2
        entities = search.entities_of(frontier[side])
        held[side].update(entities)
        frontier[side] = [x for x in search.holders_of(entities) if x not in reached[side]]
        reached[side].update(frontier[side])
        if (reached[0] & reached[1] or held[0] & held[1]) and (
            found := search.paths(a, b, max_hops, PATH_COUNT)
        ):
            break
    on_paths = sorted({p.split("|", 1)[1] for path in found for p in path[0::2]})
    index = ClusterIndex(run)
    index.load(on_paths)
    rows = read("ui_accounts_brief", account_ids=on_paths) if on_paths else []
    entity_keys = sorted({k for path in found for k in path[1::2]})
    return {
        "paths": [{"cost": round(search.cost(p), 3), "nodes": p, "hops": len(p) // 2} for p in found],
        "clusters": index.rows,
        "accounts": [index.row(r) for r in rows],
        "entities": [_entity_row(k, search.degree.get(k, 2)) for k in entity_keys],
        "searched": {
            "accounts": len(search.entities_read),
            "entities": len(search.holders_read),
            "ties": len(search.ties),
            "max_hops": max_hops,
        },  # fmt: skip
    }
