"""`manage.py create_user NAME --role ROLE`: create or update a user with one role."""

import secrets
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from investigations.roles import Role
from investigations.services.users import create_or_update_user


class Command(BaseCommand):
    help = "Create (or update) a user with a role; the password comes from --password-stdin or is generated."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=[r.value for r in Role])
        parser.add_argument("--email", default="")
        parser.add_argument("--password-stdin", action="store_true", help="Read the password from standard input.")

    def handle(self, *args: Any, **options: Any) -> None:
        generated = not options["password_stdin"]
        if generated:
            password = secrets.token_urlsafe(12)
        else:
            password = sys.stdin.readline().rstrip("\n")
            if not password:
                raise CommandError("--password-stdin given but standard input was empty")
        try:
            user, created = create_or_update_user(
                options["username"], role=Role(options["role"]), password=password, email=options["email"]
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        verb = "created" if created else "updated"
        self.stdout.write(f"{verb} user {user.get_username()} with role {options['role']}")
        if generated:
            self.stdout.write(f"password: {password}")
