"""TAXII on the wire without a server: Accept negotiation, tokens in Authorization headers, published versions and
their revocation, TLP 2.0 markings, and what stix2-validator says (pure functions)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from investigations.exports.stix import StixCase
from investigations.exports.stix_publication import (
    TLP2_IDS,
    CasePublication,
    publication_objects,
    revoked_version,
    tlp_marking,
    validation_errors,
)
from investigations.models import IndicatorKind, TlpLevel
from investigations.selectors.case_evidence import Indicator
from investigations.taxii.auth import presented_token
from investigations.taxii.http import accepts_taxii

AT = datetime(2026, 12, 1, 10, 0, 0, 123456, tzinfo=UTC)
CASE = StixCase(case_id=7, title="Hydra ring", created_at=datetime(2026, 11, 1, tzinfo=UTC))
ITEMS = [
    Indicator(IndicatorKind.IP, "203.0.113.10", ("a1", "a2"), 2, ("C-000001",), "2026-11-02T00:00:00+00:00"),
    Indicator(IndicatorKind.PAYMENT_FINGERPRINT, "a1b2c3d4e5f60001", ("a1",), 1, ("graph",), "2026-11-02T00:00:00+00:00"),
    Indicator(IndicatorKind.PROMPT_TEMPLATE, "0f0f0f0f0f0f0f0f", ("a1",), 9, ("graph",), "2026-11-02T00:00:00+00:00",
              template_id="tpl-reason-01"),
    Indicator(IndicatorKind.CLIENT_FINGERPRINT, "c0ffee00c0ffee00", ("a1",), 3, ("graph",), "2026-11-02T00:00:00+00:00"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("accept", "ok"),
    [
        ("application/taxii+json;version=2.1", True),
        ("application/taxii+json", True),
        ("", True),
        ("*/*", True),
        ("application/json, application/taxii+json;version=2.1;q=0.9", True),
        ("application/taxii+json;version=2.0", False),
        ("application/json", False),
        ("text/html", False),
        ("application/taxii+json;version=2.1;q=0", False),
    ],
)
def test_accept_negotiation(accept: str, ok: bool) -> None:
    assert accepts_taxii(accept) is ok


def test_tokens_in_authorization_headers() -> None:
    assert presented_token(b"Bearer hwp_abc") == "hwp_abc"
    assert presented_token(b"Token hwp_abc") == "hwp_abc"
    assert presented_token(b"Basic " + base64.b64encode(b"acme:hwp_abc")) == "hwp_abc"
    assert presented_token(b"Basic !!notbase64") is None
    assert presented_token(b"Bearer") is None
    assert presented_token(b"Digest x") is None


def _publish(tlp: TlpLevel = TlpLevel.AMBER, note: str = "seen since October") -> list[dict]:
    return publication_objects(CasePublication(CASE, tlp, note, AT, {}), ITEMS)


def test_a_publication_is_valid_stix_with_its_tlp2_marking_everywhere() -> None:
    objects = _publish()
    assert validation_errors(objects) == []
    types = sorted(o["type"] for o in objects)
    assert types.count("indicator") == 4 and "campaign" in types and "intrusion-set" in types and "note" in types
    assert types.count("relationship") == 5  # campaign attributed-to intrusion-set, four indicates
    marking = TLP2_IDS[TlpLevel.AMBER]
    assert objects[0] == tlp_marking(TlpLevel.AMBER)
    assert all(o["object_marking_refs"] == [marking] for o in objects if o["type"] not in ("marking-definition", "identity"))
    patterns = {o["pattern"] for o in objects if o["type"] == "indicator"}
    assert "[x-client-fingerprint:fingerprint = 'c0ffee00c0ffee00']" in patterns
    assert all(o["modified"] == "2026-12-01T10:00:00.123Z" for o in objects if o["type"] == "indicator")


def test_a_new_version_keeps_the_id_and_first_created() -> None:
    first = {o["id"]: o for o in _publish()}
    later = AT.replace(day=2)
    again = publication_objects(
        CasePublication(CASE, TlpLevel.RED, "", later, {i: AT for i in first}), ITEMS
    )
    ids = {o["id"] for o in again if o["type"] == "indicator"}
    assert ids == {i for i, o in first.items() if o["type"] == "indicator"}
    for o in again:
        if o["type"] == "indicator":
            assert o["created"] == "2026-12-01T10:00:00.123Z" and o["modified"].startswith("2026-12-02")
    assert not any(o["type"] == "note" for o in again)  # no note, no note object


def test_after_a_revocation_the_ids_are_new() -> None:
    revoked_gen = publication_objects(CasePublication(StixCase(7, "Hydra ring", CASE.created_at, generation=1),
                                                      TlpLevel.AMBER, "", AT, {}), ITEMS)  # fmt: skip
    first = {o["id"] for o in _publish() if o["type"] == "indicator"}
    assert first.isdisjoint({o["id"] for o in revoked_gen if o["type"] == "indicator"})


def test_revoked_version_is_valid_and_later() -> None:
    indicator = next(o for o in _publish() if o["type"] == "indicator")
    revoked = revoked_version(indicator, AT.replace(hour=11))
    assert revoked["revoked"] is True and revoked["modified"] > indicator["modified"]
    assert validation_errors([revoked]) == []
    # a clock behind the last version never makes the revocation older than it
    assert revoked_version(indicator, AT.replace(year=2020))["modified"] == indicator["modified"]


def test_the_validator_names_a_bad_object() -> None:
    bad = {"type": "indicator", "spec_version": "2.1", "id": "indicator--0b1f4a8e-3e3c-4a61-9d4e-8c2f0f4a1b2c",
           "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "pattern": "[not a pattern",
           "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"}  # fmt: skip
    errors = validation_errors([bad])
    assert errors and errors[0].startswith("indicator--0b1f4a8e")
