"""Creating users and giving them roles."""

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import transaction

from investigations.roles import Role, ensure_role_groups


@transaction.atomic
def create_or_update_user(
    username: str, *, role: Role, password: str, email: str = ""
) -> tuple[AbstractBaseUser, bool]:
    """Create the user or reset its password, and make `role` its only role; admins also get Django admin access."""
    username = username.strip()
    try:
        if not username:
            raise ValidationError("a user name is required")
        UnicodeUsernameValidator()(username)
    except ValidationError as exc:
        raise ValueError(f"user name {username!r}: {'; '.join(exc.messages)}") from exc
    ensure_role_groups()
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(username=username, defaults={"email": email})
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValueError("; ".join(exc.messages)) from exc
    user.set_password(password)
    if email:
        user.email = email  # type: ignore[attr-defined]
    user.is_staff = role == Role.ADMIN  # type: ignore[attr-defined]
    user.save()
    user.groups.set([Group.objects.get(name=role.value)])  # type: ignore[attr-defined]
    return user, created
