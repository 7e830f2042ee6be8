"""Reads for detection: runs, their clusters and members, lineage inputs, the export, evaluation and feedback."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from django.db.models import Count, Q, QuerySet

from graph.detection.evaluate import Evaluation, MemberRow, evaluate, read_labels
from graph.detection.lineage import KEY_PREFIX, PreviousCluster, key_number
from investigations.models import (
    Annotation,
    AnnotationLabel,
    AnnotationTarget,
    Cluster,
    ClusterMember,
    DetectionRun,
    JobStatus,
)
from investigations.selectors.cases import case_cluster_keys
from investigations.selectors.runs import previous_run


def detection_runs() -> QuerySet[DetectionRun]:
    """Every detection run, newest first, with its number of clusters and of flagged clusters."""
    return DetectionRun.objects.annotate(
        cluster_count=Count("clusters"), flagged_count=Count("clusters", filter=Q(clusters__flagged=True))
    ).order_by("-created_at", "-pk")


def previous_clusters(run: DetectionRun) -> list[PreviousCluster]:
    """The clusters of the run before `run`, with their members, for lineage."""
    parent = previous_run(run)
    if parent is None:
        return []
    members: dict[str, set[str]] = {}
    rows = ClusterMember.objects.filter(cluster__run=parent).values_list("cluster__key", "account_id")
    for key, account_id in rows.iterator(chunk_size=20_000):
        members.setdefault(key, set()).add(account_id)
    return [PreviousCluster(key=k, members=frozenset(v)) for k, v in sorted(members.items())]


def next_cluster_number() -> int:
    """The first key number no run has used yet."""
    last = (
        Cluster.objects.filter(key__startswith=KEY_PREFIX).order_by("-key").values_list("key", flat=True).first()
    )
    return key_number(last) + 1 if last else 1


def recent_run_ids(limit: int) -> list[int]:
    """Ids of the latest `limit` succeeded runs (their clusters stay in the graph)."""
    return list(
        DetectionRun.objects.filter(status=JobStatus.SUCCEEDED).order_by("-pk").values_list("pk", flat=True)[:limit]
    )


def confirmed_cluster_keys() -> set[str]:
    """Keys of clusters whose latest cluster annotation with a label is `confirmed_campaign`."""
    latest: dict[str, str] = {}
    rows = (
        Annotation.objects.filter(target=AnnotationTarget.CLUSTER)
        .exclude(label="")
        .order_by("created_at", "pk")
        .values_list("target_id", "label")
    )
    for key, label in rows:
        latest[key] = label
    return {key for key, label in latest.items() if label == AnnotationLabel.CONFIRMED_CAMPAIGN}


def linked_cluster_keys() -> set[str]:
    """Keys of clusters whose new members raise a regrowth alert: confirmed campaigns and clusters of watched
    cases (see `services/regrowth.py`)."""
    return confirmed_cluster_keys() | case_cluster_keys()


def run_clusters(run: DetectionRun) -> QuerySet[Cluster]:
    """The clusters of a run, highest score first."""
    return Cluster.objects.filter(run=run).order_by("-score", "-size", "key")


def export_rows(run: DetectionRun) -> Iterator[tuple[str, str, float, bool]]:
    """(account_id, cluster_id, risk_score, flagged) for every account in a cluster of the run."""
    rows = (
        ClusterMember.objects.filter(cluster__run=run)
        .order_by("-cluster__score", "cluster__key", "account_id")
        .values_list("account_id", "cluster__key", "cluster__score", "cluster__flagged")
    )
    for account_id, key, score, flagged in rows.iterator(chunk_size=20_000):
        yield account_id, key, float(score), bool(flagged)


def member_rows(run: DetectionRun) -> list[MemberRow]:
    """Every membership of the run, for evaluation."""
    return [
        MemberRow(account_id=a, cluster_key=k, score=s, flagged=f)
        for a, k, s, f in export_rows(run)
    ]


def feedback_counts(run: DetectionRun) -> dict[str, int]:
    """Analyst labels on the run's clusters (latest per cluster), split by whether the run flagged them."""
    flagged = dict(Cluster.objects.filter(run=run).values_list("key", "flagged"))
    latest: dict[str, str] = {}
    rows = (
        Annotation.objects.filter(target=AnnotationTarget.CLUSTER, target_id__in=list(flagged))
        .exclude(label="")
        .order_by("created_at", "pk")
        .values_list("target_id", "label")
    )
    for key, label in rows:
        latest[key] = label
    counts: Counter[str] = Counter()
    for key, label in latest.items():
        counts[f"{'flagged' if flagged[key] else 'unflagged'}_{label}"] += 1
    return dict(counts)


def evaluate_run(run: DetectionRun, labels_path: Path) -> Evaluation:
    """Score a run against a labels file (the only place labels are read), with analyst feedback counts."""
    return evaluate(read_labels(labels_path), member_rows(run), feedback_counts(run))
