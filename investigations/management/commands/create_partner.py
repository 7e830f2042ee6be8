"""`manage.py create_partner NAME [--contact C] [--read TITLE ...] [--write TITLE ...] [--token] [--days N]`: a partner
organisation, its rights on TAXII collections (created when missing), and optionally its first token, printed once."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from investigations.models import TaxiiCollection
from investigations.services.partners import (
    PartnerError,
    create_collection,
    create_partner,
    grant_collection,
    issue_partner_token,
)


class Command(BaseCommand):
    help = "Create a partner for the TAXII server, grant it collections, and optionally issue its first token."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--contact", default="")
        parser.add_argument("--read", action="append", default=[], metavar="TITLE", help="collection it may read")
        parser.add_argument("--write", action="append", default=[], metavar="TITLE", help="collection it may write")
        parser.add_argument("--token", action="store_true", help="issue a token and print it once")
        parser.add_argument("--days", type=int, default=None, help="token validity (default PARTNER_TOKEN_TTL_DAYS)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            with transaction.atomic():
                partner = create_partner(options["name"], contact=options["contact"], by=None)
                for title in sorted(set(options["read"]) | set(options["write"])):
                    collection = TaxiiCollection.objects.filter(title=title).first() or create_collection(title, by=None)
                    grant_collection(partner, collection, can_read=title in options["read"],
                                     can_write=title in options["write"], by=None)  # fmt: skip
                    self.stdout.write(f"collection {collection.title}: {collection.pk}")
                token = issue_partner_token(partner, days=options["days"], by=None) if options["token"] else None
        except PartnerError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"partner {partner.name} (#{partner.pk}) created")
        if token is not None:
            self.stdout.write(f"token valid until {token[1].expires_at:%Y-%m-%d %H:%M} UTC (shown once):")
            self.stdout.write(token[0])
