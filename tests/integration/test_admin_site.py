"""Django admin as the README says: users with the admin role see the platform's records read-only; nobody adds,
changes or deletes anything there; API tokens are not shown; the password hash never is."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import Client, RequestFactory
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from investigations.admin import ReadOnlyAdmin
from investigations.models import AuditEvent, Case
from investigations.services.tokens import issue_token

pytestmark = pytest.mark.django_db


def _request(user: User) -> object:
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def test_every_registered_model_is_read_only_for_everyone(analyst: User, admin_user: User) -> None:
    root = User.objects.create_superuser("root", "root@example.org", "a-long-root-password")
    assert admin.site._registry, "nothing registered"
    for model, model_admin in admin.site._registry.items():
        assert isinstance(model_admin, ReadOnlyAdmin), f"{model._meta.label} has an editable admin"
        for user in (analyst, admin_user, root):
            request = _request(user)
            assert not model_admin.has_add_permission(request), model._meta.label
            assert not model_admin.has_change_permission(request), model._meta.label
            assert not model_admin.has_delete_permission(request), model._meta.label
        assert model_admin.has_view_permission(_request(admin_user)), model._meta.label
        assert not model_admin.has_view_permission(_request(analyst)), model._meta.label


def test_admin_role_sees_the_records_and_cannot_change_them(client: Client, admin_user: User) -> None:
    case = Case.objects.create(title="hydra ring", created_by=admin_user)
    AuditEvent.objects.create(case=case, actor=admin_user, action="case_opened", summary="opened for the test")
    client.force_login(admin_user)
    index = client.get("/admin/").content.decode()
    for name in ("Audit events", "Cases", "Detection runs", "Ingest jobs", "Periodic tasks", "Users"):
        assert name in index, name
    audit = client.get("/admin/investigations/auditevent/")
    assert audit.status_code == 200 and "opened for the test" in audit.content.decode()
    page = client.get(f"/admin/investigations/case/{case.pk}/change/")
    assert page.status_code == 200 and "hydra ring" in page.content.decode()
    assert 'name="_save"' not in page.content.decode()
    refused = client.post(f"/admin/investigations/case/{case.pk}/change/", {"title": "renamed"})
    assert refused.status_code == 403
    case.refresh_from_db()
    assert case.title == "hydra ring"
    assert client.get("/admin/investigations/case/add/").status_code == 403
    assert client.post(f"/admin/investigations/case/{case.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Case.objects.filter(pk=case.pk).exists()


def test_periodic_tasks_cannot_be_created_or_changed_even_by_a_superuser(client: Client) -> None:
    root = User.objects.create_superuser("root", "root@example.org", "a-long-root-password")
    every = IntervalSchedule.objects.create(every=60, period=IntervalSchedule.SECONDS)
    task = PeriodicTask.objects.create(name="watch", task="investigations.tasks.noop", interval=every)
    client.force_login(root)
    assert client.get("/admin/django_celery_beat/periodictask/").status_code == 200
    assert client.get("/admin/django_celery_beat/periodictask/add/").status_code == 403
    changed = client.post(
        f"/admin/django_celery_beat/periodictask/{task.pk}/change/",
        {"name": "watch", "task": "os.system", "args": '["id"]'},
    )
    assert changed.status_code == 403
    task.refresh_from_db()
    assert task.task == "investigations.tasks.noop"


def test_tokens_are_not_in_the_admin_and_passwords_not_on_the_user_page(client: Client, admin_user: User) -> None:
    token, _ = issue_token(admin_user)
    client.force_login(admin_user)
    assert client.get("/admin/knox/authtoken/").status_code == 404
    page = client.get(f"/admin/auth/user/{admin_user.pk}/change/").content.decode()
    assert admin_user.username in page
    assert admin_user.password not in page and "pbkdf2" not in page and "md5$" not in page
    assert token not in client.get("/admin/").content.decode()


def test_non_admins_see_no_admin(client: Client, analyst: User, case_manager: User) -> None:
    for user in (analyst, case_manager):
        client.force_login(user)
        assert client.get("/admin/investigations/auditevent/").status_code in (302, 403)
