"""Partner tokens for the TAXII endpoints: `Authorization: Bearer <token>` (or `Token <token>`), or HTTP Basic with
the token as the password (what TAXII clients such as taxii2-client send with user and password). A user's session
or API token is not a partner token: the TAXII endpoints refuse it, and every other endpoint refuses partner
tokens (they authenticate only here)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from investigations.models import Partner, PartnerToken
from investigations.services.partners import token_for


@dataclass(frozen=True)
class PartnerPrincipal:
    """Who a TAXII request comes from: a partner, through one of its tokens (never a user of the platform)."""

    partner: Partner
    token: PartnerToken
    is_authenticated: bool = True
    is_active: bool = True
    is_staff: bool = False
    is_superuser: bool = False
    is_anonymous: bool = False

    def get_username(self) -> str:
        """A name for logs."""
        return f"partner:{self.partner.pk}"


def presented_token(header: bytes) -> str | None:
    """The token an Authorization header carries (Bearer, Token, or Basic's password), or None."""
    parts = header.split()
    if len(parts) != 2:
        return None
    scheme, value = parts[0].lower(), parts[1]
    try:
        if scheme in (b"bearer", b"token"):
            return value.decode("ascii")
        if scheme == b"basic":
            return base64.b64decode(value, validate=True).decode("utf-8").partition(":")[2]
    except (UnicodeDecodeError, binascii.Error, ValueError):
        return None
    return None


class PartnerTokenAuthentication(BaseAuthentication):
    """Authenticates a partner token; anything else presented is refused with 401."""

    def authenticate(self, request: Request) -> tuple[PartnerPrincipal, PartnerToken] | None:
        header = get_authorization_header(request)
        if not header:
            return None
        token = presented_token(header)
        record = token_for(token) if token else None
        if record is None:
            raise AuthenticationFailed("Invalid, expired or revoked partner token.")
        return PartnerPrincipal(record.partner, record), record

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="taxii"'


class IsPartner(BasePermission):
    """Only partners (by token) reach the TAXII endpoints."""

    message = "A partner token is required."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return isinstance(request.user, PartnerPrincipal)


class PartnerTokenThrottle(SimpleRateThrottle):
    """TAXII_RATE requests per partner token, counted in the shared cache (a request without a valid token is
    refused before it is counted). Keyed by part of the token's digest, never by a row id a reset database
    would give again."""

    scope = "taxii"

    def get_rate(self) -> str:
        return str(settings.TAXII_RATE)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if isinstance(request.auth, PartnerToken):
            return self.cache_format % {"scope": self.scope, "ident": f"token-{request.auth.digest[:24]}"}
        return None
