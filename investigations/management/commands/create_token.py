"""`manage.py create_token NAME [--hours N]`: an API token for a user, printed once (only its digest is kept)."""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from investigations.services.tokens import issue_token


class Command(BaseCommand):
    help = "Issue an API token for a user (printed once; it expires after --hours, API_TOKEN_TTL_HOURS by default)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--hours", type=int, default=None, help="validity in hours (default API_TOKEN_TTL_HOURS)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = get_user_model().objects.get(username=options["username"])
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"no user named {options['username']!r}") from exc
        if not user.is_active:
            raise CommandError(f"user {options['username']!r} is inactive")
        try:
            token, expiry = issue_token(user, hours=options["hours"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"token for {user.get_username()}, valid until {expiry:%Y-%m-%d %H:%M} UTC (shown once):")
        self.stdout.write(token)
