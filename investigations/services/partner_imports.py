"""Writes for what partners send us: envelopes POSTed to a TAXII collection and bundles an admin uploads. The whole
envelope is checked first (its shape, then every object with stix2-validator); a bad one is refused whole, naming
the problem, and nothing of it is stored. A good one is stored in one transaction with its status resource and
audit event, its indicators kept (the latest version of each) and queued for matching against the graph."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from graph.partners.patterns import parse_pattern
from investigations.exports.stix_publication import validation_errors
from investigations.models import (
    AuditAction,
    Partner,
    PartnerIndicator,
    TaxiiCollection,
    TaxiiObject,
    TaxiiStatus,
)
from investigations.selectors.taxii import taxii_time
from investigations.services.audit import record_audit
from investigations.services.cases import User
from investigations.services.partner_matching import queue_rematch
from investigations.services.publishing import added_at, object_version


class EnvelopeRejected(ValueError):
    """An envelope or bundle refused whole: a TAXII error's title, description and HTTP status."""

    def __init__(self, title: str, description: str, http_status: int = 422) -> None:
        super().__init__(f"{title}: {description}")
        self.title = title
        self.description = description
        self.http_status = http_status


@dataclass(frozen=True)
class ImportResult:
    """What one import stored: its status resource (POSTs to a collection), the objects and the indicators."""

    status: TaxiiStatus | None
    objects: int
    indicators: list[int]


def envelope_objects(data: Any, *, bundle: bool = False) -> list[dict[str, Any]]:
    """The objects of a TAXII envelope (or of a STIX bundle), every one valid STIX 2.1; raises EnvelopeRejected."""
    what = "bundle" if bundle else "envelope"
    if not isinstance(data, dict):
        raise EnvelopeRejected(f"Not a {what}", "The body must be a JSON object with an `objects` list.", 400)
    if bundle and data.get("type") != "bundle":
        raise EnvelopeRejected("Not a bundle", "A STIX bundle has `type: bundle` and an `objects` list.", 400)
    objects = data.get("objects")
    if not isinstance(objects, list) or not objects:
        raise EnvelopeRejected(f"Empty {what}", f"The {what} has no `objects` list, or it is empty.", 400)
    if len(objects) > settings.TAXII_MAX_OBJECTS:
        raise EnvelopeRejected(
            "Too many objects", f"{len(objects)} objects; at most {settings.TAXII_MAX_OBJECTS} per request.", 413
        )
    for i, obj in enumerate(objects):
        if not isinstance(obj, dict) or not isinstance(obj.get("id"), str) or not isinstance(obj.get("type"), str):
            raise EnvelopeRejected("Not a STIX object", f"objects[{i}] has no string `id` and `type`.", 422)
        if obj["type"] == "bundle":
            raise EnvelopeRejected("Nested bundle", f"objects[{i}] is a bundle; send its objects instead.", 422)
    errors = validation_errors(objects)
    if errors:
        raise EnvelopeRejected("Invalid STIX objects", "stix2-validator: " + "; ".join(errors[:10]), 422)
    return objects


def parse_upload(raw: bytes) -> list[dict[str, Any]]:
    """The objects of an uploaded bundle file (JSON); raises EnvelopeRejected."""
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EnvelopeRejected("Not JSON", f"The file is not JSON: {exc}", 400) from exc
    return envelope_objects(data, bundle=True)


def import_objects(
    partner: Partner, objects: list[dict[str, Any]], *, collection: TaxiiCollection | None, by: User | None
) -> ImportResult:
    """Store a partner's valid objects (each version once), its indicators, a status resource when it came to a
    collection, and the audit event; matching is queued when the transaction commits."""
    at = timezone.now()
    indicator_ids: list[int] = []
    successes: list[dict[str, str]] = []
    with transaction.atomic():
        for n, obj in enumerate(objects):
            version = _version(obj, at)
            if collection is not None:
                TaxiiObject.objects.get_or_create(
                    collection=collection, stix_id=obj["id"], version=version,
                    defaults={"stix_type": obj["type"], "payload": obj, "date_added": added_at(at, n),
                              "submitted_by": partner, "spec_version": str(obj.get("spec_version") or "2.1")},
                )  # fmt: skip
            if obj["type"] == "indicator":
                kept = _keep_indicator(partner, obj, version, at)
                if kept is not None:
                    indicator_ids.append(kept)
            successes.append({"id": obj["id"], "version": taxii_time(version)})
        status = None
        if collection is not None:
            status = TaxiiStatus.objects.create(
                partner=partner, collection=collection, status="complete", request_timestamp=at,
                total_count=len(objects), success_count=len(objects), successes=successes,
            )  # fmt: skip
        record_audit(
            None, by, AuditAction.INDICATORS_IMPORTED,
            f"{len(objects)} objects ({len(indicator_ids)} new indicator versions) from partner {partner.name}"
            + (f" into collection {collection.title}" if collection else " uploaded"),
            after={"partner": partner.pk, "collection": str(collection.pk) if collection else None,
                   "objects": len(objects), "indicators": indicator_ids, "status": str(status.pk) if status else None},
        )  # fmt: skip
        if indicator_ids:
            queue_rematch(indicator_ids)
    return ImportResult(status, len(objects), indicator_ids)


def _version(obj: dict[str, Any], at: datetime) -> datetime:
    """An object's version; a cyber observable (no created or modified) is versioned by when it was added."""
    return object_version(obj) if obj.get("modified") or obj.get("created") else at


def _keep_indicator(partner: Partner, obj: dict[str, Any], version: datetime, at: datetime) -> int | None:
    """Keep a newer version of a partner's indicator (an older or equal one changes nothing); its id, or None."""
    current = PartnerIndicator.objects.select_for_update().filter(partner=partner, stix_id=obj["id"]).first()
    if current is not None and current.version >= version:
        return None
    if obj.get("pattern_type", "stix") == "stix":
        parsed = parse_pattern(str(obj.get("pattern") or ""))
        observables, unsupported = [[o.kind, o.value] for o in parsed.observables], parsed.unsupported
    else:
        observables, unsupported = [], f"pattern type {obj.get('pattern_type')} is not matched"
    valid_until = obj.get("valid_until")
    fields = {
        "version": version, "name": str(obj.get("name") or "")[:300], "pattern": str(obj.get("pattern") or ""),
        "observables": observables, "unsupported": unsupported[:300], "revoked": bool(obj.get("revoked")),
        "valid_until": datetime.fromisoformat(valid_until.replace("Z", "+00:00")) if valid_until else None,
        "payload": obj, "imported_at": at,
    }  # fmt: skip
    indicator, _ = PartnerIndicator.objects.update_or_create(partner=partner, stix_id=obj["id"], defaults=fields)
    if not indicator.is_active:
        indicator.matches.all().delete()  # revoked or expired: it no longer names anyone
    return indicator.pk
