"""Template context: the current user's roles, for menus."""

from typing import Any

from django.http import HttpRequest

from investigations.roles import CASE_MANAGERS, Role, roles_of


def roles(request: HttpRequest) -> dict[str, Any]:
    """Expose `user_roles` and `is_admin` / `is_case_manager` to every template."""
    held = roles_of(request.user) if hasattr(request, "user") else set()
    return {
        "user_roles": sorted(r.label for r in held),
        "is_admin": Role.ADMIN in held,
        "is_case_manager": any(r in held for r in CASE_MANAGERS),
    }
