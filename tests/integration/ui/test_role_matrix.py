"""The role matrix: every route of the app (from Django's URL resolver) and every path and method of the API (from
its OpenAPI schema) has one row here saying who may call it; every row is tried by every caller (anonymous, a
signed-in user with no role, analyst, case manager, admin, and an API token of each) on real objects. A route or an
API operation missing from the table fails the test, so a new one cannot land without deciding its permissions.

Outcomes: a caller who may not is sent to the login page (pages, anonymous) or refused with 401/403, and nothing in
the database changes; a caller who may gets its answer (200 for a read; for a change anything but a refusal: the
change itself, or 400 for the empty request the matrix sends). Pages take the session only: a token on a page is
anonymous. The TAXII 2.1 server (its own table) answers partners' tokens only; a partner's token is also a caller of
every row, refused by the API and anonymous on pages. Object rules (an attachment, task or alert reached through another case; a task done by an analyst who
is not its assignee) are in `test_objects_are_reached_only_through_their_own_case` and below."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from frontend.views.assets import PLOTLY_VERSION
from investigations.models import (
    Annotation,
    AnnotationTarget,
    Case,
    CaseAlert,
    Cluster,
    DetectionRun,
    ExplorerView,
    IngestJob,
    IngestSchedule,
    JobStatus,
    Partner,
    PartnerAlert,
    PartnerIndicator,
    TaxiiObject,
    TaxiiStatus,
)
from investigations.roles import Role
from investigations.services.case_work import add_attachment, add_task, propose_cluster
from investigations.services.cases import open_case
from investigations.services.partners import (
    create_collection,
    create_partner,
    grant_collection,
    issue_partner_token,
)
from investigations.services.tokens import issue_token
from investigations.services.users import create_or_update_user
from tests.conftest import TEST_PASSWORD
from tests.integration.ui.scenario import CAMPUS_IP, LATEST_RUN, RING_KEY, TOP

PUBLIC, SIGNED, READ, CM, ADMIN = "public", "signed-in", "readers", "case managers", "admins"
ALLOWED = {
    SIGNED: {"none", "analyst", "case_manager", "admin"},
    READ: {"analyst", "case_manager", "admin"},
    CM: {"case_manager", "admin"},
    ADMIN: {"admin"},
}
LOGIN_PATHS = ("/accounts/login/", "/admin/login/")
PARTNER = "partner"  # a partner's TAXII token: answered by the TAXII server only, refused everywhere else
TAXII_ONLY = "partners (TAXII)"
CALLERS = ["anon", "none", "analyst", "case_manager", "admin", "token:none", "token:analyst", "token:case_manager",
           "token:admin", PARTNER]  # fmt: skip

# Pages, by route name: method -> who may.
PAGES: dict[str, dict[str, str]] = {
    "home": {"GET": SIGNED},  # a user without a role is told so there
    "login": {"GET": PUBLIC, "POST": PUBLIC},
    "logout": {"POST": PUBLIC},  # everyone ends on the login page; see test_logout_signs_out
    "health": {"GET": ADMIN},
    "live": {"GET": PUBLIC},
    "plotly-js": {"GET": PUBLIC},
    "clusters": {"GET": READ},
    "cluster": {"GET": READ},
    "cluster-members-csv": {"GET": READ},
    "account": {"GET": READ},
    "entity": {"GET": READ},
    "explore-cluster": {"GET": READ},
    "explore-account": {"GET": READ},
    "explore-entity": {"GET": READ},
    "explore-view": {"GET": READ},
    "search": {"GET": READ},
    "annotate": {"POST": READ},
    "cases": {"GET": READ},
    "case-new": {"GET": CM, "POST": CM},
    "case-add-evidence": {"GET": CM, "POST": CM},
    "case-propose": {"GET": READ, "POST": READ},
    "case-proposals": {"GET": CM},
    "case-proposal-decide": {"POST": CM},
    "case-bulk-assign": {"POST": CM},
    "case-audit": {"GET": ADMIN},
    "case": {"GET": READ},
    "case-transition": {"POST": CM},
    "case-assign": {"POST": CM},
    "case-edit": {"POST": CM},
    "case-comment": {"POST": READ},
    "case-task-add": {"POST": CM},
    "case-task-done": {"POST": READ},  # and only its assignee or a case manager: see the object rules below
    "case-attach": {"POST": CM},
    "case-attachment": {"GET": READ},
    "case-alert-ack": {"POST": CM},
    "case-export": {"GET": CM},
    "case-publish": {"POST": CM},
    "partners": {"GET": ADMIN, "POST": ADMIN},
    "partner-collection-create": {"POST": ADMIN},
    "partner": {"GET": ADMIN},
    "partner-token-issue": {"POST": ADMIN},
    "partner-token-revoke": {"POST": ADMIN},
    "partner-access": {"POST": ADMIN},
    "partner-active": {"POST": ADMIN},
    "partner-upload": {"POST": ADMIN},
    "partner-alert-ack": {"POST": READ},
    "ingest-jobs": {"GET": ADMIN},
    "ingest-start": {"POST": ADMIN},
    "ingest-job": {"GET": ADMIN},
    "ingest-job-quarantine": {"GET": ADMIN},
    "ingest-job-retry": {"POST": ADMIN},
    "ingest-schedule-create": {"POST": ADMIN},
    "ingest-schedule-toggle": {"POST": ADMIN},
    "ingest-schedule-delete": {"POST": ADMIN},
    "admin:index": {"GET": ADMIN},
    "api-docs": {"GET": SIGNED},
    "api-root": {"GET": SIGNED},
}
API_PAGES = {"api-docs", "api-root"}  # routes under /api/ that the schema does not list
# The API, by schema path: method -> who may.
API: dict[str, dict[str, str]] = {
    "/api/accounts/{account_id}/": {"GET": READ},
    "/api/accounts/{account_id}/sessions/": {"GET": READ},
    "/api/annotations/": {"GET": READ, "POST": READ},
    "/api/annotations/{id}/": {"GET": READ},
    "/api/audit/": {"GET": ADMIN},
    "/api/case-proposals/": {"GET": CM, "POST": READ},
    "/api/case-proposals/{id}/decide/": {"POST": CM},
    "/api/cases/": {"GET": READ, "POST": CM},
    "/api/cases/{id}/": {"GET": READ, "PATCH": CM},
    "/api/cases/{id}/accounts/": {"GET": READ, "POST": CM},
    "/api/cases/{id}/action-accounts/": {"POST": CM},
    "/api/cases/{id}/alerts/": {"GET": READ},
    "/api/cases/{id}/alerts/{alert_id}/acknowledge/": {"POST": CM},
    "/api/cases/{id}/assign/": {"POST": CM},
    "/api/cases/{id}/attachments/": {"GET": READ, "POST": CM},
    "/api/cases/{id}/attachments/{attachment_id}/download/": {"GET": READ},
    "/api/cases/{id}/audit/": {"GET": READ},
    "/api/cases/{id}/clusters/": {"POST": CM},
    "/api/cases/{id}/comments/": {"GET": READ, "POST": READ},
    "/api/cases/{id}/export/{fmt}/": {"GET": CM},
    "/api/cases/{id}/publications/": {"GET": READ},
    "/api/cases/{id}/publish/": {"POST": CM},
    "/api/cases/{id}/indicators/": {"GET": READ},
    "/api/cases/{id}/tasks/": {"GET": READ, "POST": CM},
    "/api/cases/{id}/tasks/{task_id}/": {"PATCH": READ},
    "/api/cases/{id}/transition/": {"POST": CM},
    "/api/cases/bulk-assign/": {"POST": CM},
    "/api/clusters/": {"GET": READ},
    "/api/clusters/{key}/": {"GET": READ},
    "/api/clusters/{key}/history/": {"GET": READ},
    "/api/clusters/{key}/members/": {"GET": READ},
    "/api/clusters/{key}/network/": {"GET": READ},
    "/api/clusters/{key}/timelines/": {"GET": READ},
    "/api/detection-runs/": {"GET": READ, "POST": ADMIN},
    "/api/detection-runs/{id}/": {"GET": READ},
    "/api/entities/{kind}/{entity_id}/": {"GET": READ},
    "/api/entities/{kind}/{entity_id}/accounts/": {"GET": READ},
    "/api/explorer/accounts/{account_id}/": {"GET": READ},
    "/api/explorer/clusters/{key}/": {"GET": READ},
    "/api/explorer/entities/{kind}/{entity_id}/": {"GET": READ},
    "/api/explorer/path/": {"GET": READ},
    "/api/explorer/views/": {"POST": CM},
    "/api/explorer/views/{id}/": {"GET": READ},
    "/api/health/": {"GET": ADMIN},
    "/api/ingest-jobs/": {"GET": ADMIN, "POST": ADMIN},
    "/api/ingest-jobs/{id}/": {"GET": ADMIN},
    "/api/ingest-jobs/{id}/quarantine/": {"GET": ADMIN},
    "/api/ingest-schedules/": {"GET": ADMIN, "POST": ADMIN},
    "/api/ingest-schedules/{id}/": {"GET": ADMIN, "PUT": ADMIN, "PATCH": ADMIN, "DELETE": ADMIN},
    "/api/me/": {"GET": SIGNED},
    "/api/partner-alerts/": {"GET": READ},
    "/api/partner-alerts/{id}/acknowledge/": {"POST": READ},
    "/api/partner-imports/": {"POST": ADMIN},
    "/api/schema/": {"GET": SIGNED},
    "/api/search/": {"GET": READ},
}
# The TAXII 2.1 server, by route name: partners' tokens only; no user's session or API token is let in.
TAXII: dict[str, dict[str, str]] = {
    "taxii-discovery": {"GET": TAXII_ONLY},
    "taxii-api-root": {"GET": TAXII_ONLY},
    "taxii-status": {"GET": TAXII_ONLY},
    "taxii-collections": {"GET": TAXII_ONLY},
    "taxii-collection": {"GET": TAXII_ONLY},
    "taxii-objects": {"GET": TAXII_ONLY, "POST": TAXII_ONLY},
    "taxii-object": {"GET": TAXII_ONLY},
    "taxii-object-versions": {"GET": TAXII_ONLY},
    "taxii-manifest": {"GET": TAXII_ONLY},
}
TAXII_MEDIA = "application/taxii+json;version=2.1"
# What a change request sends where an empty one would start real work (a detection run, a job).
# An analyst may only mark the task assigned to them done: the matrix's analyst is its assignee, and says "done".
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("/api/detection-runs/", "POST"): {"params": "not an object"},
    ("/api/cases/{id}/tasks/{task_id}/", "PATCH"): {"done": True},
    ("case-task-done", "POST"): {"done": "on"},
}


def _named_routes(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str]]:
    """(name, full pattern) of every named route; Django admin as its index only."""
    for p in patterns:
        if isinstance(p, URLResolver):
            if p.namespace == "admin":
                yield "admin:index", prefix + "admin/"
                continue
            yield from _named_routes(p.url_patterns, prefix + str(p.pattern), p.namespace or namespace)
        elif isinstance(p, URLPattern) and p.name:
            yield (f"{namespace}:{p.name}" if namespace else p.name), prefix + str(p.pattern)


def _api_operations() -> dict[str, set[str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    methods = {"get", "post", "put", "patch", "delete"}
    return {path: {m.upper() for m in ops if m in methods} for path, ops in schema["paths"].items()}


def test_every_route_and_api_operation_is_in_the_table() -> None:
    routes = list(_named_routes(get_resolver().url_patterns))
    taxii = {name for name, pattern in routes if pattern.startswith("taxii2/")}
    assert taxii == set(TAXII), f"TAXII routes and rows differ: {sorted(taxii ^ set(TAXII))}"
    pages = {name for name, pattern in routes if not pattern.startswith(("api/", "taxii2/")) or name in API_PAGES}
    missing_pages = sorted(pages - set(PAGES))
    assert not missing_pages, f"routes without a row in the role matrix: {missing_pages}"
    assert not set(PAGES) - pages, f"rows for routes that do not exist: {sorted(set(PAGES) - pages)}"
    # Every other route is the API's, which the schema lists: one view of the API router or the schema itself.
    api_views = {pattern for name, pattern in routes if pattern.startswith("api/") and name not in API_PAGES}
    assert api_views and all(p.startswith("api/") for p in api_views)
    operations = _api_operations()
    missing = sorted(f"{m} {p}" for p, ms in operations.items() for m in ms if m not in API.get(p, {}))
    assert not missing, f"API operations without a row in the role matrix: {missing}"
    stale = sorted(f"{m} {p}" for p, ms in API.items() for m in ms if m not in operations.get(p, set()))
    assert not stale, f"rows for API operations that do not exist: {stale}"


@dataclass
class World:
    """The objects every row's URL points at."""

    users: dict[str, User]
    tokens: dict[str, str]
    case: Case
    other_case: Case
    values: dict[str, str]
    partner_token: str


