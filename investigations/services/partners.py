"""Writes for partners: organisations, their TAXII tokens (issued once, stored as a SHA-256 digest, expiring and
revocable), collections and each partner's rights on them. Every change is in the audit log."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import cast

from django.conf import settings
from django.contrib.auth.models import User as AuthUser
from django.db import transaction
from django.utils import timezone

from investigations.models import AuditAction, CollectionAccess, Partner, PartnerToken, TaxiiCollection
from investigations.services.audit import record_audit
from investigations.services.cases import User

TOKEN_PREFIX = "hwp_"  # tells a partner token from a user's API token at a glance


class PartnerError(ValueError):
    """A partner change that cannot be made, with the reason for the person who asked."""


def token_digest(token: str) -> str:
    """What is stored of a token: its SHA-256 (tokens are 256 random bits, so no salt or stretching is needed)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_partner(name: str, *, by: User | None, contact: str = "") -> Partner:
    """A new partner organisation."""
    name = name.strip()[:200]
    if not name:
        raise PartnerError("A partner needs a name.")
    if Partner.objects.filter(name=name).exists():
        raise PartnerError(f"A partner named {name!r} exists already.")
    with transaction.atomic():
        partner = Partner.objects.create(name=name, contact=contact.strip()[:200], created_by=_user(by))
        record_audit(None, by, AuditAction.PARTNER_CHANGED, f"Partner {name} created", after={"partner": partner.pk})
    return partner


def set_partner_active(partner: Partner, active: bool, *, by: User | None) -> Partner:
    """Suspend a partner (every token refused) or let it back in."""
    with transaction.atomic():
        if partner.active != active:
            partner.active = active
            partner.save(update_fields=["active"])
            record_audit(
                None, by, AuditAction.PARTNER_CHANGED, f"Partner {partner.name} {'activated' if active else 'suspended'}",
                before={"active": not active}, after={"active": active, "partner": partner.pk},
            )  # fmt: skip
    return partner


def create_collection(title: str, *, by: User | None, description: str = "") -> TaxiiCollection:
    """A new TAXII collection."""
    title = title.strip()[:200]
    if not title:
        raise PartnerError("A collection needs a title.")
    if TaxiiCollection.objects.filter(title=title).exists():
        raise PartnerError(f"A collection titled {title!r} exists already.")
    with transaction.atomic():
        collection = TaxiiCollection.objects.create(title=title, description=description.strip())
        record_audit(
            None, by, AuditAction.PARTNER_CHANGED, f"TAXII collection {title} created",
            after={"collection": str(collection.pk)},
        )  # fmt: skip
    return collection


def grant_collection(
    partner: Partner, collection: TaxiiCollection, *, can_read: bool, can_write: bool, by: User | None
) -> CollectionAccess | None:
    """Set a partner's rights on a collection (neither read nor write removes its access)."""
    with transaction.atomic():
        current = CollectionAccess.objects.filter(partner=partner, collection=collection).first()
        before = {"read": current.can_read, "write": current.can_write} if current else {"read": False, "write": False}
        after = {"read": can_read, "write": can_write}
        if before == after:
            return current
        if not (can_read or can_write):
            CollectionAccess.objects.filter(partner=partner, collection=collection).delete()
            access = None
        else:
            access, _ = CollectionAccess.objects.update_or_create(
                partner=partner, collection=collection, defaults={"can_read": can_read, "can_write": can_write}
            )
        record_audit(
            None, by, AuditAction.PARTNER_CHANGED,
            f"Partner {partner.name} on collection {collection.title}: read {can_read}, write {can_write}",
            before=before, after={**after, "partner": partner.pk, "collection": str(collection.pk)},
        )  # fmt: skip
    return access


def issue_partner_token(
    partner: Partner, *, by: User | None, days: int | None = None, label: str = ""
) -> tuple[str, PartnerToken]:
    """A new token for a partner: the token itself (shown once, never stored) and its record."""
    ttl = timedelta(days=days if days is not None else settings.PARTNER_TOKEN_TTL_DAYS)
    if ttl <= timedelta(0):
        raise PartnerError("A token must be valid for at least one day.")
    if not partner.active:
        raise PartnerError(f"Partner {partner.name} is suspended.")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        record = PartnerToken.objects.create(
            partner=partner, digest=token_digest(token), prefix=token[:10], label=label.strip()[:100],
            created_by=_user(by), expires_at=timezone.now() + ttl,
        )  # fmt: skip
        record_audit(
            None, by, AuditAction.PARTNER_TOKEN_ISSUED, f"Token {record.prefix}… issued to partner {partner.name}",
            after={"partner": partner.pk, "token": record.pk, "expires_at": record.expires_at.isoformat()},
        )  # fmt: skip
    return token, record


def revoke_partner_token(record: PartnerToken, *, by: User | None) -> bool:
    """Revoke one token (kept, marked revoked, for the record); False when it was revoked already."""
    with transaction.atomic():
        record = PartnerToken.objects.select_for_update().select_related("partner").get(pk=record.pk)
        if record.revoked_at is not None:
            return False
        record.revoked_at = timezone.now()
        record.save(update_fields=["revoked_at"])
        record_audit(
            None, by, AuditAction.PARTNER_TOKEN_REVOKED, f"Token {record.prefix}… of partner {record.partner.name} revoked",
            after={"partner": record.partner_id, "token": record.pk},
        )  # fmt: skip
    return True


def revoke_all_partner_tokens(partner: Partner, *, by: User | None) -> int:
    """Revoke every live token of a partner; how many there were."""
    return sum(revoke_partner_token(t, by=by) for t in partner.tokens.filter(revoked_at__isnull=True))


def token_for(token: str) -> PartnerToken | None:
    """The valid token record a presented token stands for (refreshing when it was last used), or None."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    record = PartnerToken.objects.select_related("partner").filter(digest=token_digest(token)).first()
    if record is None or not record.is_valid:
        return None
    now = timezone.now()
    if record.last_used_at is None or now - record.last_used_at > timedelta(minutes=1):
        PartnerToken.objects.filter(pk=record.pk).update(last_used_at=now)  # at most once a minute
    return record


def _user(by: User | None) -> AuthUser | None:
    return cast(AuthUser, by) if by is not None and by.is_authenticated else None
