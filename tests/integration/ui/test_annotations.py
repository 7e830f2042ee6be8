"""Annotations: analysts label clusters and accounts, add notes and tags, and everyone sees them."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from investigations.models import (
    Annotation,
    AnnotationLabel,
    AnnotationTarget,
    AuditAction,
    AuditEvent,
    DetectionRun,
)
from investigations.services.annotations import annotate, parse_tags
from tests.integration.ui.scenario import HOSTILE_ID, SCRIPT, TOP


def test_analyst_annotates_a_cluster_and_a_colleague_sees_it(
    runs: dict[int, DetectionRun], analyst_client: Client, case_manager: User, client: Client
) -> None:
    response = analyst_client.post(
        "/annotations/",
        {
            "target": "cluster", "target_id": TOP, "label": "confirmed_campaign",
            "note": "Same prepaid BINs as last month", "tags": "hydra, prepaid,  hydra", "next": f"/clusters/{TOP}/",
        },
    )  # fmt: skip
    assert response.status_code == 302 and response["Location"] == f"/clusters/{TOP}/#annotations"
    note = Annotation.objects.get()
    assert (note.target, note.target_id, note.label) == ("cluster", TOP, AnnotationLabel.CONFIRMED_CAMPAIGN)
    assert note.tags == ["hydra", "prepaid"] and note.author.get_username() == "analyst-user"
    client.force_login(case_manager)  # type: ignore[arg-type]
    html = client.get(f"/clusters/{TOP}/").content.decode()
    section = html.split('id="annotations"')[1]
    assert "Confirmed campaign" in section and "Same prepaid BINs as last month" in section
    assert '<span class="tag">prepaid</span>' in section and "analyst-user" in section
    # The queue now shows the cluster as annotated.
    assert 'status-annotated">Annotated<' in client.get("/").content.decode()


def test_account_annotation(runs: dict[int, DetectionRun], analyst_client: Client) -> None:
    response = analyst_client.post(
        "/annotations/", {"target": "account", "target_id": "hyd-0002", "label": "needs_review", "note": ""}
    )
    assert response.status_code == 302 and response["Location"] == "/account/hyd-0002/#annotations"
    html = analyst_client.get("/account/hyd-0002/").content.decode()
    assert "Needs review" in html.split('id="annotations"')[1]
    (event,) = AuditEvent.objects.filter(action=AuditAction.ANNOTATION_ADDED)
    assert event.case is None and event.actor is not None and event.after["target_id"] == "hyd-0002"
    assert event.after["label"] == "needs_review"


def test_bad_annotations_are_refused_with_a_reason(
    runs: dict[int, DetectionRun], analyst_client: Client
) -> None:
    response = analyst_client.post(
        "/annotations/",
        {"target": "cluster", "target_id": "C-404404", "label": "benign", "next": f"/clusters/{TOP}/"},
        follow=True,
    )
    assert "No cluster has this key." in response.content.decode()
    response = analyst_client.post(
        "/annotations/", {"target": "cluster", "target_id": "C-404404", "label": "benign"}
    )
    assert response["Location"] == "/"  # nowhere better to go back to
    response = analyst_client.post("/annotations/", {"target": "cluster", "target_id": TOP}, follow=True)
    assert "Give a label, a note or a tag." in response.content.decode()
    response = analyst_client.post(
        "/annotations/", {"target": "cluster", "target_id": TOP, "label": "guilty"}
    )
    assert response.status_code == 302
    # An off-site "next" is never followed.
    response = analyst_client.post(
        "/annotations/",
        {"target": "cluster", "target_id": TOP, "label": "benign", "next": "https://evil.example/"},
    )
    assert response["Location"] == f"/clusters/{TOP}/#annotations"
    assert Annotation.objects.count() == 1
    assert analyst_client.get("/annotations/").status_code == 405


def test_service_checks_role_and_input(runs: dict[int, DetectionRun], analyst: User) -> None:
    assert parse_tags(" a, b ,,a ") == ["a", "b"] and parse_tags(["x", " ", "x"]) == ["x"]
    with pytest.raises(ValidationError):
        annotate(target="account", target_id="nobody", author=analyst, label="benign")
    with pytest.raises(ValidationError):
        annotate(target="cluster", target_id=TOP, author=analyst, tags=["t" * 41])
    with pytest.raises(ValidationError):
        annotate(target="spaceship", target_id=TOP, author=analyst, label="benign")
    nobody = get_user_model().objects.create_user("no-role", password="correct-horse-battery")
    with pytest.raises(PermissionDenied):
        annotate(target="cluster", target_id=TOP, author=nobody, label="benign")
    saved = annotate(target="account", target_id=HOSTILE_ID, author=analyst, note=f"{SCRIPT} seen")
    assert saved.target == AnnotationTarget.ACCOUNT and saved.note == f"{SCRIPT} seen"
