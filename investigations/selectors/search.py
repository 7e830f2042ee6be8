"""Search: find accounts and shared entities by account id, email, IP, fingerprints, hashes or ids."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from graph.reads import read
from investigations.selectors.accounts import kind_label

SEARCH_LIMIT = 50
TEMPLATE_SCAN = 100_000  # templates compared against a prompt fingerprint
HAMMING_MAX = 3  # a prompt fingerprint within this distance belongs to a template (the drop contract)
_PROMPT_FINGERPRINT = re.compile(r"^[0-9a-fA-F]{16}$")
_ASN = re.compile(r"^(?:AS)?(\d{1,10})$", re.IGNORECASE)


@dataclass(frozen=True)
class SearchHit:
    """One thing the term matched: an account, or an entity with its kind."""

    kind: str  # "account" or an EntityKind value
    id: str
    matched: str  # what matched, in words ("email", "IP address", ...)

    @property
    def kind_label(self) -> str:
        """Human label of the kind."""
        return "Account" if self.kind == "account" else kind_label(self.kind)


def search_terms(term: str) -> tuple[list[str], int | None]:
    """The forms of a term to look up exactly (as typed, lower case, canonical IP or subnet) and its number."""
    term = term.strip()
    forms = [term, term.lower()]
    try:
        forms.append(str(ipaddress.ip_address(term)))
    except ValueError:
        pass
    if "/" in term:
        try:
            forms.append(str(ipaddress.ip_network(term, strict=False)))
        except ValueError:
            pass
    match = _ASN.match(term)
    number = int(match.group(1)) if match else None
    return list(dict.fromkeys(f for f in forms if f)), number


def search(term: str) -> list[SearchHit]:
    """Everything the term names exactly; a 16-hex prompt fingerprint also finds templates within distance 3."""
    term = term.strip()
    if not term:
        return []
    terms, number = search_terms(term)
    rows = read("ui_search", terms=terms, number=number, limit=SEARCH_LIMIT)
    hits = list(dict.fromkeys(SearchHit(kind=r["kind"], id=str(r["id"]), matched=r["matched"]) for r in rows))
    if _PROMPT_FINGERPRINT.match(term) and not any(h.kind == "template" for h in hits):
        hits.extend(near_templates(term))
    return hits[:SEARCH_LIMIT]


def near_templates(fingerprint: str) -> list[SearchHit]:
    """Templates whose representative fingerprint is within HAMMING_MAX bits of a prompt fingerprint."""
    wanted = int(fingerprint, 16)
    hits: list[tuple[int, str]] = []
    for row in read("ui_template_fingerprints", limit=TEMPLATE_SCAN):
        try:
            distance = (int(str(row["fingerprint"]), 16) ^ wanted).bit_count()
        except ValueError:
            continue
        if distance <= HAMMING_MAX:
            hits.append((distance, str(row["template_id"])))
    return [
        SearchHit(kind="template", id=template_id, matched=f"prompt fingerprint ({distance} bits away)")
        for distance, template_id in sorted(hits)
    ]
