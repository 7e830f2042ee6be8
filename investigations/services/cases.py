"""Writes for cases: opening, evidence, workflow, work items, exports and regrowth alerts.

Every state change of a case writes its AuditEvent in the same transaction as the change itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, cast

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as AuthUser
from django.db import transaction
from django.utils import timezone

from investigations.models import (
    AuditAction,
    Case,
    CaseAccount,
    CaseCluster,
    CasePriority,
    CaseStatus,
    Cluster,
)
from investigations.roles import CASE_MANAGERS, READERS, has_role
from investigations.selectors.case_evidence import account_snapshots, cluster_snapshot, member_ids
from investigations.services.audit import record_audit

User = AbstractBaseUser | AnonymousUser

TAG = re.compile(r"^[\w.-]{1,40}$")
ACCOUNT_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
MAX_ACCOUNTS_PER_ADD = 5000


class CaseError(ValueError):
    """A request the case workflow refuses; the message says why, for the person who asked."""


class CasePermissionError(CaseError):
    """The user's role does not allow this change."""


# ---------------------------------------------------------------- helpers


def as_user(user: AbstractBaseUser | AnonymousUser) -> AuthUser:
    """The acting user as the concrete user model (anonymous users never reach a service)."""
    if not user.is_authenticated:
        raise CasePermissionError("Sign in first.")
    return cast(AuthUser, user)


def as_assignee(user: AbstractBaseUser | None) -> AuthUser | None:
    """An optional assignee as the concrete user model."""
    return None if user is None else cast(AuthUser, user)


def username_of(user: Any) -> str | None:
    return None if user is None else str(user.get_username())


def require_case_manager(by: User) -> None:
    if not has_role(by, *CASE_MANAGERS):
        raise CasePermissionError("Only case managers and admins can change cases.")


def require_reader(by: User) -> None:
    if not has_role(by, *READERS):
        raise CasePermissionError("Your role does not allow working on cases.")


def require_assignable(user: AbstractBaseUser | None) -> None:
    if user is not None and not has_role(user, *READERS):
        raise CaseError(f"{user.get_username()} holds no role on the platform and cannot be assigned.")


def clean_tags(tags: Iterable[str]) -> list[str]:
    cleaned: list[str] = []
    for tag in tags:
        tag = str(tag).strip()
        if not tag:
            continue
        if not TAG.match(tag):
            raise CaseError(f"Tag {tag!r} is not allowed: use 1-40 letters, digits, '.', '_' or '-'.")
        if tag not in cleaned:
            cleaned.append(tag)
    return cleaned


def clean_account_ids(account_ids: Iterable[str]) -> list[str]:
    ids = sorted({str(a).strip() for a in account_ids if str(a).strip()})
    bad = [a for a in ids if not ACCOUNT_ID.match(a)]
    if bad:
        raise CaseError(f"Not an account id: {bad[0]!r}.")
    if len(ids) > MAX_ACCOUNTS_PER_ADD:
        raise CaseError(f"At most {MAX_ACCOUNTS_PER_ADD} accounts can be added at once.")
    return ids


def touch_case(case: Case) -> None:
    case.updated_at = timezone.now()
    case.save(update_fields=["updated_at"])


def locked(case: Case) -> Case:
    """The case row locked for this transaction (PostgreSQL), fresh from the database."""
    return Case.objects.select_for_update().get(pk=case.pk)


def _evidence_error(exc: Exception) -> CaseError:
    return CaseError(f"The evidence could not be frozen because the graph could not be read: {exc}")


def _snapshot_cluster(cluster: Cluster) -> dict[str, Any]:
    try:
        return cluster_snapshot(cluster)
    except CaseError:
        raise
    except Exception as exc:  # noqa: BLE001 - any driver failure: refuse rather than freeze partial evidence
        raise _evidence_error(exc) from exc


def snapshot_accounts(account_ids: list[str]) -> dict[str, dict[str, Any]]:
    try:
        return account_snapshots(account_ids)
    except Exception as exc:  # noqa: BLE001
        raise _evidence_error(exc) from exc


def _store_cluster(case: Case, cluster: Cluster, snapshot: dict[str, Any], by: User) -> CaseCluster:
    """Write a frozen cluster and its members as case accounts, with the evidence_added audit event."""
    if case.case_clusters.filter(cluster_key=cluster.key).exists():
        raise CaseError(f"Cluster {cluster.key} is already in case #{case.pk}.")
    cc = CaseCluster.objects.create(
        case=case, cluster_key=cluster.key, cluster=cluster, run=cluster.run, snapshot=snapshot, added_by=as_user(by)
    )
    existing = set(case.case_accounts.values_list("account_id", flat=True))
    CaseAccount.objects.bulk_create(
        [
            CaseAccount(
                case=case,
                account_id=m["account_id"],
                cluster_key=cluster.key,
                snapshot={**{k: v for k, v in m.items() if k != "account_id"}, "taken_at": snapshot["taken_at"]},
                added_by=as_user(by),
            )
            for m in snapshot["members"]
            if m["account_id"] not in existing
        ]
    )
    record_audit(
        case,
        by,
        AuditAction.EVIDENCE_ADDED,
        f"Cluster {cluster.key} frozen from run #{cluster.run_id}: {len(snapshot['members'])} members,"
        f" {len(snapshot['indicators'])} indicators, score {cluster.score:.2f}",
        after={
            "cluster_key": cluster.key,
            "cluster_id": cluster.pk,
            "run_id": cluster.run_id,
            "score": cluster.score,
            "members": len(snapshot["members"]),
            "indicators": len(snapshot["indicators"]),
        },
    )
    return cc