@pytest.fixture
def world(runs: dict[int, DetectionRun], tmp_path: Any) -> World:
    users = {
        "none": User.objects.create_user("matrix-none", password=TEST_PASSWORD),
        **{
            role.value: create_or_update_user(f"matrix-{role.value}", role=role, password=TEST_PASSWORD)[0]
            for role in Role
        },
    }
    tokens = {name: api_token_for(user) for name, user in users.items()}
    cm, analyst, admin = users["case_manager"], users["analyst"], users["admin"]
    top = Cluster.objects.get(run=runs[LATEST_RUN], key=TOP)
    ring = Cluster.objects.get(run=runs[LATEST_RUN], key=RING_KEY)
    case = open_case(by=cm, clusters=[top], title="matrix case")
    other = open_case(by=cm, clusters=[ring], title="another case")
    attachment = add_attachment(
        case, by=cm, kind="file", title="evidence", upload=SimpleUploadedFile("e.txt", b"evidence bytes")
    )
    task = add_task(case, "check billing", by=cm, assignee=analyst)
    alert = CaseAlert.objects.create(case=case, cluster_key=TOP, account_ids=["hyd-0001"], reason="regrowth")
    proposal = propose_cluster(ring, by=analyst, note="same ring")
    annotation = Annotation.objects.create(target=AnnotationTarget.CLUSTER, target_id=TOP, note="n", author=analyst)
    quarantine = tmp_path / "quarantine.csv"
    quarantine.write_text("file,row,column,reason,value\naccounts.csv,3,email,not an address,x\n")
    job = IngestJob.objects.create(
        drop_path="/etc", status=JobStatus.SUCCEEDED, quarantine_path=str(quarantine), quarantined_total=1,
        created_by=admin,
    )  # fmt: skip
    schedule = IngestSchedule.objects.create(name="nightly", folder="drops")
    view = ExplorerView.objects.create(
        case=case, title="saved view", state={"version": 1, "nodes": [], "edges": []}, image=attachment, saved_by=cm
    )
    run = runs[LATEST_RUN]
    partner, partner_token, taxii_values = _partner_world(admin)
    values = {
        "account_id": "hyd-0001", "key": TOP, "kind": "ip", "entity_id": CAMPUS_IP, "fmt": "accounts_csv",
        "case": str(case.pk), "alert_id": str(alert.pk), "attachment_id": str(attachment.pk),
        "task_id": str(task.pk), "proposal": str(proposal.pk), "annotation": str(annotation.pk),
        "run": str(run.pk), "job": str(job.pk), "schedule": str(schedule.pk), "cluster": str(top.pk),
        "view": str(view.pk), **taxii_values,
    }  # fmt: skip
    alert_indicator = PartnerIndicator.objects.create(
        partner=partner, stix_id="indicator--0c5e6f3a-1b2c-4d5e-8f90-a1b2c3d4e5f6", version=timezone.now(),
        pattern="[ipv4-addr:value = '203.0.113.10']", payload={},
    )  # fmt: skip
    values["partner_alert"] = str(PartnerAlert.objects.create(indicator=alert_indicator, reason="matched").pk)
    return World(users, tokens, case, other, values, partner_token)


