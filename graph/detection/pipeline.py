"""One detection pass: link, write links, project and find communities in GDS, profile, score, lineage, write back.

Plain data in (parameters, the previous run's clusters, the next free key number), frozen dataclasses out.
The caller (the Django service) stores the result; this module writes only to Neo4j.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import LiteralString, cast

import numpy as np

from graph.detection.behaviour import activity_span, new_models
from graph.detection.communities import CommunityResult, LinkArrays, find_communities
from graph.detection.coordination import template_groups
from graph.detection.features import (
    ClusterProfile,
    cluster_profile,
    fetch_account_facts,
    link_profiles,
)
from graph.detection.lineage import LineageEntry, PreviousCluster, assign_lineage
from graph.detection.linkage import LinkageResult, build_links, write_links
from graph.detection.params import DetectionParams
from graph.detection.rhythm import NewModelInfo
from graph.detection.scoring import ClusterScore, score_cluster
from graph.driver import Graph, cypher
from graph.timing import timed

log = logging.getLogger(__name__)

Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class ClusterResult:
    """One detected cluster: stable key, members, profile, score and lineage."""

    key: str
    accounts: tuple[str, ...]
    profile: ClusterProfile
    score: ClusterScore
    lineage: LineageEntry


@dataclass(frozen=True)
class DetectionResult:
    """Everything one run found, ranked by score, with counts and timings for the run report."""

    clusters: tuple[ClusterResult, ...]
    stats: dict[str, float]
    timings: dict[str, float] = field(default_factory=dict)


def graph_cluster_id(run_id: int, key: str) -> str:
    """The `Cluster.cluster_id` of a run's cluster in Neo4j: `<run id>:<key>`."""
    return f"{run_id}:{key}"


def _stage(progress: Progress | None, name: str, share: float) -> None:
    log.info("detection: %s (%.0f%%)", name, 100 * share)
    if progress:
        progress(name, share)


def profile_communities(
    graph: Graph, communities: CommunityResult, links: LinkageResult, params: DetectionParams
) -> list[ClusterProfile]:
    """Features and evidence of every community."""
    members = [a for c in communities.communities for a in c.accounts]
    facts = fetch_account_facts(graph, members)
    span = activity_span(graph)
    models = [NewModelInfo(m.name, m.released_at) for m in new_models(graph, span)] if span else []
    strengths: dict[str, np.ndarray] = {}
    for name, scores in links.kind_scores.items():
        weight = params.kinds[name].weight if name in params.kinds else (
            params.hours_weight if name == "hours" else params.pivot_weight
        )
        strengths[name] = scores / weight if weight else scores
    link_stats = link_profiles(
        (c.accounts for c in communities.communities), links.account_ids, links.src, links.dst, strengths
    )
    rows = [[facts[a] for a in community.accounts if a in facts] for community in communities.communities]
    groups = template_groups(rows, params.private_template_min_members)
    return [
        cluster_profile(members, models, link_profile=link_stat, params=params, template_groups=groups)
        for members, link_stat in zip(rows, link_stats, strict=True)
    ]


def clear_run_clusters(graph: Graph, run_id: int) -> None:
    """Remove one run's Cluster nodes and their MEMBER_OF relationships (before writing them, or after a failure)."""
    graph.auto("detect_clear_run_clusters", cast(LiteralString, cypher("detect_clear_run_clusters")), run_id=run_id)


def write_clusters(graph: Graph, run_id: int, clusters: Sequence[ClusterResult], keep_runs: Sequence[int]) -> None:
    """Replace this run's Cluster nodes and MEMBER_OF relationships; prune runs not in `keep_runs`."""
    clear_run_clusters(graph, run_id)
    graph.write_batches(
        "detect_write_clusters",
        [
            {
                "cluster_id": graph_cluster_id(run_id, c.key), "key": c.key, "score": c.score.score,
                "flagged": c.score.flagged, "size": len(c.accounts),
            }
            for c in clusters
        ],
        run_id=run_id,
    )  # fmt: skip
    graph.write_batches(
        "detect_write_members",
        [
            {"cluster_id": graph_cluster_id(run_id, c.key), "account_id": a, "is_new": a in c.lineage.new_members}
            for c in clusters
            for a in c.accounts
        ],
    )
    graph.auto(
        "detect_prune_clusters", cast(LiteralString, cypher("detect_prune_clusters")), keep=[*keep_runs, run_id]
    )


def run_detection(
    graph: Graph,
    run_id: int,
    params: DetectionParams,
    *,
    previous: Sequence[PreviousCluster] = (),
    next_number: int = 1,
    keep_runs: Sequence[int] = (),
    progress: Progress | None = None,
) -> DetectionResult:
    """Run every stage against the graph and return the ranked clusters (writes LINKED and Cluster nodes)."""
    timings: dict[str, float] = {}
    stats: dict[str, float] = {}
    started = time.perf_counter()

    def sub(lo: float, hi: float) -> Progress:
        return lambda name, share: _stage(progress, name, lo + (hi - lo) * share)

    _stage(progress, "linking accounts", 0.0)
    with timed(timings, "linkage", digits=6):
        links = build_links(graph, params, sub(0.0, 0.4))
    stats.update({f"link_{k}": v for k, v in links.stats.items()})
    timings.update({f"linkage_{k}": v for k, v in links.timings.items()})

    _stage(progress, "writing links", 0.4)
    with timed(timings, "write_links", digits=6):
        write_links(graph, links)

    _stage(progress, "finding communities (GDS)", 0.5)
    with timed(timings, "communities", digits=6):
        arrays = LinkArrays(
            account_ids=links.account_ids, src=links.src, dst=links.dst, weight=links.weight, anchored=links.anchored,
            memberships=links.memberships,
        )
        communities = find_communities(graph, run_id, params, arrays)
    stats.update(communities.stats)
    timings.update({f"communities_{k}": v for k, v in communities.timings.items()})

    _stage(progress, "computing cluster features", 0.6)
    with timed(timings, "features", digits=6):
        profiles = profile_communities(graph, communities, links, params)

    _stage(progress, "scoring clusters", 0.8)
    with timed(timings, "scoring", digits=6):
        scores = [score_cluster(p, params) for p in profiles]
        lineage = assign_lineage(
            [c.accounts for c in communities.communities], previous, next_number=next_number,
            carry_share=params.carry_share, merge_share=params.merge_share,
        )  # fmt: skip
        clusters = [
            ClusterResult(key=entry.key, accounts=c.accounts, profile=p, score=s, lineage=entry)
            for c, p, s, entry in zip(communities.communities, profiles, scores, lineage, strict=True)
        ]
        clusters.sort(key=lambda c: (-c.score.score, -c.score.raw, -len(c.accounts), c.key))

    _stage(progress, "writing clusters to the graph", 0.9)
    with timed(timings, "write_clusters", digits=6):
        write_clusters(graph, run_id, clusters, keep_runs)

    stats["clusters"] = len(clusters)
    stats["flagged_clusters"] = sum(1 for c in clusters if c.score.flagged)
    stats["flagged_accounts"] = sum(len(c.accounts) for c in clusters if c.score.flagged)
    stats["clustered_accounts"] = sum(len(c.accounts) for c in clusters)
    timings["total"] = time.perf_counter() - started
    return DetectionResult(
        clusters=tuple(clusters), stats=stats, timings={k: round(v, 3) for k, v in timings.items()}
    )
