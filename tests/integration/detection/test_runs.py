"""Detection runs through Django: lineage and regrowth alerts, the Celery task and commands, export, API."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import caches
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from graph.detection.params import DetectionParams
from graph.driver import Graph
from investigations.models import (
    Annotation,
    AnnotationLabel,
    AnnotationTarget,
    AuditAction,
    AuditEvent,
    Cluster,
    ClusterMember,
    DetectionRun,
    IngestJob,
    JobStatus,
    RegrowthAlert,
)
from investigations.selectors.detection import linked_cluster_keys
from investigations.selectors.page_cache import SHARED_PREFIX, cache_key, cached, clear_cluster_cache
from investigations.services import detection as detection_services
from investigations.services import graph_locks
from investigations.services.detection import DetectionBusy, execute_detection, lock_key
from investigations.services.ingest import IngestBusy, execute_ingest_job
from tests.integration.detection.builders import (
    DAY,
    T0,
    ban_and_replace,
    organisation,
    ring,
    write_accounts,
)

pytestmark = pytest.mark.integration


def _run() -> DetectionRun:
    run = DetectionRun.objects.create(params=DetectionParams().to_dict())
    return execute_detection(run)



@pytest.mark.django_db
def test_a_hydra_replacement_joins_its_old_cluster_and_raises_an_alert(
    clean_graph: Graph, analyst: User
) -> None:
    hydra = ring("hydra", 10, created=T0 - 4 * DAY)
    write_accounts(clean_graph, hydra + organisation("acme", 6))
    first = _run()
    cluster = Cluster.objects.get(run=first, flagged=True)
    assert cluster.size == 10 and cluster.lineage["status"] == "new"
    assert not RegrowthAlert.objects.exists()
    Annotation.objects.create(
        target=AnnotationTarget.CLUSTER, target_id=cluster.key, label=AnnotationLabel.CONFIRMED_CAMPAIGN,
        author=analyst,
    )  # fmt: skip
    assert linked_cluster_keys() == {cluster.key}

    new = ban_and_replace(clean_graph, hydra[3])
    second = _run()
    again = Cluster.objects.get(run=second, key=cluster.key)
    assert again.size == 11 and again.new_members == 1 and again.lineage["status"] == "continued"
    assert set(ClusterMember.objects.filter(cluster=again, is_new=True).values_list("account_id", flat=True)) == {
        new.id
    }
    alert = RegrowthAlert.objects.get(run=second)
    assert alert.cluster_key == cluster.key and alert.account_ids == [new.id]
    rows = clean_graph.read_text(
        "test_member_of",
        "MATCH (a:Account)-[m:MEMBER_OF]->(c:Cluster {cluster_id: $cid}) WHERE m.is_new RETURN a.account_id AS id",
        cid=f"{second.pk}:{cluster.key}",
    )
    assert [r["id"] for r in rows] == [new.id]
    assert second.stats["regrowth_alerts"] == 1 and second.stats["previous_clusters"] == 2


@pytest.mark.django_db
def test_an_unconfirmed_cluster_regrows_without_an_alert(clean_graph: Graph) -> None:
    hydra = ring("hydra", 10, created=T0 - 4 * DAY)
    write_accounts(clean_graph, hydra)
    first = _run()
    ban_and_replace(clean_graph, hydra[5])
    second = _run()
    key = Cluster.objects.get(run=first).key
    assert Cluster.objects.get(run=second, key=key).new_members == 1
    assert not RegrowthAlert.objects.exists()


def test_detect_command_runs_on_the_worker_and_exports_the_contract(
    clean_graph: Graph, worker: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    red, acme = ring("red", 8, created=T0 - 3 * DAY), organisation("acme", 5)
    write_accounts(clean_graph, red + acme)
    out = io.StringIO()
    call_command("detect", "--wait", "--timeout", "300", stdout=out)
    text = out.getvalue()
    assert "queued" in text and "succeeded" in text and "%" in text
    run = DetectionRun.objects.get()
    assert run.status == JobStatus.SUCCEEDED and run.progress == 1.0 and run.celery_task_id
    assert run.timings["total"] > 0 and run.stats["clusters"] == 2

    export = tmp_path / "clusters.csv"
    call_command("export_clusters", "--out", str(export), stdout=io.StringIO())
    with export.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["account_id", "cluster_id", "risk_score", "flagged"]
    assert len(rows) == 13 and len({r["account_id"] for r in rows}) == 13
    flagged = {r["account_id"] for r in rows if r["flagged"] == "true"}
    assert flagged == {a.id for a in red}
    assert all(r["flagged"] in ("true", "false") and 0.0 <= float(r["risk_score"]) <= 1.0 for r in rows)

    labels = tmp_path / "labels.csv"
    lines = ["account_id,campaign,population"] + [f"{a.id},red,red" for a in red]
    lines += [f"{a.id},,organisation" for a in acme] + ["loner,,individual"]
    labels.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = io.StringIO()
    call_command("evaluate", "--labels", str(labels), "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert report["f1"] == 1.0 and report["campaigns"]["red"]["best_rank"] == 1
    assert report["population_fpr"] == {"individual": 0.0, "organisation": 0.0}
    out = io.StringIO()
    call_command("evaluate", "--labels", str(labels), stdout=out)
    assert "precision 1.0000" in out.getvalue()


def test_the_worker_warms_the_flagged_clusters_pages_into_the_shared_cache(
    clean_graph: Graph, worker: subprocess.Popen[bytes]
) -> None:
    red, acme = ring("red", 8, created=T0 - 3 * DAY), organisation("acme", 5)
    write_accounts(clean_graph, red + acme)
    call_command("detect", "--wait", "--timeout", "300", stdout=io.StringIO())
    flagged = Cluster.objects.select_related("run").get(flagged=True)
    clear_cluster_cache()  # a web process that never computed this cluster

    def must_not_compute() -> object:
        raise AssertionError("computed again: the shared cache did not hold it")

    deadline = time.monotonic() + 120
    while not caches["default"].get(SHARED_PREFIX + cache_key(flagged, "network")):
        assert time.monotonic() < deadline, "the warm task never filled the shared cache"
        time.sleep(0.5)
    members = cached(flagged, "members", must_not_compute)
    assert sorted(m["account_id"] for m in members) == sorted(a.id for a in red)  # type: ignore[attr-defined]
    assert cached(flagged, "network", must_not_compute).nodes  # type: ignore[attr-defined]
    # A later ingest changes what the graph says about members: the old entries are not served any more.
    IngestJob.objects.create(drop_path="later", status=JobStatus.SUCCEEDED, finished_at=timezone.now())
    clear_cluster_cache()
    with pytest.raises(AssertionError, match="computed again"):
        cached(flagged, "members", must_not_compute)


@pytest.mark.django_db
def test_a_run_waits_while_another_holds_the_graph(clean_graph: Graph) -> None:
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.set(lock_key(), "77:token", ex=60)
    try:
        run = DetectionRun.objects.create(params=DetectionParams().to_dict())
        with pytest.raises(DetectionBusy, match=r"another detection run \(#77\)"):
            execute_detection(run)
        run.refresh_from_db()
        assert run.status == JobStatus.QUEUED and run.attempts == 0  # untouched: the task tries again later
    finally:
        client.delete(lock_key())


@pytest.mark.django_db
def test_a_run_waits_for_an_ingest_job_and_names_it(clean_graph: Graph, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(detection_services, "INGEST_WAIT_SECONDS", 1)
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.set(graph_locks.WRITER_LOCK_KEY, "41:token", ex=60)
    try:
        run = DetectionRun.objects.create(params=DetectionParams().to_dict())
        with pytest.raises(DetectionBusy, match="ingest job #41 is writing to the graph"):
            execute_detection(run)
        assert client.get(lock_key()) is None  # it let go of the detection lock while it waits
        client.delete(graph_locks.WRITER_LOCK_KEY)
        run = execute_detection(DetectionRun.objects.get(pk=run.pk))
        assert run.status == JobStatus.SUCCEEDED and run.attempts == 1, run.error
        assert client.get(graph_locks.WRITER_LOCK_KEY) is None and client.get(lock_key()) is None
    finally:
        client.delete(graph_locks.WRITER_LOCK_KEY, lock_key())


@pytest.mark.django_db
def test_an_ingest_job_waits_while_a_run_holds_the_graph(tmp_path: Path) -> None:
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.set(graph_locks.WRITER_LOCK_KEY, "detection-9:token", ex=60)
    try:
        job = IngestJob.objects.create(drop_path=str(tmp_path), status=JobStatus.QUEUED)
        with pytest.raises(IngestBusy, match="detection run #9"):
            execute_ingest_job(job.pk)
        job.refresh_from_db()
        assert job.status == JobStatus.QUEUED and job.attempts == 0 and "detection run #9" in job.stage
    finally:
        client.delete(graph_locks.WRITER_LOCK_KEY)


@pytest.mark.django_db
def test_a_run_whose_worker_died_is_requeued_then_failed(clean_graph: Graph, monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[int] = []
    monkeypatch.setattr(detection_services, "_enqueue", sent.append)
    stale = timezone.now() - timedelta(seconds=settings.DETECTION_LOCK_TTL_SECONDS + 61)
    fresh = DetectionRun.objects.create(status=JobStatus.RUNNING, heartbeat_at=timezone.now(), attempts=1)
    dead = DetectionRun.objects.create(status=JobStatus.RUNNING, heartbeat_at=stale, attempts=1)
    spent = DetectionRun.objects.create(status=JobStatus.RUNNING, heartbeat_at=stale, attempts=3)
    held = DetectionRun.objects.create(status=JobStatus.RUNNING, heartbeat_at=stale, attempts=1)
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.set(lock_key(), f"{held.pk}:token", ex=60)  # still renewed by its worker: not dead, only slow to beat
    try:
        assert detection_services.recover_stale_runs() == [dead.pk]
    finally:
        client.delete(lock_key())
    assert sent == [dead.pk]
    statuses = {r.pk: (r.status, r.stage) for r in DetectionRun.objects.all()}
    assert statuses[fresh.pk][0] == statuses[held.pk][0] == JobStatus.RUNNING
    assert statuses[dead.pk] == (JobStatus.QUEUED, "worker lost, re-queued")
    assert statuses[spent.pk][0] == JobStatus.FAILED
    assert "worker lost 3 times" in DetectionRun.objects.get(pk=spent.pk).error


@pytest.mark.django_db
def test_a_redelivered_run_waits_for_the_lock_of_its_own_dead_first_attempt(clean_graph: Graph) -> None:
    """The worker running a detection died (SIGKILL): its lock is left, renewed by nobody. The run, redelivered,
    finds its own id on the lock, waits for it to expire instead of failing, and runs."""
    run = DetectionRun.objects.create(params=DetectionParams().to_dict())
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.set(lock_key(), f"{run.pk}:first-attempt", px=2500)
    started = time.monotonic()
    try:
        run = execute_detection(run)
    finally:
        client.delete(lock_key())
    assert run.status == JobStatus.SUCCEEDED, run.error
    assert time.monotonic() - started >= 2.0  # it waited for the dead attempt's lock
    assert client.get(lock_key()) is None  # and freed its own


@pytest.mark.django_db
def test_commands_fail_clearly_without_a_run(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no completed detection run"):
        call_command("export_clusters", "--out", str(tmp_path / "x.csv"))
    with pytest.raises(CommandError, match="--params"):
        call_command("detect", "--params", "{not json")
    with pytest.raises(CommandError, match="unknown detection parameters"):
        call_command("detect", "--params", '{"nope": 1}')
    with pytest.raises(CommandError, match="kinds.ip: expected an object"):
        call_command("detect", "--params", '{"kinds": {"ip": 3}}')
    assert not DetectionRun.objects.exists()


@pytest.mark.django_db
def test_admins_start_runs_and_readers_list_them(
    client: Client, admin_user: User, analyst: User
) -> None:
    client.force_login(analyst)
    assert client.post("/api/detection-runs/", {}, content_type="application/json").status_code == 403
    assert client.get("/api/detection-runs/").status_code == 200
    client.force_login(admin_user)
    response = client.post(
        "/api/detection-runs/", {"params": {"leiden_gamma": 1.5}}, content_type="application/json"
    )
    assert response.status_code == 201
    run = DetectionRun.objects.get(pk=response.json()["id"])
    assert run.status == JobStatus.QUEUED and run.params["leiden_gamma"] == 1.5
    assert run.created_by == admin_user
    for params in [{"nope": 1}, {"kinds": {"ip": {"bogus": 1}}}, {"lsh_kinds": 5}, {"min_cluster_size": "three"}]:
        bad = client.post("/api/detection-runs/", {"params": params}, content_type="application/json")
        assert bad.status_code == 400, params
    assert DetectionRun.objects.count() == 1
    (started,) = AuditEvent.objects.filter(action=AuditAction.DETECTION_STARTED)
    assert started.actor == admin_user and started.after == {"run": run.pk, "overrides": {"leiden_gamma": 1.5}}
    client.force_login(analyst)
    listed = client.get("/api/detection-runs/").json()
    assert listed["results"][0]["id"] == run.pk
    assert client.get(f"/api/detection-runs/{run.pk}/").json()["status"] == "queued"
