"""The whole life of a case through the REST API, on a real Neo4j graph: open, assign, comment, workflow,
exports, a later ingest with a new member (regrowth alert), and the audit log of every step in order."""

from __future__ import annotations

import datetime as dt
import json

import stix2
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from investigations.exports.stix import stix_pattern
from investigations.models import AuditEvent, CaseAlert, RegrowthAlert
from investigations.services.regrowth import raise_regrowth_alerts
from tests.integration.cases.conftest import EXPECTED_INDICATORS, RING, Scenario, later_ingest, make_run


def _client(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _stix_patterns(content: bytes) -> set[str]:
    bundle = stix2.parse(content.decode())
    return {o.pattern for o in bundle.objects if o.type == "indicator"}


def test_case_manager_runs_a_case_from_the_top_cluster_to_closure(
    scenario: Scenario,
    case_manager: User,
    second_manager: User,
    analyst: User,
    admin_user: User,
) -> None:
    manager, reader = _client(case_manager), _client(analyst)

    # Open a case from the top cluster of the latest run.
    response = manager.post(
        "/api/cases/",
        {"cluster_ids": [scenario.top.pk], "title": "Ring on card aaaa", "priority": "high",
         "due_date": (dt.date.today() - dt.timedelta(days=1)).isoformat(), "tags": ["distillation"]},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    case = response.json()
    case_id = case["id"]
    assert case["status"] == "open" and case["cluster_keys"] == ["C-000001"] and case["accounts"] == 4
    assert case["overdue"] is True
    assert case["allowed_transitions"] == ["investigating", "dismissed"]

    # Assign it, and comment (an analyst too, mentioning the manager).
    response = manager.post(f"/api/cases/{case_id}/assign/", {"assignee": "casey"}, format="json")
    assert response.status_code == 200 and response.json()["assignee"] == "casey"
    response = reader.post(f"/api/cases/{case_id}/comments/", {"body": "Same card as last week, @casey"}, format="json")
    assert response.status_code == 201 and response.json()["mentions"] == ["casey"]
    assert manager.post(f"/api/cases/{case_id}/comments/", {"body": "Looking."}, format="json").status_code == 201

    # An analyst cannot change the status; an invalid transition is refused with a clear message.
    response = reader.post(f"/api/cases/{case_id}/transition/", {"status": "investigating"}, format="json")
    assert response.status_code == 403
    response = manager.post(f"/api/cases/{case_id}/transition/", {"status": "actioned"}, format="json")
    assert response.status_code == 400
    assert response.json()["detail"] == (
        "A case cannot go from open to actioned; from open it can go to: investigating, dismissed."
    )

    # The workflow: open -> investigating -> confirmed -> actioned (records the actioned accounts).
    for target in ("investigating", "confirmed"):
        response = manager.post(f"/api/cases/{case_id}/transition/", {"status": target}, format="json")
        assert response.status_code == 200 and response.json()["status"] == target
    response = manager.post(
        f"/api/cases/{case_id}/transition/",
        {"status": "actioned", "reason": "banned", "actioned_accounts": ["r1", "r2", "r3", "r4"]},
        format="json",
    )
    assert response.status_code == 200 and response.json()["status"] == "actioned"
    accounts = manager.get(f"/api/cases/{case_id}/accounts/").json()
    assert {a["account_id"] for a in accounts if a["actioned_at"]} == set(RING)

    # Exports: the STIX bundle parses and holds exactly the case's indicators; the HTML report has the pictures.
    expected_patterns = {stix_pattern(kind, value) for kind, value, _, _ in EXPECTED_INDICATORS}
    stix_response = manager.get(f"/api/cases/{case_id}/export/stix/")
    assert stix_response.status_code == 200
    assert _stix_patterns(stix_response.content) == expected_patterns
    report = manager.get(f"/api/cases/{case_id}/export/report/", HTTP_ACCEPT="text/html")
    assert report.status_code == 200 and report["Content-Type"].startswith("text/html")
    html = report.content.decode()
    assert "Ring on card aaaa" in html and 'id="fig-network"' in html and "Plotly.newPlot" in html

    # A later ingest adds r5 to the cluster; the next run keeps the key; detection calls raise_regrowth_alerts.
    later_ingest(scenario.graph)
    run2 = make_run({"C-000001": ([*RING, "r5"], 0.93)}, new={"r5"})
    alerts = raise_regrowth_alerts(run2)
    assert [a.account_ids for a in alerts] == [["r5"]]
    assert RegrowthAlert.objects.filter(run=run2, cluster_key="C-000001").exists()

    detail = manager.get(f"/api/cases/{case_id}/").json()
    frozen = detail["clusters"][0]["snapshot"]
    assert [m["account_id"] for m in frozen["members"]] == RING
    assert frozen["cluster"]["score"] == 0.91 and frozen["cluster"]["run_id"] == scenario.run.pk
    assert detail["changes"]["clusters"][0]["new_members"] == ["r5"]
    assert detail["changes"]["clusters"][0]["current_score"] == 0.93
    assert {(s["account_id"], s["before"], s["now"]) for s in detail["changes"]["statuses"]} == {
        ("r2", "active", "banned")
    }
    assert [a["account_ids"] for a in detail["alerts"]] == [["r5"]]
    # The export still holds only what the case holds: nothing from the later drop.
    assert _stix_patterns(manager.get(f"/api/cases/{case_id}/export/stix/").content) == expected_patterns

    alert_id = detail["alerts"][0]["id"]
    response = manager.post(f"/api/cases/{case_id}/alerts/{alert_id}/acknowledge/", {}, format="json")
    assert response.status_code == 200 and response.json()["acknowledged_by"] == "case_manager-user"
    response = manager.post(f"/api/cases/{case_id}/transition/", {"status": "closed"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "closed"

    # Every step is in the audit log, in order, with who and before/after.
    audit = manager.get(f"/api/cases/{case_id}/audit/").json()
    steps = [(e["action"], e["actor"], e["before"].get("status"), e["after"].get("status")) for e in audit]
    assert steps == [
        ("case_opened", "case_manager-user", None, "open"),
        ("evidence_added", "case_manager-user", None, None),
        ("assigned", "case_manager-user", None, None),
        ("comment_added", "analyst-user", None, None),
        ("comment_added", "case_manager-user", None, None),
        ("status_changed", "case_manager-user", "open", "investigating"),
        ("status_changed", "case_manager-user", "investigating", "confirmed"),
        ("accounts_actioned", "case_manager-user", None, None),
        ("status_changed", "case_manager-user", "confirmed", "actioned"),
        ("exported", "case_manager-user", None, None),
        ("exported", "case_manager-user", None, None),
        ("alert_raised", None, None, None),
        ("exported", "case_manager-user", None, None),
        ("alert_acknowledged", "case_manager-user", None, None),
        ("status_changed", "case_manager-user", "actioned", "closed"),
    ]
    assert audit[2]["before"] == {"assignee": None} and audit[2]["after"] == {"assignee": "casey"}
    assert audit[8]["after"]["actioned_accounts"] == RING
    assert [e["after"]["format"] for e in audit if e["action"] == "exported"] == ["stix", "report", "stix"]
    times = [e["created_at"] for e in audit]
    assert times == sorted(times)

    # Admins filter the whole log; others cannot read it.
    admin = _client(admin_user)
    filtered = admin.get("/api/audit/", {"case": case_id, "action": "status_changed"}).json()["results"]
    assert [e["after"]["status"] for e in filtered] == ["investigating", "confirmed", "actioned", "closed"]
    assert admin.get("/api/audit/", {"actor": "analyst-user"}).json()["count"] == 1
    assert reader.get("/api/audit/").status_code == 403
    assert manager.get("/api/audit/").status_code == 403
    assert AuditEvent.objects.filter(case_id=case_id).count() == len(audit)
    assert CaseAlert.objects.get().acknowledged_at is not None


def test_stix_bundle_is_the_same_on_every_export(scenario: Scenario, case_manager: User) -> None:
    manager = _client(case_manager)
    case_id = manager.post("/api/cases/", {"cluster_ids": [scenario.top.pk]}, format="json").json()["id"]
    first = manager.get(f"/api/cases/{case_id}/export/stix/").content
    second = manager.get(f"/api/cases/{case_id}/export/stix/").content
    assert first == second
    bundle = json.loads(first)
    kinds = [o["type"] for o in bundle["objects"]]
    assert kinds.count("identity") == 1 and kinds.count("grouping") == 1 and kinds.count("indicator") == 9
    grouping = next(o for o in bundle["objects"] if o["type"] == "grouping")
    assert set(grouping["object_refs"]) == {o["id"] for o in bundle["objects"] if o["type"] == "indicator"}
