"""The cluster queue: the latest run's flagged clusters ranked by score, filters, sorting, status, pagination."""

from __future__ import annotations

import re

from django.contrib.auth.models import User
from django.test import Client

from investigations.models import (
    Annotation,
    AnnotationLabel,
    AnnotationTarget,
    Case,
    CaseCluster,
    CaseStatus,
    Cluster,
    DetectionRun,
)
from investigations.selectors.queue import ClusterStatus, QueueFilters, StatusPerPage, clusters_for_queue
from tests.integration.ui.scenario import BENCH_KEY, LATEST_RUN, ORG_KEY, RING_KEY, TOP


def _keys(run: DetectionRun, **filters: object) -> list[str]:
    return [c.key for c in clusters_for_queue(run, QueueFilters(**filters))]  # type: ignore[arg-type]


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr data-cluster="([^"]+)"', html)


def test_home_is_the_queue_of_flagged_clusters_ranked_by_score(
    runs: dict[int, DetectionRun], analyst_client: Client
) -> None:
    response = analyst_client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert f"Detection run #{LATEST_RUN}" in html
    assert _rows(html) == [TOP, RING_KEY, BENCH_KEY]  # C-000003 (the organisation) is not flagged


def test_queue_rows_show_size_volume_signals_status_new_members_and_alerts(
    runs: dict[int, DetectionRun], analyst_client: Client
) -> None:
    html = analyst_client.get("/clusters/").content.decode()
    row = html.split(f'<tr data-cluster="{TOP}">')[1].split("</tr>")[0]
    assert ">84<" in row and "67,200" in row
    assert "shared payment" in row and "device reuse" in row and "templates" in row
    assert "reasoning" in row
    assert "New" in row and "+20" in row and "regrowth ×1" in row


def test_switch_shows_unflagged_clusters_too(runs: dict[int, DetectionRun], analyst_client: Client) -> None:
    html = analyst_client.get("/clusters/?unflagged=on").content.decode()
    assert _rows(html) == [TOP, RING_KEY, BENCH_KEY, ORG_KEY]
    assert "not flagged" in html.split(f'<tr data-cluster="{ORG_KEY}">')[1]


def test_filters_by_score_size_signal_and_capability(runs: dict[int, DetectionRun]) -> None:
    run = runs[LATEST_RUN]
    assert _keys(run, min_score=0.6) == [TOP, RING_KEY]
    assert _keys(run, max_score=0.6) == [BENCH_KEY]
    assert _keys(run, min_score=0.1, max_score=0.3, include_unflagged=True) == [ORG_KEY]
    assert _keys(run, max_size=20) == [RING_KEY, BENCH_KEY]
    assert _keys(run, min_size=10, max_size=50) == [RING_KEY]
    assert _keys(run, signal="human_rhythm") == [BENCH_KEY]
    assert _keys(run, signal="declared_org", include_unflagged=True) == [ORG_KEY]
    assert _keys(run, capability="campaign") == [TOP, RING_KEY]
    assert _keys(run, capability="coding") == [RING_KEY]


def test_sorting(runs: dict[int, DetectionRun], analyst_client: Client) -> None:
    run = runs[LATEST_RUN]
    assert _keys(run, sort="score") == [BENCH_KEY, RING_KEY, TOP]
    assert _keys(run, sort="-size") == [TOP, RING_KEY, BENCH_KEY]
    assert _keys(run, sort="size") == [BENCH_KEY, RING_KEY, TOP]
    assert _keys(run, sort="-new_members") == [TOP, BENCH_KEY, RING_KEY]
    assert _keys(run, sort="nonsense") == [TOP, RING_KEY, BENCH_KEY]
    html = analyst_client.get("/clusters/?sort=-new_members").content.decode()
    assert _rows(html) == [TOP, BENCH_KEY, RING_KEY]


def test_page_filters_and_bad_input(runs: dict[int, DetectionRun], analyst_client: Client) -> None:
    html = analyst_client.get("/clusters/?min_score=0.6&capability=campaign").content.decode()
    assert _rows(html) == [TOP, RING_KEY]
    # A bad value is ignored (and said so); the rest still applies.
    html = analyst_client.get("/clusters/?min_score=lots&max_size=20").content.decode()
    assert _rows(html) == [RING_KEY, BENCH_KEY]
    assert "Some filters were ignored" in html
    html = analyst_client.get("/clusters/?min_score=0.99").content.decode()
    assert _rows(html) == [] and "No cluster matches these filters." in html


