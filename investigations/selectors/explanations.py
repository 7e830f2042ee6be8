"""A cluster's explained score as typed rows: each signal, its contribution, and the evidence behind it (entities
shared by members, linked to their pages when their key is one)."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any

from investigations.ids import parse_id
from investigations.models import Cluster
from investigations.selectors.accounts import EntityKind, kind_label

_PLAIN_KEY_KINDS = {
    EntityKind.PAYMENT_INSTRUMENT, EntityKind.DEVICE, EntityKind.CLIENT_FINGERPRINT,
    EntityKind.BILLING_ADDRESS, EntityKind.BILLING_NAME,
}  # fmt: skip
_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_.:-]+$")


@dataclass(frozen=True)
class Evidence:
    """One piece of evidence behind a signal: an entity (or time window) and how many members share it."""

    kind: str
    id: str
    accounts: int | None
    account_ids: tuple[str, ...]
    detail: str
    label: str = ""
    """A human name for the entity when its key is opaque (a card's issuing BIN, an address's country)."""

    @property
    def kind_label(self) -> str:
        """Human label of the kind."""
        return kind_label(self.kind)

    @property
    def link_id(self) -> str | None:
        """The natural id of the entity page this evidence opens, or None (a time window, a BIN range...)."""
        if not self.id or self.kind not in EntityKind.values:
            return None
        if self.kind in _PLAIN_KEY_KINDS:
            return self.id if _PLAIN_KEY.match(self.id) else None
        if self.kind == EntityKind.ASN:
            number = self.id.upper().removeprefix("AS")
            return number if parse_id(number) is not None else None
        if self.kind in (EntityKind.IP, EntityKind.SUBNET):
            try:
                return str(
                    ipaddress.ip_address(self.id)
                    if self.kind == EntityKind.IP
                    else ipaddress.ip_network(self.id)
                )
            except ValueError:
                return None
        return self.id


@dataclass(frozen=True)
class SignalRow:
    """One signal of a cluster's score: its value, its contribution and the evidence behind it."""

    signal: str
    label: str
    value: Any
    contribution: float
    evidence: tuple[Evidence, ...]
    scored: bool = True  # False for evidence shown beside the score without being part of it

    @property
    def raises(self) -> bool:
        """True when the signal raises the score (False when it mitigates it)."""
        return self.contribution >= 0


def _evidence(item: Any) -> Evidence | None:
    if not isinstance(item, dict):
        return None
    accounts = item.get("accounts")
    ids: tuple[str, ...] = ()
    if isinstance(accounts, list):
        ids = tuple(str(a) for a in accounts)
        count: int | None = len(ids)
    elif isinstance(accounts, int | float):
        count = int(accounts)
    else:
        count = None
    return Evidence(
        kind=str(item.get("kind") or ""),
        id="" if item.get("id") is None else str(item.get("id")),
        accounts=count,
        account_ids=ids,
        detail="" if item.get("detail") is None else str(item.get("detail")),
        label="" if item.get("label") is None else str(item.get("label")),
    )


def explanation_rows(cluster: Cluster) -> list[SignalRow]:
    """The cluster's explanation as typed rows, strongest contribution first (bad entries are skipped)."""
    rows: list[SignalRow] = []
    for item in cluster.explanation or []:
        if not isinstance(item, dict) or "signal" not in item:
            continue
        try:
            contribution = float(item.get("contribution") or 0.0)
        except (TypeError, ValueError):
            contribution = 0.0
        evidence = tuple(e for e in (_evidence(x) for x in item.get("evidence") or []) if e is not None)
        rows.append(
            SignalRow(
                signal=str(item["signal"]),
                label=str(item.get("label") or item["signal"]),
                value=item.get("value"),
                contribution=contribution,
                evidence=evidence,
            )
        )
    return sorted(rows, key=lambda r: (-abs(r.contribution), r.signal))
