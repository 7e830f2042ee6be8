"""Community post-processing without a database: merging over-split parts, pruning, attaching by signature."""

import numpy as np

from graph.detection.communities import LinkArrays, attach_by_signature, merge_oversplit, prune_peripheral
from graph.detection.linkage import Memberships


def _members(kind: str, groups: list[list[int]]) -> Memberships:
    ptr = np.zeros(len(groups) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(g) for g in groups])
    return Memberships(
        kind=kind, entity_ids=tuple(f"e{i}" for i in range(len(groups))), ptr=ptr,
        accounts=np.asarray([a for g in groups for a in g], dtype=np.int64),
    )  # fmt: skip


def test_merge_oversplit_joins_a_cut_ring_but_not_a_bridge() -> None:
    ids = tuple(f"a{i}" for i in range(12))
    ring = [(i, j) for i in range(6) for j in range(i + 1, 6)]  # one tight group of six, cut in two
    bridged = [(i, j) for i in range(6, 9) for j in range(i + 1, 9)] + [(i, j) for i in range(9, 12) for j in range(i + 1, 12)]
    edges = ring + bridged + [(8, 9)]  # two triangles joined by one link
    links = LinkArrays(
        account_ids=ids, src=np.asarray([e[0] for e in edges]), dst=np.asarray([e[1] for e in edges]),
        weight=np.ones(len(edges)),
    )  # fmt: skip
    groups = [["a0", "a1", "a2"], ["a3", "a4", "a5"], ["a6", "a7", "a8"], ["a9", "a10", "a11"]]
    merged = sorted(sorted(g) for g in merge_oversplit(groups, links, threshold=0.25))
    assert merged == [["a0", "a1", "a2", "a3", "a4", "a5"], ["a10", "a11", "a9"], ["a6", "a7", "a8"]]


def test_prune_peripheral_drops_a_member_hanging_on_one_weak_link() -> None:
    ids = tuple(f"a{i}" for i in range(12))
    core = [(i, j) for i in range(10) for j in range(i + 1, 10)]
    edges = core + [(0, 10), (1, 11)]
    weights = [1.0] * len(core) + [0.4, 0.9]
    links = LinkArrays(
        account_ids=ids, src=np.asarray([e[0] for e in edges]), dst=np.asarray([e[1] for e in edges]),
        weight=np.asarray(weights),
    )  # fmt: skip
    (kept,) = prune_peripheral([list(ids)], links, min_size=10, min_weight=0.6)
    assert set(kept) == set(ids) - {"a10"}
    anchored = LinkArrays(links.account_ids, links.src, links.dst, links.weight, np.arange(len(edges)) == len(core))
    (kept,) = prune_peripheral([list(ids)], anchored, min_size=10, min_weight=0.6)
    assert set(kept) == set(ids)  # its one link is a shared card: it stays
    assert prune_peripheral([list(ids)], links, min_size=20, min_weight=0.6) == [list(ids)]


def test_prune_peripheral_peels_a_chain_of_weak_members() -> None:
    """a10 hangs on a0 and on a11 by weak links; a11 hangs on a10 alone: a11 goes first, then a10."""
    ids = tuple(f"a{i}" for i in range(13))
    core = [(i, j) for i in range(10) for j in range(i + 1, 10)]
    edges = core + [(0, 10), (10, 11), (1, 12), (2, 12)]
    links = LinkArrays(
        account_ids=ids, src=np.asarray([e[0] for e in edges]), dst=np.asarray([e[1] for e in edges]),
        weight=np.asarray([1.0] * len(core) + [0.4, 0.4, 0.4, 0.4]),
    )  # fmt: skip
    (kept,) = prune_peripheral([list(ids)], links, min_size=10, min_weight=0.6)
    assert set(kept) == set(ids) - {"a10", "a11"}  # a12 is tied by two links: it stays


