"""The network picture of a cluster, read from the graph: its accounts and the entities that tie them, or, for
a large cluster, the entities its members share most (groups), how many members each pair of groups shares,
and the members of one opened group."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from graph.reads import read

GROUP_THRESHOLD = 60  # clusters above this many accounts are drawn aggregated by shared entity
MAX_GROUPS = 30  # entity groups drawn for a large cluster
MAX_GROUPS_PER_KIND = 8  # of which at most this many of one kind
GROUP_EXPAND_LIMIT = 150  # accounts drawn when one group is expanded
MAX_SMALL_ENTITIES = 150  # shared entities drawn for a small cluster
PER_ACCOUNT = 25  # busiest IPs, clients and templates per member considered for the picture


@dataclass(frozen=True)
class NetworkNode:
    """An account, or an entity (a group of the accounts sharing it), in the network picture."""

    id: str  # "account|<account id>" or "<kind>|<entity id>"
    kind: str  # "account" or an entity kind
    label: str
    members: int  # accounts tied to it (1 for an account)
    exchanges: int
    status: str = ""  # accounts: active / suspended / banned


@dataclass(frozen=True)
class NetworkEdge:
    """A tie: an account holds an entity, or two groups share `weight` accounts."""

    source: str
    target: str
    weight: int


@dataclass
class ClusterNetwork:
    """What the network picture draws: accounts and shared entities, or entity groups with one expanded."""

    mode: str  # "accounts" (small cluster) or "groups" (aggregated by shared entity)
    nodes: list[NetworkNode] = field(default_factory=list)
    edges: list[NetworkEdge] = field(default_factory=list)
    expanded: str | None = None
    expanded_total: int = 0

    @property
    def groups(self) -> list[NetworkNode]:
        """The entity nodes, most accounts first."""
        return sorted((n for n in self.nodes if n.kind != "account"), key=lambda n: (-n.members, n.id))

    @property
    def expanded_node(self) -> NetworkNode | None:
        """The open group's node."""
        return next((n for n in self.nodes if n.id == self.expanded), None)

    @property
    def account_count(self) -> int:
        """Account nodes drawn."""
        return sum(1 for n in self.nodes if n.kind == "account")


def entity_key(kind: str, entity_id: str) -> str:
    """The node id of an entity: `<kind>|<id>`."""
    return f"{kind}|{entity_id}"


def split_key(key: str) -> tuple[str, str]:
    """Inverse of `entity_key`."""
    kind, _, entity_id = key.partition("|")
    return kind, entity_id


def _entity_node(row: dict[str, Any]) -> NetworkNode:
    return NetworkNode(
        id=entity_key(row["kind"], str(row["id"])),
        kind=row["kind"],
        label=str(row["id"]),
        members=int(row["members"]),
        exchanges=int(row["exchanges"]),
    )


def _account_nodes(rows: list[dict[str, Any]]) -> tuple[list[NetworkNode], list[NetworkEdge]]:
    nodes: list[NetworkNode] = []
    edges: list[NetworkEdge] = []
    for r in rows:
        node_id = f"account|{r['account_id']}"
        nodes.append(
            NetworkNode(
                id=node_id,
                kind="account",
                label=r["account_id"],
                members=1,
                exchanges=int(r["exchanges"]),
                status=r.get("status") or "",
            )
        )
        edges.extend(NetworkEdge(source=node_id, target=k, weight=1) for k in r["keys"])
    return nodes, edges


def _diverse(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The MAX_GROUPS most shared entities, at most MAX_GROUPS_PER_KIND of one kind (so a cluster whose members
    share forty templates still shows its cards, devices and addresses); `rows` come most shared first."""
    taken: list[dict[str, Any]] = []
    per_kind: dict[str, int] = defaultdict(int)
    for row in rows:
        if per_kind[row["kind"]] < MAX_GROUPS_PER_KIND:
            per_kind[row["kind"]] += 1
            taken.append(row)
    return taken[:MAX_GROUPS]


def read_network(cluster_id: str, size: int) -> ClusterNetwork:
    """The network picture of the graph's cluster `cluster_id` of `size` accounts, no group open."""
    common = {"cluster_id": cluster_id, "per_account": PER_ACCOUNT}
    if size <= GROUP_THRESHOLD:
        entities = read("ui_cluster_entities", **common, min_members=2, limit=MAX_SMALL_ENTITIES)
        net = ClusterNetwork(mode="accounts", nodes=[_entity_node(e) for e in entities])
        keys = [n.id for n in net.nodes]
        accounts = read(
            "ui_cluster_account_keys", **common, account_ids=None, keys=keys, only_key=None, limit=GROUP_THRESHOLD * 2
        )
        nodes, edges = _account_nodes(accounts)
        net.nodes.extend(nodes)
        net.edges.extend(edges)
        return net
    candidates = read("ui_cluster_entities", **common, min_members=2, limit=MAX_GROUPS * 4)
    net = ClusterNetwork(mode="groups", nodes=[_entity_node(g) for g in _diverse(candidates)])
    pairs = read("ui_cluster_entity_pairs", **common, keys=[n.id for n in net.nodes])
    net.edges = [NetworkEdge(source=p["k1"], target=p["k2"], weight=int(p["shared"])) for p in pairs]
    return net


def with_group_open(cluster_id: str, groups: ClusterNetwork, expand: str) -> ClusterNetwork:
    """The aggregated picture `groups` with the members of group `expand` drawn (unchanged if it has no such group)."""
    keys = [n.id for n in groups.nodes]
    if groups.mode != "groups" or expand not in keys:
        return groups
    accounts = read(
        "ui_cluster_account_keys",
        cluster_id=cluster_id,
        account_ids=None,
        per_account=PER_ACCOUNT,
        keys=keys,
        only_key=expand,
        limit=GROUP_EXPAND_LIMIT,
    )
    nodes, edges = _account_nodes(accounts)
    return ClusterNetwork(
        mode="groups",
        nodes=[*groups.nodes, *nodes],
        edges=[*groups.edges, *edges],
        expanded=expand,
        expanded_total=next(n.members for n in groups.nodes if n.id == expand),
    )
