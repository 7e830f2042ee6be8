"""Stable cluster keys across runs: a community keeps its predecessor's key when most of its members carried over.

A community whose members come mostly (more than `carry_share`) from one cluster of the previous run takes
that cluster's key; when several communities claim the same key (a split), the one with the largest
overlap keeps it and the others get new keys with `split_from` recorded. Other previous clusters that
contribute at least `merge_share` of a community's members are recorded in `merged_from`. Members that were
in none of a community's predecessors are new: accounts that joined after the previous run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

KEY_PREFIX = "C-"


@dataclass(frozen=True)
class PreviousCluster:
    """A cluster of the previous run: its key and its members."""

    key: str
    members: frozenset[str]


@dataclass(frozen=True)
class LineageEntry:
    """Where one community of this run comes from."""

    key: str
    status: str
    """`new`, `continued`, `split` (a part of a previous cluster that lost the key) or `merged`."""
    predecessor: str | None
    carried_share: float
    merged_from: tuple[str, ...]
    split_from: str | None
    new_members: frozenset[str]

    @property
    def predecessors(self) -> tuple[str, ...]:
        """Every previous key this community descends from."""
        keys = [k for k in (self.predecessor, self.split_from) if k]
        return tuple(dict.fromkeys([*keys, *self.merged_from]))

    def to_dict(self) -> dict[str, object]:
        """The JSON form stored in Cluster.lineage."""
        return {
            "status": self.status,
            "predecessor": self.predecessor,
            "carried_share": round(self.carried_share, 4),
            "merged_from": list(self.merged_from),
            "split_from": self.split_from,
            "new_members": len(self.new_members),
        }


def format_key(number: int) -> str:
    """`C-000042` for 42."""
    return f"{KEY_PREFIX}{number:06d}"


def key_number(key: str) -> int:
    """42 for `C-000042` (0 for a key of another form)."""
    digits = key[len(KEY_PREFIX) :] if key.startswith(KEY_PREFIX) else ""
    return int(digits) if digits.isdigit() else 0


def assign_lineage(
    communities: Sequence[Sequence[str]],
    previous: Sequence[PreviousCluster],
    *,
    next_number: int,
    carry_share: float = 0.5,
    merge_share: float = 0.2,
) -> tuple[LineageEntry, ...]:
    """One lineage entry per community (same order); new keys are numbered from `next_number` on."""
    key_of: dict[str, str] = {}
    prev_members = {p.key: p.members for p in previous}
    for p in previous:
        for account in p.members:
            key_of.setdefault(account, p.key)
    overlaps = [Counter(key_of[a] for a in c if a in key_of) for c in communities]

    claims: list[tuple[float, int, int, str]] = []
    for i, (members, counts) in enumerate(zip(communities, overlaps, strict=True)):
        if counts and members:
            key, n = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))
            share = n / len(members)
            if share > carry_share:
                claims.append((-share, -n, i, key))
    winner: dict[int, str] = {}
    lost: dict[int, str] = {}
    taken: set[str] = set()
    for _, _, i, key in sorted(claims):
        if key in taken:
            lost[i] = key
        else:
            winner[i] = key
            taken.add(key)

    # A previous cluster whose members now sit in several communities (each a real part of it) was split.
    parts: dict[str, int] = Counter()
    for counts in overlaps:
        for key, n in counts.items():
            if n >= merge_share * len(prev_members[key]):
                parts[key] += 1

    entries = []
    number = next_number
    for i, members in enumerate(communities):
        counts = overlaps[i]
        size = max(1, len(members))
        if i in winner:
            key, predecessor = winner[i], winner[i]
            status = "continued"
        else:
            key, predecessor = format_key(number), None
            number += 1
            status = "new"
        split_from = lost.get(i)
        if split_from is None and predecessor is None and counts:
            top, n = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))
            if n >= merge_share * size and parts.get(top, 0) >= 2:
                split_from = top
        if split_from is not None:
            status = "split"
        merged = tuple(
            sorted(k for k, n in counts.items() if k not in (predecessor, split_from) and n >= merge_share * size)
        )
        if merged:
            status = "merged"
        sources = [k for k in (predecessor, split_from, *merged) if k]
        seen = frozenset().union(*(prev_members[k] for k in sources)) if sources else frozenset()
        new_members = frozenset(a for a in members if a not in seen) if sources else frozenset()
        carried = counts.get(predecessor, 0) / size if predecessor else 0.0
        entries.append(
            LineageEntry(
                key=key, status=status, predecessor=predecessor, carried_share=carried, merged_from=merged,
                split_from=split_from, new_members=new_members,
            )
        )  # fmt: skip
    return tuple(entries)
