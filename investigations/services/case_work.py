"""Writes for the work on a case: comments with mentions, tasks, attachments, exports and cluster proposals.

Like every case service, each change writes its AuditEvent in the same transaction.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from investigations.exports import ExportFile, ExportFormat
from investigations.exports.csv import accounts_csv, indicators_csv
from investigations.exports.report import render_report
from investigations.exports.stix import StixCase, bundle_json
from investigations.models import (
    Attachment,
    AttachmentKind,
    AuditAction,
    Case,
    CaseTask,
    Cluster,
    ClusterProposal,
    Comment,
    ProposalStatus,
)
from investigations.roles import CASE_MANAGERS, READERS, has_role
from investigations.selectors.case_evidence import case_indicators
from investigations.selectors.cases import case_view
from investigations.services.cases import (
    CaseError,
    CasePermissionError,
    User,
    add_cluster,
    as_assignee,
    as_user,
    open_case,
    record_audit,
    require_accepts_evidence,
    require_assignable,
    require_case_manager,
    require_reader,
    touch_case,
    username_of,
)

MENTION = re.compile(r"(?<![\w@])@([\w.+-]{1,150})")
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024


# ---------------------------------------------------------------- comments, tasks, attachments


def parse_mentions(body: str) -> list[AbstractBaseUser]:
    """Users named as @username in a comment who hold a role on the platform."""
    names = {m.rstrip(".") for m in MENTION.findall(body)}
    if not names:
        return []
    users = get_user_model().objects.filter(username__in=names, is_active=True).order_by("username")
    return [u for u in users if has_role(u, *READERS)]


def add_comment(case: Case, body: str, *, by: User) -> Comment:
    """Comment on a case (analysts too); @username mentions are recorded."""
    require_reader(by)
    body = body.strip()
    if not body:
        raise CaseError("A comment cannot be empty.")
    if len(body) > 20_000:
        raise CaseError("A comment is limited to 20,000 characters.")
    mentions = parse_mentions(body)
    with transaction.atomic():
        comment = Comment.objects.create(case=case, author=as_user(by), body=body)
        comment.mentions.set([as_user(u) for u in mentions])
        names = [str(u.get_username()) for u in mentions]
        record_audit(
            case,
            by,
            AuditAction.COMMENT_ADDED,
            f"Comment by {by.get_username()}" + (f" mentioning {', '.join('@' + n for n in names)}" if names else ""),
            after={"comment_id": comment.pk, "body": body, "mentions": names},
        )
        touch_case(case)
    return comment


def add_task(
    case: Case, title: str, *, by: User, assignee: AbstractBaseUser | None = None, due_date: date | None = None
) -> CaseTask:
    """Add a task to a case."""
    require_case_manager(by)
    require_assignable(assignee)
    title = title.strip()
    if not title:
        raise CaseError("A task needs a title.")
    with transaction.atomic():
        task = CaseTask.objects.create(
            case=case, title=title[:200], assignee=as_assignee(assignee), due_date=due_date, created_by=as_user(by)
        )
        record_audit(
            case,
            by,
            AuditAction.TASK_ADDED,
            f"Task added: {task.title}" + (f" (for {assignee.get_username()})" if assignee else ""),
            after={"task_id": task.pk, "title": task.title, "assignee": username_of(assignee),
                   "due_date": due_date.isoformat() if due_date else None},
        )  # fmt: skip
        touch_case(case)
    return task


_UNSET: Any = object()


def update_task(
    task: CaseTask, *, by: User, done: bool | None = None, assignee: Any = _UNSET, title: str | None = None
) -> CaseTask:
    """Mark a task done or not done (its assignee or a case manager), or reassign or rename it (case managers)."""
    is_manager = has_role(by, *CASE_MANAGERS)
    if not is_manager and not (done is not None and assignee is _UNSET and title is None and task.assignee_id == by.pk):
        raise CasePermissionError("Only case managers, or the task's assignee marking it done, can change a task.")
    if assignee is not _UNSET:
        require_assignable(assignee)
    with transaction.atomic():
        task = CaseTask.objects.select_for_update().get(pk=task.pk)
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        if done is not None and done != task.done:
            before["done"], after["done"] = task.done, done
            task.done = done
            task.completed_at = timezone.now() if done else None
        if assignee is not _UNSET and assignee != task.assignee:
            before["assignee"], after["assignee"] = username_of(task.assignee), username_of(assignee)
            task.assignee = as_assignee(assignee)
        if title is not None and title.strip() and title.strip() != task.title:
            before["title"], after["title"] = task.title, title.strip()[:200]
            task.title = title.strip()[:200]
        if not after:
            return task
        task.save()
        verb = "done" if after.get("done") else ("reopened" if "done" in after else "changed")
        record_audit(
            task.case,
            by,
            AuditAction.TASK_CHANGED,
            f"Task {verb}: {task.title}",
            before={"task_id": task.pk, **before},
            after={"task_id": task.pk, **after},
        )
        touch_case(task.case)
    return task


def add_attachment(
    case: Case,
    *,
    by: User,
    kind: str,
    title: str,
    text: str = "",
    upload: UploadedFile | None = None,
) -> Attachment:
    """Attach a finding to a case: a note, a file, or a Plotly figure's JSON."""
    require_case_manager(by)
    if kind not in AttachmentKind.values:
        raise CaseError(f"Unknown attachment kind {kind!r}; choose one of {', '.join(AttachmentKind.values)}.")
    title = title.strip()[:200]
    if not title:
        raise CaseError("An attachment needs a title.")
    if kind == AttachmentKind.FILE:
        if upload is None:
            raise CaseError("Choose a file to attach.")
        if upload.size is not None and upload.size > MAX_ATTACHMENT_BYTES:
            raise CaseError(f"Files are limited to {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB.")
    elif not text.strip():
        raise CaseError("A note or figure needs content.")
    if kind == AttachmentKind.FIGURE:
        _check_figure_json(text)
    with transaction.atomic():
        attachment = Attachment(case=case, kind=kind, title=title, text=text if kind != AttachmentKind.FILE else "",
                                added_by=as_user(by))  # fmt: skip
        if upload is not None and kind == AttachmentKind.FILE:
            attachment.content_type = (upload.content_type or "application/octet-stream")[:100]
            attachment.size = upload.size or 0
            attachment.file.save(upload.name or "attachment", upload, save=False)
        attachment.save()
        record_audit(
            case,
            by,
            AuditAction.ATTACHMENT_ADDED,
            f"{attachment.get_kind_display()} attached: {title}",
            after={"attachment_id": attachment.pk, "kind": kind, "title": title,
                   "file": attachment.file.name if attachment.file else None, "size": attachment.size},
        )  # fmt: skip
        touch_case(case)
    return attachment


