"""TAXII 2.1 endpoints (section 4 of the spec): discovery, the API root, collections, objects (GET and POST),
one object and its versions, the manifest, and status resources. Each view parses the request, calls a selector or
service, and answers in TAXII JSON."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import ParseError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from investigations.models import CollectionAccess, TaxiiCollection, TaxiiObject, TaxiiStatus
from investigations.selectors import taxii as q
from investigations.selectors.taxii import taxii_time
from investigations.services.partner_imports import EnvelopeRejected, envelope_objects, import_objects
from investigations.taxii.auth import (
    IsPartner,
    PartnerPrincipal,
    PartnerTokenAuthentication,
    PartnerTokenThrottle,
)
from investigations.taxii.http import (
    STIX_MEDIA,
    TAXII_MEDIA,
    TaxiiError,
    TaxiiNegotiation,
    TaxiiParser,
    TaxiiRenderer,
    taxii_exception_handler,
)


def version_text(obj: TaxiiObject) -> str:
    """An object version as the object itself writes it (its `modified` or `created`)."""
    return str(obj.payload.get("modified") or obj.payload.get("created") or taxii_time(obj.version))


@extend_schema(exclude=True)  # a protocol of its own, documented by its spec; partners only
class TaxiiView(APIView):
    """The common ground of every TAXII endpoint: partner tokens only, per-token rate limit, TAXII JSON."""

    authentication_classes = [PartnerTokenAuthentication]
    permission_classes = [IsPartner]
    throttle_classes = [PartnerTokenThrottle]
    renderer_classes = [TaxiiRenderer]
    parser_classes = [TaxiiParser]
    content_negotiation_class = TaxiiNegotiation

    def get_exception_handler(self) -> Any:
        return taxii_exception_handler

    @property
    def principal(self) -> PartnerPrincipal:
        """The partner behind this request."""
        user = self.request.user
        assert isinstance(user, PartnerPrincipal)
        return user

    def root_url(self) -> str:
        return self.request.build_absolute_uri(reverse("taxii-api-root", args=[settings.TAXII_API_ROOT]))

    def check_root(self, api_root: str) -> None:
        if api_root != settings.TAXII_API_ROOT:
            raise TaxiiError(404, "Not found", f"No API root {api_root!r} here.")

    def collection(self, api_root: str, collection_id: str, *, write: bool = False) -> TaxiiCollection:
        """The collection, when this partner may read it (or write it); 404 when unknown, 403 when not granted."""
        self.check_root(api_root)
        collection, access = q.collection_access(self.principal.partner, collection_id)
        if collection is None:
            raise TaxiiError(404, "Not found", f"No collection {collection_id!r}.")
        allowed = access is not None and (access.can_write if write else access.can_read)
        if not allowed:
            raise TaxiiError(403, "Forbidden", f"This partner may not {'write to' if write else 'read'} this collection.")
        return collection

    def filters(self, *, versions_default: str = "last") -> q.Filters:
        params = self.request.query_params

        def listed(name: str) -> tuple[str, ...]:
            return tuple(v.strip() for v in ",".join(params.getlist(name)).split(",") if v.strip())

        try:
            added_after = params.get("added_after")
            return q.Filters(
                added_after=q.parse_timestamp(added_after, "added_after") if added_after else None,
                ids=listed("match[id]"), types=listed("match[type]"),
                versions=listed("match[version]") or (versions_default,), spec_versions=listed("match[spec_version]"),
            )  # fmt: skip
        except q.FilterError as exc:
            raise TaxiiError(400, "Bad filter", str(exc)) from exc

    def limit(self) -> int:
        text = self.request.query_params.get("limit")
        if text is None:
            return int(settings.TAXII_PAGE_SIZE)
        if not text.isdigit() or int(text) < 1:
            raise TaxiiError(400, "Bad limit", "limit must be a positive whole number")
        return min(int(text), int(settings.TAXII_MAX_PAGE_SIZE))

    def paged(self, qs: Any) -> tuple[q.Page, dict[str, str]]:
        """One page of `qs` with the X-TAXII-Date-Added-First/Last headers."""
        try:
            result = q.page(qs, limit=self.limit(), after=self.request.query_params.get("next"))
        except q.FilterError as exc:
            raise TaxiiError(400, "Bad next", str(exc)) from exc
        headers = {}
        if result.items:
            headers = {
                "X-TAXII-Date-Added-First": taxii_time(result.items[0].date_added),
                "X-TAXII-Date-Added-Last": taxii_time(result.items[-1].date_added),
            }
        return result, headers


def envelope(result: q.Page, key: str, rows: list[Any]) -> dict[str, Any]:
    """An envelope (or manifest, or versions list): `more`, `next` when more follow, and the rows if any."""
    body: dict[str, Any] = {"more": result.more}
    if result.next:
        body["next"] = result.next
    if rows:
        body[key] = rows
    return body


class DiscoveryView(TaxiiView):
    """GET /taxii2/: the server and its API root."""

    def get(self, request: Request) -> Response:
        root = self.root_url()
        body = {"title": settings.TAXII_TITLE, "description": "Indicators of coordinated fraudulent-account networks.",
                "default": root, "api_roots": [root]}  # fmt: skip
        if settings.TAXII_CONTACT:
            body["contact"] = settings.TAXII_CONTACT
        return Response(body)


class ApiRootView(TaxiiView):
    """GET /taxii2/<root>/: what the API root supports."""

    def get(self, request: Request, api_root: str) -> Response:
        self.check_root(api_root)
        return Response({
            "title": settings.TAXII_TITLE, "description": "Collections of indicators shared with partners.",
            "versions": [TAXII_MEDIA], "max_content_length": int(settings.TAXII_MAX_CONTENT_LENGTH),
        })  # fmt: skip


def collection_resource(access: CollectionAccess) -> dict[str, Any]:
    """A collection as the partner sees it."""
    c = access.collection
    body = {"id": str(c.pk), "title": c.title, "can_read": access.can_read, "can_write": access.can_write,
            "media_types": [STIX_MEDIA]}  # fmt: skip
    if c.description:
        body["description"] = c.description
    return body


class CollectionsView(TaxiiView):
    """GET /taxii2/<root>/collections/: the collections this partner is granted."""

    def get(self, request: Request, api_root: str) -> Response:
        self.check_root(api_root)
        granted = [collection_resource(a) for a in q.granted_collections(self.principal.partner)]
        return Response({"collections": granted} if granted else {})


class CollectionView(TaxiiView):
    """GET /taxii2/<root>/collections/<id>/: one collection."""

    def get(self, request: Request, api_root: str, collection_id: str) -> Response:
        self.check_root(api_root)
        collection, access = q.collection_access(self.principal.partner, collection_id)
        if collection is None or access is None:
            raise TaxiiError(404 if collection is None else 403, "Not found" if collection is None else "Forbidden",
                             "No such collection, or it is not granted to this partner.")  # fmt: skip
        return Response(collection_resource(access))


class ObjectsView(TaxiiView):
    """GET objects of a collection (filtered, paged); POST an envelope of objects (answered with a status)."""

    def get(self, request: Request, api_root: str, collection_id: str) -> Response:
        collection = self.collection(api_root, collection_id)
        qs = q.filtered(q.visible_objects(self.principal.partner, collection), self.filters())
        result, headers = self.paged(qs)
        return Response(envelope(result, "objects", [o.payload for o in result.items]), headers=headers)

    def post(self, request: Request, api_root: str, collection_id: str) -> Response:
        collection = self.collection(api_root, collection_id, write=True)
        length = request.META.get("CONTENT_LENGTH") or "0"
        if not length.isdigit() or int(length) > settings.TAXII_MAX_CONTENT_LENGTH:
            raise TaxiiError(413, "Content too large", f"At most {settings.TAXII_MAX_CONTENT_LENGTH} bytes per request.")
        try:
            objects = envelope_objects(request.data)
            result = import_objects(self.principal.partner, objects, collection=collection, by=None)
        except EnvelopeRejected as exc:
            raise TaxiiError(exc.http_status, exc.title, exc.description) from exc
        except ParseError as exc:
            raise TaxiiError(400, "Not JSON", f"The envelope is not JSON: {exc.detail}") from exc
        assert result.status is not None
        return Response(status_resource(result.status), status=202)


class ObjectView(TaxiiView):
    """GET one object of a collection (its last version unless match[version] says otherwise)."""

    def get(self, request: Request, api_root: str, collection_id: str, object_id: str) -> Response:
        collection = self.collection(api_root, collection_id)
        f = self.filters()
        qs = q.filtered(q.visible_objects(self.principal.partner, collection).filter(stix_id=object_id), f)
        result, headers = self.paged(qs)
        if not result.items and not request.query_params.get("next"):
            raise TaxiiError(404, "Not found", f"No object {object_id!r} in this collection.")
        return Response(envelope(result, "objects", [o.payload for o in result.items]), headers=headers)


class VersionsView(TaxiiView):
    """GET the versions of one object."""

    def get(self, request: Request, api_root: str, collection_id: str, object_id: str) -> Response:
        collection = self.collection(api_root, collection_id)
        f = self.filters(versions_default="all")
        qs = q.filtered(q.visible_objects(self.principal.partner, collection).filter(stix_id=object_id), f)
        result, headers = self.paged(qs)
        if not result.items and not request.query_params.get("next"):
            raise TaxiiError(404, "Not found", f"No object {object_id!r} in this collection.")
        return Response(envelope(result, "versions", [version_text(o) for o in result.items]), headers=headers)


class ManifestView(TaxiiView):
    """GET the manifest of a collection: id, date added, version and media type of each object version."""

    def get(self, request: Request, api_root: str, collection_id: str) -> Response:
        collection = self.collection(api_root, collection_id)
        qs = q.filtered(q.visible_objects(self.principal.partner, collection), self.filters())
        result, headers = self.paged(qs)
        rows = [manifest_record(o) for o in result.items]
        return Response(envelope(result, "objects", rows), headers=headers)


def manifest_record(obj: TaxiiObject) -> dict[str, str]:
    """One manifest record."""
    return {"id": obj.stix_id, "date_added": taxii_time(obj.date_added), "version": version_text(obj),
            "media_type": STIX_MEDIA}  # fmt: skip


def status_resource(status: TaxiiStatus) -> dict[str, Any]:
    """A status resource (section 4.3.1)."""
    body: dict[str, Any] = {
        "id": str(status.pk), "status": status.status, "request_timestamp": taxii_time(status.request_timestamp),
        "total_count": status.total_count, "success_count": status.success_count,
        "failure_count": status.failure_count, "pending_count": status.pending_count,
    }  # fmt: skip
    if status.successes:
        body["successes"] = status.successes
    if status.failures:
        body["failures"] = status.failures
    return body


class StatusView(TaxiiView):
    """GET a status resource of one of this partner's POSTs."""

    def get(self, request: Request, api_root: str, status_id: str) -> Response:
        self.check_root(api_root)
        status = q.partner_status(self.principal.partner, status_id)
        if status is None:
            raise TaxiiError(404, "Not found", f"No status {status_id!r} for this partner.")
        return Response(status_resource(status))
