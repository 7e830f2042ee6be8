"""Exports of a case: the HTML report, CSV of accounts and indicators, and a STIX 2.1 bundle of indicators."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models


class ExportFormat(models.TextChoices):
    """What a case can be exported as."""

    STIX = "stix", "STIX 2.1 bundle of indicators"
    ACCOUNTS_CSV = "accounts_csv", "CSV of accounts"
    INDICATORS_CSV = "indicators_csv", "CSV of indicators"
    REPORT = "report", "HTML report"


@dataclass(frozen=True)
class ExportFile:
    """One exported file: its name, media type and bytes."""

    filename: str
    content_type: str
    content: bytes
