"""Writes for a case's workflow: its details, assignment, status transitions (open, investigating, confirmed, actioned,
closed, dismissed, reopened), the accounts actioned, and acknowledging regrowth alerts. Like every case service, each
change writes its AuditEvent in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from investigations.models import (
    REASON_REQUIRED,
    TRANSITIONS,
    AuditAction,
    Case,
    CaseAlert,
    CasePriority,
    CaseStatus,
    RegrowthAlert,
)
from investigations.services.cases import (
    CaseError,
    User,
    as_assignee,
    as_user,
    clean_account_ids,
    clean_tags,
    locked,
    record_audit,
    require_accepts_evidence,
    require_assignable,
    require_case_manager,
    snapshot_accounts,
    store_accounts,
    touch_case,
    username_of,
)
from investigations.services.publishing import revoke_on_transition

EDITABLE_FIELDS = ("title", "description", "priority", "due_date", "tags")


def update_case(case: Case, *, by: User, **changes: Any) -> Case:
    """Change a case's title, description, priority, due date or tags."""
    require_case_manager(by)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise CaseError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}.")
    if "priority" in changes and changes["priority"] not in CasePriority.values:
        raise CaseError(f"Unknown priority {changes['priority']!r}; choose one of {', '.join(CasePriority.values)}.")
    if "tags" in changes:
        changes["tags"] = clean_tags(changes["tags"] or [])
    if "title" in changes:
        changes["title"] = str(changes["title"] or "").strip()[:200]
        if not changes["title"]:
            raise CaseError("A case needs a title.")
    with transaction.atomic():
        case = locked(case)
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        for name, value in changes.items():
            old = getattr(case, name)
            if old == value:
                continue
            before[name] = old.isoformat() if isinstance(old, date) else old
            after[name] = value.isoformat() if isinstance(value, date) else value
            setattr(case, name, value)
        if not after:
            return case
        case.updated_at = timezone.now()
        case.save()
        record_audit(case, by, AuditAction.DETAILS_CHANGED, f"Changed {', '.join(sorted(after))}", before=before, after=after)
    return case


def assign_case(case: Case, assignee: AbstractBaseUser | None, *, by: User) -> Case:
    """Give a case to someone (or nobody)."""
    require_case_manager(by)
    require_assignable(assignee)
    with transaction.atomic():
        case = locked(case)
        before = username_of(case.assignee)
        after = username_of(assignee)
        if before == after:
            return case
        case.assignee = as_assignee(assignee)
        case.updated_at = timezone.now()
        case.save(update_fields=["assignee", "updated_at"])
        record_audit(
            case,
            by,
            AuditAction.ASSIGNED,
            f"Assigned to {after}" if after else "Unassigned",
            before={"assignee": before},
            after={"assignee": after},
        )
    return case


def bulk_assign(case_ids: Sequence[int], assignee: AbstractBaseUser | None, *, by: User) -> int:
    """Assign several cases at once (one audit event per case that changed); returns how many changed."""
    require_case_manager(by)
    require_assignable(assignee)
    cases = list(Case.objects.filter(pk__in=set(case_ids)))
    missing = set(case_ids) - {c.pk for c in cases}
    if missing:
        raise CaseError(f"No such case: #{min(missing)}.")
    changed = 0
    with transaction.atomic():
        for case in cases:
            if username_of(case.assignee) != username_of(assignee):
                assign_case(case, assignee, by=by)
                changed += 1
    return changed


def transition_case(
    case: Case,
    to: str,
    *,
    by: User,
    reason: str = "",
    actioned_accounts: Sequence[str] | None = None,
) -> Case:
    """Move a case along its workflow (TRANSITIONS); `actioned` records which accounts were actioned."""
    require_case_manager(by)
    if to not in CaseStatus.values:
        raise CaseError(f"Unknown status {to!r}; statuses are {', '.join(CaseStatus.values)}.")
    target = CaseStatus(to)
    reason = reason.strip()
    with transaction.atomic():
        case = locked(case)
        current = CaseStatus(case.status)
        allowed = TRANSITIONS[current]
        if target not in allowed:
            options = ", ".join(s.value for s in allowed) or "none"
            raise CaseError(
                f"A case cannot go from {current.value} to {target.value}; from {current.value} it can go to: {options}."
            )
        if (current, target) in REASON_REQUIRED and not reason:
            raise CaseError(f"Moving a case from {current.value} to {target.value} needs a reason.")
        now = timezone.now()
        actioned: list[str] = []
        if target == CaseStatus.ACTIONED:
            actioned = _mark_actioned(case, actioned_accounts, by=by, now=now)
            case.actioned_at = now
        if target == CaseStatus.CLOSED:
            case.closed_at = now
        if current == CaseStatus.CLOSED:
            case.closed_at = None
        case.status = target
        case.updated_at = now
        case.save(update_fields=["status", "actioned_at", "closed_at", "updated_at"])
        after: dict[str, Any] = {"status": target.value}
        if reason:
            after["reason"] = reason
        if actioned:
            after["actioned_accounts"] = actioned
        record_audit(
            case,
            by,
            AuditAction.STATUS_CHANGED,
            f"Status {current.value} → {target.value}" + (f": {reason}" if reason else ""),
            before={"status": current.value},
            after=after,
        )
        revoke_on_transition(case, target, by=by, reason=reason)
    return case