def _partner_world(admin: User) -> tuple[Partner, str, dict[str, str]]:
    """A partner with a token, a collection it reads and writes, an object it sent there, and a status."""
    partner = create_partner("Matrix partner", by=admin)
    collection = create_collection("Matrix collection", by=admin)
    grant_collection(partner, collection, can_read=True, can_write=True, by=admin)
    token, record = issue_partner_token(partner, by=admin)
    stix_id = "indicator--6f6c3e1a-2b3c-4d5e-8f90-a1b2c3d4e5f6"
    TaxiiObject.objects.create(
        collection=collection, stix_id=stix_id, stix_type="indicator", version=timezone.now(), submitted_by=partner,
        payload={"type": "indicator", "id": stix_id, "modified": "2026-01-01T00:00:00.000Z"},
    )  # fmt: skip
    status = TaxiiStatus.objects.create(partner=partner, collection=collection)
    values = {"partner": str(partner.pk), "partner_token": str(record.pk), "collection": str(collection.pk),
              "object": stix_id, "status": str(status.pk)}  # fmt: skip
    return partner, token, values


def api_token_for(user: User) -> str:
    """An API token for `user` (the one place the matrix makes tokens)."""
    return issue_token(user)[0]


ID_OF = {
    "/api/annotations/": "annotation", "/api/case-proposals/": "proposal", "/api/cases/": "case",
    "/api/detection-runs/": "run", "/api/ingest-jobs/": "job", "/api/ingest-schedules/": "schedule",
    "/api/explorer/views/": "view", "/api/partner-alerts/": "partner_alert",
}  # fmt: skip
QUERY = {"/api/explorer/path/": "?a=hyd-0001&b=hyd-0002"}  # reads that need parameters


