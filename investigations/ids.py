"""Database ids typed by people (URLs, query strings, forms, JSON): positive and within a 64-bit integer, so a
`²` or a 30-digit number is "no such thing" or a 400 naming the field, never a 500 from the database."""

from __future__ import annotations

MAX_ID = 2**63 - 1


def parse_id(value: object) -> int | None:
    """The id in `value` (ASCII digits, 1..MAX_ID), or None."""
    text = str(value).strip() if value is not None else ""
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None
