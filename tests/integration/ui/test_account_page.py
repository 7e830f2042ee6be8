"""The account page and entity pages: profile, billing, sessions, activity, templates, neighbours, clusters."""

from __future__ import annotations

import re

from django.test import Client

from investigations.models import DetectionRun
from investigations.selectors.accounts import (
    NEIGHBOUR_SAMPLE,
    account_neighbours,
    account_overview,
    account_sessions,
    entity,
    entity_account_ids,
)
from tests.integration.ui.scenario import (
    CAMPUS_IP,
    HYDRA,
    HYDRA_CARDS,
    HYDRA_TEMPLATES,
    PROXY_IPS,
    TOP,
    USERS,
)


def test_account_page_sections(runs: dict[int, DetectionRun], analyst_client: Client) -> None:
    response = analyst_client.get("/account/hyd-0001/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="account-email">hyd-0001@mailbox.example<' in html
    assert '<span class="badge acct-banned">banned</span>' in html
    # Billing: the card and how many accounts use it.
    billing = html.split('id="billing"')[1].split("</section>")[0]
    assert (
        f'href="/entity/payment_instrument/{HYDRA_CARDS[0]}/"' in billing and "<strong>28</strong>" in billing
    )
    # Sessions with IP, subnet, ASN and its type.
    sessions = html.split('id="sessions-table"')[1].split("</table>")[0]
    assert sessions.split("<tbody>")[1].count("<tr>") == 4
    assert f'href="/entity/ip/{CAMPUS_IP}/"' in sessions and "AS64501" in sessions and "education" in sessions
    assert "AS64500" in sessions and "hosting" in sessions
    # Templates, activity charts, capabilities, cluster membership history across runs.
    assert f'href="/entity/template/{HYDRA_TEMPLATES[0][0]}/"' in html
    assert 'id="fig-account-hourly"' in html and 'id="fig-account-capabilities"' in html
    memberships = html.split('id="clusters"')[1].split("</section>")[0]
    assert memberships.count(f'href="/clusters/{TOP}/?run=') == 2
    assert 'id="annotate-form"' in html


def test_overview_facts(runs: dict[int, DetectionRun]) -> None:
    o = account_overview("hyd-0065")
    assert o is not None
    assert o.profile["exchanges"] == 800 and o.sessions == 3 and o.api_keys == 1
    assert dict(o.capabilities)["reasoning"] == 600 and o.reasoning_share == 0.8
    assert [m["model"] for m in o.models] == ["nova-3", "nova-4"]
    assert [(m.cluster.run_id, m.is_new) for m in o.memberships] == [(9002, True)]
    assert sum(n for _, n in o.hourly) == 800
    assert account_overview("nobody") is None


def test_sessions_are_paginated_in_the_graph(runs: dict[int, DetectionRun]) -> None:
    sessions = account_sessions("hyd-0001", 4)
    assert len(sessions) == 4
    newest_first = [s["session_id"] for s in sessions[0:4]]
    assert newest_first == ["s-hyd-0001-4", "s-hyd-0001-3", "s-hyd-0001-2", "s-hyd-0001-1"]
    assert [s["session_id"] for s in sessions[1:3]] == newest_first[1:3]
    assert sessions[3]["ip"] == PROXY_IPS[0] and sessions[3]["asn"] == 64500


def test_neighbours_are_sampled_rarest_first_and_expand_with_a_cap(
    runs: dict[int, DetectionRun], analyst_client: Client
) -> None:
    groups = account_neighbours("hyd-0001")
    first = groups[0]
    assert (first.kind, first.id, first.others) == ("ip", CAMPUS_IP, 3)
    assert sorted(a["account_id"] for a in first.accounts) == USERS[:3]
    card = next(g for g in groups if g.kind == "payment_instrument")
    assert card.others == 27 and len(card.accounts) == NEIGHBOUR_SAMPLE and card.more == 22
    expanded = account_neighbours("hyd-0001", expand=("payment_instrument", HYDRA_CARDS[0]))
    card = next(g for g in expanded if g.kind == "payment_instrument")
    assert sorted(a["account_id"] for a in card.accounts) == [a for a in HYDRA[0::3] if a != "hyd-0001"]
    html = analyst_client.get("/account/hyd-0001/").content.decode()
    assert f'href="?expand=payment_instrument%7C{HYDRA_CARDS[0]}#neighbours"' in html
    html = analyst_client.get(
        "/account/hyd-0001/", {"expand": f"payment_instrument|{HYDRA_CARDS[0]}"}
    ).content.decode()
    neighbours = html.split('id="neighbours"')[1].split("</section>")[0]
    assert neighbours.count('class="mono neighbour-link"') > 27


def test_entity_page_lists_holders_and_their_clusters(
    runs: dict[int, DetectionRun], analyst_client: Client
) -> None:
    found = entity("ip", CAMPUS_IP)
    assert found is not None and found.accounts == 4 and found.props["asn"] == 64501
    assert entity_account_ids("ip", CAMPUS_IP) == ["hyd-0001", *USERS[:3]]
    html = analyst_client.get(f"/entity/ip/{CAMPUS_IP}/").content.decode()
    assert re.findall(r'class="account-link" href="/account/([^/]+)/"', html) == ["hyd-0001", *USERS[:3]]
    clusters = html.split('id="entity-clusters"')[1]
    assert f'href="/clusters/{TOP}/"' in clusters and "1 of 84" in clusters and "3 of 4" in clusters
    # Subnets (ids with a slash) and ASNs reach their accounts through the IPs.
    assert len(entity_account_ids("subnet", "203.0.113.0/24")) == 84 + 13
    assert analyst_client.get("/entity/subnet/203.0.113.0/24/").status_code == 200
    assert len(entity_account_ids("asn", "64500")) == 84 + 13
    assert analyst_client.get("/entity/device/not-there/").status_code == 404
    assert analyst_client.get("/entity/spaceship/x/").status_code == 404
    assert analyst_client.get("/entity/asn/99999999999999999999999/").status_code == 404


def test_unknown_account_is_404(runs: dict[int, DetectionRun], analyst_client: Client) -> None:
    assert analyst_client.get("/account/nobody-at-all/").status_code == 404
