"""The REST API behind the workspace: clusters, members, network, timelines, accounts, entities, search,
annotations; pagination, filters, token auth and the OpenAPI schema."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from investigations.models import Annotation, DetectionRun
from investigations.services.tokens import issue_token
from tests.integration.ui.scenario import (
    BENCH_KEY,
    CAMPUS_IP,
    HOSTILE_ID,
    HYDRA,
    HYDRA_CARDS,
    HYDRA_DEVICES,
    LATEST_RUN,
    ORG_KEY,
    RING_KEY,
    TOP,
    USERS,
)


@pytest.fixture
def api(analyst: User) -> APIClient:
    """An API client authenticated with the analyst's token (how API clients log in)."""
    token, _ = issue_token(analyst)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def _get(api: APIClient, url: str, **params: Any) -> Any:
    response = api.get(url, params)
    assert response.status_code == 200, response.content
    return response.json()


def test_cluster_list_filters_orders_and_paginates(runs: dict[int, DetectionRun], api: APIClient) -> None:
    body = _get(api, "/api/clusters/")
    assert body["count"] == 3 and [c["key"] for c in body["results"]] == [TOP, RING_KEY, BENCH_KEY]
    top = body["results"][0]
    assert (
        top["run"] == LATEST_RUN and top["size"] == 84 and top["status"] == "new" and top["open_alerts"] == 1
    )
    assert top["top_signals"] == ["shared_payment", "device_reuse", "templates"] and top["new_members"] == 20
    keys = lambda **p: [c["key"] for c in _get(api, "/api/clusters/", **p)["results"]]  # noqa: E731
    assert keys(include_unflagged="true") == [TOP, RING_KEY, BENCH_KEY, ORG_KEY]
    assert keys(min_score=0.6, capability="campaign") == [TOP, RING_KEY]
    assert keys(max_size=20, ordering="size") == [BENCH_KEY, RING_KEY]
    assert keys(signal="human_rhythm") == [BENCH_KEY]
    assert keys(run=9001) == [TOP, RING_KEY]
    page = _get(api, "/api/clusters/", page_size=2, page=2)
    assert page["count"] == 3 and [c["key"] for c in page["results"]] == [BENCH_KEY] and page["previous"]
    assert api.get("/api/clusters/", {"min_score": "high"}).status_code == 400
    assert api.get("/api/clusters/", {"status": "asleep"}).status_code == 400


def test_cluster_detail_members_network_timelines_history(
    runs: dict[int, DetectionRun], api: APIClient
) -> None:
    detail = _get(api, f"/api/clusters/{TOP}/")
    assert detail["score"] == 0.93 and detail["features"]["size"] == 84
    assert detail["explanation"][0]["evidence"][0]["id"] == HYDRA_CARDS[0]
    assert detail["explanation"][0]["evidence"][0]["label"] == "prepaid card BIN 404163"
    assert detail["alerts"][0]["account_ids"] == HYDRA[64:]
    assert _get(api, f"/api/clusters/{ORG_KEY}/")["flagged"] is False  # unflagged clusters are reachable too
    members = _get(api, f"/api/clusters/{TOP}/members/", ordering="account_id", page_size=10)
    assert members["count"] == 84 and [m["account_id"] for m in members["results"]] == HYDRA[:10]
    assert members["results"][0]["status"] == "banned"
    net = _get(api, f"/api/clusters/{TOP}/network/")
    assert net["mode"] == "groups" and not any(n["kind"] == "account" for n in net["nodes"])
    net = _get(api, f"/api/clusters/{TOP}/network/", expand=f"device|{HYDRA_DEVICES[0]}")
    assert sum(n["kind"] == "account" for n in net["nodes"]) == 21 and net["expanded_total"] == 21
    timelines = _get(api, f"/api/clusters/{TOP}/timelines/")
    assert timelines["exchanges"] == 67200 and timelines["capabilities"]["reasoning"] == 50400
    assert timelines["bans"] == [{"t": "2026-09-10", "n": 20.0}]
    assert {"model": "nova-4", "released_at": "2026-09-15T16:00:00+00:00"} in timelines["releases"]
    history = _get(api, f"/api/clusters/{TOP}/history/")
    assert [(h["run"], h["size"]) for h in history] == [(9001, 64), (9002, 84)]
    assert api.get("/api/clusters/C-404404/").status_code == 404
    assert api.get(f"/api/clusters/{TOP}/", {"run": 777}).status_code == 404


