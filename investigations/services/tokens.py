"""API tokens: issued for a user with an expiry, stored only as a digest (django-rest-knox), revoked by deletion."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from knox.models import AuthToken


def issue_token(user: AbstractBaseUser, *, hours: int | None = None) -> tuple[str, datetime]:
    """A new token for `user`, valid `hours` (API_TOKEN_TTL_HOURS by default): the token itself, shown once and
    never stored, and when it expires."""
    ttl = timedelta(hours=hours if hours is not None else settings.API_TOKEN_TTL_HOURS)
    if ttl <= timedelta(0):
        raise ValueError("a token must be valid for at least one hour")
    instance, token = AuthToken.objects.create(user=user, expiry=ttl)
    assert instance.expiry is not None
    return token, instance.expiry


def revoke_tokens(user: AbstractBaseUser) -> int:
    """Revoke every token of `user`; how many there were."""
    deleted, _ = AuthToken.objects.filter(user=user).delete()
    return int(deleted)