def api_url(path: str, w: World) -> str:
    """The schema path with real ids."""
    prefix = next((p for p in ID_OF if path.startswith(p)), "")

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        return w.values[ID_OF[prefix]] if name == "id" else w.values[name]

    return re.sub(r"\{(\w+)\}", value, path) + QUERY.get(path, "")


def page_url(name: str, w: World, client: Client) -> str:
    v = w.values
    urls = {
        "home": "/", "login": "/accounts/login/", "logout": "/accounts/logout/", "health": "/health/",
        "live": "/health/live/", "plotly-js": _plotly_url(client), "clusters": "/clusters/",
        "cluster": f"/clusters/{TOP}/", "cluster-members-csv": f"/clusters/{TOP}/members.csv",
        "account": "/account/hyd-0001/", "entity": f"/entity/ip/{CAMPUS_IP}/", "search": "/search/?q=nothing-matches-this",
        "annotate": "/annotations/", "cases": "/cases/", "case-new": "/cases/new/", "case-add-evidence": f"/cases/add/?cluster={v['cluster']}",
        "case-propose": f"/cases/propose/?cluster={v['cluster']}", "case-proposals": "/cases/proposals/",
        "case-proposal-decide": f"/cases/proposals/{v['proposal']}/decide/", "case-bulk-assign": "/cases/bulk-assign/",
        "case-audit": "/cases/audit/", "case": f"/cases/{v['case']}/",
        "case-transition": f"/cases/{v['case']}/transition/", "case-assign": f"/cases/{v['case']}/assign/",
        "case-edit": f"/cases/{v['case']}/edit/", "case-comment": f"/cases/{v['case']}/comments/",
        "case-task-add": f"/cases/{v['case']}/tasks/", "case-task-done": f"/cases/{v['case']}/tasks/{v['task_id']}/",
        "case-attach": f"/cases/{v['case']}/attachments/",
        "case-attachment": f"/cases/{v['case']}/attachments/{v['attachment_id']}/",
        "case-alert-ack": f"/cases/{v['case']}/alerts/{v['alert_id']}/ack/",
        "case-export": f"/cases/{v['case']}/export/accounts_csv/", "ingest-jobs": "/ingest/",
        "ingest-start": "/ingest/start/", "ingest-job": f"/ingest/jobs/{v['job']}/",
        "ingest-job-quarantine": f"/ingest/jobs/{v['job']}/quarantine.csv",
        "ingest-job-retry": f"/ingest/jobs/{v['job']}/retry/", "ingest-schedule-create": "/ingest/schedules/",
        "ingest-schedule-toggle": f"/ingest/schedules/{v['schedule']}/toggle/",
        "ingest-schedule-delete": f"/ingest/schedules/{v['schedule']}/delete/", "admin:index": "/admin/",
        "api-docs": "/api/docs/", "api-root": "/api/", "explore-cluster": f"/explore/clusters/{TOP}/",
        "explore-account": "/explore/accounts/hyd-0001/", "explore-entity": f"/explore/entities/ip/{CAMPUS_IP}/",
        "explore-view": f"/explore/views/{v['view']}/", "case-publish": f"/cases/{v['case']}/publish/",
        "partners": "/partners/", "partner-collection-create": "/partners/collections/",
        "partner": f"/partners/{v['partner']}/", "partner-token-issue": f"/partners/{v['partner']}/tokens/",
        "partner-token-revoke": f"/partners/{v['partner']}/tokens/{v['partner_token']}/revoke/",
        "partner-access": f"/partners/{v['partner']}/access/", "partner-active": f"/partners/{v['partner']}/active/",
        "partner-upload": f"/partners/{v['partner']}/upload/",
        "partner-alert-ack": f"/partner-alerts/{v['partner_alert']}/ack/",
    }  # fmt: skip
    return urls[name]


