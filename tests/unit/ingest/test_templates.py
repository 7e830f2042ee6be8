"""Prompt-template grouping: near-duplicate SimHashes (<= 3 bits) become one template, consistently."""

from __future__ import annotations

import numpy as np

from graph.ingest.simhash import hamming, hex_to_u64, u64_to_hex
from graph.ingest.templates import (
    ExistingTemplates,
    TemplatePlan,
    cap_members,
    matching_templates,
    plan_templates,
)

RNG = np.random.default_rng(7)
BASE_A = 0x1234_5678_9ABC_DEF0
BASE_B = 0x0FED_CBA9_8765_4321


def flip(value: int, *bits: int) -> int:
    for b in bits:
        value ^= 1 << b
    return value


def arrays(counts: dict[int, int]) -> tuple[np.ndarray, np.ndarray]:
    fps = np.array(sorted(counts), dtype=np.uint64)
    return fps, np.array([counts[int(f)] for f in fps], dtype=np.int64)


def groups(plan: TemplatePlan) -> list[set[int]]:
    by_id: dict[str, set[int]] = {}
    for fp, tid in zip(plan.map_fps.tolist(), plan.map_ids.tolist(), strict=True):
        by_id.setdefault(tid, set()).add(int(fp))
    return sorted(by_id.values(), key=min)


def existing_from(plan: TemplatePlan, exchanges: dict[str, int] | None = None) -> ExistingTemplates:
    new = list(plan.new)
    return ExistingTemplates(
        ids=tuple(t.template_id for t in new),
        exchanges=np.array([(exchanges or {}).get(t.template_id, 10) for t in new], dtype=np.int64),
        representatives=np.array([t.representative for t in new], dtype=np.uint64),
        member_fps=np.concatenate([t.members for t in new]) if new else np.zeros(0, np.uint64),
        member_template=np.concatenate([np.full(len(t.members), i) for i, t in enumerate(new)])
        if new
        else np.zeros(0, np.int64),
    )


def test_hex_round_trip_any_case() -> None:
    values = RNG.integers(0, 2**63, 1000, dtype=np.int64).astype(np.uint64)
    assert np.array_equal(hex_to_u64(np.array(u64_to_hex(values))), values)
    assert int(hex_to_u64(np.array(["ABCDEF0123456789"]))[0]) == 0xABCDEF0123456789


def test_variants_of_a_base_are_one_template_even_six_bits_apart() -> None:
    counts = {BASE_A: 5, flip(BASE_A, 1, 2, 3): 1, flip(BASE_A, 40, 50, 60): 1, flip(BASE_A, 7): 2}
    plan = plan_templates(*arrays(counts), ExistingTemplates.empty())
    assert len(plan.new) == 1
    assert plan.new[0].representative == BASE_A and plan.new[0].template_id == f"pt-{BASE_A:016x}"
    assert groups(plan) == [set(counts)]


def test_unrelated_prompts_and_single_sightings_are_not_templates() -> None:
    randoms = RNG.integers(0, 2**63, 20_000, dtype=np.int64).astype(np.uint64)
    counts = {int(v): 1 for v in randoms}
    counts[BASE_B] = 2  # the same prompt twice: a template
    plan = plan_templates(*arrays(counts), ExistingTemplates.empty())
    assert [t.representative for t in plan.new] == [BASE_B]
    assert plan.lookup(np.array([BASE_B, int(randoms[0])], dtype=np.uint64)).tolist() == [
        f"pt-{BASE_B:016x}",
        None,
    ]


def test_a_later_variant_joins_the_existing_template_whatever_its_count() -> None:
    first = plan_templates(*arrays({BASE_A: 3, flip(BASE_A, 5): 1}), ExistingTemplates.empty())
    later = plan_templates(*arrays({flip(BASE_A, 9, 33, 61): 1}), existing_from(first))
    assert later.new == ()
    assert list(later.added) == [first.new[0].template_id]
    assert later.lookup(np.array([flip(BASE_A, 9, 33, 61)], dtype=np.uint64)).tolist() == [
        first.new[0].template_id
    ]


