"""Login required on every page; the REST API enforces its own authentication (session or token)."""

from collections.abc import Callable
from typing import Any

from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase

from investigations.roles import Role, has_role


class LoginRequiredEverywhere(LoginRequiredMiddleware):
    """Django's login-required middleware, except for `/api/`, where DRF answers 401/403 instead of a redirect.

    Django admin is for admins only: a signed-in user without the admin role gets 403, not a second login.
    """

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponseBase | None:
        if request.path.startswith("/api/"):
            return None
        if request.path.startswith("/admin/") and request.user.is_authenticated and not has_role(request.user, Role.ADMIN):
            raise PermissionDenied("Django admin is for admins only.")
        return super().process_view(request, view_func, view_args, view_kwargs)
