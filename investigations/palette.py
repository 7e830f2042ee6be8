"""The colours of every picture, in the UI and in case reports alike: one per kind of entity, and the few that
mean something (a raising or mitigating signal, the accent, muted)."""

from __future__ import annotations

from investigations.models import IndicatorKind

# One colour per kind of node or entity: the network picture, badges, legends and the case report's evidence.
KIND_COLOURS: dict[str, str] = {
    "account": "#2d5bd7",
    "payment_instrument": "#e67e22",
    "billing_address": "#b9770e",
    "billing_name": "#f0b27a",
    "device": "#8e44ad",
    "ip": "#16a085",
    "subnet": "#48c9b0",
    "asn": "#117864",
    "client_fingerprint": "#7f8c8d",
    "template": "#c0392b",
    "email_domain": "#2980b9",
    "organization": "#27ae60",
    "model": "#34495e",
}
UNKNOWN_KIND = "#7f8c8d"
RAISES = "#c0392b"
MITIGATES = "#1e8449"
ACCENT = "#2d5bd7"
MUTED = "#95a5a6"
EDGE = "#b8c0cc"
INK = "#1d2430"

# A case indicator is an entity of one of these kinds.
INDICATOR_ENTITY_KIND: dict[str, str] = {
    IndicatorKind.PAYMENT_FINGERPRINT.value: "payment_instrument",
    IndicatorKind.IP.value: "ip",
    IndicatorKind.SUBNET.value: "subnet",
    IndicatorKind.DEVICE.value: "device",
    IndicatorKind.PROMPT_TEMPLATE.value: "template",
    IndicatorKind.EMAIL_DOMAIN.value: "email_domain",
}


def kind_colour(kind: str) -> str:
    """The colour of an entity kind (or of a case indicator's kind)."""
    return KIND_COLOURS.get(INDICATOR_ENTITY_KIND.get(kind, kind), UNKNOWN_KIND)
