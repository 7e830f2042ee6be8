"""What a STIX 2.1 indicator pattern names that our graph can hold: IP addresses and networks, payment, device
and client fingerprints, email domains, prompt-template SimHashes and template ids. Pure functions.

Only patterns made of comparisons joined by OR are matched (any one named value identifies the activity); a pattern
that needs several things at once (AND, FOLLOWEDBY, a negation) or names nothing we hold is reported as unsupported
rather than matched loosely.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from stix2patterns.v21.pattern import Pattern


class ObservableKind:
    """Kinds of value the graph can be searched for (plain strings: they travel as JSON)."""

    IP = "ip"
    NETWORK = "network"
    PAYMENT = "payment_fingerprint"
    DEVICE = "device"
    CLIENT = "client_fingerprint"
    EMAIL_DOMAIN = "email_domain"
    TEMPLATE_SIMHASH = "template_simhash"
    TEMPLATE_ID = "template_id"


K = ObservableKind
# (STIX object type, property path) -> kind, for '=' and IN comparisons.
EQUALS: dict[tuple[str, str], str] = {
    ("ipv4-addr", "value"): K.IP,
    ("ipv6-addr", "value"): K.IP,
    ("domain-name", "value"): K.EMAIL_DOMAIN,
    ("email-addr", "value"): K.EMAIL_DOMAIN,
    ("x-payment-instrument", "fingerprint"): K.PAYMENT,
    ("x-signup-device", "fingerprint"): K.DEVICE,
    ("x-client-fingerprint", "fingerprint"): K.CLIENT,
    ("x-prompt-template", "simhash"): K.TEMPLATE_SIMHASH,
    ("x-prompt-template", "template_id"): K.TEMPLATE_ID,
}
# The broadest network matched: a /16 (IPv4) or /40 (IPv6) is read as the /24s or /48s it holds.
MIN_PREFIX = {4: 16, 6: 40}
_HEX = re.compile(r"^[0-9a-f]{8,64}$")
_SIMHASH = re.compile(r"^[0-9a-f]{16}$")
_DOMAIN = re.compile(r"^[\w-]+(\.[\w-]+)+$")
_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'")


@dataclass(frozen=True, order=True)
class Observable:
    """One value a pattern names, in the graph's canonical form."""

    kind: str
    value: str


@dataclass(frozen=True)
class ParsedPattern:
    """What a pattern names, or why none of it can be matched."""

    observables: tuple[Observable, ...]
    unsupported: str = ""


def unquote(literal: str) -> str:
    """The text of a STIX pattern string literal ('...' with \\' and \\\\ escapes)."""
    body = literal[1:-1] if len(literal) >= 2 and literal[0] == literal[-1] == "'" else literal
    return re.sub(r"\\(.)", r"\1", body)


def canonical(kind: str, text: str) -> str | None:
    """A value as the graph holds it, or None when it is not a valid value of that kind (the one rule for values
    partners report and for the indicators cases hold)."""
    text = text.strip()
    if not text or len(text) > 320:
        return None
    try:
        if kind == K.IP:
            return str(ipaddress.ip_address(text))
        if kind == K.NETWORK:
            return str(ipaddress.ip_network(text, strict=False))
    except ValueError:
        return None
    lower = text.lower()
    if kind in (K.PAYMENT, K.DEVICE, K.CLIENT):
        return lower if _HEX.match(lower) else None
    if kind == K.TEMPLATE_SIMHASH:
        return lower if _SIMHASH.match(lower) else None
    if kind == K.EMAIL_DOMAIN:
        domain = lower.lstrip("@")
        return domain if _DOMAIN.match(domain) else None
    return text


def _outside_quotes(pattern: str) -> str:
    return _QUOTED.sub("''", pattern)


def _observables(object_type: str, path: str, op: str, literal: str) -> list[Observable]:
    kind = EQUALS.get((object_type, path))
    if kind is None:
        return []
    texts = [unquote("'" + m + "'") for m in _QUOTED.findall(literal)] if op == "IN" else [unquote(literal)]
    if object_type == "email-addr" and op != "LIKE":
        texts = [t.rsplit("@", 1)[-1] for t in texts]  # an address names its domain
    if op == "ISSUBSET" and kind == K.IP:
        kind = K.NETWORK
    elif op == "LIKE" and object_type == "email-addr":
        texts = [t[2:] for t in texts if t.startswith("%@") and "%" not in t[2:] and "_" not in t[2:]]
    elif op not in ("=", "IN"):
        return []
    if kind == K.IP and any("/" in t for t in texts):
        kind = K.NETWORK
    found = []
    for text in texts:
        value = canonical(kind, text)
        if value is not None:
            found.append(Observable(kind, value))
    return found


def parse_pattern(pattern: str) -> ParsedPattern:
    """The values a STIX 2.1 pattern names that the graph can hold (sorted, unique), or why there are none."""
    try:
        data = Pattern(pattern).inspect()
    except Exception as exc:  # noqa: BLE001  # the parser raises several kinds on bad input
        return ParsedPattern((), f"not a valid STIX pattern: {exc}"[:300])
    bare = _outside_quotes(pattern)
    if data.observation_ops - {"OR"} or re.search(r"\bAND\b", bare) or re.search(r"\bNOT\b|!=", bare):
        return ParsedPattern((), "the pattern needs several things at once (AND, FOLLOWEDBY or NOT): not matched")
    if data.qualifiers:
        return ParsedPattern((), "the pattern has qualifiers (WITHIN, REPEATS, START/STOP): not matched")
    found: set[Observable] = set()
    for object_type, comparisons in data.comparisons.items():
        for path, op, literal in comparisons:
            if len(path) != 1 or not isinstance(path[0], str):
                continue
            found.update(_observables(object_type, path[0], op.upper(), literal))
    if not found:
        return ParsedPattern((), "the pattern names nothing the graph holds")
    return ParsedPattern(tuple(sorted(found)))


def network_subnets(network: str) -> list[str] | None:
    """The graph's Subnet prefixes (/24 or /48) a network lies in or covers, or None when it is broader than
    MIN_PREFIX (too many to read)."""
    net = ipaddress.ip_network(network, strict=False)
    unit = 24 if net.version == 4 else 48
    if net.prefixlen >= unit:
        return [str(net.supernet(new_prefix=unit))]
    if net.prefixlen < MIN_PREFIX[net.version]:
        return None
    return [str(s) for s in net.subnets(new_prefix=unit)]
