"""TAXII 2.1 on the wire: the `application/taxii+json;version=2.1` media type (406 for an Accept it cannot meet,
415 for another Content-Type), and every error as the spec's error object."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser, JSONParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.mediatypes import media_type_matches

TAXII_MEDIA = "application/taxii+json;version=2.1"
STIX_MEDIA = "application/stix+json;version=2.1"


class TaxiiRenderer(JSONRenderer):
    """JSON answers as `application/taxii+json;version=2.1`."""

    media_type = TAXII_MEDIA
    format = "taxii"
    charset = None

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        return super().render(data, TAXII_MEDIA, renderer_context)


class TaxiiParser(JSONParser):
    """Envelopes POSTed as `application/taxii+json;version=2.1` (DRF answers 415 to any other Content-Type)."""

    media_type = TAXII_MEDIA


def accepts_taxii(accept: str) -> bool:
    """True when an Accept header admits TAXII 2.1 JSON (no header, */* and application/* admit it too)."""
    if not accept.strip():
        return True
    for item in accept.split(","):
        media, *params = [p.strip().lower() for p in item.split(";")]
        options = dict(p.split("=", 1) for p in params if "=" in p)
        if options.get("q") in ("0", "0.0", "0.00", "0.000"):
            continue
        if media in ("*/*", "application/*"):
            return True
        if media == "application/taxii+json" and options.get("version", "2.1") == "2.1":
            return True
    return False


class TaxiiNegotiation(BaseContentNegotiation):
    """Answer in TAXII 2.1 JSON when the client accepts it, 406 otherwise; parsers by DRF's usual rule."""

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> BaseParser | None:
        for parser in parsers:
            if media_type_matches(parser.media_type, request.content_type):
                return parser
        return None

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        if not accepts_taxii(request.META.get("HTTP_ACCEPT", "")):
            raise exceptions.NotAcceptable(f"This server answers only {TAXII_MEDIA}.")
        return next(iter(renderers)), TAXII_MEDIA


class TaxiiError(exceptions.APIException):
    """An error answered as a TAXII error object with its own title."""

    def __init__(self, http_status: int, title: str, description: str) -> None:
        super().__init__(description)
        self.status_code = http_status
        self.title = title


TITLES = {
    400: "Bad request", 401: "Authentication required", 403: "Forbidden", 404: "Not found", 405: "Method not allowed",
    406: "Not acceptable", 413: "Content too large", 415: "Unsupported media type", 422: "Unprocessable content",
    429: "Too many requests",
}  # fmt: skip


def error_body(http_status: int, title: str, description: str) -> dict[str, str]:
    """The TAXII 2.1 error object (section 3.6.1)."""
    return {"title": title, "description": description, "http_status": str(http_status)}


def taxii_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every error of the TAXII views as a TAXII error object, with DRF's status and headers."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "No such resource, or not one this partner may see.")
    if not isinstance(exc, exceptions.APIException):
        return None  # a bug: the usual 500
    code = exc.status_code
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed) and code == status.HTTP_403_FORBIDDEN:
        code = status.HTTP_401_UNAUTHORIZED
    title = getattr(exc, "title", None) or TITLES.get(code, "Error")
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    headers = {}
    wait = getattr(exc, "wait", None)
    if isinstance(exc, exceptions.Throttled) and wait is not None:
        headers["Retry-After"] = str(int(wait) + 1)
    if code == status.HTTP_401_UNAUTHORIZED:
        headers["WWW-Authenticate"] = 'Bearer realm="taxii", Basic realm="taxii"'
    return Response(error_body(code, title, str(detail)), status=code, headers=headers)
