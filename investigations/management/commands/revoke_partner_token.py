"""`manage.py revoke_partner_token PARTNER [--prefix P | --all]`: revoke one of a partner's tokens (by the prefix
its pages show) or all of them."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from investigations.models import Partner
from investigations.services.partners import revoke_all_partner_tokens, revoke_partner_token


class Command(BaseCommand):
    help = "Revoke a partner's TAXII token (--prefix) or every token it has (--all)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("partner", help="the partner's name")
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--prefix", help="the token's first characters, as listed on the partner's page")
        which.add_argument("--all", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        partner = Partner.objects.filter(name=options["partner"]).first()
        if partner is None:
            raise CommandError(f"no partner named {options['partner']!r}")
        if options["all"]:
            self.stdout.write(f"{revoke_all_partner_tokens(partner, by=None)} tokens of {partner.name} revoked")
            return
        live = list(partner.tokens.filter(prefix__startswith=options["prefix"], revoked_at__isnull=True))
        if len(live) != 1:
            raise CommandError(f"{len(live)} live tokens of {partner.name} start with {options['prefix']!r}; name one")
        revoke_partner_token(live[0], by=None)
        self.stdout.write(f"token {live[0].prefix}… of {partner.name} revoked")
