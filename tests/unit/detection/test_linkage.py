"""Linkage arithmetic without a database: rarity, pair expansion, enrichment, family combination, behaviour."""

import numpy as np
import pytest

from graph.detection.behaviour import hour_similarity, pivot_similarity
from graph.detection.linkage import (
    Memberships,
    combine,
    enrich_pairs,
    expand_pairs,
    lsh_pairs,
    strongest_per_account,
    sum_by_key,
)
from graph.detection.params import DetectionParams
from graph.detection.rarity import rarity


def _members(kind: str, groups: list[list[int]]) -> Memberships:
    ptr = np.zeros(len(groups) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(g) for g in groups])
    return Memberships(
        kind=kind, entity_ids=tuple(f"e{i}" for i in range(len(groups))), ptr=ptr,
        accounts=np.asarray([a for g in groups for a in g], dtype=np.int64),
    )  # fmt: skip


def _pair(a: int, b: int) -> int:
    return (min(a, b) << 32) | max(a, b)


def test_rarity_falls_with_degree() -> None:
    r = rarity(np.asarray([2, 4, 50, 800]))
    assert r[0] == pytest.approx(1 / np.log2(3))
    assert list(r) == sorted(r, reverse=True)
    assert r[3] < 0.11


def test_expand_pairs_lists_every_pair_of_a_rare_entity() -> None:
    keys, weights = expand_pairs(_members("payment_instrument", [[5, 2, 9]]), cap=40)
    assert sorted(keys.tolist()) == sorted([_pair(2, 5), _pair(2, 9), _pair(5, 9)])
    assert weights == pytest.approx([1 / np.log2(4)] * 3)


def test_a_nat_address_above_the_cap_is_never_expanded() -> None:
    nat = list(range(800))
    keys, _ = expand_pairs(_members("ip", [nat, [900, 901]]), cap=60)
    assert keys.tolist() == [_pair(900, 901)]  # not 319,600 pairs


def test_sum_by_key_adds_evidence_of_several_entities() -> None:
    keys, weights = expand_pairs(_members("ip", [[1, 2], [1, 2, 3]]), cap=60)
    uniq, total = sum_by_key(keys, weights)
    got = dict(zip(uniq.tolist(), total.tolist(), strict=True))
    assert got[_pair(1, 2)] == pytest.approx(1 / np.log2(3) + 1 / np.log2(4))
    assert got[_pair(1, 3)] == pytest.approx(1 / np.log2(4))


def test_enrich_pairs_adds_only_mid_degree_entities_both_accounts_share() -> None:
    popular = list(range(10, 110))  # degree 100: enrich only
    m = _members("template", [popular + [1, 2], [1, 3]])
    pairs = np.asarray([_pair(1, 2), _pair(1, 3), _pair(2, 3)], dtype=np.int64)
    out, shared = enrich_pairs(pairs, m, lo_cap=40, hi_cap=500, n_accounts=200)
    assert out[0] == pytest.approx(1 / np.log2(103)) and shared.tolist() == [1, 0, 0]
    assert out[1] == 0.0  # the shared entity has degree 2: expanded, not enriched
    assert out[2] == 0.0
    assert enrich_pairs(pairs, m, lo_cap=40, hi_cap=50, n_accounts=200)[0].tolist() == [0.0, 0.0, 0.0]


def test_one_family_of_weak_evidence_never_links_but_a_card_does() -> None:
    params = DetectionParams()
    families = {"ip": "network", "subnet": "network", "template": "content", "payment_instrument": "payment"}
    scores = {
        "ip": np.asarray([0.5, 0.5, 0.0]),
        "subnet": np.asarray([0.3, 0.3, 0.0]),
        "template": np.asarray([0.0, 0.4, 0.0]),
        "payment_instrument": np.asarray([0.0, 0.0, 0.6]),
    }
    weight, eligible, anchored = combine(scores, families, params)
    assert weight[0] == pytest.approx(0.5 + 0.25 * 0.3)  # subnet adds little to its own address
    assert not eligible[0]
    assert eligible[1] and weight[1] == pytest.approx((0.575 + 0.4) * (1 + params.independence_bonus))
    assert eligible[2] and weight[2] == pytest.approx(0.6)
    assert anchored.tolist() == [False, False, True]  # templates may stand alone, but only a card anchors


