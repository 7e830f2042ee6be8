"""Reads for the TAXII server: the collections a partner is granted, the objects of a collection it may see (what
we published, and what it sent itself; never another partner's submissions or anything internal), the TAXII
filters (added_after, match[id|type|version|spec_version]) and `limit`/`next` paging by date added."""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet

from investigations.models import CollectionAccess, Partner, TaxiiCollection, TaxiiObject, TaxiiStatus


class FilterError(ValueError):
    """A filter or paging parameter the server cannot read (answered 400 naming it)."""


@dataclass(frozen=True)
class Filters:
    """The TAXII filters of one request."""

    added_after: datetime | None = None
    ids: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    versions: tuple[str, ...] = ("last",)
    spec_versions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Page:
    """One page of objects: the rows, whether more follow, and the `next` to ask for them."""

    items: list[TaxiiObject]
    more: bool
    next: str | None


def granted_collections(partner: Partner) -> list[CollectionAccess]:
    """The partner's rights, one per collection it may read or write."""
    return list(CollectionAccess.objects.filter(partner=partner).select_related("collection"))


def collection_access(partner: Partner, collection_id: str) -> tuple[TaxiiCollection | None, CollectionAccess | None]:
    """The collection with this id (None when there is none) and the partner's rights on it (None: no access)."""
    collection = TaxiiCollection.objects.filter(pk=collection_id).first() if _is_uuid(collection_id) else None
    if collection is None:
        return None, None
    return collection, CollectionAccess.objects.filter(partner=partner, collection=collection).first()


def partner_status(partner: Partner, status_id: str) -> TaxiiStatus | None:
    """A status resource of the partner's own POSTs."""
    return TaxiiStatus.objects.filter(pk=status_id, partner=partner).first() if _is_uuid(status_id) else None


def visible_objects(partner: Partner, collection: TaxiiCollection) -> QuerySet[TaxiiObject]:
    """What the partner may see in a collection: our published objects and its own submissions."""
    return TaxiiObject.objects.filter(collection=collection).filter(
        Q(publication__isnull=False) | Q(submitted_by=partner)
    )


def taxii_time(value: datetime) -> str:
    """A TAXII timestamp with microseconds (date_added values must tell rows apart); parse_timestamp reads it."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_timestamp(text: str, name: str) -> datetime:
    """A TAXII timestamp parameter (RFC 3339, UTC)."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise FilterError(f"{name} must be a timestamp such as 2026-01-01T00:00:00.000Z, not {text!r}") from exc
    if value.tzinfo is None:
        raise FilterError(f"{name} must give its time zone (Z for UTC)")
    return value


def filtered(qs: QuerySet[TaxiiObject], f: Filters) -> QuerySet[TaxiiObject]:
    """Apply the TAXII filters; versions: last, first, all, or timestamps (several: their union)."""
    if f.added_after is not None:
        qs = qs.filter(date_added__gt=f.added_after)
    if f.ids:
        qs = qs.filter(stix_id__in=f.ids)
    if f.types:
        qs = qs.filter(stix_type__in=f.types)
    if f.spec_versions:
        qs = qs.filter(spec_version__in=f.spec_versions)
    if "all" in f.versions:
        return qs
    base = qs
    wanted = Q(pk__in=[])
    for v in f.versions:
        if v == "last":
            newer = base.filter(stix_id=OuterRef("stix_id"), version__gt=OuterRef("version"))
            wanted |= Q(pk__in=base.exclude(Exists(newer)).values("pk"))
        elif v == "first":
            older = base.filter(stix_id=OuterRef("stix_id"), version__lt=OuterRef("version"))
            wanted |= Q(pk__in=base.exclude(Exists(older)).values("pk"))
        else:
            wanted |= Q(version=parse_timestamp(v, "match[version]"))
    return qs.filter(wanted)


def encode_next(obj: TaxiiObject) -> str:
    """The opaque `next` after an object."""
    return base64.urlsafe_b64encode(f"o{obj.pk}".encode()).decode().rstrip("=")


def page(qs: QuerySet[TaxiiObject], *, limit: int, after: str | None) -> Page:
    """One page in date-added order, starting after the `next` a previous page gave."""
    qs = qs.order_by("date_added", "pk")
    if after:
        try:
            pk = int(base64.urlsafe_b64decode(after + "=" * (-len(after) % 4)).decode()[1:])
        except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
            raise FilterError("next is not a value this server gave") from exc
        last = TaxiiObject.objects.filter(pk=pk).values_list("date_added", flat=True).first()
        if last is None:
            raise FilterError("next is not a value this server gave")
        qs = qs.filter(Q(date_added__gt=last) | Q(date_added=last, pk__gt=pk))
    items = list(qs[: limit + 1])
    more = len(items) > limit
    items = items[:limit]
    return Page(items, more, encode_next(items[-1]) if more and items else None)


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(str(text))
    except ValueError:
        return False
    return True
