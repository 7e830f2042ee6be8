"""A case's indicators as the versioned STIX 2.1 objects published to partners' TAXII collections: the indicators
(built as in the file export, `exports/stix.py`), the campaign behind them as an `intrusion-set` and a `campaign`
tied by relationships, an optional note, all marked with a TLP 2.0 marking definition; a revoked version of each;
and the check with `stix2-validator` that everything published passes."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import stix2
from stix2validator import ValidationOptions, validate_instance

from investigations.exports.stix import StixCase, _indicator, _sid, indicator_id, producer_identity
from investigations.models import TlpLevel
from investigations.selectors.case_evidence import Indicator

# TLP 2.0 marking definitions as OASIS publishes them (fixed ids, the TLP 2.0 property extension).
TLP2_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP2_CREATED_BY = "identity--b3bca3c2-1f3d-4b54-b44f-dac42c3a8f01"
TLP2_IDS: dict[TlpLevel, str] = {
    TlpLevel.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    TlpLevel.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    TlpLevel.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    TlpLevel.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    TlpLevel.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
# Objects of these types belong to the case and are revoked with it (the producer and the marking are shared).
CASE_TYPES = frozenset({"indicator", "campaign", "intrusion-set", "relationship", "note"})
VALIDATION = ValidationOptions(version="2.1")


def stix_time(value: datetime) -> str:
    """A STIX timestamp with millisecond precision (what every version of ours carries)."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def to_millis(value: datetime) -> datetime:
    """A time cut to the millisecond (what a STIX timestamp of ours keeps)."""
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def tlp_marking(level: TlpLevel) -> dict[str, Any]:
    """The TLP 2.0 marking-definition object of a level."""
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": TLP2_IDS[level],
        "created_by_ref": TLP2_CREATED_BY,
        "created": "2022-10-01T00:00:00.000Z",
        "name": level.label,
        "extensions": {TLP2_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": level.value}},
    }


@dataclass(frozen=True)
class CasePublication:
    """What one publication of a case says: the case, its marking and note, its time, and when each object was
    first published (a new version keeps its first `created`)."""

    case: StixCase
    tlp: TlpLevel
    note: str
    at: datetime
    first_created: Mapping[str, datetime]


def _plain(obj: Any) -> dict[str, Any]:
    return dict(json.loads(obj.serialize()))


def publication_objects(pub: CasePublication, indicators: Iterable[Indicator]) -> list[dict[str, Any]]:
    """The objects one publication of a case puts in a collection, as JSON data."""
    identity = producer_identity(pub.case.producer)
    marking = TLP2_IDS[pub.tlp]
    at = to_millis(pub.at)

    def created(stix_id: str) -> datetime:
        return to_millis(min(pub.first_created.get(stix_id, at), at))

    common = {"created_by_ref": identity.id, "object_marking_refs": [marking], "modified": at}
    title = f"Case #{pub.case.case_id}: {pub.case.title}"
    iset_id = pub.case.sid("intrusion-set")
    intrusion_set = stix2.IntrusionSet(
        id=iset_id, created=created(iset_id), name=f"Account network of case #{pub.case.case_id}",
        description="Coordinated fraudulent accounts (a hydra network) found by account-network analysis.",
        goals=["model capability extraction (distillation)"], **common,
    )  # fmt: skip
    campaign_id = pub.case.sid("campaign")
    campaign = stix2.Campaign(
        id=campaign_id, created=created(campaign_id), name=title,
        description=f"Distillation campaign investigated in case #{pub.case.case_id}.", **common,
    )  # fmt: skip
    objects: list[Any] = [identity, intrusion_set, campaign]
    objects.append(_relationship(campaign.id, "attributed-to", intrusion_set.id, created, common))
    for item in indicators:
        ind_id = indicator_id(pub.case, item)
        indicator = _indicator(pub.case, identity.id, item, marking_id=marking, created=created(ind_id), modified=at)
        objects += [indicator, _relationship(indicator.id, "indicates", campaign.id, created, common)]
    if pub.note.strip():
        note_id = pub.case.sid("note")
        objects.append(
            stix2.Note(
                id=note_id, created=created(note_id), content=pub.note.strip()[:5000],
                object_refs=[campaign.id, intrusion_set.id], **common,
            )  # fmt: skip
        )
    return [tlp_marking(pub.tlp), *(_plain(o) for o in objects)]


def _relationship(
    source: str, kind: str, target: str, created: Any, common: dict[str, Any]
) -> stix2.Relationship:
    rel_id = _sid("relationship", source, kind, target)
    return stix2.Relationship(
        id=rel_id, created=created(rel_id), relationship_type=kind, source_ref=source, target_ref=target, **common
    )


def revoked_version(payload: Mapping[str, Any], at: datetime) -> dict[str, Any]:
    """The next version of a published object, revoked (`modified` moves on, never back)."""
    modified = max(stix_time(at), str(payload.get("modified") or ""))
    return {**payload, "revoked": True, "modified": modified}


def validation_errors(objects: Iterable[Mapping[str, Any]]) -> list[str]:
    """What stix2-validator finds wrong with each object ("<id>: <message>"); empty when all pass."""
    errors: list[str] = []
    for obj in objects:
        try:
            result = validate_instance(dict(obj), VALIDATION)
        except Exception as exc:  # noqa: BLE001  # the validator raises on objects it cannot even read
            errors.append(f"{obj.get('id', '?')}: {exc}")
            continue
        if not result.is_valid:
            errors += [f"{obj.get('id', '?')}: {e.message}" for e in result.errors or []]
    return errors
