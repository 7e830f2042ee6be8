"""Role checks for views (a decorator) and for the REST API (DRF permission classes)."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from investigations.roles import CASE_MANAGERS, READERS, Role, has_role


def role_required(*roles: Role) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Allow a view only to users holding one of `roles`; others get 403 (anonymous users never get here)."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not has_role(request.user, *roles):
                raise PermissionDenied("Your role does not allow this page.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


class _RolePermission(BasePermission):
    roles: tuple[Role, ...] = ()
    message = "Your role does not allow this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(request.user and request.user.is_authenticated and has_role(request.user, *self.roles))


class IsReader(_RolePermission):
    """Analysts, case managers and admins: read clusters and accounts, annotate."""

    roles = READERS


class IsCaseManager(_RolePermission):
    """Case managers and admins: create and change cases."""

    roles = CASE_MANAGERS


class IsAdmin(_RolePermission):
    """Admins only: ingest, schedules, detection runs, users."""

    roles = (Role.ADMIN,)
