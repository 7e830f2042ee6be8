"""`manage.py issue_partner_token PARTNER [--days N] [--label L]`: a TAXII token for a partner, printed once (only its
SHA-256 digest is kept)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from investigations.models import Partner
from investigations.services.partners import PartnerError, issue_partner_token


class Command(BaseCommand):
    help = "Issue a TAXII token for a partner (printed once; expires after --days, PARTNER_TOKEN_TTL_DAYS by default)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("partner", help="the partner's name")
        parser.add_argument("--days", type=int, default=None)
        parser.add_argument("--label", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        partner = Partner.objects.filter(name=options["partner"]).first()
        if partner is None:
            raise CommandError(f"no partner named {options['partner']!r}")
        try:
            token, record = issue_partner_token(partner, days=options["days"], label=options["label"], by=None)
        except PartnerError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"token {record.prefix}… for {partner.name}, valid until {record.expires_at:%Y-%m-%d %H:%M} UTC (shown once):")
        self.stdout.write(token)
