"""Ids and filters typed by people: a non-ASCII digit, a 30-digit number or a word where an id goes is a 400
naming the field or a 404, never a 500 and never a silent fallback."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from investigations.ids import MAX_ID, parse_id
from investigations.models import DetectionRun, JobStatus

pytestmark = pytest.mark.django_db

HUGE = "9" * 30


@pytest.mark.parametrize(
    ("value", "expected"),
    [("12", 12), (" 7 ", 7), ("²", None), ("١٢", None), ("0", None), ("-3", None), (HUGE, None),
     (str(MAX_ID), MAX_ID), (str(MAX_ID + 1), None), ("", None), (None, None), ("1e3", None)],
)  # fmt: skip
def test_parse_id(value: object, expected: int | None) -> None:
    assert parse_id(value) == expected


def test_pages_and_api_answer_bad_ids_without_errors(
    client: Client, case_manager: User, admin_user: User
) -> None:
    DetectionRun.objects.create(status=JobStatus.SUCCEEDED, finished_at=timezone.now())
    client.force_login(case_manager)
    assert client.get("/clusters/?run=%C2%B2").status_code == 404  # not the latest run in its place
    assert client.get("/clusters/").status_code == 200
    assert client.get("/cases/new/?cluster=%C2%B2").status_code == 404
    assert client.get(f"/cases/new/?cluster={HUGE}").status_code == 404
    detail = client.get("/api/clusters/C-000001/?run=abc")
    assert detail.status_code == 400 and "run" in detail.json()
    assert client.get("/api/clusters/?run=%C2%B2").status_code == 400
    assert client.get(f"/api/clusters/?min_size={HUGE}").status_code == 400
    bulk = client.post("/api/cases/bulk-assign/", {"cases": [int(HUGE)], "assignee": None},
                       content_type="application/json")  # fmt: skip
    assert bulk.status_code == 400 and "cases" in bulk.json()
    page = client.post("/cases/bulk-assign/", {"cases": [HUGE], "assignee": ""}, follow=True)
    assert page.status_code == 200 and "is not a case" in page.content.decode()
    for query in ["label=bogus", "target=nope"]:
        wrong = client.get(f"/api/annotations/?{query}")
        assert wrong.status_code == 400 and query.split("=")[0] in wrong.json()
    assert client.get("/api/annotations/?label=benign&target=cluster").status_code == 200
    decide = client.post("/api/case-proposals/abc/decide/", {"accept": False}, content_type="application/json")
    assert decide.status_code == 404
    client.force_login(admin_user)
    for path in ("/cases/{}/", "/ingest/jobs/{}/", "/api/cases/{}/", "/api/ingest-jobs/{}/", "/api/detection-runs/{}/",
                 "/api/case-proposals/{}/", "/api/annotations/{}/", "/api/ingest-schedules/{}/", "/entity/asn/{}/"):
        assert client.get(path.format(HUGE)).status_code == 404, path  # ids beyond 64 bits: no such thing
    audit = client.get(f"/api/audit/?case={HUGE}")
    assert audit.status_code == 400 and "case" in audit.json()
    audit_page = client.get(f"/cases/audit/?case={HUGE}&since=notadate")
    assert audit_page.status_code == 200
    assert "Some filters were ignored: case (" in audit_page.content.decode() and "since (" in audit_page.content.decode()
    cases_page = client.get("/cases/?status=%3Cb%3Ebogus")
    assert "Some filters were ignored: status (" in cases_page.content.decode()
    assert "&lt;b&gt;bogus" in cases_page.content.decode() and "<b>bogus" not in cases_page.content.decode()


def test_export_clusters_names_a_path_it_cannot_write(tmp_path: Path) -> None:
    DetectionRun.objects.create(status=JobStatus.SUCCEEDED, finished_at=timezone.now())
    with pytest.raises(CommandError, match=f"cannot write {tmp_path}"):
        call_command("export_clusters", "--out", str(tmp_path), stdout=io.StringIO())
    (tmp_path / "file").write_text("x")
    with pytest.raises(CommandError, match="cannot write"):
        call_command("export_clusters", "--out", str(tmp_path / "file" / "x.csv"), stdout=io.StringIO())
