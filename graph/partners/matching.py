"""Partners' observables matched against the graph: the accounts that hold each reported IP (or an address in a
reported network), payment, device or client fingerprint, email domain or prompt template. A template SimHash
matches every template with a member within the template grouping's Hamming distance (`MAX_DISTANCE`, the rule
ingest groups prompt fingerprints by)."""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from graph.driver import Graph
from graph.ingest.rows import existing_templates
from graph.ingest.simhash import MAX_DISTANCE, hex_to_u64
from graph.ingest.templates import ExistingTemplates, matching_templates
from graph.partners.patterns import Observable, ObservableKind, network_subnets

K = ObservableKind
# Each kind of observable and the named query that finds its accounts.
QUERIES: dict[str, str] = {
    K.IP: "partner_match_ip",
    K.PAYMENT: "partner_match_payment",
    K.DEVICE: "partner_match_device",
    K.CLIENT: "partner_match_client",
    K.EMAIL_DOMAIN: "partner_match_email_domain",
    K.TEMPLATE_ID: "partner_match_template",
}
# What an observable of each kind matched, as the graph calls it (an entity kind of the account pages).
ENTITY_KINDS: dict[str, str] = {
    K.IP: "ip", K.NETWORK: "ip", K.PAYMENT: "payment_instrument", K.DEVICE: "device",
    K.CLIENT: "client_fingerprint", K.EMAIL_DOMAIN: "email_domain", K.TEMPLATE_ID: "template",
    K.TEMPLATE_SIMHASH: "template",
}  # fmt: skip


@dataclass(frozen=True, order=True)
class GraphMatch:
    """An account that holds an entity matching an observable (`distance`: SimHash bits, for templates)."""

    observable: Observable
    entity_kind: str
    entity: str
    account_id: str
    distance: int | None = None


def templates_near(simhashes: Iterable[str], existing: ExistingTemplates) -> dict[str, list[tuple[int, str]]]:
    """For each SimHash (16 hex digits), the templates with a member within MAX_DISTANCE bits: (distance, id)."""
    out: dict[str, list[tuple[int, str]]] = {}
    for text in simhashes:
        fingerprint = int(hex_to_u64(np.array([text]))[0])
        out[text] = matching_templates(fingerprint, existing)
    return out


def match_observables(graph: Graph, observables: Iterable[Observable], *, max_accounts: int) -> list[GraphMatch]:
    """Every account of the graph that holds one of the observables (at most `max_accounts` per entity)."""
    by_kind: dict[str, set[str]] = defaultdict(set)
    for o in observables:
        by_kind[o.kind].add(o.value)
    found: set[GraphMatch] = set()

    def run(query: str, values: Iterable[str]) -> list[dict[str, str]]:
        values = sorted(set(values))
        return graph.read(query, values=values, max_accounts=max_accounts) if values else []

    for kind, query in QUERIES.items():
        if kind == K.TEMPLATE_ID:
            continue
        for row in run(query, by_kind.get(kind, ())):
            found.add(GraphMatch(Observable(kind, row["reported"]), ENTITY_KINDS[kind], row["entity"], row["account_id"]))
    found.update(_network_matches(graph, by_kind.get(K.NETWORK, set()), max_accounts))
    found.update(_template_matches(graph, by_kind.get(K.TEMPLATE_SIMHASH, set()), by_kind.get(K.TEMPLATE_ID, set()), max_accounts))
    return sorted(found)


def _network_matches(graph: Graph, networks: set[str], max_accounts: int) -> list[GraphMatch]:
    subnets: dict[str, list[str]] = {}
    for network in networks:
        prefixes = network_subnets(network)
        if prefixes:  # broader than a /16 (or /40): not read
            subnets[network] = prefixes
    wanted = {p for prefixes in subnets.values() for p in prefixes}
    if not wanted:
        return []
    rows = graph.read("partner_match_subnet", values=sorted(wanted), max_accounts=max_accounts)
    out = []
    for network in subnets:
        net = ipaddress.ip_network(network)
        for row in rows:
            if ipaddress.ip_address(row["entity"]) in net:
                out.append(GraphMatch(Observable(K.NETWORK, network), "ip", row["entity"], row["account_id"]))
    return out


def _template_matches(graph: Graph, simhashes: set[str], template_ids: set[str], max_accounts: int) -> list[GraphMatch]:
    near: dict[str, list[tuple[int, str]]] = {}
    if simhashes:
        near = templates_near(sorted(simhashes), existing_templates(graph.stream("ingest_templates_existing")))
    ids = set(template_ids) | {tid for hits in near.values() for _, tid in hits}
    if not ids:
        return []
    accounts: dict[str, list[str]] = defaultdict(list)
    for row in graph.read("partner_match_template", values=sorted(ids), max_accounts=max_accounts):
        accounts[row["entity"]].append(row["account_id"])
    out = []
    for tid in template_ids:
        out += [GraphMatch(Observable(K.TEMPLATE_ID, tid), "template", tid, a) for a in accounts.get(tid, [])]
    for simhash, hits in near.items():
        for distance, tid in hits:
            out += [
                GraphMatch(Observable(K.TEMPLATE_SIMHASH, simhash), "template", tid, a, distance)
                for a in accounts.get(tid, [])
            ]
    return out


__all__ = ["MAX_DISTANCE", "GraphMatch", "match_observables", "templates_near"]