def test_status_comes_from_annotations_and_case_links(
    runs: dict[int, DetectionRun], analyst: User, case_manager: User
) -> None:
    run = runs[LATEST_RUN]

    def statuses() -> dict[str, str]:
        return {c.key: c.status for c in clusters_for_queue(run, QueueFilters(include_unflagged=True))}  # type: ignore[attr-defined]

    assert set(statuses().values()) == {ClusterStatus.NEW}
    Annotation.objects.create(
        target=AnnotationTarget.CLUSTER,
        target_id=RING_KEY,
        label=AnnotationLabel.NEEDS_REVIEW,
        author=analyst,
    )
    Annotation.objects.create(
        target=AnnotationTarget.CLUSTER, target_id=BENCH_KEY, note="public benchmark", author=analyst
    )
    Annotation.objects.create(
        target=AnnotationTarget.ACCOUNT, target_id=ORG_KEY, label=AnnotationLabel.BENIGN, author=analyst
    )
    case = Case.objects.create(title="hydra", created_by=case_manager, status=CaseStatus.INVESTIGATING)
    CaseCluster.objects.create(case=case, cluster_key=TOP, added_by=case_manager)
    assert statuses() == {
        TOP: ClusterStatus.IN_CASE,
        RING_KEY: ClusterStatus.UNDER_REVIEW,
        BENCH_KEY: ClusterStatus.ANNOTATED,
        ORG_KEY: ClusterStatus.NEW,  # an account annotation with the same id does not count
    }
    # The latest label wins: reviewed and found benign, the ring is annotated, no longer under review.
    Annotation.objects.create(
        target=AnnotationTarget.CLUSTER, target_id=RING_KEY, label=AnnotationLabel.BENIGN, author=analyst
    )
    assert statuses()[RING_KEY] == ClusterStatus.ANNOTATED
    # A dismissed case does not keep the cluster "in a case".
    case.status = CaseStatus.DISMISSED
    case.save()
    assert statuses()[TOP] == ClusterStatus.NEW
    assert _keys(run, status=ClusterStatus.ANNOTATED) == [RING_KEY, BENCH_KEY]


def test_status_per_page_gives_the_annotated_queue_window_by_window(
    runs: dict[int, DetectionRun], analyst: User, case_manager: User
) -> None:
    run = runs[LATEST_RUN]
    Annotation.objects.create(
        target=AnnotationTarget.CLUSTER, target_id=RING_KEY, label=AnnotationLabel.NEEDS_REVIEW, author=analyst
    )
    Annotation.objects.create(target=AnnotationTarget.CLUSTER, target_id=BENCH_KEY, note="n", author=analyst)
    case = Case.objects.create(title="hydra", created_by=case_manager, status=CaseStatus.INVESTIGATING)
    CaseCluster.objects.create(case=case, cluster_key=TOP, added_by=case_manager)
    for filters in (
        QueueFilters(include_unflagged=True, sort="-size"),
        QueueFilters(include_unflagged=True, sort="key"),
        QueueFilters(status=ClusterStatus.ANNOTATED),
    ):
        whole = [(c.key, c.status, c.open_alerts) for c in clusters_for_queue(run, filters)]  # type: ignore[attr-defined]
        paged = StatusPerPage(clusters_for_queue(run, filters))
        assert len(paged) == len(whole)
        windows = [paged[i : i + 2] for i in range(0, len(whole), 2)]
        assert [(c.key, c.status, c.open_alerts) for w in windows for c in w] == whole  # type: ignore[attr-defined]
        assert paged[0].key == whole[0][0]


def test_pagination(runs: dict[int, DetectionRun], analyst_client: Client) -> None:
    run = runs[LATEST_RUN]
    Cluster.objects.bulk_create(
        Cluster(
            run=run, key=f"C-9{i:05d}", size=5, score=0.5 - i / 1000, flagged=True, top_signals=["templates"]
        )
        for i in range(30)
    )
    first = analyst_client.get("/clusters/").content.decode()
    second = analyst_client.get("/clusters/?page=2").content.decode()
    assert len(_rows(first)) == 25 and len(_rows(second)) == 8
    assert "page 1 of 2 (33 clusters)" in first
    assert not set(_rows(first)) & set(_rows(second))
    assert _rows(first)[:3] == [TOP, RING_KEY, BENCH_KEY]


def test_empty_state_without_a_finished_run(db: object, analyst_client: Client) -> None:
    html = analyst_client.get("/").content.decode()
    assert "No detection run has finished yet." in html


def test_queue_reads_the_requested_run(runs: dict[int, DetectionRun], analyst_client: Client) -> None:
    html = analyst_client.get("/clusters/?run=9001").content.decode()
    assert _rows(html) == [TOP, RING_KEY]
    assert "Detection run #9001" in html
