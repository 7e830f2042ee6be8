"""Writes for publishing a case's indicators to partners' TAXII collections, and for revoking them when the case is
dismissed or reopened. Every object is checked with stix2-validator before it is stored; each publication and
revocation is one transaction with its audit event."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from investigations.exports.stix import StixCase
from investigations.exports.stix_publication import (
    CASE_TYPES,
    CasePublication,
    publication_objects,
    revoked_version,
    stix_time,
    validation_errors,
)
from investigations.models import (
    AuditAction,
    Case,
    CaseStatus,
    Publication,
    TaxiiCollection,
    TaxiiObject,
    TlpLevel,
)
from investigations.selectors.case_evidence import case_indicators
from investigations.services.cases import CaseError, User, as_user, locked, record_audit, require_case_manager

PUBLISHABLE = (CaseStatus.CONFIRMED, CaseStatus.ACTIONED)
# A case moved to one of these no longer stands behind what it published.
REVOKING = (CaseStatus.DISMISSED, CaseStatus.INVESTIGATING)


class PublishRefused(CaseError):
    """A publication that cannot go out, with the reason (an invalid object names itself)."""


def object_version(obj: dict[str, Any]) -> datetime:
    """An object's version: its `modified`, else its `created` (marking definitions have only that)."""
    text = str(obj.get("modified") or obj.get("created"))
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def publish_case(
    case: Case, *, collections: Sequence[TaxiiCollection], tlp: str, note: str = "", by: User
) -> Publication:
    """Publish a confirmed or actioned case's indicators to `collections` with a TLP 2.0 marking and a note."""
    require_case_manager(by)
    if tlp not in TlpLevel.values:
        raise PublishRefused(f"Unknown TLP level {tlp!r}; choose one of {', '.join(TlpLevel.values)}.")
    if not collections:
        raise PublishRefused("Choose at least one collection to publish to.")
    with transaction.atomic():
        case = locked(case)
        if case.status not in PUBLISHABLE:
            raise PublishRefused(f"Only confirmed or actioned cases are published; this case is {case.status}.")
        indicators = case_indicators(case)
        if not indicators:
            raise PublishRefused("The case holds no indicators to publish (add clusters or accounts first).")
        latest = case.publications.order_by("-published_at", "-id").first()
        generation = 0 if latest is None else latest.generation + (1 if latest.revoked_at else 0)
        at = timezone.now()
        stix_case = StixCase(case_id=case.pk, title=case.title, created_at=case.created_at, generation=generation)
        pub = CasePublication(stix_case, TlpLevel(tlp), note, at, _first_created(case))
        objects = publication_objects(pub, indicators)
        errors = validation_errors(objects)
        if errors:
            raise PublishRefused("stix2-validator refused the publication: " + "; ".join(errors[:5]))
        publication = Publication.objects.create(
            case=case, tlp=tlp, note=note.strip(), published_by=as_user(by), published_at=at, generation=generation
        )
        publication.collections.set(collections)
        added = _store(objects, collections, case=case, publication=publication, at=at)
        publication.objects_published = added
        publication.save(update_fields=["objects_published"])
        record_audit(
            case, by, AuditAction.INDICATORS_PUBLISHED,
            f"{len(indicators)} indicators published to {', '.join(c.title for c in collections)} ({TlpLevel(tlp).label})",
            after={"publication": publication.pk, "collections": [str(c.pk) for c in collections], "tlp": tlp,
                   "indicators": len(indicators), "objects_added": added, "note": note.strip()[:200]},
        )  # fmt: skip
    return publication


def revoke_case_publications(case: Case, *, by: User | None, reason: str) -> int:
    """Revoke what a case published (a new version of each of its objects with `revoked: true`), in the caller's
    transaction; how many revoked versions were added."""
    live = list(case.publications.filter(revoked_at__isnull=True))
    if not live:
        return 0
    at = timezone.now()
    latest: dict[tuple[Any, str], TaxiiObject] = {}
    for obj in TaxiiObject.objects.filter(case=case, stix_type__in=CASE_TYPES).order_by("version", "id"):
        latest[(obj.collection_id, obj.stix_id)] = obj
    revoked = [(o, revoked_version(o.payload, at)) for o in latest.values() if not o.payload.get("revoked")]
    errors = validation_errors(v for _, v in revoked)
    if errors:  # our own objects: a failure here is a bug, and nothing half-revoked may stay
        raise PublishRefused("stix2-validator refused the revoked versions: " + "; ".join(errors[:5]))
    with transaction.atomic():
        for n, (obj, version) in enumerate(revoked):
            TaxiiObject.objects.create(
                collection_id=obj.collection_id, stix_id=obj.stix_id, stix_type=obj.stix_type,
                version=object_version(version), date_added=added_at(at, n), payload=version,
                publication=obj.publication, case=case,
            )  # fmt: skip
        Publication.objects.filter(pk__in=[p.pk for p in live]).update(revoked_at=at, revoked_reason=reason[:300])
        record_audit(
            case, by, AuditAction.INDICATORS_REVOKED,
            f"Published indicators revoked ({len(revoked)} objects): {reason}",
            after={"publications": [p.pk for p in live], "objects_revoked": len(revoked), "at": stix_time(at)},
        )  # fmt: skip
    return len(revoked)


def revoke_on_transition(case: Case, target: CaseStatus, *, by: User, reason: str) -> int:
    """Revoke a case's publications when it moves to a status that no longer stands behind them."""
    if target not in REVOKING:
        return 0
    return revoke_case_publications(case, by=by, reason=f"case moved to {target.value}" + (f": {reason}" if reason else ""))


def _first_created(case: Case) -> dict[str, datetime]:
    """When each of the case's published objects was first published (its `created` stays that)."""
    first: dict[str, datetime] = {}
    for stix_id, payload in TaxiiObject.objects.filter(case=case).order_by("version").values_list("stix_id", "payload"):
        if stix_id not in first and payload.get("created"):
            first[stix_id] = datetime.fromisoformat(str(payload["created"]).replace("Z", "+00:00"))
    return first


def _store(
    objects: Iterable[dict[str, Any]], collections: Sequence[TaxiiCollection], *, case: Case,
    publication: Publication, at: datetime,
) -> int:  # fmt: skip
    """Add each object version to each collection once; how many versions were new."""
    added = 0
    for collection in collections:
        for obj in objects:
            _, created = TaxiiObject.objects.get_or_create(
                collection=collection, stix_id=obj["id"], version=object_version(obj),
                defaults={"stix_type": obj["type"], "payload": obj, "date_added": added_at(at, added),
                          "publication": publication, "case": case},
            )  # fmt: skip
            added += int(created)
    return added


def added_at(at: datetime, n: int) -> datetime:
    """The date_added of the n-th row a request adds: one microsecond apart, so a client that pages with
    added_after (strictly later) never skips a row that shares its predecessor's time."""
    return at + timedelta(microseconds=n)
