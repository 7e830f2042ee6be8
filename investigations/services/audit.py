"""Appending to the audit log: every change to a case, and every admin action on ingest jobs, schedules,
detection runs and annotations (events without a case)."""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as AuthUser

from investigations.models import AuditAction, AuditEvent, Case


def record_audit(
    case: Case | None,
    by: AbstractBaseUser | AnonymousUser | None,
    action: AuditAction,
    summary: str,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the audit log (call inside the transaction of the change it records); `by` None or
    anonymous is the system."""
    actor = cast(AuthUser, by) if by is not None and by.is_authenticated else None
    return AuditEvent.objects.create(
        case=case,
        actor=actor,
        action=action,
        summary=summary[:300],
        before=before or {},
        after=after or {},
    )
