"""Login required on every page; the REST API enforces its own authentication (session or token); what a
signed-in user is shown is never kept by the browser or a proxy."""

import time
from collections.abc import Callable
from typing import Any

from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import add_never_cache_headers

from investigations.roles import Role, has_role


class LoginRequiredEverywhere(LoginRequiredMiddleware):
    """Django's login-required middleware, except for `/api/` and `/taxii2/`, where DRF answers 401/403 instead of
    a redirect.

    Django admin is for admins only: a signed-in user without the admin role gets 403, not a second login.
    """

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponseBase | None:
        if request.path.startswith(("/api/", "/taxii2/")):  # DRF answers 401/403 (TAXII: partner tokens only)
            return None
        if request.path.startswith("/admin/") and request.user.is_authenticated and not has_role(request.user, Role.ADMIN):
            raise PermissionDenied("Django admin is for admins only.")
        return super().process_view(request, view_func, view_args, view_kwargs)


class NoStoreWhenSignedIn:
    """`Cache-Control: no-store` (and `private`) on every answer to a signed-in user or an API token: case files,
    accounts and clusters must not stay in a shared computer's browser cache or a proxy after logout. Static files
    and the liveness probe are not affected (anonymous)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if signed_in or "HTTP_AUTHORIZATION" in request.META:
            add_never_cache_headers(response)  # no-cache, no-store, must-revalidate, private; Expires now
        return response


class RenewIdleSession:
    """An idle timeout: a signed-in user's session expires SESSION_COOKIE_AGE after their last request. Each request
    renews it, but writes the session at most once a minute (not on every request, as SESSION_SAVE_EVERY_REQUEST
    would)."""

    RENEW_AFTER_SECONDS = 60

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            if now - int(request.session.get("_renewed", 0)) >= self.RENEW_AFTER_SECONDS:
                request.session["_renewed"] = now  # modified: saved with a new expiry and cookie
        return self.get_response(request)
