"""Telemetry is data, never code: markup, quotes, backticks and Cypher in ids, emails, user agents, ASN names
and evidence show up verbatim and inert on every page, in chart data, in CSV and in the API."""

from __future__ import annotations

import csv
import html
import io
import re
from urllib.parse import quote, unquote

from django.test import Client
from django.urls import reverse

from graph.driver import Graph
from investigations.models import DetectionRun
from tests.integration.ui.scenario import (
    CYPHER,
    HOSTILE_ASN_NAME,
    HOSTILE_DETAIL,
    HOSTILE_EMAIL,
    HOSTILE_ID,
    HOSTILE_UA,
    RING_KEY,
    SCRIPT,
)

_JSON_SCRIPTS = re.compile(r'<script type="application/json" id="[^"]+">(.*?)</script>', re.S)


def _inert(page: str) -> None:
    """No hostile markup survives as markup: no injected script element, no raw `<` inside chart data."""
    assert SCRIPT not in page
    for data in _JSON_SCRIPTS.findall(page):
        assert "<" not in data and ">" not in data


def _node_count(graph: Graph) -> int:
    return int(graph.read_text("count", "MATCH (n) RETURN count(n) AS n")[0]["n"])


def test_hostile_strings_are_shown_verbatim_and_inert(
    runs: dict[int, DetectionRun], analyst_client: Client, scenario_graph: Graph
) -> None:
    before = _node_count(scenario_graph)
    account_url = reverse("account", args=[HOSTILE_ID])
    assert unquote(account_url) == f"/account/{HOSTILE_ID}/" and not set('<>" `') & set(account_url)
    pages = {
        "cluster": analyst_client.get(f"/clusters/{RING_KEY}/").content.decode(),
        "account": analyst_client.get(account_url).content.decode(),
        "ring-01": analyst_client.get("/account/ring-01/").content.decode(),
        "search": analyst_client.get("/search/", {"q": f"{SCRIPT} {CYPHER}"}).content.decode(),
        "entity": analyst_client.get("/entity/ip/203.0.113.77/").content.decode(),
    }
    for name, page in pages.items():
        _inert(page)
        assert "<html" in page, name
    # Verbatim: the escaped text is exactly the telemetry string.
    assert html.escape(HOSTILE_ID) in pages["cluster"] and html.escape(HOSTILE_DETAIL) in pages["cluster"]
    assert html.escape(HOSTILE_ID) in pages["account"] and html.escape(HOSTILE_UA) in pages["account"]
    assert html.escape(HOSTILE_ASN_NAME) in pages["account"]
    assert html.escape(HOSTILE_EMAIL) in pages["ring-01"]
    assert html.escape(f"{SCRIPT} {CYPHER}") in pages["search"]
    # Chart labels are HTML-escaped for Plotly (which renders label markup) inside JSON-escaped data.
    figure = _JSON_SCRIPTS.findall(pages["cluster"])
    assert any("\\u0026lt;script\\u0026gt;alert(1)\\u0026lt;" in data for data in figure)
    # Cypher in a search term or a value is a parameter, never code: the graph is untouched.
    assert _node_count(scenario_graph) == before


def test_csv_and_api_keep_the_strings_exact(runs: dict[int, DetectionRun], analyst_client: Client) -> None:
    body = analyst_client.get(f"/clusters/{RING_KEY}/members.csv").content.decode()
    rows = {r["account_id"]: r for r in csv.DictReader(io.StringIO(body))}
    assert rows[HOSTILE_ID]["email"] == f"{SCRIPT}@x.example"
    assert rows["ring-01"]["email"] == HOSTILE_EMAIL
    api = analyst_client.get(f"/api/accounts/{quote(HOSTILE_ID, safe='')}/").json()
    assert api["account_id"] == HOSTILE_ID
    sessions = analyst_client.get(f"/api/accounts/{quote(HOSTILE_ID, safe='')}/sessions/").json()
    assert (
        sessions["results"][0]["user_agent"] == HOSTILE_UA
        and sessions["results"][0]["asn_name"] == HOSTILE_ASN_NAME
    )