def _mark_actioned(case: Case, account_ids: Sequence[str] | None, *, by: User, now: Any) -> list[str]:
    """Record enforcement on the case's accounts (all not yet actioned when `account_ids` is None)."""
    pending = case.case_accounts.filter(actioned_at__isnull=True)
    if account_ids is not None:
        wanted = set(clean_account_ids(account_ids))
        held = set(case.case_accounts.values_list("account_id", flat=True))
        outside = sorted(wanted - held)
        if outside:
            raise CaseError(f"Account {outside[0]} is not in case #{case.pk}; only the case's accounts can be actioned.")
        pending = pending.filter(account_id__in=wanted)
    ids = sorted(pending.values_list("account_id", flat=True))
    if not ids:
        raise CaseError("Choose at least one of the case's accounts that has not been actioned yet.")
    pending.update(actioned_at=now, actioned_by=as_user(by))
    record_audit(
        case,
        by,
        AuditAction.ACCOUNTS_ACTIONED,
        f"{len(ids)} account{'s' if len(ids) != 1 else ''} actioned",
        after={"accounts": ids},
    )
    return ids


def action_accounts(case: Case, account_ids: Sequence[str] | None, *, by: User) -> list[str]:
    """Record enforcement on more accounts of an actioned case (for example regrowth accounts added later)."""
    require_case_manager(by)
    with transaction.atomic():
        case = locked(case)
        if case.status != CaseStatus.ACTIONED:
            raise CaseError("Accounts are actioned by moving the case to actioned; this case is " + case.status + ".")
        ids = _mark_actioned(case, account_ids, by=by, now=timezone.now())
        touch_case(case)
    return ids


def acknowledge_alert(alert: CaseAlert, *, by: User, add_accounts_to_case: bool = False) -> CaseAlert:
    """Acknowledge a regrowth alert; optionally freeze its new accounts into the case as evidence."""
    require_case_manager(by)
    if alert.acknowledged_at is not None:
        raise CaseError("This alert has already been acknowledged.")
    new_ids: list[str] = []
    snapshots: dict[str, dict[str, Any]] = {}
    if add_accounts_to_case:
        held = set(alert.case.case_accounts.values_list("account_id", flat=True))
        new_ids = [a for a in alert.account_ids if a not in held]
        snapshots = snapshot_accounts(new_ids) if new_ids else {}
    with transaction.atomic():
        alert = CaseAlert.objects.select_for_update().get(pk=alert.pk)
        if alert.acknowledged_at is not None:
            raise CaseError("This alert has already been acknowledged.")
        alert.acknowledged_by = as_user(by)
        alert.acknowledged_at = timezone.now()
        alert.save(update_fields=["acknowledged_by", "acknowledged_at"])
        if alert.regrowth_alert_id and alert.regrowth_alert and alert.regrowth_alert.acknowledged_at is None:
            RegrowthAlert.objects.filter(pk=alert.regrowth_alert_id).update(
                acknowledged_by=as_user(by), acknowledged_at=alert.acknowledged_at
            )
        record_audit(
            alert.case,
            by,
            AuditAction.ALERT_ACKNOWLEDGED,
            f"Regrowth alert on {alert.cluster_key} acknowledged"
            + (f"; {len(new_ids)} accounts added to the case" if new_ids else ""),
            before={"alert_id": alert.pk, "acknowledged": False},
            after={"alert_id": alert.pk, "acknowledged": True, "added_accounts": new_ids},
        )
        if snapshots:
            require_accepts_evidence(alert.case)
            store_accounts(alert.case, snapshots, by)
        touch_case(alert.case)
    return alert