def store_accounts(case: Case, snapshots: dict[str, dict[str, Any]], by: User) -> list[CaseAccount]:
    existing = set(case.case_accounts.values_list("account_id", flat=True))
    new_ids = [a for a in snapshots if a not in existing]
    if not new_ids:
        raise CaseError("Those accounts are already in the case.")
    rows = CaseAccount.objects.bulk_create(
        [CaseAccount(case=case, account_id=a, snapshot=snapshots[a], added_by=as_user(by)) for a in new_ids]
    )
    missing = [a for a in new_ids if not snapshots[a].get("in_graph")]
    record_audit(
        case,
        by,
        AuditAction.EVIDENCE_ADDED,
        f"{len(new_ids)} account{'s' if len(new_ids) != 1 else ''} frozen"
        + (f" ({len(missing)} not in the graph)" if missing else ""),
        after={"accounts": new_ids, "not_in_graph": missing},
    )
    return rows


# ---------------------------------------------------------------- opening and evidence


def open_case(
    *,
    by: User,
    title: str = "",
    clusters: Sequence[Cluster] = (),
    account_ids: Sequence[str] = (),
    priority: str = CasePriority.MEDIUM,
    assignee: AbstractBaseUser | None = None,
    due_date: date | None = None,
    tags: Iterable[str] = (),
    description: str = "",
) -> Case:
    """Open a case from clusters and/or accounts, freezing their evidence as it is now."""
    require_case_manager(by)
    require_assignable(assignee)
    if not clusters and not account_ids:
        raise CaseError("A case is opened from at least one cluster or account.")
    if priority not in CasePriority.values:
        raise CaseError(f"Unknown priority {priority!r}; choose one of {', '.join(CasePriority.values)}.")
    keys = [c.key for c in clusters]
    if len(set(keys)) != len(keys):
        raise CaseError("The same cluster was given twice.")
    ids = clean_account_ids(account_ids)
    tag_list = clean_tags(tags)
    title = title.strip() or (f"Cluster {keys[0]}" if keys else f"Account {ids[0]}")
    # Freeze before writing: graph reads can be slow and must not hold the database's write lock.
    cluster_snaps = [(c, _snapshot_cluster(c)) for c in clusters]
    members = {m for _, snap in cluster_snaps for m in member_ids(snap)}
    direct = [a for a in ids if a not in members]
    account_snaps = snapshot_accounts(direct) if direct else {}
    with transaction.atomic():
        case = Case.objects.create(
            title=title[:200],
            description=description,
            priority=priority,
            assignee=as_assignee(assignee),
            due_date=due_date,
            tags=tag_list,
            created_by=as_user(by),
        )
        record_audit(
            case,
            by,
            AuditAction.CASE_OPENED,
            f"Case opened: {case.title}",
            after={
                "title": case.title,
                "status": case.status,
                "priority": case.priority,
                "assignee": username_of(assignee),
                "due_date": due_date.isoformat() if due_date else None,
                "tags": tag_list,
                "clusters": keys,
                "accounts": ids,
            },
        )
        for cluster, snap in cluster_snaps:
            _store_cluster(case, cluster, snap, by)
        if account_snaps:
            store_accounts(case, account_snaps, by)
    return case


def require_accepts_evidence(case: Case) -> None:
    if case.status in (CaseStatus.DISMISSED, CaseStatus.CLOSED):
        raise CaseError(f"Case #{case.pk} is {case.get_status_display().lower()}: reopen it before adding evidence.")


def add_cluster(case: Case, cluster: Cluster, *, by: User) -> CaseCluster:
    """Add a cluster to a case, freezing its members, score, explanation and shared indicators as they are now."""
    require_case_manager(by)
    require_accepts_evidence(case)
    snapshot = _snapshot_cluster(cluster)
    with transaction.atomic():
        case = locked(case)
        require_accepts_evidence(case)
        cc = _store_cluster(case, cluster, snapshot, by)
        touch_case(case)
    return cc


def add_accounts(case: Case, account_ids: Sequence[str], *, by: User) -> list[CaseAccount]:
    """Add accounts to a case directly, freezing their facts and every entity they use."""
    require_case_manager(by)
    require_accepts_evidence(case)
    ids = clean_account_ids(account_ids)
    if not ids:
        raise CaseError("Give at least one account id.")
    existing = set(case.case_accounts.values_list("account_id", flat=True))
    ids = [a for a in ids if a not in existing]
    if not ids:
        raise CaseError("Those accounts are already in the case.")
    snapshots = snapshot_accounts(ids)
    with transaction.atomic():
        case = locked(case)
        rows = store_accounts(case, snapshots, by)
        touch_case(case)
    return rows


# ---------------------------------------------------------------- details, assignment, workflow