def taxii_url(name: str, w: World) -> str:
    """The TAXII route with real ids."""
    v = w.values
    collection = f"/taxii2/hydra/collections/{v['collection']}/"
    urls = {
        "taxii-discovery": "/taxii2/", "taxii-api-root": "/taxii2/hydra/", "taxii-status": f"/taxii2/hydra/status/{v['status']}/",
        "taxii-collections": "/taxii2/hydra/collections/", "taxii-collection": collection,
        "taxii-objects": f"{collection}objects/", "taxii-object": f"{collection}objects/{v['object']}/",
        "taxii-object-versions": f"{collection}objects/{v['object']}/versions/", "taxii-manifest": f"{collection}manifest/",
    }  # fmt: skip
    return urls[name]


def _plotly_url(client: Client) -> str:
    """Where the pages load Plotly from (the version is the bundled one)."""
    return reverse("plotly-js", args=[PLOTLY_VERSION])


def fingerprint() -> dict[str, int]:
    """Row counts of every table of the platform and of users: what a refused request must leave as it was."""
    models = apps.get_app_config("investigations").get_models()
    counts = {m._meta.label: m._default_manager.count() for m in models}
    counts["users"] = User.objects.count()
    return counts


def call(
    client: Client, method: str, url: str, body: dict[str, Any], token: str | None, api: bool, taxii: bool = False
) -> Any:
    headers = {"Authorization": f"Token {token}"} if token else {}
    if taxii:
        headers["Accept"] = TAXII_MEDIA
        if method != "GET":
            return client.generic(method, url, data=_json(body), content_type=TAXII_MEDIA, headers=headers)
    if method == "GET":
        return client.get(url, headers=headers)
    if api:
        return client.generic(method, url, data=_json(body), content_type="application/json", headers=headers)
    return client.post(url, body, headers=headers)


