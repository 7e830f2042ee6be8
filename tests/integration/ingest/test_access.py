"""Only admins may see or use ingest pages and endpoints; analysts and case managers get 403."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from investigations.models import AuditAction, AuditEvent, IngestJob, IngestSchedule, JobStatus

pytestmark = pytest.mark.django_db

PAGES = ["/ingest/", "/ingest/jobs/{job}/", "/ingest/jobs/{job}/quarantine.csv"]
POSTS = ["/ingest/start/", "/ingest/jobs/{job}/retry/", "/ingest/schedules/", "/ingest/schedules/{schedule}/toggle/",
         "/ingest/schedules/{schedule}/delete/"]  # fmt: skip
API = [
    "/api/ingest-jobs/",
    "/api/ingest-jobs/{job}/",
    "/api/ingest-jobs/{job}/quarantine/",
    "/api/ingest-schedules/",
]


@pytest.fixture
def objects() -> dict[str, int]:
    job = IngestJob.objects.create(
        drop_path="/x/<script>alert(1)</script>", status=JobStatus.FAILED, error="boom <b>bold</b>",
        warnings=["accounts.csv: ignoring extra column '<img src=x>'"],
    )  # fmt: skip
    schedule = IngestSchedule.objects.create(name="<i>nightly</i>", folder="drops")
    return {"job": job.pk, "schedule": schedule.pk}


@pytest.mark.parametrize("role_user", ["analyst", "case_manager"])
def test_non_admins_get_403_everywhere(
    client: Client, objects: dict[str, int], role_user: str, request: pytest.FixtureRequest
) -> None:
    client.force_login(request.getfixturevalue(role_user))
    for url in PAGES + API:
        assert client.get(url.format(**objects)).status_code == 403, url
    for url in POSTS:
        assert (
            client.post(url.format(**objects), {"drop_path": "x", "name": "n", "folder": "f"}).status_code
            == 403
        ), url
    assert client.post("/api/ingest-jobs/", {"drop_path": "x"}).status_code == 403
    assert client.delete(f"/api/ingest-schedules/{objects['schedule']}/").status_code == 403
    assert IngestSchedule.objects.filter(pk=objects["schedule"]).exists()
    assert IngestJob.objects.count() == 1


def test_anonymous_users_are_sent_to_login_or_refused(client: Client, objects: dict[str, int]) -> None:
    assert client.get("/ingest/").status_code == 302
    assert client.get("/api/ingest-jobs/").status_code in (401, 403)


def test_admin_sees_jobs_with_untrusted_text_escaped(
    client: Client, objects: dict[str, int], admin_user: User
) -> None:
    client.force_login(admin_user)
    page = client.get("/ingest/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert "&lt;i&gt;nightly&lt;/i&gt;" in page and "boom &lt;b&gt;bold&lt;/b&gt;" in page
    detail = client.get(f"/ingest/jobs/{objects['job']}/").content.decode()
    assert "<b>bold</b>" not in detail and "boom &lt;b&gt;bold&lt;/b&gt;" in detail
    api = client.get("/api/ingest-jobs/").json()
    assert api["results"][0]["drop_path"] == "/x/<script>alert(1)</script>"


def test_admin_manages_schedules_through_the_api(
    client: Client, admin_user: User, settings: object
) -> None:
    from pathlib import Path

    root = Path(settings.INGEST_ROOT)  # type: ignore[attr-defined]
    (root / "api-sched").mkdir(parents=True, exist_ok=True)
    client.force_login(admin_user)
    created = client.post(
        "/api/ingest-schedules/", {"name": "api", "folder": "api-sched", "interval_minutes": 30}
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    schedule = IngestSchedule.objects.get(pk=pk)
    assert schedule.periodic_task is not None and schedule.periodic_task.enabled
    paused = client.patch(f"/api/ingest-schedules/{pk}/", {"enabled": False}, content_type="application/json")
    assert paused.status_code == 200
    schedule.refresh_from_db()
    assert not schedule.enabled and schedule.periodic_task is not None and not schedule.periodic_task.enabled
    refused = client.post(
        "/api/ingest-schedules/", {"name": "bad", "folder": "../..", "interval_minutes": 30}
    )
    assert refused.status_code == 400 and "folder" in refused.json()
    # each refusal names its own field
    duplicate = client.post("/api/ingest-schedules/", {"name": "api", "folder": "api-sched", "interval_minutes": 30})
    assert duplicate.status_code == 400 and "already exists" in duplicate.json()["name"][0]
    zero = client.post("/api/ingest-schedules/", {"name": "zero", "folder": "api-sched", "interval_minutes": 0})
    assert zero.status_code == 400 and "interval_minutes" in zero.json()
    page = client.post("/ingest/schedules/", {"name": "api", "folder": "api-sched", "interval_minutes": 30}, follow=True)
    assert page.status_code == 200 and "already exists" in page.content.decode()
    assert IngestSchedule.objects.filter(name="api").count() == 1
    assert client.delete(f"/api/ingest-schedules/{pk}/").status_code == 204
    assert not IngestSchedule.objects.filter(pk=pk).exists()
    # every admin action is in the audit log, by whom, with the schedule's state
    events = list(AuditEvent.objects.filter(case=None).order_by("id"))
    assert [(e.action, e.actor_id) for e in events] == [
        (AuditAction.SCHEDULE_CREATED, admin_user.pk),
        (AuditAction.SCHEDULE_CHANGED, admin_user.pk),
        (AuditAction.SCHEDULE_DELETED, admin_user.pk),
    ]
    assert events[1].before["enabled"] is True and events[1].after["enabled"] is False
    assert events[2].before["folder"] == "api-sched"
    refused_job = client.post("/api/ingest-jobs/", {"drop_path": "/etc"})
    assert refused_job.status_code == 400


def test_admins_start_and_retry_jobs_by_hand_and_see_refusals(
    client: Client, admin_user: User, settings: Any, tmp_path: Path
) -> None:
    settings.INGEST_ROOT = tmp_path
    (tmp_path / "drop-1").mkdir()
    client.force_login(admin_user)
    response = client.post("/ingest/start/", {"drop_path": "../outside"}, follow=True)
    assert "Refused:" in response.content.decode() and not IngestJob.objects.exists()

    response = client.post("/ingest/start/", {"drop_path": "drop-1"}, follow=True)
    job = IngestJob.objects.get()
    assert f"Ingest job #{job.pk} queued." in response.content.decode()

    job.status = JobStatus.FAILED
    job.save(update_fields=["status"])
    response = client.post(f"/ingest/jobs/{job.pk}/retry/", follow=True)
    again = IngestJob.objects.exclude(pk=job.pk).get()
    assert again.drop_path == job.drop_path and f"Ingest job #{again.pk} queued." in response.content.decode()
    started = AuditEvent.objects.filter(action=AuditAction.INGEST_STARTED).order_by("id")
    assert [(e.actor_id, e.after["job"]) for e in started] == [(admin_user.pk, job.pk), (admin_user.pk, again.pk)]
    assert f"retry of #{job.pk}" in started.last().summary  # type: ignore[union-attr]
