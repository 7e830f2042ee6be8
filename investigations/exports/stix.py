"""A case's indicators as a STIX 2.1 bundle (built with the stix2 library) for sharing with partners.

Ids are uuid5 values derived from the case and the indicator, and times come from the frozen evidence, so
exporting the same case twice gives the same bundle byte for byte.
"""

from __future__ import annotations

import hashlib
import ipaddress
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import stix2

from investigations.models import IndicatorKind
from investigations.selectors.case_evidence import Indicator

# Fixed namespace: the same case and value always give the same STIX id.
STIX_NAMESPACE = uuid.UUID("6f1d3c52-3f0a-5b7e-9a65-2f2d8b1c9e41")
PRODUCER_CREATED = datetime(2026, 1, 1, tzinfo=UTC)

# Custom observable types (STIX allows `x-` object types in patterns) for what STIX has no object for.
CUSTOM_OBJECTS = {
    IndicatorKind.PAYMENT_FINGERPRINT: ("x-payment-instrument", "fingerprint"),
    IndicatorKind.DEVICE: ("x-signup-device", "fingerprint"),
    IndicatorKind.PROMPT_TEMPLATE: ("x-prompt-template", "simhash"),
    IndicatorKind.CLIENT_FINGERPRINT: ("x-client-fingerprint", "fingerprint"),
}


@dataclass(frozen=True)
class StixCase:
    """What the bundle says about the case itself."""

    case_id: int
    title: str
    created_at: datetime
    producer: str = "Hydra Watch"
    generation: int = 0
    """Published ids after a revocation: a revoked STIX id is never given a new version, so new ids follow."""

    def sid(self, kind: str, *parts: object) -> str:
        """The STIX id of one of the case's objects (the generation counts only after a revocation)."""
        return _sid(kind, "case", self.case_id, *parts, *((f"g{self.generation}",) if self.generation else ()))


def _sid(kind: str, *parts: object) -> str:
    return f"{kind}--{uuid.uuid5(STIX_NAMESPACE, '|'.join(str(p) for p in parts))}"


def _literal(value: str) -> str:
    """A STIX pattern string literal: quotes and backslashes escaped."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def stix_pattern(kind: IndicatorKind, value: str) -> str:
    """The STIX pattern matching one indicator value."""
    if kind == IndicatorKind.IP:
        version = ipaddress.ip_address(value).version
        return f"[ipv{version}-addr:value = {_literal(value)}]"
    if kind == IndicatorKind.SUBNET:
        version = ipaddress.ip_network(value, strict=False).version
        return f"[ipv{version}-addr:value ISSUBSET {_literal(value)}]"
    if kind == IndicatorKind.EMAIL_DOMAIN:
        if "%" in value or "_" in value:  # LIKE wildcards: match the domain exactly instead
            return f"[domain-name:value = {_literal(value)}]"
        return f"[email-addr:value LIKE {_literal('%@' + value)}]"
    object_type, prop = CUSTOM_OBJECTS[kind]
    if kind == IndicatorKind.PROMPT_TEMPLATE and not _is_simhash(value):
        prop = "template_id"
    return f"[{object_type}:{prop} = {_literal(value)}]"


def _is_simhash(value: str) -> bool:
    return len(value) == 16 and all(c in "0123456789abcdefABCDEF" for c in value)


def _time(iso: str, fallback: datetime) -> datetime:
    try:
        parsed = datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return fallback
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def indicator_id(case: StixCase, item: Indicator) -> str:
    """The STIX id of a case's indicator (the same in the file export and in every published version)."""
    return case.sid("indicator", item.kind.value, item.value)


def _indicator(
    case: StixCase,
    identity_id: str,
    item: Indicator,
    *,
    marking_id: str = stix2.TLP_AMBER.id,
    created: datetime | None = None,
    modified: datetime | None = None,
) -> stix2.Indicator:
    frozen = _time(item.first_frozen_at, case.created_at)
    label = IndicatorKind(item.kind).label
    shared = len(item.accounts)
    description = (
        f"{label} held by case #{case.case_id}: used by {shared} of the case's accounts"
        f" and {item.accounts_total} accounts in all; evidence from {', '.join(item.sources)}."
    )
    if item.template_id and item.template_id != item.value:
        description += f" Platform template id: {item.template_id}."
    return stix2.Indicator(
        id=indicator_id(case, item),
        created=created or frozen,
        modified=modified or frozen,
        created_by_ref=identity_id,
        name=f"{label}: {item.value}",
        description=description,
        pattern=stix_pattern(item.kind, item.value),
        pattern_type="stix",
        valid_from=frozen,
        indicator_types=["malicious-activity"],
        labels=[item.kind.value],
        confidence=max(1, round(100 * item.specificity)),
        object_marking_refs=[marking_id],
    )


def producer_identity(producer: str = "Hydra Watch") -> stix2.Identity:
    """The Identity every object we produce is created by."""
    return stix2.Identity(
        id=_sid("identity", "producer", producer),
        created=PRODUCER_CREATED,
        modified=PRODUCER_CREATED,
        name=producer,
        identity_class="organization",
        description="Account-network investigation platform for API abuse (distillation campaigns).",
    )


def build_bundle(case: StixCase, indicators: list[Indicator]) -> stix2.Bundle:
    """Identity (the producer), TLP:AMBER, one Indicator per case indicator, and a Grouping that references them."""
    identity = producer_identity(case.producer)
    objects = [_indicator(case, identity.id, item) for item in indicators]
    modified = max([case.created_at, *(o.modified for o in objects)])
    grouping = stix2.Grouping(
        id=_sid("grouping", "case", case.case_id),
        created=case.created_at,
        modified=modified,
        created_by_ref=identity.id,
        name=f"Case #{case.case_id}: {case.title}",
        description=f"Indicators of case #{case.case_id}, from its frozen evidence ({len(objects)} indicators).",
        context="suspicious-activity",
        object_refs=[o.id for o in objects] or [identity.id],
        object_marking_refs=[stix2.TLP_AMBER.id],
    )
    members = [identity, stix2.TLP_AMBER, *objects, grouping]
    digest = hashlib.sha256("|".join(f"{o.id}@{o.get('modified', '')}" for o in members).encode()).hexdigest()
    return stix2.Bundle(objects=members, id=_sid("bundle", "case", case.case_id, digest))


def bundle_json(case: StixCase, indicators: list[Indicator]) -> str:
    """The bundle serialised as pretty, key-sorted JSON."""
    return build_bundle(case, indicators).serialize(pretty=True)
