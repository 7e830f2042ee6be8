"""Workflow rules, the append-only audit log, and who may do what (services and API)."""

from __future__ import annotations

import itertools

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import RequestFactory
from rest_framework.test import APIClient

from investigations.models import (
    TRANSITIONS,
    Annotation,
    AuditEvent,
    AuditLogIsAppendOnly,
    Case,
    CaseAlert,
    CaseStatus,
    Cluster,
    ClusterProposal,
    DetectionRun,
    IngestJob,
    IngestSchedule,
)
from investigations.services.case_work import decide_proposal, propose_cluster
from investigations.services.case_workflow import transition_case
from investigations.services.cases import CaseError, CasePermissionError, open_case
from tests.integration.cases.conftest import RING, Scenario

# Shortest path of allowed moves from a new (open) case to each status.
PATH_TO = {
    CaseStatus.OPEN: [],
    CaseStatus.INVESTIGATING: ["investigating"],
    CaseStatus.CONFIRMED: ["investigating", "confirmed"],
    CaseStatus.ACTIONED: ["investigating", "confirmed", "actioned"],
    CaseStatus.DISMISSED: ["dismissed"],
    CaseStatus.CLOSED: ["dismissed", "closed"],
}


def _client(user: User | None = None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def _case_at(status: CaseStatus, scenario: Scenario, by: User) -> Case:
    case = open_case(by=by, clusters=[scenario.top])
    for target in PATH_TO[status]:
        transition_case(case, target, by=by, reason="because")
    return Case.objects.get(pk=case.pk)


def test_the_transition_table_is_the_documented_workflow() -> None:
    table = {k.value: [v.value for v in vs] for k, vs in TRANSITIONS.items()}
    assert table == {
        "open": ["investigating", "dismissed"],
        "investigating": ["confirmed", "dismissed"],
        "confirmed": ["actioned", "investigating", "dismissed"],
        "actioned": ["closed"],
        "dismissed": ["closed", "investigating"],
        "closed": ["investigating"],
    }


@pytest.mark.parametrize("source", list(CaseStatus))
def test_every_move_outside_the_table_is_refused_and_every_move_in_it_is_allowed(
    source: CaseStatus, scenario: Scenario, case_manager: User
) -> None:
    for target in CaseStatus:
        case = _case_at(source, scenario, case_manager)
        if target in TRANSITIONS[source]:
            assert transition_case(case, target, by=case_manager, reason="because").status == target
        else:
            with pytest.raises(CaseError, match=f"cannot go from {source.value} to {target.value}"):
                transition_case(case, target, by=case_manager, reason="because")
            assert Case.objects.get(pk=case.pk).status == source


def test_dismissing_and_reopening_need_a_reason(scenario: Scenario, case_manager: User) -> None:
    case = open_case(by=case_manager, clusters=[scenario.top])
    with pytest.raises(CaseError, match="needs a reason"):
        transition_case(case, "dismissed", by=case_manager)
    transition_case(case, "dismissed", by=case_manager, reason="reseller customers")
    with pytest.raises(CaseError, match="needs a reason"):
        transition_case(case, "investigating", by=case_manager, reason="  ")
    assert transition_case(case, "investigating", by=case_manager, reason="regrowth").status == "investigating"


def test_actioning_records_only_the_case_accounts(scenario: Scenario, case_manager: User) -> None:
    case = _case_at(CaseStatus.CONFIRMED, scenario, case_manager)
    with pytest.raises(CaseError, match="x1 is not in case"):
        transition_case(case, "actioned", by=case_manager, actioned_accounts=["r1", "x1"])
    transition_case(case, "actioned", by=case_manager, actioned_accounts=["r1", "r2"])
    assert sorted(case.case_accounts.filter(actioned_at__isnull=False).values_list("account_id", flat=True)) == [
        "r1", "r2"
    ]  # fmt: skip
    response = _client(case_manager).post(f"/api/cases/{case.pk}/action-accounts/", {"account_ids": ["r3"]}, format="json")
    assert response.status_code == 200 and response.json() == {"accounts": ["r3"]}
    response = _client(case_manager).post(f"/api/cases/{case.pk}/action-accounts/", {"account_ids": ["r3"]}, format="json")
    assert response.status_code == 400 and "not been actioned yet" in response.json()["detail"]


def test_the_audit_log_cannot_be_changed_or_deleted(scenario: Scenario, case_manager: User) -> None:
    case = open_case(by=case_manager, clusters=[scenario.top])
    event = AuditEvent.objects.filter(case=case).first()
    assert event is not None
    event.summary = "rewritten"
    with pytest.raises(AuditLogIsAppendOnly):
        event.save()
    with pytest.raises(AuditLogIsAppendOnly):
        event.delete()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.filter(case=case).update(summary="rewritten")
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.filter(case=case).delete()
    assert AuditEvent.objects.get(pk=event.pk).summary != "rewritten"
    model_admin = admin.site._registry[AuditEvent]
    request = RequestFactory().get("/admin/")
    request.user = case_manager  # type: ignore[assignment]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)


@pytest.mark.django_db
def test_django_admin_changes_nothing_that_must_go_through_audited_or_checked_services(
    admin_user: User,
) -> None:
    """Deleting a run or cluster in Django admin would drop a case's proposals and unlink its clusters with no
    audit event; editing a job's path there would let a retry read outside INGEST_ROOT."""
    request = RequestFactory().get("/admin/")
    request.user = admin_user  # type: ignore[assignment]
    guarded = [Case, CaseAlert, ClusterProposal, DetectionRun, Cluster, Annotation, IngestJob, IngestSchedule]
    for model in guarded:
        model_admin = admin.site._registry[model]
        assert not model_admin.has_add_permission(request), model
        assert not model_admin.has_change_permission(request), model
        assert not model_admin.has_delete_permission(request), model


def test_analysts_comment_and_propose_but_cannot_change_cases(
    scenario: Scenario, case_manager: User, analyst: User
) -> None:
    case = open_case(by=case_manager, clusters=[scenario.top])
    reader = _client(analyst)
    refused = [
        reader.post("/api/cases/", {"cluster_ids": [scenario.top.pk]}, format="json"),
        reader.patch(f"/api/cases/{case.pk}/", {"priority": "low"}, format="json"),
        reader.post(f"/api/cases/{case.pk}/transition/", {"status": "investigating"}, format="json"),
        reader.post(f"/api/cases/{case.pk}/assign/", {"assignee": "analyst-user"}, format="json"),
        reader.post("/api/cases/bulk-assign/", {"cases": [case.pk], "assignee": "analyst-user"}, format="json"),
        reader.post(f"/api/cases/{case.pk}/clusters/", {"cluster_id": scenario.other.pk}, format="json"),
        reader.post(f"/api/cases/{case.pk}/accounts/", {"account_ids": ["x1"]}, format="json"),
        reader.post(f"/api/cases/{case.pk}/tasks/", {"title": "t"}, format="json"),
        reader.post(f"/api/cases/{case.pk}/attachments/", {"kind": "note", "title": "n", "text": "x"}, format="json"),
        reader.get(f"/api/cases/{case.pk}/export/stix/"),
        reader.get(f"/api/cases/{case.pk}/export/report/"),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    assert Case.objects.get(pk=case.pk).status == "open" and Case.objects.count() == 1
    with pytest.raises(CasePermissionError):
        transition_case(case, "investigating", by=analyst)

    assert reader.get("/api/cases/").json()["count"] == 1
    assert reader.get(f"/api/cases/{case.pk}/").status_code == 200
    assert reader.post(f"/api/cases/{case.pk}/comments/", {"body": "seen it"}, format="json").status_code == 201
    response = reader.post("/api/case-proposals/", {"cluster_id": scenario.other.pk, "case": case.pk}, format="json")
    assert response.status_code == 201 and response.json()["status"] == "pending"
    proposal_id = response.json()["id"]
    response = reader.post("/api/case-proposals/", {"cluster_id": scenario.other.pk, "case": case.pk}, format="json")
    assert response.status_code == 400 and "already been proposed" in response.json()["detail"]
    assert reader.post(f"/api/case-proposals/{proposal_id}/decide/", {"accept": True}, format="json").status_code == 403


def test_anonymous_users_get_nothing(scenario: Scenario, case_manager: User) -> None:
    case = open_case(by=case_manager, clusters=[scenario.top])
    anonymous = _client()
    for path in ["/api/cases/", f"/api/cases/{case.pk}/", f"/api/cases/{case.pk}/export/stix/", "/api/audit/"]:
        assert anonymous.get(path).status_code in (401, 403)


def test_proposals_are_accepted_into_a_new_case_or_declined(
    scenario: Scenario, case_manager: User, analyst: User
) -> None:
    reader, manager = _client(analyst), _client(case_manager)
    new = reader.post("/api/case-proposals/", {"cluster_id": scenario.top.pk, "note": "card ring"}, format="json").json()
    other = reader.post("/api/case-proposals/", {"cluster_id": scenario.other.pk}, format="json").json()
    assert [p["id"] for p in manager.get("/api/case-proposals/").json()["results"]] == [other["id"], new["id"]]
    assert reader.get("/api/case-proposals/").status_code == 403
    accepted = manager.post(f"/api/case-proposals/{new['id']}/decide/", {"accept": True, "title": "From proposal"},
                            format="json").json()  # fmt: skip
    assert accepted["status"] == "accepted" and accepted["resulting_case"] is not None
    case = Case.objects.get(pk=accepted["resulting_case"])
    assert case.title == "From proposal" and sorted(case.case_accounts.values_list("account_id", flat=True)) == RING
    declined = manager.post(f"/api/case-proposals/{other['id']}/decide/", {"accept": False}, format="json").json()
    assert declined["status"] == "declined"
    response = manager.post(f"/api/case-proposals/{other['id']}/decide/", {"accept": True}, format="json")
    assert response.status_code == 400 and "already been decided" in response.json()["detail"]
    actions = [e.action for e in AuditEvent.objects.order_by("created_at", "id")]
    assert actions[:2] == ["cluster_proposed", "cluster_proposed"] and actions[-1] == "proposal_decided"


def test_a_proposal_accepted_twice_opens_one_case(
    scenario: Scenario, case_manager: User, analyst: User
) -> None:
    """Two managers (or a double click) accepting the same proposal from the same stale page: one case."""
    proposal = propose_cluster(scenario.top, by=analyst, note="card ring")  # type: ignore[arg-type]
    stale = ClusterProposal.objects.get(pk=proposal.pk)
    decide_proposal(proposal, by=case_manager, accept=True)  # type: ignore[arg-type]
    cases, events = Case.objects.count(), AuditEvent.objects.count()
    with pytest.raises(CaseError, match="already been decided"):
        decide_proposal(stale, by=case_manager, accept=True)  # type: ignore[arg-type]
    assert Case.objects.count() == cases == 1 and AuditEvent.objects.count() == events


@pytest.mark.parametrize("bad", [{"status": "nonsense"}, {}])
def test_transition_input_is_validated(bad: dict[str, str], scenario: Scenario, case_manager: User) -> None:
    case = open_case(by=case_manager, clusters=[scenario.top])
    response = _client(case_manager).post(f"/api/cases/{case.pk}/transition/", bad, format="json")
    assert response.status_code == 400


def test_all_pairs_of_statuses_are_covered() -> None:
    pairs = set(itertools.product(CaseStatus, CaseStatus))
    allowed = {(a, b) for a, bs in TRANSITIONS.items() for b in bs}
    assert allowed < pairs and all(a != b for a, b in allowed)
