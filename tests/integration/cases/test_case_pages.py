"""The case pages (server-rendered): roles on every view, forms calling the services, escaping, messages."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from investigations.models import AuditEvent, Case, CaseStatus
from investigations.services.case_work import add_comment, add_task
from investigations.services.cases import open_case
from investigations.services.regrowth import raise_regrowth_alerts
from tests.integration.cases.conftest import RING, Scenario, later_ingest, make_run


def _login(client: Client, user: User) -> Client:
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_pages_need_a_login(client: Client) -> None:
    for path in ["/cases/", "/cases/new/", "/cases/1/", "/cases/audit/"]:
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_case_manager_opens_a_case_from_the_top_cluster_and_works_it(
    client: Client, scenario: Scenario, case_manager: User, second_manager: User
) -> None:
    _login(client, case_manager)
    page = client.get("/cases/new/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.index("C-000001") < html.index("C-000002")  # top cluster first
    response = client.post("/cases/new/", {"clusters": [scenario.top.pk], "title": "Ring", "priority": "high"})
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"

    client.post(f"/cases/{case.pk}/assign/", {"assignee": "casey"})
    client.post(f"/cases/{case.pk}/comments/", {"body": "On it @casey"})
    client.post(f"/cases/{case.pk}/transition/", {"status": "investigating"})
    response = client.post(f"/cases/{case.pk}/transition/", {"status": "closed"}, follow=True)
    assert "A case cannot go from investigating to closed; from investigating it can go to: confirmed, dismissed." in (
        response.content.decode()
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.INVESTIGATING and case.assignee is not None

    later_ingest(scenario.graph)
    raise_regrowth_alerts(make_run({"C-000001": ([*RING, "r5"], 0.93)}, new={"r5"}))
    html = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'id="case-status">Investigating<' in html
    assert 'class="mono badge newm"' in html and ">r5<" in html  # the new member, beside the snapshot
    assert html.count('<tr data-account="r') >= len(RING)
    assert 'id="to-confirmed"' in html and 'id="to-dismissed"' in html and 'id="to-closed"' not in html
    assert "regrowth" in html and "fig-network" in html

    for fmt in ["stix", "accounts_csv", "indicators_csv", "report"]:
        assert client.get(f"/cases/{case.pk}/export/{fmt}/").status_code == 200
    assert client.get(f"/cases/{case.pk}/export/nonsense/").status_code == 404
    actions = list(AuditEvent.objects.filter(case=case).values_list("action", flat=True))
    assert actions[:5] == ["case_opened", "evidence_added", "assigned", "comment_added", "status_changed"]
    assert actions.count("exported") == 4


def test_analysts_see_and_comment_but_cannot_change_or_export(
    client: Client, scenario: Scenario, case_manager: User, analyst: User
) -> None:
    case = open_case(by=case_manager, clusters=[scenario.top])
    task = add_task(case, "Check billing", by=case_manager, assignee=analyst)
    _login(client, analyst)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'id="to-investigating"' not in page and 'id="export-stix"' not in page and 'id="comment-form"' in page
    for path, data in [
        (f"/cases/{case.pk}/transition/", {"status": "investigating"}),
        (f"/cases/{case.pk}/assign/", {"assignee": "analyst-user"}),
        (f"/cases/{case.pk}/tasks/", {"title": "x"}),
        ("/cases/bulk-assign/", {"cases": [case.pk], "assignee": "analyst-user"}),
        ("/cases/new/", {"clusters": [scenario.top.pk]}),
    ]:
        assert client.post(path, data).status_code == 403, path
    assert client.get(f"/cases/{case.pk}/export/stix/").status_code == 403
    assert client.get("/cases/audit/").status_code == 403
    assert Case.objects.get(pk=case.pk).status == "open"
    assert client.post(f"/cases/{case.pk}/comments/", {"body": "looks like the March ring"}).status_code == 302
    assert client.post(f"/cases/{case.pk}/tasks/{task.pk}/", {"done": "on"}).status_code == 302
    task.refresh_from_db()
    assert task.done
    response = client.post(f"/cases/propose/?cluster={scenario.other.pk}", {"note": "same device"})
    assert response.status_code == 302 and "/clusters/C-000002/" in response["Location"]


def test_the_case_list_filters_and_bulk_assigns(
    client: Client, scenario: Scenario, case_manager: User, second_manager: User
) -> None:
    first = open_case(by=case_manager, clusters=[scenario.top], priority="critical")
    second = open_case(by=case_manager, clusters=[scenario.other], priority="low")
    _login(client, case_manager)
    response = client.post("/cases/bulk-assign/", {"cases": [first.pk, second.pk], "assignee": "casey", "query": ""})
    assert response.status_code == 302
    assert set(Case.objects.values_list("assignee__username", flat=True)) == {"casey"}
    page = client.get("/cases/", {"priority": "critical"}).content.decode()
    assert f'data-case="{first.pk}"' in page and f'data-case="{second.pk}"' not in page
    _login(client, second_manager)
    page = client.get("/cases/", {"mine": "on"}).content.decode()
    assert f'data-case="{first.pk}"' in page and f'data-case="{second.pk}"' in page


def test_telemetry_and_user_text_is_escaped_on_the_case_page(
    client: Client, scenario: Scenario, case_manager: User
) -> None:
    case = open_case(by=case_manager, clusters=[scenario.top], title="<img src=x onerror=alert(1)>")
    add_comment(case, "<script>alert('c')</script>", by=case_manager)
    _login(client, case_manager)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "<img src=x" not in page and "<script>alert('c')</script>" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_admins_filter_the_audit_log(
    client: Client, scenario: Scenario, case_manager: User, admin_user: User
) -> None:
    case = open_case(by=case_manager, clusters=[scenario.top])
    add_comment(case, "first", by=case_manager)
    _login(client, admin_user)
    page = client.get("/cases/audit/", {"action": "comment_added"}).content.decode()
    assert page.count('data-action="comment_added"') == 1 and 'data-action="case_opened"' not in page
    page = client.get("/cases/audit/", {"actor": "nobody"}).content.decode()
    assert "No events." in page


@pytest.mark.parametrize("path", ["/cases/add/?cluster=999999", "/cases/propose/?cluster=abc", "/cases/999999/"])
def test_unknown_things_are_not_found(path: str, client: Client, case_manager: User, db: object) -> None:
    _login(client, case_manager)
    assert client.get(path).status_code == 404