def _json(body: dict[str, Any]) -> str:
    return json.dumps(body)


def outcome(response: Any) -> str:
    if response.status_code in (301, 302) and response["Location"].startswith(LOGIN_PATHS):
        return "login"
    if response.status_code in (401, 403):
        return "refused"
    return f"answered {response.status_code}"


def expected(level: str, caller: str, api: bool) -> str:
    token = caller.startswith("token:")
    who = caller.removeprefix("token:")
    signed_in = who != "anon" and (api or not token)
    if level == PUBLIC:
        return ""  # anything but a refusal
    if caller == PARTNER:  # a token on a page is anonymous; the API does not know partner tokens
        return "answered" if level == TAXII_ONLY else ("refused" if api else "login")
    if level == TAXII_ONLY:
        return "refused"
    if not signed_in:
        return "refused" if api else "login"
    return "answered" if who in ALLOWED[level] else "refused"


ROWS = (
    [("page", name, method) for name, methods in PAGES.items() for method in methods]
    + [("api", path, method) for path, methods in API.items() for method in methods]
    + [("taxii", name, method) for name, methods in TAXII.items() for method in methods]
)
TABLES = {"page": PAGES, "api": API, "taxii": TAXII}


@pytest.mark.parametrize(("kind", "route", "method"), ROWS, ids=[f"{m} {r}" for _, r, m in ROWS])
def test_role_matrix(kind: str, route: str, method: str, world: World) -> None:
    api = kind in ("api", "taxii") or route in API_PAGES  # DRF views: tokens count, refusals are 401/403
    level = TABLES[kind][route][method]
    body = BODIES.get((route, method), {})
    # The refused first: a refusal must leave everything as it was, so the allowed calls after it see it intact.
    order = sorted(CALLERS, key=lambda c: expected(level, c, api) == "answered")
    for caller in order:
        client = Client()
        who = caller.removeprefix("token:")
        if who not in ("anon", PARTNER) and not caller.startswith("token:"):
            client.force_login(world.users[who])
        token = world.tokens[who] if caller.startswith("token:") else None
        token = world.partner_token if caller == PARTNER else token
        url = {"api": api_url, "taxii": taxii_url}[kind](route, world) if kind != "page" else page_url(route, world, client)
        before = fingerprint()
        response = call(client, method, url, body, token, api, taxii=kind == "taxii")
        want, got = expected(level, caller, api), outcome(response)
        ok = got.startswith(want) if want else got != "refused"
        assert ok, f"{method} {url} as {caller}: expected {want or 'no refusal'}, got {got}"
        if want in ("refused", "login"):
            assert fingerprint() == before, f"{method} {url} as {caller} was refused but changed the database"
        elif method == "GET" and got != "login":
            assert response.status_code == 200, f"GET {url} as {caller}: {response.status_code}"
        else:
            assert response.status_code < 500, f"{method} {url} as {caller}: {response.status_code}"