def _check_figure_json(text: str) -> None:
    try:
        spec = json.loads(text)
    except ValueError as exc:
        raise CaseError(f"A figure must be Plotly JSON: {exc}") from exc
    if not isinstance(spec, dict) or not isinstance(spec.get("data", []), list):
        raise CaseError("A figure must be Plotly JSON with a 'data' list.")


# ---------------------------------------------------------------- exports


def export_case(case: Case, fmt: str, *, by: User, script_nonce: str = "") -> ExportFile:
    """Export a case (STIX bundle, CSV of accounts or indicators, HTML report) from its frozen evidence; audited.
    `script_nonce` is the page's CSP nonce, for a report shown in the browser."""
    if not has_role(by, *CASE_MANAGERS):
        raise CasePermissionError("Only case managers and admins can export cases.")
    if fmt not in ExportFormat.values:
        raise CaseError(f"Unknown export format {fmt!r}; choose one of {', '.join(ExportFormat.values)}.")
    stem = f"case-{case.pk}"
    counts: dict[str, int] = {}
    if fmt == ExportFormat.STIX:
        indicators = case_indicators(case)
        producer = getattr(settings, "STIX_PRODUCER_NAME", "Hydra Watch")
        stix_case = StixCase(case_id=case.pk, title=case.title, created_at=case.created_at, producer=producer)
        file = ExportFile(f"{stem}-indicators.stix.json", "application/stix+json;version=2.1",
                          bundle_json(stix_case, indicators).encode())  # fmt: skip
        counts["indicators"] = len(indicators)
    elif fmt == ExportFormat.ACCOUNTS_CSV:
        accounts = list(case.case_accounts.all())
        file = ExportFile(f"{stem}-accounts.csv", "text/csv; charset=utf-8", accounts_csv(accounts).encode())
        counts["accounts"] = len(accounts)
    elif fmt == ExportFormat.INDICATORS_CSV:
        indicators = case_indicators(case)
        file = ExportFile(f"{stem}-indicators.csv", "text/csv; charset=utf-8", indicators_csv(indicators).encode())
        counts["indicators"] = len(indicators)
    else:
        view = case_view(case)
        html = render_report(view, generated_by=str(by.get_username()), script_nonce=script_nonce)
        file = ExportFile(f"{stem}-report.html", "text/html; charset=utf-8", html.encode())
        counts = {"accounts": len(view.accounts), "indicators": len(view.indicators), "clusters": len(view.clusters)}
    with transaction.atomic():
        record_audit(
            case,
            by,
            AuditAction.EXPORTED,
            f"Exported {ExportFormat(fmt).label}",
            after={"format": fmt, "filename": file.filename, "sha256": hashlib.sha256(file.content).hexdigest(),
                   "bytes": len(file.content), **counts},
        )  # fmt: skip
    return file


