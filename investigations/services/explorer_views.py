"""Saving a view of the graph explorer into a case: its state and its picture, as evidence, in the audit log."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import transaction

from investigations.models import AttachmentKind, AuditAction, Case, ExplorerView
from investigations.services.audit import record_audit
from investigations.services.case_work import add_attachment
from investigations.services.cases import CaseError, as_user, require_case_manager

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_STATE_BYTES = 8 * 1024 * 1024  # a 16,000-account cluster with its ties is about 3 MB
MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_VIEW_NODES = 40_000  # what the explorer holds at most


def _checked_state(text: str) -> dict[str, Any]:
    """The explorer state in `text`, or a CaseError naming what is wrong with it."""
    if len(text.encode()) > MAX_STATE_BYTES:
        raise CaseError(f"A saved view is limited to {MAX_STATE_BYTES // (1024 * 1024)} MB of state.")
    try:
        state = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CaseError(f"The view's state is not JSON: {exc}") from exc
    if not isinstance(state, dict) or state.get("version") != 1:
        raise CaseError("The view's state must be an object with version 1.")
    nodes, edges = state.get("nodes"), state.get("edges")
    if not isinstance(nodes, list) or not isinstance(edges, list):
        raise CaseError("The view's state needs a list of nodes and a list of edges.")
    if len(nodes) > MAX_VIEW_NODES:
        raise CaseError(f"A saved view holds at most {MAX_VIEW_NODES:,} nodes.")
    keys = set()
    for node in nodes:
        if not (isinstance(node, list) and len(node) == 6 and isinstance(node[0], str) and "|" in node[0]
                and all(isinstance(v, int | float) for v in node[1:3])):  # fmt: skip
            raise CaseError("Each node of a saved view is [key, x, y, facts, pinned, hidden].")
        keys.add(node[0])
    for edge in edges:
        if not (isinstance(edge, list) and len(edge) == 3 and edge[0] in keys and edge[1] in keys):
            raise CaseError("Each edge of a saved view is [node key, node key, weight] between saved nodes.")
    for name in ("filters", "camera", "clusters"):
        if name not in state:
            raise CaseError(f"The view's state has no {name!r}.")
    return state


def save_explorer_view(
    case: Case, *, by: AbstractBaseUser, title: str, state: str, image: UploadedFile
) -> ExplorerView:
    """Save the explorer's current view into `case`: the PNG becomes an attachment of the case (so the case report
    shows it), the state reopens the view as saved; both in one transaction with their audit events."""
    require_case_manager(by)  # type: ignore[arg-type]
    title = title.strip()[:200]
    if not title:
        raise CaseError("A saved view needs a title.")
    checked = _checked_state(state)
    if image.size is None or image.size > MAX_IMAGE_BYTES:
        raise CaseError(f"The view's picture is limited to {MAX_IMAGE_BYTES // (1024 * 1024)} MB.")
    data = image.read()
    if not data.startswith(PNG_SIGNATURE):
        raise CaseError("The view's picture must be a PNG image.")
    with transaction.atomic():
        picture = add_attachment(case, by=by, kind=AttachmentKind.FILE, title=f"Explorer view: {title}",  # type: ignore[arg-type]
                                 upload=SimpleUploadedFile("explorer-view.png", data, content_type="image/png"))  # fmt: skip
        view = ExplorerView.objects.create(case=case, title=title, state=checked, nodes=len(checked["nodes"]),
                                           image=picture, saved_by=as_user(by))  # fmt: skip
        record_audit(
            case,
            by,
            AuditAction.EXPLORER_VIEW_SAVED,
            f"Explorer view saved: {title} ({view.nodes:,} nodes)",
            after={
                "view_id": view.pk,
                "title": title,
                "nodes": view.nodes,
                "edges": len(checked["edges"]),
                "source": checked.get("source"),
                "filters": checked.get("filters"),
                "image": picture.pk,
            },  # fmt: skip
        )
    return view
