"""The three roles of the platform, as Django groups, and the checks every view and endpoint uses."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group
from django.db import models


class Role(models.TextChoices):
    """A user's role: analysts explore, case managers run cases, admins run jobs and users."""

    ANALYST = "analyst", "Analyst"
    CASE_MANAGER = "case_manager", "Case manager"
    ADMIN = "admin", "Admin"


def roles_of(user: AbstractBaseUser | AnonymousUser) -> set[Role]:
    """Return the roles a user holds; superusers hold every role, anonymous users none."""
    if not user.is_authenticated:
        return set()
    if getattr(user, "is_superuser", False):
        return set(Role)
    names = set(user.groups.values_list("name", flat=True))  # type: ignore[union-attr,attr-defined]
    return {role for role in Role if role.value in names}


def has_role(user: AbstractBaseUser | AnonymousUser, *roles: Role) -> bool:
    """True when the user holds at least one of `roles`."""
    return bool(roles_of(user) & set(roles))


def ensure_role_groups() -> None:
    """Create the role groups if they are missing (idempotent)."""
    for role in Role:
        Group.objects.get_or_create(name=role.value)


# Who may read the analyst workspace (clusters, accounts, annotations).
READERS = (Role.ANALYST, Role.CASE_MANAGER, Role.ADMIN)
# Who may change cases (open, assign, move, export them).
CASE_MANAGERS = (Role.CASE_MANAGER, Role.ADMIN)
