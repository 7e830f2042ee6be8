"""Creating users and giving them roles."""

from django.contrib.auth.models import Group, User
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import transaction

from investigations.roles import Role, ensure_role_groups


@transaction.atomic
def create_or_update_user(
    username: str, *, role: Role, password: str, email: str = ""
) -> tuple[User, bool]:
    """Create the user or reset its password, and make `role` its only role; admins also get Django admin access."""
    username = username.strip()
    try:
        if not username:
            raise ValidationError("a user name is required")
        UnicodeUsernameValidator()(username)
    except ValidationError as exc:
        raise ValueError(f"user name {username!r}: {'; '.join(exc.messages)}") from exc
    ensure_role_groups()
    user, created = User.objects.get_or_create(username=username, defaults={"email": email})
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValueError("; ".join(exc.messages)) from exc
    user.set_password(password)
    if email:
        user.email = email
    user.is_staff = role == Role.ADMIN
    user.save()
    user.groups.set([Group.objects.get(name=role.value)])
    return user, created
