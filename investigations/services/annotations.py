"""Writing annotations: an analyst's label, note and tags on a cluster or an account."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from investigations.models import Annotation, AnnotationLabel, AnnotationTarget, AuditAction, Cluster
from investigations.roles import READERS, has_role
from investigations.selectors.accounts import accounts_brief
from investigations.services.audit import record_audit

MAX_TAGS = 20
MAX_TAG_LENGTH = 40
MAX_NOTE_LENGTH = 10_000


def parse_tags(raw: str | Iterable[str]) -> list[str]:
    """Tags from a comma-separated string or a list: trimmed, blanks and repeats dropped, order kept."""
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    tags = [str(t).strip() for t in items]
    return list(dict.fromkeys(t for t in tags if t))


def _validate(target: str, target_id: str, label: str, note: str, tags: list[str]) -> None:
    errors: dict[str, str] = {}
    if target not in AnnotationTarget.values:
        errors["target"] = "Annotate a cluster or an account."
    if not target_id or len(target_id) > 64:
        errors["target_id"] = "Give the cluster key or account id (at most 64 characters)."
    if label and label not in AnnotationLabel.values:
        errors["label"] = "Choose confirmed campaign, benign or needs review."
    if len(note) > MAX_NOTE_LENGTH:
        errors["note"] = f"Keep the note under {MAX_NOTE_LENGTH} characters."
    if len(tags) > MAX_TAGS or any(len(t) > MAX_TAG_LENGTH for t in tags):
        errors["tags"] = f"At most {MAX_TAGS} tags of at most {MAX_TAG_LENGTH} characters each."
    if not (label or note.strip() or tags):
        errors["label"] = "Give a label, a note or a tag."
    if errors:
        raise ValidationError(errors)
    if target == AnnotationTarget.CLUSTER and not Cluster.objects.filter(key=target_id).exists():
        raise ValidationError({"target_id": "No cluster has this key."})
    if target == AnnotationTarget.ACCOUNT and not accounts_brief([target_id]):
        raise ValidationError({"target_id": "No account has this id."})


@transaction.atomic
def annotate(
    *,
    target: str,
    target_id: str,
    author: AbstractBaseUser | AnonymousUser,
    label: str = "",
    note: str = "",
    tags: str | Iterable[str] = (),
) -> Annotation:
    """Record an annotation by `author` (who must hold a reader role); raises ValidationError on bad input."""
    if not has_role(author, *READERS):
        raise PermissionDenied("Your role does not allow annotating.")
    clean_tags = parse_tags(tags)
    _validate(target, target_id, label, note, clean_tags)
    with transaction.atomic():
        annotation = Annotation.objects.create(
            target=target,
            target_id=target_id,
            label=label,
            note=note.strip(),
            tags=clean_tags,
            author=cast(Any, author),  # a reader, hence an authenticated user (checked above)
        )
        record_audit(None, author, AuditAction.ANNOTATION_ADDED, f"{target} {target_id} annotated {label or ''}".strip(),
                     after={"annotation": annotation.pk, "target": target, "target_id": target_id, "label": label,
                            "tags": clean_tags, "note": annotation.note})  # fmt: skip
    return annotation