def test_one_shared_template_is_not_evidence_unless_rare() -> None:
    params = DetectionParams()
    families = {"template": "content", "ip": "network"}
    scores = {"template": np.asarray([0.25, 0.25, 0.35]), "ip": np.asarray([0.2, 0.2, 0.2])}
    counts = {"template": np.asarray([1, 3, 1]), "ip": np.asarray([1, 1, 1])}
    _, eligible, _ = combine(scores, families, params, counts)
    assert eligible.tolist() == [False, True, True]


def test_hour_similarity_needs_overlap_beyond_chance() -> None:
    bits = np.zeros((3, 2), dtype=np.uint64)
    bits[0, 0] = np.uint64(0xFFFF)  # 16 hours
    bits[1, 0] = np.uint64(0xFFF0)  # 12 of them
    bits[2, 1] = np.uint64(0xFFFF)  # 16 other hours
    sim = hour_similarity(bits, np.asarray([0, 0]), np.asarray([1, 2]), min_active=4)
    assert sim[0] == pytest.approx(1.0)  # Jaccard 0.75
    assert sim[1] == 0.0


def test_pivot_similarity_rewards_the_same_model_at_the_same_time() -> None:
    pivots = {0: ("nova-4", 1000), 1: ("nova-4", 1000), 2: ("nova-4", 1000 + 30 * 3600), 3: ("x", 1000)}
    sim = pivot_similarity(pivots, np.asarray([0, 0, 0, 0]), np.asarray([1, 2, 3, 4]), sync_hours=6.0)
    assert sim.tolist() == pytest.approx([1.0, 0.0, 0.0, 0.0])
    half_apart = pivot_similarity({0: ("m", 0), 1: ("m", 3 * 3600)}, np.asarray([0]), np.asarray([1]), 6.0)
    assert half_apart[0] == pytest.approx(0.5)


def test_pivot_similarity_says_little_when_a_crowd_moved_at_that_moment() -> None:
    crowd = {i: ("nova-4", 1000 + 60 * i) for i in range(200)}
    sim = pivot_similarity(crowd, np.asarray([0]), np.asarray([1]), sync_hours=6.0)
    assert 0.0 < sim[0] < 0.25


def test_lsh_pairs_link_similar_template_sets_without_expanding_buckets() -> None:
    rng = np.random.default_rng(3)
    campaign = [rng.choice(8, size=6, replace=False).tolist() for _ in range(300)]  # 6 of the same 8 templates
    loners = [[100 + 3 * i, 101 + 3 * i, 102 + 3 * i] for i in range(50)]  # templates nobody else uses
    groups: list[list[int]] = [[] for _ in range(300)]
    for account, templates in enumerate(campaign + loners):
        for t in templates:
            while len(groups) <= t:
                groups.append([])
            groups[t].append(account)
    m = _members("template", [g for g in groups if g])
    pairs = lsh_pairs(m, bands=10, rows=2, neighbours=4, min_items=3, seed=1)
    first, second = pairs >> 32, pairs & 0xFFFFFFFF
    assert len(pairs) <= 300 * 4 * 10  # never the 44,850 pairs of the campaign
    assert (second < 300).all()  # the loners share nothing
    parent = list(range(300))

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for a, b in zip(first.tolist(), second.tolist(), strict=True):
        parent[root(a)] = root(b)
    assert len({root(i) for i in range(300)}) == 1  # yet the campaign is one connected group


def test_strongest_per_account_keeps_each_accounts_top_links() -> None:
    # Account 0 has five links (weights 5..1); everyone else has only the link to 0.
    first, second = np.zeros(5, dtype=np.int64), np.arange(1, 6)
    weight = np.asarray([5.0, 4.0, 3.0, 2.0, 1.0])
    assert strongest_per_account(first, second, weight, k=2).all()  # each link is the top one of its other end
    chain_first, chain_second = np.asarray([0, 0, 0, 1, 1, 2]), np.asarray([1, 2, 3, 2, 3, 3])
    keep = strongest_per_account(chain_first, chain_second, np.asarray([6.0, 5.0, 1.0, 4.0, 2.0, 3.0]), k=1)
    assert keep.tolist() == [True, True, False, False, False, True]  # tops of 0 and 1, of 2, of 3
