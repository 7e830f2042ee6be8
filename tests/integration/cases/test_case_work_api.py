"""Work on cases through the API: list filters, bulk assignment, tasks, attachments, comments, CSV and the report."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from investigations.models import Case
from investigations.services.case_workflow import transition_case
from investigations.services.cases import open_case
from tests.integration.cases.conftest import CARD, EXPECTED_INDICATORS, RING, Scenario


def _client(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _ids(response: object) -> list[int]:
    return [c["id"] for c in response.json()["results"]]  # type: ignore[attr-defined]


def test_case_list_filters_and_bulk_assignment(
    scenario: Scenario, case_manager: User, second_manager: User, analyst: User
) -> None:
    yesterday = dt.date.today() - dt.timedelta(days=1)
    late = open_case(by=case_manager, clusters=[scenario.top], priority="critical", due_date=yesterday, tags=["ring"])
    other = open_case(by=case_manager, clusters=[scenario.other], priority="low", assignee=second_manager)
    direct = open_case(by=case_manager, account_ids=["x1"], due_date=yesterday)
    transition_case(direct, "dismissed", by=case_manager, reason="benign")
    manager = _client(case_manager)

    assert _ids(manager.get("/api/cases/")) == [direct.pk, other.pk, late.pk]
    assert _ids(manager.get("/api/cases/", {"open": "true"})) == [other.pk, late.pk]
    assert _ids(manager.get("/api/cases/", {"overdue": "true"})) == [late.pk]  # the dismissed one is not overdue
    assert _ids(manager.get("/api/cases/", {"priority": ["critical", "low"]})) == [other.pk, late.pk]
    assert _ids(manager.get("/api/cases/", {"status": "dismissed"})) == [direct.pk]
    assert _ids(manager.get("/api/cases/", {"tag": "ring"})) == [late.pk]
    assert _ids(manager.get("/api/cases/", {"q": "C-000002"})) == [other.pk]
    assert _ids(manager.get("/api/cases/", {"q": "r3"})) == [late.pk]
    assert _ids(_client(second_manager).get("/api/cases/", {"mine": "true"})) == [other.pk]
    assert manager.get("/api/cases/", {"status": "nonsense"}).status_code == 400

    response = manager.post("/api/cases/bulk-assign/", {"cases": [late.pk, other.pk], "assignee": "analyst-user"},
                            format="json")  # fmt: skip
    assert response.status_code == 200 and response.json() == {"changed": 2}
    assert _ids(_client(analyst).get("/api/cases/", {"mine": "true"})) == [other.pk, late.pk]
    assert [e.before for e in Case.objects.get(pk=other.pk).audit_events.filter(action="assigned")] == [
        {"assignee": "casey"}
    ]
    response = manager.post("/api/cases/bulk-assign/", {"cases": [late.pk, 9999], "assignee": None}, format="json")
    assert response.status_code == 400 and response.json()["detail"] == "No such case: #9999."

    reader = _client(analyst)
    reader.post(f"/api/cases/{late.pk}/comments/", {"body": "@case_manager-user have a look, cc @nobody."},
                format="json")  # fmt: skip
    assert _ids(manager.get("/api/cases/", {"mentioned": "true"})) == [late.pk]


def test_tasks_are_added_by_managers_and_closed_by_their_assignee(
    scenario: Scenario, case_manager: User, analyst: User, make_user: object
) -> None:
    case = open_case(by=case_manager, clusters=[scenario.top])
    manager, reader = _client(case_manager), _client(analyst)
    response = manager.post(f"/api/cases/{case.pk}/tasks/", {"title": "Pull billing records", "assignee": "analyst-user"},
                            format="json")  # fmt: skip
    assert response.status_code == 201
    task_id = response.json()["id"]
    assert reader.patch(f"/api/cases/{case.pk}/tasks/{task_id}/", {"title": "x"}, format="json").status_code == 403
    response = reader.patch(f"/api/cases/{case.pk}/tasks/{task_id}/", {"done": True}, format="json")
    assert response.status_code == 200 and response.json()["done"] is True and response.json()["completed_at"]
    assert [t["done"] for t in reader.get(f"/api/cases/{case.pk}/tasks/").json()] == [True]
    actions = list(case.audit_events.values_list("action", "after"))
    assert actions[-1] == ("task_changed", {"task_id": task_id, "done": True})


def test_attachments_notes_figures_and_files(scenario: Scenario, case_manager: User, analyst: User) -> None:
    case = open_case(by=case_manager, clusters=[scenario.top])
    manager = _client(case_manager)
    note = manager.post(f"/api/cases/{case.pk}/attachments/", {"kind": "note", "title": "Finding", "text": "Cards rotate"},
                        format="json")  # fmt: skip
    assert note.status_code == 201
    figure = {"data": [{"type": "bar", "x": ["a", "b"], "y": [1, 2]}], "layout": {"title": {"text": "Exported"}}}
    response = manager.post(f"/api/cases/{case.pk}/attachments/",
                            {"kind": "figure", "title": "Hourly", "text": json.dumps(figure)}, format="json")  # fmt: skip
    assert response.status_code == 201
    response = manager.post(f"/api/cases/{case.pk}/attachments/", {"kind": "figure", "title": "Bad", "text": "{nope"},
                            format="json")  # fmt: skip
    assert response.status_code == 400 and "Plotly JSON" in response.json()["detail"]
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'
    upload = SimpleUploadedFile("network.svg", svg, content_type="image/svg+xml")
    response = manager.post(f"/api/cases/{case.pk}/attachments/", {"kind": "file", "title": "Network", "file": upload},
                            format="multipart")  # fmt: skip
    assert response.status_code == 201 and response.json()["has_file"] is True
    file_id = response.json()["id"]
    download = _client(analyst).get(f"/api/cases/{case.pk}/attachments/{file_id}/download/")
    assert download.status_code == 200 and download.content == svg

    html = manager.get(f"/api/cases/{case.pk}/export/report/").content.decode()
    assert "Cards rotate" in html and 'id="fig-attachment-' in html
    assert "data:image/svg+xml;base64," in html


def test_csv_exports_hold_the_case_accounts_and_indicators(scenario: Scenario, case_manager: User) -> None:
    case = open_case(by=case_manager, clusters=[scenario.top])
    manager = _client(case_manager)
    accounts = list(csv.DictReader(io.StringIO(manager.get(f"/api/cases/{case.pk}/export/accounts_csv/").content.decode())))
    assert [a["account_id"] for a in accounts] == RING
    assert {a["cluster_key"] for a in accounts} == {"C-000001"} and {a["actioned"] for a in accounts} == {"false"}
    indicators = list(
        csv.DictReader(io.StringIO(manager.get(f"/api/cases/{case.pk}/export/indicators_csv/").content.decode()))
    )
    assert {(i["kind"], i["value"], int(i["accounts_in_case"]), int(i["accounts_total"])) for i in indicators} == {
        (k.value, v, n, t) for k, v, n, t in EXPECTED_INDICATORS
    }
    api = manager.get(f"/api/cases/{case.pk}/indicators/").json()
    card = next(i for i in api if i["value"] == CARD)
    assert card["accounts"] == ["r1", "r2", "r3"] and card["specificity"] == 1.0


def test_the_report_escapes_every_text(scenario: Scenario, case_manager: User) -> None:
    title = "<script>alert('x')</script> & \"quotes\""
    case = open_case(by=case_manager, clusters=[scenario.top], title=title)
    manager = _client(case_manager)
    manager.post(f"/api/cases/{case.pk}/comments/", {"body": "</script><img src=x onerror=alert(1)>"}, format="json")
    html = manager.get(f"/api/cases/{case.pk}/export/report/").content.decode()
    assert "<script>alert('x')</script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html


def test_details_can_be_changed_and_each_change_is_audited(scenario: Scenario, case_manager: User) -> None:
    case = open_case(by=case_manager, clusters=[scenario.top])
    manager = _client(case_manager)
    response = manager.patch(f"/api/cases/{case.pk}/", {"priority": "critical", "tags": ["a", "b"]}, format="json")
    assert response.status_code == 200 and response.json()["priority"] == "critical"
    event = case.audit_events.get(action="details_changed")
    assert event.before == {"priority": "medium", "tags": []} and event.after == {"priority": "critical", "tags": ["a", "b"]}
    response = manager.patch(f"/api/cases/{case.pk}/", {"tags": ["no spaces allowed"]}, format="json")
    assert response.status_code == 400 and "not allowed" in response.json()["detail"]


def test_the_openapi_schema_describes_the_case_endpoints(case_manager: User) -> None:
    schema = _client(case_manager).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]
    for path in ["/api/cases/", "/api/cases/{id}/transition/", "/api/cases/{id}/export/{fmt}/", "/api/audit/",
                 "/api/cases/{id}/comments/", "/api/cases/{id}/tasks/{task_id}/", "/api/case-proposals/{id}/decide/",
                 "/api/cases/bulk-assign/", "/api/cases/{id}/attachments/"]:  # fmt: skip
        assert path in paths, path
    assert {"mine", "open", "overdue", "priority", "status"} <= {p["name"] for p in paths["/api/cases/"]["get"]["parameters"]}
