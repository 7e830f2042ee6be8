"""`manage.py revoke_tokens NAME`: revoke every API token of a user."""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from investigations.services.tokens import revoke_tokens


class Command(BaseCommand):
    help = "Revoke every API token of a user."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = get_user_model().objects.get(username=options["username"])
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"no user named {options['username']!r}") from exc
        self.stdout.write(f"revoked {revoke_tokens(user)} token(s) of {user.get_username()}")
