"""What a partner's STIX pattern names that the graph can hold, and how our own patterns read back (pure)."""

from __future__ import annotations

import pytest

from graph.partners.patterns import Observable, ObservableKind, canonical, network_subnets, parse_pattern
from investigations.exports.stix import stix_pattern
from investigations.models import IndicatorKind

K = ObservableKind


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("[ipv4-addr:value = '203.0.113.10']", [Observable(K.IP, "203.0.113.10")]),
        ("[ipv6-addr:value = '2001:DB8::1']", [Observable(K.IP, "2001:db8::1")]),
        ("[ipv4-addr:value ISSUBSET '203.0.113.0/24']", [Observable(K.NETWORK, "203.0.113.0/24")]),
        ("[ipv4-addr:value = '203.0.113.0/25']", [Observable(K.NETWORK, "203.0.113.0/25")]),
        ("[email-addr:value LIKE '%@Evil.Example']", [Observable(K.EMAIL_DOMAIN, "evil.example")]),
        ("[email-addr:value = 'bob@evil.example']", [Observable(K.EMAIL_DOMAIN, "evil.example")]),
        ("[domain-name:value = 'evil.example']", [Observable(K.EMAIL_DOMAIN, "evil.example")]),
        ("[x-payment-instrument:fingerprint = 'A1B2C3D4E5F60001']", [Observable(K.PAYMENT, "a1b2c3d4e5f60001")]),
        ("[x-signup-device:fingerprint = 'd0d0d0d000000001']", [Observable(K.DEVICE, "d0d0d0d000000001")]),
        ("[x-client-fingerprint:fingerprint = 'c0ffee00c0ffee00']", [Observable(K.CLIENT, "c0ffee00c0ffee00")]),
        ("[x-prompt-template:simhash = '0F0F0F0F0F0F0F0E']", [Observable(K.TEMPLATE_SIMHASH, "0f0f0f0f0f0f0f0e")]),
        ("[x-prompt-template:template_id = 'tpl-reason-01']", [Observable(K.TEMPLATE_ID, "tpl-reason-01")]),
        (
            "[x-payment-instrument:fingerprint IN ('a1b2c3d4e5f60001', 'a1b2c3d4e5f60002')]",
            [Observable(K.PAYMENT, "a1b2c3d4e5f60001"), Observable(K.PAYMENT, "a1b2c3d4e5f60002")],
        ),
        (
            "[ipv4-addr:value = '198.51.100.7'] OR [x-signup-device:fingerprint = 'deadbeef00000001']",
            [Observable(K.DEVICE, "deadbeef00000001"), Observable(K.IP, "198.51.100.7")],
        ),
        ("[ipv4-addr:value = 'it''s' ]", []),
    ],
)
def test_patterns_name_what_the_graph_holds(pattern: str, expected: list[Observable]) -> None:
    parsed = parse_pattern(pattern)
    assert list(parsed.observables) == expected
    assert bool(parsed.unsupported) == (not expected)


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        ("[ipv4-addr:value = '1.2.3.4' AND x-signup-device:fingerprint = 'abcdef0123']", "several things"),
        ("[ipv4-addr:value = '1.2.3.4'] AND [ipv4-addr:value = '1.2.3.5']", "several things"),
        ("[ipv4-addr:value != '1.2.3.4']", "several things"),
        ("[ipv4-addr:value = '1.2.3.4'] WITHIN 60 SECONDS", "qualifiers"),
        ("[file:name = 'a AND b']", "names nothing"),
        ("[x-payment-instrument:fingerprint = 'not hex']", "names nothing"),
        ("this is not a pattern", "not a valid STIX pattern"),
        ("[email-addr:value LIKE '%evil%']", "names nothing"),
    ],
)
def test_patterns_that_are_not_matched_say_why(pattern: str, why: str) -> None:
    parsed = parse_pattern(pattern)
    assert parsed.observables == ()
    assert why in parsed.unsupported


def test_a_quoted_and_is_not_a_conjunction() -> None:
    assert parse_pattern("[domain-name:value = 'and.example'] OR [email-addr:value = 'x@and.example']").observables


@pytest.mark.parametrize(
    ("kind", "value", "observable"),
    [
        (IndicatorKind.IP, "203.0.113.10", Observable(K.IP, "203.0.113.10")),
        (IndicatorKind.SUBNET, "203.0.113.0/24", Observable(K.NETWORK, "203.0.113.0/24")),
        (IndicatorKind.EMAIL_DOMAIN, "evil.example", Observable(K.EMAIL_DOMAIN, "evil.example")),
        (IndicatorKind.PAYMENT_FINGERPRINT, "a1b2c3d4e5f60001", Observable(K.PAYMENT, "a1b2c3d4e5f60001")),
        (IndicatorKind.DEVICE, "d0d0d0d000000001", Observable(K.DEVICE, "d0d0d0d000000001")),
        (IndicatorKind.CLIENT_FINGERPRINT, "c0ffee00c0ffee00", Observable(K.CLIENT, "c0ffee00c0ffee00")),
        (IndicatorKind.PROMPT_TEMPLATE, "0f0f0f0f0f0f0f0f", Observable(K.TEMPLATE_SIMHASH, "0f0f0f0f0f0f0f0f")),
        (IndicatorKind.PROMPT_TEMPLATE, "tpl-reason-01", Observable(K.TEMPLATE_ID, "tpl-reason-01")),
    ],
)
def test_what_we_publish_reads_back_as_the_same_value(kind: IndicatorKind, value: str, observable: Observable) -> None:
    """A partner running our matcher on what we publish finds the same entity: the two sides agree."""
    assert parse_pattern(stix_pattern(kind, value)).observables == (observable,)


def test_networks_are_read_as_the_graphs_subnets() -> None:
    assert network_subnets("203.0.113.128/25") == ["203.0.113.0/24"]
    assert network_subnets("203.0.112.0/23") == ["203.0.112.0/24", "203.0.113.0/24"]
    assert network_subnets("10.0.0.0/8") is None  # too broad to read
    assert network_subnets("2001:db8::/48") == ["2001:db8::/48"]
    assert len(network_subnets("198.51.0.0/16") or []) == 256


def test_canonical_values() -> None:
    assert canonical(K.IP, " 2001:DB8:0::1 ") == "2001:db8::1"
    assert canonical(K.IP, "999.1.1.1") is None
    assert canonical(K.TEMPLATE_SIMHASH, "0f0f") is None
    assert canonical(K.EMAIL_DOMAIN, "@Sub.Evil.Example") == "sub.evil.example"
    assert canonical(K.EMAIL_DOMAIN, "user@evil.example") is None  # an address is not a domain
