"""Stable cluster keys across runs: continued, split, merged and new clusters, and new members."""

from graph.detection.lineage import PreviousCluster, assign_lineage, format_key, key_number


def _prev(key: str, *members: str) -> PreviousCluster:
    return PreviousCluster(key=key, members=frozenset(members))


def test_keys_are_numbered_and_parsed() -> None:
    assert format_key(42) == "C-000042"
    assert key_number("C-000042") == 42
    assert key_number("other") == 0


def test_first_run_numbers_every_cluster_and_marks_nobody_new() -> None:
    entries = assign_lineage([["a", "b", "c"], ["x", "y", "z"]], [], next_number=7)
    assert [e.key for e in entries] == ["C-000007", "C-000008"]
    assert all(e.status == "new" and not e.new_members for e in entries)


def test_a_cluster_keeps_its_key_and_its_joiners_are_new() -> None:
    previous = [_prev("C-000003", "a", "b", "c", "d")]
    (entry,) = assign_lineage([["a", "b", "c", "e"]], previous, next_number=10)
    assert entry.key == "C-000003" and entry.status == "continued"
    assert entry.new_members == frozenset({"e"})
    assert entry.carried_share == 0.75


def test_a_minority_carry_over_gets_a_new_key() -> None:
    previous = [_prev("C-000003", "a", "b")]
    (entry,) = assign_lineage([["a", "x", "y", "z"]], previous, next_number=10)
    assert entry.key == "C-000010" and entry.predecessor is None


def test_a_split_keeps_the_key_on_the_larger_part() -> None:
    previous = [_prev("C-000001", *"abcdefgh")]
    big, small = assign_lineage([list("abcde"), list("fgh")], previous, next_number=5)
    assert big.key == "C-000001" and big.status == "continued"
    assert small.key == "C-000005" and small.status == "split" and small.split_from == "C-000001"
    assert small.new_members == frozenset()


def test_a_merge_records_both_parents() -> None:
    previous = [_prev("C-000001", *"abcdef"), _prev("C-000002", *"xyz")]
    (entry,) = assign_lineage([list("abcdefxyz") + ["new"]], previous, next_number=5)
    assert entry.key == "C-000001" and entry.status == "merged"
    assert entry.merged_from == ("C-000002",)
    assert entry.predecessors == ("C-000001", "C-000002")
    assert entry.new_members == frozenset({"new"})
    assert entry.to_dict()["merged_from"] == ["C-000002"]
