"""CSV exports of a case: its accounts and its indicators (frozen evidence only)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

from investigations.selectors.case_evidence import Indicator

ACCOUNT_COLUMNS = (
    "account_id",
    "cluster_key",
    "added_at",
    "status_at_snapshot",
    "email_domain",
    "exchanges_at_snapshot",
    "actioned",
    "actioned_at",
)
INDICATOR_COLUMNS = (
    "kind",
    "value",
    "template_id",
    "accounts_in_case",
    "accounts_total",
    "specificity",
    "sources",
    "first_frozen_at",
)

# A cell starting with one of these is a formula in spreadsheet programs; telemetry values are data, never code.
_FORMULA_START = ("=", "+", "@", "\t", "\r")
_PLAIN = re.compile(r"^[A-Za-z0-9_.:-]*$")  # the contract's id charset (a number too): never a formula


def safe_cell(value: Any) -> str:
    """The cell text, with a leading quote when a spreadsheet would read it as a formula: a leading =, +, @, tab
    or CR, or a leading - that does not begin a plain id or number (ids of the contract's charset stay exact). The
    one rule for every CSV the platform writes."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START) or (text[:1] == "-" and not _PLAIN.match(text)):
        return "'" + text
    return text


def _write(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return buffer.getvalue()


def accounts_csv(accounts: Iterable[Any]) -> str:
    """One row per CaseAccount, as frozen, with whether and when it was actioned."""
    return _write(
        ACCOUNT_COLUMNS,
        (
            (
                a.account_id,
                a.cluster_key,
                a.added_at.isoformat(),
                a.snapshot.get("status") or "",
                a.snapshot.get("email_domain") or "",
                a.snapshot.get("exchanges") or 0,
                "true" if a.actioned_at else "false",
                a.actioned_at.isoformat() if a.actioned_at else "",
            )
            for a in accounts
        ),
    )


def indicators_csv(indicators: Iterable[Indicator]) -> str:
    """One row per indicator the case holds."""
    return _write(
        INDICATOR_COLUMNS,
        (
            (
                i.kind.value,
                i.value,
                i.template_id,
                len(i.accounts),
                i.accounts_total,
                f"{i.specificity:.3f}",
                ";".join(i.sources),
                i.first_frozen_at,
            )
            for i in indicators
        ),
    )