def test_logout_signs_out(client: Client, analyst: User) -> None:
    client.force_login(analyst)
    assert client.get("/cases/").status_code == 200
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN_PATHS)
    assert client.get("/cases/")["Location"].startswith(LOGIN_PATHS)


def test_objects_are_reached_only_through_their_own_case(world: World) -> None:
    """An attachment, task or alert of one case, asked for through another case's URL, is not found (pages and API),
    and nothing changes."""
    case, other, v = world.case, world.other_case, world.values
    admin = Client()
    admin.force_login(world.users["admin"])
    wrong = [
        ("GET", f"/cases/{other.pk}/attachments/{v['attachment_id']}/", False),
        ("POST", f"/cases/{other.pk}/tasks/{v['task_id']}/", False),
        ("POST", f"/cases/{other.pk}/alerts/{v['alert_id']}/ack/", False),
        ("GET", f"/api/cases/{other.pk}/attachments/{v['attachment_id']}/download/", True),
        ("PATCH", f"/api/cases/{other.pk}/tasks/{v['task_id']}/", True),
        ("POST", f"/api/cases/{other.pk}/alerts/{v['alert_id']}/acknowledge/", True),
    ]
    before = fingerprint()
    for method, url, api in wrong:
        body = {"done": True} if "tasks" in url else {}
        response = call(Client(), method, url, body, world.tokens["admin"], api) if api else (
            admin.get(url) if method == "GET" else admin.post(url, {"done": "on"})
        )
        assert response.status_code == 404, f"{method} {url}: {response.status_code}"
    assert fingerprint() == before
    assert CaseAlert.objects.get(pk=v["alert_id"]).acknowledged_at is None
    assert not case.tasks.get(pk=v["task_id"]).done
    right = call(Client(), "GET", f"/api/cases/{case.pk}/attachments/{v['attachment_id']}/download/", {},
                 world.tokens["admin"], True)  # fmt: skip
    assert right.status_code == 200  # the same token reaches it through its own case


def test_only_the_assignee_or_a_case_manager_marks_a_task_done(world: World, make_user: Any) -> None:
    v = world.values
    other_analyst = make_user(Role.ANALYST, "matrix-other-analyst")
    task_url = f"/api/cases/{v['case']}/tasks/{v['task_id']}/"
    refused = call(Client(), "PATCH", task_url, {"done": True}, api_token_for(other_analyst), True)
    assert refused.status_code == 403
    page = Client()
    page.force_login(other_analyst)
    page.post(f"/cases/{v['case']}/tasks/{v['task_id']}/", {"done": "on"})
    assert not world.case.tasks.get(pk=v["task_id"]).done
    # The assignee may; a case manager may reopen it.
    assert call(Client(), "PATCH", task_url, {"done": True}, world.tokens["analyst"], True).status_code == 200
    assert world.case.tasks.get(pk=v["task_id"]).done
    assert call(Client(), "PATCH", task_url, {"done": False}, world.tokens["case_manager"], True).status_code == 200
    assert not world.case.tasks.get(pk=v["task_id"]).done
    # An analyst may not rename or reassign even their own task.
    assert call(Client(), "PATCH", task_url, {"title": "mine"}, world.tokens["analyst"], True).status_code == 403


def test_quarantine_csv_is_for_admins_and_holds_the_rows(world: World) -> None:
    job = world.values["job"]
    for who in ("analyst", "case_manager"):
        assert call(Client(), "GET", f"/api/ingest-jobs/{job}/quarantine/", {}, world.tokens[who], True).status_code == 403
    answer = call(Client(), "GET", f"/api/ingest-jobs/{job}/quarantine/", {}, world.tokens["admin"], True)
    assert answer.status_code == 200
    assert b"not an address" in b"".join(answer.streaming_content)


def test_matrix_size() -> None:
    """The table's size, printed for the record (and never empty)."""
    cells = len(ROWS) * len(CALLERS)
    print(f"role matrix: {len(PAGES)} page routes, {len(API)} API paths, {len(ROWS)} (route, method) rows, "
          f"{len(CALLERS)} callers, {cells} cells")  # fmt: skip
    assert len(ROWS) > 80 and cells == len(ROWS) * 10
