"""Search: account id, email, IP, payment / device / prompt fingerprint, subnet, ASN; one hit opens it."""

from __future__ import annotations

from urllib.parse import quote

from django.test import Client

from investigations.models import DetectionRun
from investigations.selectors.search import search
from tests.integration.ui.scenario import (
    CAMPUS_IP,
    HOSTILE_EMAIL,
    HYDRA_CARDS,
    HYDRA_DEVICES,
    HYDRA_TEMPLATES,
    RING_TEMPLATE,
    SHARED_HEX,
)


def _hits(term: str) -> set[tuple[str, str]]:
    return {(h.kind, h.id) for h in search(term)}


def test_one_hit_opens_its_page(runs: dict[int, DetectionRun], analyst_client: Client) -> None:
    cases = {
        "hyd-0007": "/account/hyd-0007/",
        "hyd-0007@mailbox.example": "/account/hyd-0007/",
        HOSTILE_EMAIL: "/account/ring-01/",
        CAMPUS_IP: f"/entity/ip/{CAMPUS_IP}/",
        HYDRA_CARDS[1].upper(): f"/entity/payment_instrument/{HYDRA_CARDS[1]}/",
        HYDRA_DEVICES[2]: f"/entity/device/{HYDRA_DEVICES[2]}/",
        "s-hyd-0003-2": "/account/hyd-0003/",
        "AS64501": "/entity/asn/64501/",
        "198.51.100.0/24": "/entity/subnet/198.51.100.0/24/",
    }
    for term, url in cases.items():
        response = analyst_client.get("/search/", {"q": term})
        assert response.status_code == 302, term
        assert response["Location"] == quote(url, safe="/:@"), term


def test_ip_search_normalises_addresses(runs: dict[int, DetectionRun]) -> None:
    assert _hits("2001:0db8:0000:0000:0000:0000:0000:0001") == {("ip", "2001:db8::1")}
    assert _hits(f"  {CAMPUS_IP}  ") == {("ip", CAMPUS_IP)}


def test_prompt_fingerprint_finds_its_template_within_three_bits(runs: dict[int, DetectionRun]) -> None:
    template_id, fingerprint = RING_TEMPLATE
    assert ("template", template_id) in _hits(fingerprint)
    near = f"{int(fingerprint, 16) ^ 0b101:016x}"  # two bits away
    assert ("template", template_id) in _hits(near)
    far = f"{int(fingerprint, 16) ^ 0xF0F0:016x}"  # eight bits away
    assert ("template", template_id) not in _hits(far)
    assert _hits(HYDRA_TEMPLATES[0][0]) == {("template", HYDRA_TEMPLATES[0][0])}


def test_several_hits_are_listed_and_nothing_says_so(
    runs: dict[int, DetectionRun], analyst_client: Client
) -> None:
    response = analyst_client.get("/search/", {"q": SHARED_HEX})
    html = response.content.decode()
    assert response.status_code == 200
    assert f'href="/entity/device/{SHARED_HEX}/">{SHARED_HEX}</a>' in html
    assert f'href="/entity/payment_instrument/{SHARED_HEX}/">{SHARED_HEX}</a>' in html
    html = analyst_client.get("/search/", {"q": "no-such-thing"}).content.decode()
    assert 'id="search-empty"' in html and "no-such-thing" in html
    html = analyst_client.get("/search/", {"q": ""}).content.decode()
    assert "Type what you are looking for." in html


def test_search_of_a_model_and_an_org(runs: dict[int, DetectionRun]) -> None:
    assert _hits("nova-4") == {("model", "nova-4")}
    assert _hits("org-acme") == {("organization", "org-acme")}