# ---------------------------------------------------------------- proposals


def propose_cluster(cluster: Cluster, *, by: User, case: Case | None = None, note: str = "") -> ClusterProposal:
    """An analyst proposes a cluster for a case (an existing one, or a new one)."""
    require_reader(by)
    if case is not None:
        require_accepts_evidence(case)
        if case.case_clusters.filter(cluster_key=cluster.key).exists():
            raise CaseError(f"Cluster {cluster.key} is already in case #{case.pk}.")
    if ClusterProposal.objects.filter(cluster_key=cluster.key, case=case, status=ProposalStatus.PENDING).exists():
        raise CaseError(f"Cluster {cluster.key} has already been proposed and is waiting for a case manager.")
    with transaction.atomic():
        proposal = ClusterProposal.objects.create(
            cluster=cluster, cluster_key=cluster.key, case=case, note=note.strip(), proposed_by=as_user(by)
        )
        target = f"case #{case.pk}" if case is not None else "a new case"
        record_audit(
            case,
            by,
            AuditAction.CLUSTER_PROPOSED,
            f"{by.get_username()} proposed cluster {cluster.key} for {target}",
            after={"proposal_id": proposal.pk, "cluster_key": cluster.key, "cluster_id": cluster.pk,
                   "note": proposal.note},
        )  # fmt: skip
    return proposal


def decide_proposal(proposal: ClusterProposal, *, by: User, accept: bool, title: str = "") -> ClusterProposal:
    """A case manager accepts a proposal (adding the cluster to its case, or opening one) or declines it."""
    require_case_manager(by)
    # one transaction, the proposal locked and re-read first: two managers accepting at once (or a double
    # click) open or extend one case, and the loser changes nothing
    with transaction.atomic():
        proposal = ClusterProposal.objects.select_for_update().get(pk=proposal.pk)
        if proposal.status != ProposalStatus.PENDING:
            raise CaseError("This proposal has already been decided.")
        case = proposal.case
        if accept:
            if case is None:
                case = open_case(by=by, title=title or f"Cluster {proposal.cluster_key}", clusters=[proposal.cluster])
            else:
                add_cluster(case, proposal.cluster, by=by)
        proposal.status = ProposalStatus.ACCEPTED if accept else ProposalStatus.DECLINED
        proposal.decided_by = as_user(by)
        proposal.decided_at = timezone.now()
        proposal.resulting_case = case if accept else None
        proposal.save()
        record_audit(
            case,
            by,
            AuditAction.PROPOSAL_DECIDED,
            f"Proposal of {proposal.cluster_key} by {proposal.proposed_by.get_username()} {proposal.status}",
            before={"proposal_id": proposal.pk, "status": ProposalStatus.PENDING.value},
            after={"proposal_id": proposal.pk, "status": proposal.status},
        )
    return proposal