def test_prune_peripheral_cuts_off_a_group_hanging_on_one_weak_link() -> None:
    """Five strangers linked among themselves (a10..a14), tied to a ten-account core by one weak link a14-a0: they
    become a community of their own. With that link anchored (a shared card), or strong, they stay."""
    ids = tuple(f"a{i}" for i in range(16))
    core = [(i, j) for i in range(10) for j in range(i + 1, 10)]
    strangers = [(i, j) for i in range(10, 15) for j in range(i + 1, 15)]
    edges = core + strangers + [(14, 0)]
    weights = np.asarray([1.0] * (len(core) + len(strangers)) + [0.3])
    src, dst = np.asarray([e[0] for e in edges]), np.asarray([e[1] for e in edges])
    links = LinkArrays(account_ids=ids, src=src, dst=dst, weight=weights)
    alone = ["a15"]  # in the community without any link: it stays with the larger part
    groups = prune_peripheral([[*ids[:15], *alone], ["x", "y"]], links, min_size=10, min_weight=0.6)
    assert sorted(sorted(g) for g in groups) == sorted(
        [sorted([*ids[:10], *alone]), sorted(ids[10:15]), ["x", "y"]]
    )
    anchored = LinkArrays(ids, src, dst, weights, np.arange(len(edges)) == len(edges) - 1)
    assert len(prune_peripheral([list(ids[:15])], anchored, min_size=10, min_weight=0.6)) == 1
    strong = LinkArrays(ids, src, dst, np.r_[weights[:-1], 0.7])
    assert len(prune_peripheral([list(ids[:15])], strong, min_size=10, min_weight=0.6)) == 1
    two_links = LinkArrays(ids, np.r_[src, 13], np.r_[dst, 1], np.r_[weights, 0.3])  # no bridge any more
    assert len(prune_peripheral([list(ids[:15])], two_links, min_size=10, min_weight=0.6)) == 1

    # The five share two templates used by nobody else (a quiet corner of a campaign working its own slice): they
    # stay. Shared with many outsiders (a public prompt collection), the same templates do not hold them.
    private = {"template": _members("template", [[10, 11, 12], [12, 13, 14]])}
    held = LinkArrays(ids, src, dst, weights, memberships=private)
    assert len(prune_peripheral([list(ids[:15])], held, min_size=10, min_weight=0.6)) == 1
    public = {"template": _members("template", [[10, 11, 12, 15, *range(16, 26)], [12, 13, 14, *range(16, 26)]])}
    outsiders = tuple(f"a{i}" for i in range(26))
    loose = LinkArrays(outsiders, src, dst, weights, memberships=public)
    detached: set[str] = set()
    assert len(prune_peripheral([list(ids[:15])], loose, min_size=10, min_weight=0.6, detached=detached)) == 2
    assert detached == set(ids[10:15])


def test_attach_by_signature_brings_in_a_quiet_member_but_not_a_bystander() -> None:
    ids = tuple(f"a{i}" for i in range(14))
    core = list(range(10))
    # Templates 0 and 1 are the group's own (9 and 10 users, all but the quiet one members); template 2 is
    # public (used by 3 members and 5 outsiders).
    m = _members("template", [core[:8] + [10], core + [10, 11], core[:3] + [11, 12, 13, 2, 4]])
    edges = [(i, j) for i in core for j in core if i < j]
    links = LinkArrays(
        account_ids=ids, src=np.asarray([e[0] for e in edges]), dst=np.asarray([e[1] for e in edges]),
        weight=np.ones(len(edges)), memberships={"template": m},
    )  # fmt: skip
    groups, attached = attach_by_signature(
        [[f"a{i}" for i in core], ["a12", "a13"]], links, kinds=("template",), min_size=3, exclusivity=0.8,
        min_shared=2,
    )  # fmt: skip
    assert attached == 1
    assert sorted(groups[0]) == sorted([f"a{i}" for i in core] + ["a10"])  # a10 uses both own templates
    assert ["a12", "a13"] in groups  # a11 uses only one own template (10 of 11 users members): stays out


def test_attach_by_signature_needs_three_addresses_when_nothing_else_is_shared() -> None:
    ids = tuple(f"a{i}" for i in range(12))
    core = list(range(10))
    # Addresses 0-2 are used by two members each and by a10 (three of them) or a11 (two of them).
    ips = [[0, 1, 10, 11], [2, 3, 10, 11], [4, 5, 10]]
    edges = [(i, j) for i in core for j in core if i < j]
    links = LinkArrays(
        account_ids=ids, src=np.asarray([e[0] for e in edges]), dst=np.asarray([e[1] for e in edges]),
        weight=np.ones(len(edges)), memberships={"ip": _members("ip", ips)},
    )  # fmt: skip
    # Address 0 has members 0,1 and outsiders a10,a11: from a10's side 2 of 3 others are members (< 80%).
    groups, attached = attach_by_signature(
        [[f"a{i}" for i in core]], links, kinds=("ip",), min_size=3, exclusivity=0.6, min_shared=2,
        min_members={"ip": 1},
    )  # fmt: skip
    assert attached == 1 and "a10" in groups[0] and "a11" not in groups[0]


def test_attach_by_signature_prefers_the_community_whose_own_entities_it_uses() -> None:
    """Two campaigns renting from one proxy pool: a quiet member of the first uses two of its private templates
    and two addresses that only the second's members use. The addresses alone may not attach it (two are too
    few), and they must not hide the first campaign's claim either."""
    ids = tuple(f"a{i}" for i in range(13))
    first, second, quiet = list(range(6)), list(range(6, 12)), 12
    templates = _members("template", [first + [quiet], first[:5] + [quiet]])
    ips = _members("ip", [[6, 7, quiet], [8, 9, quiet]])
    edges = [(i, j) for g in (first, second) for i in g for j in g if i < j]
    links = LinkArrays(
        account_ids=ids, src=np.asarray([e[0] for e in edges]), dst=np.asarray([e[1] for e in edges]),
        weight=np.ones(len(edges)), memberships={"template": templates, "ip": ips},
    )  # fmt: skip
    groups, attached = attach_by_signature(
        [[f"a{i}" for i in second], [f"a{i}" for i in first]], links, kinds=("template", "ip"), min_size=3,
        exclusivity=0.8, min_shared=2, min_members={"ip": 1},
    )  # fmt: skip
    assert attached == 1 and "a12" in groups[1] and "a12" not in groups[0]