def test_a_bridging_fingerprint_merges_templates_into_the_busiest() -> None:
    left, right = flip(BASE_A, 0, 1, 2), flip(BASE_A, 3, 4, 5)
    first = plan_templates(*arrays({left: 2, right: 2}), ExistingTemplates.empty())
    assert len(first.new) == 2
    ids = [t.template_id for t in first.new]
    busy = {ids[0]: 5, ids[1]: 50}
    later = plan_templates(*arrays({BASE_A: 1}), existing_from(first, busy))
    assert later.merges == {ids[1]: (ids[0],)}
    assert later.lookup(np.array([BASE_A], dtype=np.uint64)).tolist() == [ids[1]]


def test_grouping_does_not_depend_on_input_order() -> None:
    counts = {BASE_A: 4, flip(BASE_A, 1): 1, flip(BASE_A, 1, 2): 1, BASE_B: 1, flip(BASE_B, 63): 1}
    counts.update({int(v): 1 for v in RNG.integers(0, 2**63, 500, dtype=np.int64).astype(np.uint64)})
    fps, n = arrays(counts)
    reference = groups(plan_templates(fps, n, ExistingTemplates.empty()))
    for _ in range(3):
        order = RNG.permutation(len(fps))
        assert groups(plan_templates(fps[order], n[order], ExistingTemplates.empty())) == reference
    assert len(reference) == 2


def test_cap_members_keeps_the_representative_and_the_closest() -> None:
    members = np.array([BASE_A, flip(BASE_A, 1), flip(BASE_A, 1, 2), flip(BASE_A, 1, 2, 3)], dtype=np.uint64)
    kept = cap_members(members, BASE_A, cap=2)
    assert set(kept.tolist()) == {BASE_A, flip(BASE_A, 1)}
    assert int(hamming(kept, np.full(2, BASE_A, dtype=np.uint64)).max()) == 1


def test_uint32_counts_and_index_lookup_match_the_id_lookup() -> None:
    counts = {BASE_A: 4, flip(BASE_A, 1): 1, BASE_B: 2, flip(BASE_B, 7, 9): 1}
    counts.update({int(v): 1 for v in RNG.integers(0, 2**63, 2000, dtype=np.int64).astype(np.uint64)})
    fps, n = arrays(counts)
    plan = plan_templates(fps, n.astype(np.uint32), ExistingTemplates.empty())
    assert groups(plan) == groups(plan_templates(fps, n, ExistingTemplates.empty()))
    index = plan.lookup_index(fps)
    ids = plan.lookup(fps)
    assert ((index >= 0) == (ids != None)).all()  # noqa: E711 - elementwise on an object array
    assert [plan.names[i] for i in index[index >= 0]] == list(ids[index >= 0])
    assert len(plan.names) == 2


def test_a_prompt_fingerprint_matches_templates_by_any_member_within_three_bits() -> None:
    base_a, base_b = 0x0F0F_0F0F_0F0F_0F0F, 0xF0F0_F0F0_F0F0_F0F0
    far_member = base_a ^ 0b111  # 3 bits from the representative
    existing = ExistingTemplates(
        ids=("pt-a", "pt-b"), exchanges=np.array([10, 5]), representatives=np.array([base_a, base_b], np.uint64),
        member_fps=np.array([base_a, far_member, base_b], np.uint64), member_template=np.array([0, 0, 1]),
    )  # fmt: skip
    # 5 bits from pt-a's representative but 2 from one of its members: it belongs to pt-a, as ingest would group it
    probe = far_member ^ (1 << 40) ^ (1 << 41)
    assert matching_templates(probe, existing) == [(2, "pt-a")]
    assert matching_templates(base_b ^ 1, existing) == [(1, "pt-b")]
    assert matching_templates(base_a ^ 0xFFFF, existing) == []
    assert matching_templates(base_a, ExistingTemplates.empty()) == []
