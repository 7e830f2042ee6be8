"""The graph explorer's API against the scenario graph in the real Neo4j: a cluster opened aggregated by rarity, an
entity paged through, an account expanded, the paths that link two accounts, and views saved into a case (with
their picture, audit event and refusals that write nothing)."""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from investigations.exports.report import render_report
from investigations.models import (
    Attachment,
    AuditAction,
    AuditEvent,
    Case,
    Cluster,
    DetectionRun,
    ExplorerView,
)
from investigations.selectors import explorer
from investigations.selectors.cases import case_view
from investigations.services.cases import open_case
from tests.integration.ui.scenario import CAMPUS_IP, HYDRA_CARDS, LATEST_RUN, TOP

pytestmark = pytest.mark.django_db
CARD = f"payment_instrument|{HYDRA_CARDS[0]}"


def _get(client: Client, url: str, status: int = 200) -> Any:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code, response.content[:300])
    return response.json()


def _accounts(data: dict[str, Any]) -> dict[str, list[Any]]:
    return {row[0]: row for row in data["accounts"]}


def test_a_cluster_opens_with_its_members_the_entities_they_share_and_the_ties(
    analyst_client: Client, runs: dict[int, DetectionRun]
) -> None:
    data = _get(analyst_client, f"/api/explorer/clusters/{TOP}/")
    cluster = Cluster.objects.get(run=runs[LATEST_RUN], key=TOP)
    accounts = _accounts(data)
    assert len(accounts) == cluster.size == 84 and not data["truncated"]
    assert data["clusters"] == [[TOP, round(cluster.score, 4), True]]
    assert all(row[6] == 0 and row[5] & explorer.FLAG_FLAGGED for row in accounts.values())
    banned = {a for a, row in accounts.items() if row[2] == "banned"}
    assert banned == {f"hyd-{i:04d}" for i in range(1, 21)}
    replacements = {a for a, row in accounts.items() if row[5] & explorer.FLAG_REPLACEMENT}
    assert replacements == {f"hyd-{i:04d}" for i in range(65, 85)}  # signed up within hours of the bans
    entities = {row[0]: row for row in data["entities"]}
    assert all(row[2] >= 2 and row[3] >= row[2] for row in entities.values())  # shared, and held graph-wide
    cards = {k: row for k, row in entities.items() if row[1] == "payment_instrument"}
    assert set(cards) == {f"payment_instrument|{c}" for c in HYDRA_CARDS}
    assert all(row[2] == 28 and not row[4] for row in cards.values())
    ties = list(zip(data["edges"][0::2], data["edges"][1::2], strict=True))
    names = [row[0] for row in data["entities"]]
    holders = {k: {data["accounts"][a][0] for a, e in ties if names[e] == k} for k in cards}
    assert all(len(h) == 28 for h in holders.values()) and set().union(*holders.values()) == set(accounts)


