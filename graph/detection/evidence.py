"""What an explanation points at: one concrete shared thing behind a signal, and the small helpers that word it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

EVIDENCE_PER_SIGNAL = 5  # items of evidence kept per signal, the strongest first


@dataclass(frozen=True)
class Evidence:
    """One concrete shared thing behind a signal: what it is, and how many member accounts share it."""

    kind: str
    id: str
    """The entity's natural key (a card's `fingerprint`, an address's `hash`, an IP's `address`, a template's
    `template_id`...), so the UI can open it; for a `time_window`, its ISO start."""
    accounts: int
    detail: str
    label: str = ""
    """A short human name when the key is unreadable (a card's method and BIN, an ASN's name); optional."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON form stored in Cluster.explanation."""
        out: dict[str, Any] = {"kind": self.kind, "id": self.id, "accounts": self.accounts, "detail": self.detail}
        if self.label:
            out["label"] = self.label
        return out


def iso_minute(epoch: float) -> str:
    """An epoch time as ISO 8601 UTC to the minute, as evidence shows times."""
    return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).strftime("%Y-%m-%dT%H:%MZ")


def share_of(part: float, whole: float) -> float:
    """part / whole, 0 for an empty whole."""
    return float(part) / float(whole) if whole else 0.0
