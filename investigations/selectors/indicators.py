"""Indicator values: which kinds a detection explanation names (in any of the shapes detection writes), their
canonical text, and how two spellings of one value are recognised as the same. Pure functions, no reads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graph.partners.patterns import ObservableKind, canonical
from investigations.models import IndicatorKind

# Names the detection explanation may use for evidence values, mapped to indicator kinds.
_EVIDENCE_KEYS: dict[str, IndicatorKind] = {
    "payment_fingerprint": IndicatorKind.PAYMENT_FINGERPRINT,
    "payment_fingerprints": IndicatorKind.PAYMENT_FINGERPRINT,
    "payment_instrument": IndicatorKind.PAYMENT_FINGERPRINT,
    "payment_instruments": IndicatorKind.PAYMENT_FINGERPRINT,
    "ip": IndicatorKind.IP,
    "ips": IndicatorKind.IP,
    "ip_addresses": IndicatorKind.IP,
    "signup_ips": IndicatorKind.IP,
    "subnet": IndicatorKind.SUBNET,
    "subnets": IndicatorKind.SUBNET,
    "device": IndicatorKind.DEVICE,
    "devices": IndicatorKind.DEVICE,
    "device_fingerprints": IndicatorKind.DEVICE,
    "signup_fingerprints": IndicatorKind.DEVICE,
    "template": IndicatorKind.PROMPT_TEMPLATE,
    "templates": IndicatorKind.PROMPT_TEMPLATE,
    "prompt_template": IndicatorKind.PROMPT_TEMPLATE,
    "prompt_templates": IndicatorKind.PROMPT_TEMPLATE,
    "template_ids": IndicatorKind.PROMPT_TEMPLATE,
    "email_domain": IndicatorKind.EMAIL_DOMAIN,
    "email_domains": IndicatorKind.EMAIL_DOMAIN,
    "client_fingerprint": IndicatorKind.CLIENT_FINGERPRINT,
    "client_fingerprints": IndicatorKind.CLIENT_FINGERPRINT,
}


# Graph labels (and the detection's entity kinds) mapped to indicator kinds.
_LABEL_KINDS: dict[str, IndicatorKind] = {
    "paymentinstrument": IndicatorKind.PAYMENT_FINGERPRINT,
    "payment_instrument": IndicatorKind.PAYMENT_FINGERPRINT,
    "payment": IndicatorKind.PAYMENT_FINGERPRINT,
    "device": IndicatorKind.DEVICE,
    "ip": IndicatorKind.IP,
    "subnet": IndicatorKind.SUBNET,
    "prompttemplate": IndicatorKind.PROMPT_TEMPLATE,
    "template": IndicatorKind.PROMPT_TEMPLATE,
    "emaildomain": IndicatorKind.EMAIL_DOMAIN,
    "email_domain": IndicatorKind.EMAIL_DOMAIN,
    "clientfingerprint": IndicatorKind.CLIENT_FINGERPRINT,
    "client_fingerprint": IndicatorKind.CLIENT_FINGERPRINT,
}


_VALUE_KEYS = ("value", "fingerprint", "address", "prefix", "template_id", "domain", "entity", "key", "id")


# Each indicator kind as the graph-side rule for values calls it (`graph.partners.patterns.canonical`).
_OBSERVABLE_KINDS: dict[IndicatorKind, str] = {
    IndicatorKind.IP: ObservableKind.IP,
    IndicatorKind.SUBNET: ObservableKind.NETWORK,
    IndicatorKind.PAYMENT_FINGERPRINT: ObservableKind.PAYMENT,
    IndicatorKind.DEVICE: ObservableKind.DEVICE,
    IndicatorKind.CLIENT_FINGERPRINT: ObservableKind.CLIENT,
    IndicatorKind.EMAIL_DOMAIN: ObservableKind.EMAIL_DOMAIN,
    IndicatorKind.PROMPT_TEMPLATE: ObservableKind.TEMPLATE_ID,  # a SimHash or a template id, kept as written
}


def normalise_indicator(kind: IndicatorKind, raw: Any) -> str | None:
    """The canonical text of an indicator value, or None when it is not a valid value of that kind."""
    if raw is None or isinstance(raw, bool) or isinstance(raw, Mapping | list | tuple):
        return None
    return canonical(_OBSERVABLE_KINDS[kind], str(raw))


def _value_of(item: Any) -> Any:
    if isinstance(item, Mapping):
        for key in _VALUE_KEYS:
            if item.get(key) not in (None, ""):
                return item[key]
        return None
    return item


def _kind_of_mapping(item: Mapping[str, Any]) -> IndicatorKind | None:
    for key in ("kind", "entity_kind", "type"):
        label = item.get(key)
        if isinstance(label, str):
            kind = _LABEL_KINDS.get(label.replace(" ", "").lower()) or _EVIDENCE_KEYS.get(label.lower())
            if kind is not None:
                return kind
    return None


def explanation_candidates(explanation: Any) -> list[tuple[IndicatorKind, str]]:
    """Every (kind, text) an explanation's evidence names for an indicator kind, unvalidated."""
    found: list[tuple[IndicatorKind, str]] = []

    def add(kind: IndicatorKind, raw: Any) -> None:
        items = raw if isinstance(raw, list | tuple) else [raw]
        for item in items:
            value = _value_of(item)
            if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
                found.append((kind, str(value).strip()))

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            kind = _kind_of_mapping(node)
            if kind is not None:
                add(kind, _value_of(node) if "values" not in node else node["values"])
            for key, child in node.items():
                child_kind = _EVIDENCE_KEYS.get(str(key).lower())
                if child_kind is not None:
                    add(child_kind, child)
                elif isinstance(child, Mapping | list | tuple):
                    walk(child)
        elif isinstance(node, list | tuple):
            for child in node:
                walk(child)

    walk(explanation)
    return found


def explanation_indicators(explanation: Any) -> list[tuple[IndicatorKind, str]]:
    """Valid indicator values named in a cluster's explanation evidence, in any of the shapes detection writes."""
    valid = {(kind, normalise_indicator(kind, text)) for kind, text in explanation_candidates(explanation)}
    return sorted((kind, value) for kind, value in valid if value is not None)


def indicator_key(kind: IndicatorKind, text: str) -> tuple[str, str]:
    """How two spellings of one value are recognised as the same (hex and domains ignore case)."""
    canonical = normalise_indicator(kind, text) if kind in (IndicatorKind.IP, IndicatorKind.SUBNET) else None
    return kind.value, canonical or text.strip().lower()


def graph_indicator_value(kind: IndicatorKind, raw: Any) -> str | None:
    """A value as the graph holds it (ingest validated it): IPs and subnets canonical, the rest verbatim."""
    if raw is None or not str(raw).strip():
        return None
    if kind in (IndicatorKind.IP, IndicatorKind.SUBNET):
        return normalise_indicator(kind, raw) or str(raw).strip()
    return str(raw).strip()