def test_an_entity_shared_by_too_many_is_one_aggregate_node_without_edges(
    runs: dict[int, DetectionRun], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(explorer, "AGGREGATE_MEMBERS", 27)
    data = explorer._cluster_view(Cluster.objects.get(run=runs[LATEST_RUN], key=TOP))
    entities = {row[0]: row for row in data["entities"]}
    assert entities[CARD][4] is True
    index = [row[0] for row in data["entities"]].index(CARD)
    assert index not in data["edges"][1::2]
    assert all(not row[4] for row in data["entities"] if row[2] <= 27)


def test_a_big_cluster_opens_as_groups_tied_by_the_members_they_share(
    runs: dict[int, DetectionRun], monkeypatch: pytest.MonkeyPatch
) -> None:
    cluster = Cluster.objects.get(run=runs[LATEST_RUN], key=TOP)
    full = explorer._cluster_view(cluster)  # 84 members: every account drawn
    assert full["mode"] == "accounts" and full["group_edges"] == []
    names = [row[0] for row in full["entities"]]
    holds: dict[str, set[str]] = {}
    for a, e in zip(full["edges"][0::2], full["edges"][1::2], strict=True):
        holds.setdefault(full["accounts"][a][0], set()).add(names[e])
    monkeypatch.setattr(explorer, "GROUPS_ABOVE", 50)
    grouped = explorer._cluster_view(cluster)
    assert grouped["mode"] == "groups" and grouped["accounts"] == [] and grouped["edges"] == []
    groups = grouped["entities"]
    assert [g[2] for g in groups] == sorted((g[2] for g in groups), reverse=True)  # most shared first
    assert {g[0] for g in groups} == {k for k in names if sum(k in h for h in holds.values()) >= 2}
    common = {g[0] for g in groups if g[4]}
    assert common == {g[0] for g in groups if g[2] > 42}  # the templates and the client build every member holds
    ties = grouped["group_edges"]
    assert ties
    for a, b, n in zip(ties[0::3], ties[1::3], ties[2::3], strict=True):
        ka, kb = groups[a][0], groups[b][0]
        assert ka not in common and kb not in common
        assert n == sum(ka in h and kb in h for h in holds.values())  # members holding both


def test_an_entity_is_paged_through_with_limits(
    analyst_client: Client, runs: dict[int, DetectionRun]
) -> None:
    url = f"/api/explorer/entities/payment_instrument/{HYDRA_CARDS[0]}/"
    seen: list[str] = []
    offset: int | None = 0
    pages = 0
    while offset is not None:
        data = _get(analyst_client, f"{url}?limit=10&offset={offset}")
        assert data["total"] == 28 and data["entity"][0] == CARD and len(data["accounts"]) <= 10
        seen += [row[0] for row in data["accounts"]]
        offset = data["next_offset"]
        pages += 1
    assert pages == 3 and len(seen) == len(set(seen)) == 28 and all(a.startswith("hyd-") for a in seen)
    for bad in ("limit=501", "limit=0", "offset=-1", "offset=abc"):
        _get(analyst_client, f"{url}?{bad}", 400)
    _get(analyst_client, "/api/explorer/entities/payment_instrument/no-such-card/", 404)
    _get(analyst_client, "/api/explorer/entities/asn/99999999999999999999999/", 404)
    _get(analyst_client, "/api/explorer/entities/time_window/x/", 404)


def test_an_account_expands_to_what_it_holds_rarest_first(
    analyst_client: Client, runs: dict[int, DetectionRun]
) -> None:
    data = _get(analyst_client, "/api/explorer/accounts/hyd-0001/")
    assert data["account"][0] == "hyd-0001" and data["clusters"][data["account"][6]][0] == TOP
    entities = {row[0]: row for row in data["entities"]}
    assert entities[f"ip|{CAMPUS_IP}"][3] == 4  # the campus NAT: hyd-0001 and user-001..003
    assert [row[3] for row in data["entities"]] == sorted(row[3] for row in data["entities"])
    _get(analyst_client, "/api/explorer/accounts/no-such-account/", 404)


def test_why_two_accounts_are_linked(analyst_client: Client, runs: dict[int, DetectionRun]) -> None:
    data = _get(analyst_client, "/api/explorer/path/?a=hyd-0001&b=user-002")
    assert data["paths"], data["searched"]
    best = data["paths"][0]
    assert best["nodes"] == ["account|hyd-0001", f"ip|{CAMPUS_IP}", "account|user-002"] and best["hops"] == 1
    # Two hydra accounts: the cheapest path goes through the rarest thing both hold.
    data = _get(analyst_client, "/api/explorer/path/?a=hyd-0002&b=hyd-0005")
    held = [{row[0]: row[3] for row in _get(analyst_client, f"/api/explorer/accounts/{a}/")["entities"]}
            for a in ("hyd-0002", "hyd-0005")]  # fmt: skip
    common = {k: n for k, n in held[0].items() if k in held[1]}
    best = data["paths"][0]
    assert best["hops"] == 1 and common[best["nodes"][1]] == min(common.values())
    assert [p["cost"] for p in data["paths"]] == sorted(p["cost"] for p in data["paths"])
    shown = {row[0] for row in data["entities"]}
    assert all(set(p["nodes"][1::2]) <= shown for p in data["paths"])
    # An account of the organisation and one of the ring share nothing within two hops.
    data = _get(analyst_client, "/api/explorer/path/?a=acme-01&b=ring-01&max_hops=2")
    assert data["paths"] == [] and data["searched"]["max_hops"] == 2
    for bad in (
        "a=hyd-0001&b=hyd-0001",
        "a=hyd-0001&b=hyd-0002&max_hops=0",
        "a=hyd-0001&b=hyd-0002&max_hops=5",
        "a=hyd-0001",
    ):
        _get(analyst_client, f"/api/explorer/path/?{bad}", 400)
    _get(analyst_client, "/api/explorer/path/?a=hyd-0001&b=no-such-account", 404)


def _png(width: int = 2, height: int = 2) -> bytes:
    """A real (tiny) PNG."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _state(**changes: Any) -> str:
    state = {
        "version": 1, "source": {"type": "cluster", "key": TOP},
        "nodes": [["account|hyd-0001", 1.5, -2.0, [10, "banned", 0, 0, 1, TOP], 1, 0],
                  [CARD, 3.0, 4.0, [28, 28, False], 0, 0]],
        "edges": [["account|hyd-0001", CARD, 0.2]], "clusters": [[TOP, 0.9, True]],
        "filters": {"families": ["payment"], "statuses": [], "from": 0, "to": 5}, "camera": {"x": 0.5, "y": 0.5, "ratio": 1, "angle": 0},
    }  # fmt: skip
    state.update(changes)
    return json.dumps(state)


def _save(client: Client, case_id: int, state: str, image: bytes) -> Any:
    return client.post("/api/explorer/views/", {
        "case": case_id, "title": "Hydra <b>cards</b>", "state": state,
        "image": SimpleUploadedFile("view.png", image, content_type="image/png"),
    })  # fmt: skip


@pytest.fixture
def case(runs: dict[int, DetectionRun], case_manager: User) -> Case:
    """A case on the hydra cluster, opened by the case manager."""
    return open_case(by=case_manager, clusters=[Cluster.objects.get(run=runs[LATEST_RUN], key=TOP)], title="hydra")


def test_a_view_is_saved_into_a_case_with_its_picture_and_reopens_as_saved(
    client: Client, case: Case, case_manager: User
) -> None:
    client.force_login(case_manager)
    response = _save(client, case.pk, _state(), _png())
    assert response.status_code == 201, response.content
    view = ExplorerView.objects.get(pk=response.json()["id"])
    assert view.case == case and view.nodes == 2 and view.state["filters"]["families"] == ["payment"]
    assert view.image.content_type == "image/png" and view.image.file.read() == _png()
    event = AuditEvent.objects.filter(case=case, action=AuditAction.EXPLORER_VIEW_SAVED).get()
    assert event.after["view_id"] == view.pk and event.after["nodes"] == 2
    reopened = _get(client, f"/api/explorer/views/{view.pk}/")
    assert reopened["state"] == json.loads(_state()) and reopened["case"] == case.pk
    page = client.get(f"/explore/views/{view.pk}/")
    assert page.status_code == 200 and f"/api/explorer/views/{view.pk}/" in page.content.decode()
    case_page = client.get(f"/cases/{case.pk}/").content.decode()
    assert f"/explore/views/{view.pk}/" in case_page and "Hydra &lt;b&gt;cards&lt;/b&gt;" in case_page
    report = render_report(case_view(case, with_graph=False), generated_by=case_manager.username)
    assert "Explorer view: Hydra &lt;b&gt;cards&lt;/b&gt;" in report and "data:image/png;base64," in report


@pytest.mark.parametrize(
    ("state", "image", "status"),
    [
        (_state(), b"GIF89a not a png", 400),
        ("{not json", _png(), 400),
        (_state(edges=[["account|hyd-0001", "ip|not-saved", 1]]), _png(), 400),
        (_state(version=2), _png(), 400),
        (_state(nodes=[["no-kind-separator", 0, 0, [], 0, 0]], edges=[]), _png(), 400),
    ],
)
def test_a_bad_view_is_refused_and_writes_nothing(
    client: Client, case: Case, case_manager: User, state: str, image: bytes, status: int
) -> None:
    client.force_login(case_manager)
    before = (ExplorerView.objects.count(), Attachment.objects.count(), AuditEvent.objects.count())
    response = _save(client, case.pk, state, image)
    assert response.status_code == status and response.json()["detail"]
    assert (ExplorerView.objects.count(), Attachment.objects.count(), AuditEvent.objects.count()) == before


def test_only_case_managers_save_views(client: Client, case: Case, case_manager: User, analyst: User) -> None:
    client.force_login(analyst)
    assert _save(client, case.pk, _state(), _png()).status_code == 403
    client.force_login(case_manager)
    assert _save(client, 999999, _state(), _png()).status_code == 404
    assert not ExplorerView.objects.exists()
