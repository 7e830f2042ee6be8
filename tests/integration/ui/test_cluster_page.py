"""The cluster page: explained score with evidence, network picture, timelines, capabilities, members, lineage."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

from django.core.cache import caches
from django.test import Client

from investigations.models import DetectionRun, FirstFlag
from investigations.selectors.cluster_timelines import cluster_timelines
from investigations.selectors.clusters import cluster_in_run, cluster_network
from investigations.selectors.explanations import explanation_rows
from investigations.selectors.members import cluster_members
from investigations.selectors.networks import GROUP_THRESHOLD
from investigations.selectors.page_cache import clear_cluster_cache
from tests.integration.ui.scenario import (
    EARLIER_RUN,
    HYDRA,
    HYDRA_CARDS,
    HYDRA_DEVICES,
    HYDRA_TEMPLATES,
    LATEST_RUN,
    PROXY_IPS,
    RING,
    RING_CARD,
    RING_KEY,
    SDK_CLIENT,
    TOP,
)


def _cluster(runs: dict[int, DetectionRun], key: str = TOP):  # type: ignore[no-untyped-def]
    cluster = cluster_in_run(runs[LATEST_RUN], key)
    assert cluster is not None
    return cluster


def test_page_shows_score_explanation_and_evidence(
    runs: dict[int, DetectionRun], analyst_client: Client
) -> None:
    response = analyst_client.get(f"/clusters/{TOP}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="cluster-score">0.93<' in html
    # Every signal, strongest first, with its contribution; the mitigating one in green (class "down").
    labels = re.findall(r'<li data-signal="([^"]+)"', html)
    assert labels == [
        "shared_payment", "device_reuse", "templates", "hosting_egress", "reasoning_share", "model_pivot",
        "ban_replacement", "popular_client",
    ]  # fmt: skip
    assert '<span class="contrib down">-0.040</span>' in html
    # Evidence is checkable in one more click: each entity links to its page, with how many members share it.
    assert f'<a href="/entity/payment_instrument/{HYDRA_CARDS[0]}/">{HYDRA_CARDS[0]}</a>' in html
    assert '<a href="/entity/asn/64500/">64500</a>' in html
    assert '<a href="/entity/subnet/203.0.113.0/24/">203.0.113.0/24</a>' in html
    assert "28 members" in html and "prepaid card, no organisation declared" in html
    assert '<span class="muted">prepaid card BIN 404163</span>' in html  # an opaque key gets its human name
    assert "2026-09-15T16:00Z/2026-09-16T01:00Z" in html  # a time window has no page, it is shown as text
    assert 'id="fig-explanation"' in html and 'id="fig-network"' in html


def test_explanation_rows_accept_counts_or_account_lists(runs: dict[int, DetectionRun]) -> None:
    rows = explanation_rows(_cluster(runs, RING_KEY))
    card = rows[0].evidence[0]
    assert (card.kind, card.id, card.accounts, card.account_ids) == (
        "payment_instrument",
        RING_CARD,
        13,
        tuple(RING),
    )
    assert [r.signal for r in rows] == ["shared_payment", "device_reuse", "templates", "hosting_egress"]


def test_large_cluster_network_is_aggregated_by_shared_entity(runs: dict[int, DetectionRun]) -> None:
    cluster = _cluster(runs)
    assert cluster.size > GROUP_THRESHOLD
    net = cluster_network(cluster)
    assert net.mode == "groups" and net.account_count == 0
    members = {n.id: n.members for n in net.nodes}
    assert members[f"client_fingerprint|{SDK_CLIENT}"] == 84
    assert all(members[f"payment_instrument|{c}"] == 28 for c in HYDRA_CARDS)
    assert all(members[f"device|{d}"] == 21 for d in HYDRA_DEVICES)
    assert all(members[f"template|{t}"] == 84 for t, _ in HYDRA_TEMPLATES)
    assert members[f"ip|{PROXY_IPS[0]}"] == 42  # sign-up or session address of half the members
    edges = {(e.source, e.target): e.weight for e in net.edges}
    card, device = f"payment_instrument|{HYDRA_CARDS[0]}", f"device|{HYDRA_DEVICES[0]}"
    # Members i with i % 3 == 0 and i % 4 == 0: 7 of the 84 share card 0 and device 0.
    assert edges.get((card, device), edges.get((device, card))) == 7


def test_expanding_a_group_draws_its_members(runs: dict[int, DetectionRun], analyst_client: Client) -> None:
    group = f"device|{HYDRA_DEVICES[0]}"
    net = cluster_network(_cluster(runs), expand=group)
    accounts = [n for n in net.nodes if n.kind == "account"]
    assert net.expanded == group and net.expanded_total == 21
    assert sorted(n.label for n in accounts) == sorted(HYDRA[0::4])
    assert all(any(e.source == n.id and e.target == group for e in net.edges) for n in accounts)
    # An unknown group is ignored rather than failing.
    assert cluster_network(_cluster(runs), expand="device|nope").expanded is None
    html = analyst_client.get(f"/clusters/{TOP}/", {"expand": group}).content.decode()
    assert f"{HYDRA_DEVICES[0]}</span> (open)" in html and 'id="collapse-group"' in html
    # Every other group has an expand link.
    assert html.count('class="expand-link mono"') == len(net.groups) - 1


def test_small_cluster_network_draws_every_account(runs: dict[int, DetectionRun]) -> None:
    net = cluster_network(_cluster(runs, RING_KEY))
    assert net.mode == "accounts"
    assert sorted(n.label for n in net.nodes if n.kind == "account") == sorted(RING)
    card = next(n for n in net.nodes if n.id == f"payment_instrument|{RING_CARD}")
    assert card.members == 13
    assert sum(1 for e in net.edges if e.target == card.id) == 13


def test_timelines_and_capabilities(runs: dict[int, DetectionRun]) -> None:
    t = cluster_timelines(_cluster(runs))
    assert t.ban_total == 20 and t.bans == [(dt.date(2026, 9, 10), 20)]
    assert t.replacement_total == 20  # hyd-0065..0084 signed up within hours of the bans
    assert sum(n for _, n in t.signups) == 64
    assert sum(n for _, n in t.hourly) == t.exchanges == 84 * 800
    assert dict(t.capabilities)["reasoning"] == 84 * 600
    assert t.reasoning_share == 640 / 800
    share = {model: dict(days) for model, days in t.model_days.items()}
    day_before, day_after = dt.date(2026, 9, 12), dt.date(2026, 9, 20)
    assert share["nova-4"].get(day_before, 0) == 0 and share["nova-3"][day_before] > 0
    assert share["nova-4"][day_after] > 0 and share["nova-3"].get(day_after, 0) == 0
    assert ("nova-4", dt.datetime(2026, 9, 15, 16, tzinfo=dt.UTC)) in t.releases


def test_member_table_sorts_and_paginates(runs: dict[int, DetectionRun], analyst_client: Client) -> None:
    first = analyst_client.get(f"/clusters/{TOP}/", {"sort": "account_id"}).content.decode()
    second = analyst_client.get(f"/clusters/{TOP}/", {"sort": "account_id", "page": "2"}).content.decode()
    links = re.compile(r'class="member-link">([^<]+)<')
    assert links.findall(first) == HYDRA[:50]
    assert links.findall(second) == HYDRA[50:]
    newest = links.findall(analyst_client.get(f"/clusters/{TOP}/", {"sort": "-created_at"}).content.decode())
    assert newest[0] == "hyd-0084"
    by_status = analyst_client.get(f"/clusters/{TOP}/", {"sort": "status"}).content.decode()
    assert links.findall(by_status)[0] == "hyd-0021"  # "active" before "banned"; ties keep the id order
    banned_first = analyst_client.get(f"/clusters/{TOP}/", {"sort": "-status"}).content.decode()
    assert links.findall(banned_first)[0] == "hyd-0001"
    assert "page 1 of 2 (84 members)" in first


def test_members_csv(runs: dict[int, DetectionRun], analyst_client: Client) -> None:
    response = analyst_client.get(f"/clusters/{TOP}/members.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert f'filename="cluster-{LATEST_RUN}-{TOP}-members.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["account_id"] for r in rows] == HYDRA
    assert sum(r["is_new"] == "True" for r in rows) == 20
    assert sum(r["status"] == "banned" for r in rows) == 20


def test_members_are_enriched_from_the_graph(runs: dict[int, DetectionRun]) -> None:
    members = {m["account_id"]: m for m in cluster_members(_cluster(runs))}
    assert len(members) == 84
    assert members["hyd-0001"]["email"] == "hyd-0001@mailbox.example"
    assert members["hyd-0001"]["status"] == "banned" and members["hyd-0084"]["is_new"] is True


def test_lineage_and_older_runs(runs: dict[int, DetectionRun], analyst_client: Client) -> None:
    html = analyst_client.get(f"/clusters/{TOP}/").content.decode()
    lineage = html.split('id="lineage"')[1]
    assert (
        f'href="/clusters/{TOP}/?run=9001">#9001' in lineage
        and f'href="/clusters/{TOP}/?run=9002">#9002' in lineage
    )
    assert "carried share" in lineage and 'id="fig-lineage"' in lineage
    older = analyst_client.get(f"/clusters/{TOP}/", {"run": 9001}).content.decode()
    assert "Detection run #9001" in older and "page 1 of 2 (64 members)" in older


def test_alerts_and_headline_numbers(runs: dict[int, DetectionRun], analyst_client: Client) -> None:
    html = analyst_client.get(f"/clusters/{TOP}/").content.decode()
    assert "20 new accounts joined a cluster that was actioned" in html
    assert '<a class="mono" href="/account/hyd-0065/">hyd-0065</a>' in html
    stats = html.split('<ul class="stats">')[1].split("</ul>")[0]
    assert "67,200" in stats and "80%" in stats


def test_unknown_cluster_and_run(runs: dict[int, DetectionRun], analyst_client: Client) -> None:
    assert analyst_client.get("/clusters/C-404404/").status_code == 404
    assert analyst_client.get(f"/clusters/{TOP}/", {"run": 12345}).status_code == 404
    assert analyst_client.get(f"/clusters/{TOP}/members.csv", {"run": 12345}).status_code == 404


def test_members_show_when_they_were_first_flagged(
    runs: dict[int, DetectionRun], analyst_client: Client
) -> None:
    members = {m["account_id"]: m for m in cluster_members(_cluster(runs))}
    for account in HYDRA:
        run, wait = (runs[EARLIER_RUN], 20) if account in HYDRA[:64] else (runs[LATEST_RUN], 6)
        seen = members[account]["first_seen"]
        FirstFlag.objects.create(account_id=account, run=run, cluster_key=TOP, first_seen=seen,
                                 data_as_of=seen + dt.timedelta(hours=wait))  # fmt: skip
    # flags written after the page was first read (in production a run writes them with its clusters); the members
    # are read again here, in the test's transaction (the page reads them on a worker thread, which cannot see it)
    clear_cluster_cache()
    caches["default"].clear()
    assert sum(m["first_flagged_run"] is not None for m in cluster_members(_cluster(runs))) == 84
    html = analyst_client.get(f"/clusters/{TOP}/", {"sort": "-hours_to_detect"}).content.decode()
    assert '<section class="card" id="detection">' in html and 'id="fig-time-to-detect"' in html
    assert "84 / 84" in html and ">20 h<" in html  # median: 64 of the 84 were found after 20 hours
    rows = re.findall(r'class="member-link">([^<]+)<.*?<td class="nowrap">([^<]*)</td>\s*</tr>', html, re.S)
    assert rows[0] == ("hyd-0001", f"run #{EARLIER_RUN}, after 20 h")
    quick = analyst_client.get(f"/clusters/{TOP}/", {"sort": "hours_to_detect"}).content.decode()
    assert re.findall(r'class="member-link">([^<]+)<.*?<td class="nowrap">([^<]*)</td>\s*</tr>', quick, re.S)[0] == (
        "hyd-0065", f"run #{LATEST_RUN}, after 6 h")  # fmt: skip
