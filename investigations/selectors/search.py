"""Search: find accounts and shared entities by account id, email, IP, fingerprints, hashes or ids."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from cachetools import LRUCache, cached

from graph.driver import get_graph
from graph.ingest.rows import existing_templates
from graph.ingest.templates import ExistingTemplates, matching_templates
from graph.reads import read
from investigations.selectors.accounts import kind_label

SEARCH_LIMIT = 50
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


def _templates() -> ExistingTemplates:
    """Every template with its member fingerprints, read again only when the template set changed."""
    version = tuple(get_graph().read("ui_templates_version")[0].values())
    return _templates_of(version)


@cached(LRUCache(maxsize=1), key=lambda version: version)
def _templates_of(version: tuple[object, ...]) -> ExistingTemplates:
    return existing_templates(get_graph().stream("ingest_templates_existing"))


def near_templates(fingerprint: str) -> list[SearchHit]:
    """The templates a prompt fingerprint belongs to by ingest's rule (a member within MAX_DISTANCE bits)."""
    return [
        SearchHit(kind="template", id=template_id, matched=f"prompt fingerprint ({distance} bits away)")
        for distance, template_id in matching_templates(int(fingerprint, 16), _templates())
    ]