def test_accounts_sessions_entities_and_search(runs: dict[int, DetectionRun], api: APIClient) -> None:
    account = _get(api, "/api/accounts/hyd-0001/")
    assert account["profile"]["email"] == "hyd-0001@mailbox.example" and account["sessions"] == 4
    assert account["capabilities"]["reasoning"] == 600
    assert [m["run"] for m in account["memberships"]] == [9002, 9001]
    assert account["neighbours"][0]["id"] == CAMPUS_IP
    sessions = _get(api, "/api/accounts/hyd-0001/sessions/", page_size=3)
    assert sessions["count"] == 4 and len(sessions["results"]) == 3 and sessions["next"]
    assert sessions["results"][0]["ip"] == CAMPUS_IP and sessions["results"][0]["asn_type"] == "education"
    hostile = _get(api, f"/api/accounts/{HOSTILE_ID}/")
    assert hostile["account_id"] == HOSTILE_ID
    assert api.get("/api/accounts/nobody/").status_code == 404
    assert api.get("/api/accounts/nobody/sessions/").status_code == 404
    ip = _get(api, f"/api/entities/ip/{CAMPUS_IP}/")
    assert ip["accounts"] == 4 and {(c["key"], c["accounts"]) for c in ip["clusters"]} == {
        (TOP, 1),
        (BENCH_KEY, 3),
    }
    holders = _get(api, f"/api/entities/ip/{CAMPUS_IP}/accounts/", page_size=2)
    assert holders["count"] == 4 and [a["account_id"] for a in holders["results"]] == ["hyd-0001", USERS[0]]
    assert _get(api, "/api/entities/subnet/203.0.113.0/24/")["accounts"] == 97
    assert api.get("/api/entities/ip/10.9.9.9/").status_code == 404
    # an id Neo4j could not hold as an integer is no such entity, not a server error
    for asn in ("99999999999999999999999", "4294967296", "12a", "-5", "٣"):
        assert api.get(f"/api/entities/asn/{asn}/").status_code == 404, asn
        assert api.get(f"/api/entities/asn/{asn}/accounts/").status_code == 404, asn
    assert _get(api, "/api/entities/asn/64500/")["accounts"] == 84 + 13
    assert _get(api, "/api/search/", q=CAMPUS_IP) == [
        {"kind": "ip", "id": CAMPUS_IP, "matched": "IP address"}
    ]


def test_annotations_api(
    runs: dict[int, DetectionRun], api: APIClient, case_manager: User
) -> None:
    response = api.post(
        "/api/annotations/",
        {
            "target": "cluster",
            "target_id": TOP,
            "label": "confirmed_campaign",
            "note": "ring",
            "tags": ["hydra"],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["author"] == "analyst-user"
    other = APIClient()
    other.force_authenticate(case_manager)
    assert (
        other.post(
            "/api/annotations/",
            {"target": "account", "target_id": "hyd-0002", "tags": ["mule"]},
            format="json",
        ).status_code
        == 201
    )
    listed = _get(api, "/api/annotations/", target="cluster", target_id=TOP)
    assert listed["count"] == 1 and listed["results"][0]["tags"] == ["hydra"]
    assert _get(api, "/api/annotations/", tag="mule")["results"][0]["author"] == "case_manager-user"
    assert _get(api, "/api/annotations/", author="analyst-user")["count"] == 1
    assert _get(api, "/api/annotations/", label="confirmed_campaign")["count"] == 1
    assert _get(api, f"/api/clusters/{TOP}/")["status"] == "annotated"
    bad = api.post(
        "/api/annotations/", {"target": "cluster", "target_id": "C-404404", "label": "benign"}, format="json"
    )
    assert bad.status_code == 400 and "target_id" in bad.json()
    assert (
        api.post(
            "/api/annotations/", {"target": "cluster", "target_id": TOP, "label": "guilty"}, format="json"
        ).status_code
        == 400
    )
    assert (
        api.post("/api/annotations/", {"target": "cluster", "target_id": TOP}, format="json").status_code
        == 400
    )
    assert Annotation.objects.count() == 2


def test_schema_and_docs(runs: dict[int, DetectionRun], api: APIClient) -> None:
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in (
        "/api/clusters/", "/api/clusters/{key}/", "/api/clusters/{key}/members/", "/api/clusters/{key}/network/",
        "/api/clusters/{key}/timelines/", "/api/clusters/{key}/history/", "/api/accounts/{account_id}/",
        "/api/accounts/{account_id}/sessions/", "/api/entities/{kind}/{entity_id}/",
        "/api/entities/{kind}/{entity_id}/accounts/", "/api/search/", "/api/annotations/",
    ):  # fmt: skip
        assert path in paths, path
    params = {p["name"] for p in paths["/api/clusters/"]["get"]["parameters"]}
    assert {
        "min_score",
        "max_score",
        "min_size",
        "max_size",
        "signal",
        "status",
        "capability",
        "page",
    } <= params


def test_no_finished_run_is_a_clear_404(db: Any, api: APIClient) -> None:
    response = api.get("/api/clusters/")
    assert response.status_code == 404 and response.json() == {"detail": "No finished detection run."}
