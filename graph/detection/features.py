"""Cluster features and the evidence behind them, computed from the facts of the member accounts.

Each feature is a plain number (a share, a count, a median); each comes with the concrete evidence an
analyst can check: which instruments, billing addresses, devices, IP addresses, templates or time windows
the members share, and by how many of them. Scoring turns features into contributions (`scoring.py`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from graph.detection.coordination import identity_features, template_features
from graph.detection.evidence import EVIDENCE_PER_SIGNAL, Evidence, share_of
from graph.detection.params import DetectionParams
from graph.detection.rhythm import (
    NewModelInfo,
    chance_per_window,
    pivot_sync,
    quiet_share,
    replacements,
    signup_bursts,
)
from graph.driver import Graph
from graph.drop.contract import CAPABILITIES  # the storage order of every cap_counts list

PREPAID_METHODS = frozenset({"prepaid_card", "virtual_card"})
HOSTING_TYPES = frozenset({"hosting", "proxy"})
PSEUDO_MEMBERS = 5


@dataclass(frozen=True)
class ClusterProfile:
    """The features of one cluster, the evidence per signal, and summary numbers for the UI."""

    features: dict[str, float]
    evidence: dict[str, tuple[Evidence, ...]]
    dominant_capability: str
    exchanges: int
    member_exchanges: dict[str, int] = field(default_factory=dict)


def fetch_account_facts(graph: Graph, account_ids: Sequence[str], batch: int = 2_000) -> dict[str, dict[str, Any]]:
    """The facts (`detect_account_facts.cypher`) of the given accounts, by account id."""
    out: dict[str, dict[str, Any]] = {}
    for start in range(0, len(account_ids), batch):
        for row in graph.read("detect_account_facts", ids=list(account_ids[start : start + batch])):
            out[row["account_id"]] = row
    return out


def _shared_entities(
    members: Sequence[dict[str, Any]], key: str, min_accounts: int = 2
) -> list[tuple[str, int, dict[str, Any]]]:
    """Entities under `key` held by at least `min_accounts` members: (id, members holding it, one record)."""
    holders: dict[str, set[str]] = defaultdict(set)
    sample: dict[str, dict[str, Any]] = {}
    for m in members:
        for item in m.get(key) or []:
            holders[item["id"]].add(m["account_id"])
            sample.setdefault(item["id"], item)
    shared = [(eid, len(accs), sample[eid]) for eid, accs in holders.items() if len(accs) >= min_accounts]
    shared.sort(key=lambda t: (-t[1], t[0]))
    return shared


def _holders_share(members: Sequence[dict[str, Any]], key: str, shared_ids: set[str]) -> int:
    return sum(1 for m in members if any(item["id"] in shared_ids for item in m.get(key) or []))


def _payment_features(members: Sequence[dict[str, Any]], f: dict[str, float], ev: dict[str, list[Evidence]]) -> None:
    paying = [m for m in members if m.get("payments")]
    shared = _shared_entities(members, "payments")
    shared_ids = {eid for eid, _, _ in shared}
    holders = Counter(item["id"] for m in paying for item in {i["id"]: i for i in m["payments"]}.values())
    dominant = max(holders.values(), default=0)
    f["paying_share"] = share_of(len(paying), len(members))
    f["shared_payment_share"] = share_of(_holders_share(paying, "payments", shared_ids), len(paying))
    f["dominant_instrument_share"] = share_of(dominant, len(paying))
    f["card_rotation"] = f["shared_payment_share"] * (1.0 - f["dominant_instrument_share"]) if len(paying) >= 3 else 0.0
    f["shared_instruments"] = float(len(shared))
    instruments = {i["id"]: i for m in paying for i in m["payments"]}
    prepaid = sum(1 for i in instruments.values() if i.get("method") in PREPAID_METHODS)
    f["prepaid_virtual_share"] = share_of(prepaid, len(instruments))
    # Distinct prepaid/virtual instruments per paying member, shrunk towards 0 for few members: a company
    # pays with one corporate virtual card, a campaign with a new throwaway card every few accounts.
    f["prepaid_virtual_per_member"] = prepaid / (len(paying) + PSEUDO_MEMBERS)
    addresses = _shared_entities(members, "addresses")
    names = _shared_entities(members, "names")
    addr_holders = Counter(a["id"] for m in paying for a in {x["id"]: x for x in m.get("addresses") or []}.values())
    f["shared_address_share"] = share_of(_holders_share(paying, "addresses", {a for a, _, _ in addresses}), len(paying))
    f["drop_addresses"] = f["shared_address_share"] * (1.0 - share_of(max(addr_holders.values(), default=0), len(paying)))
    mismatched = known = 0
    for m in paying:
        issuers = {i.get("issuer") for i in m["payments"] if i.get("issuer")}
        countries = {a.get("country") for a in m.get("addresses") or [] if a.get("country")}
        if issuers and countries:
            known += 1
            mismatched += not (issuers & countries)
    f["country_mismatch_share"] = share_of(mismatched, known)
    ev["card_rotation"] = [
        Evidence(
            "payment_instrument", eid, n,
            f"{_card_label(item)} on {n} accounts here ({item.get('degree', n)} overall)",
            _card_label(item),
        )
        for eid, n, item in shared[:EVIDENCE_PER_SIGNAL]
    ]  # fmt: skip
    ev["drop_addresses"] = [
        Evidence("billing_address", eid, n, f"billing address ({item.get('country') or '?'} {item.get('postal') or ''}) "
                 f"on {n} accounts here ({item.get('degree', n)} overall)",
                 f"{item.get('country') or '?'} {item.get('postal') or ''}".strip())
        for eid, n, item in addresses[:EVIDENCE_PER_SIGNAL]
    ] + [
        Evidence("billing_name", eid, n, f"billing name on {n} accounts here ({item.get('degree', n)} overall)")
        for eid, n, item in names[:2]
    ]  # fmt: skip
    ev["prepaid_virtual"] = _prepaid_evidence(paying, instruments)


def _card_label(item: dict[str, Any]) -> str:
    method = str(item.get("method") or "instrument").replace("_", " ")
    return f"{method} BIN {item['bin']}" if item.get("bin") else method


def _prepaid_evidence(paying: Sequence[dict[str, Any]], instruments: dict[str, dict[str, Any]]) -> list[Evidence]:
    """The prepaid/virtual cards behind the signal, one per issuing BIN (largest group first), by fingerprint."""
    holders = Counter(i["id"] for m in paying for i in {x["id"]: x for x in m["payments"]}.values())
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for eid, item in instruments.items():
        if item.get("method") in PREPAID_METHODS:
            groups[(str(item.get("bin") or "?"), str(item.get("method")))].append(eid)
    out = []
    for (card_bin, method), ids in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:EVIDENCE_PER_SIGNAL]:
        eid = min(ids, key=lambda i: (-holders[i], i))
        item, n = instruments[eid], holders[eid]
        label = _card_label(item)
        source = "from this BIN" if card_bin != "?" else "without a BIN"
        same = f"one of {len(ids)} {method.replace('_', ' ')}s {source} here; " if len(ids) > 1 else ""
        out.append(Evidence("payment_instrument", eid, n,
                            f"{label}: {same}on {n} accounts here ({item.get('degree', n)} overall)", label))  # fmt: skip
    return out


def _network_features(members: Sequence[dict[str, Any]], f: dict[str, float], ev: dict[str, list[Evidence]]) -> None:
    sessions: float = 0.0
    hosting: float = 0.0
    asn_sessions: dict[tuple[Any, str, str], float] = defaultdict(float)
    asn_accounts: dict[tuple[Any, str, str], set[str]] = defaultdict(set)
    for m in members:
        for ip in m.get("ips") or []:
            s = float(ip.get("sessions") or 0)
            sessions += s
            asn = ip.get("asn") or {}
            kind = asn.get("type") or "unknown"
            if kind in HOSTING_TYPES:
                hosting += s
                key = (asn.get("number"), str(asn.get("name") or ""), kind)
                asn_sessions[key] += s
                asn_accounts[key].add(m["account_id"])
    f["hosting_share"] = share_of(hosting, sessions)
    shared_ips = _shared_entities(members, "ips")
    f["shared_ip_share"] = share_of(_holders_share(members, "ips", {i for i, _, _ in shared_ips}), len(members))
    ev["hosting_share"] = [
        Evidence("asn", str(number), len(asn_accounts[(number, name, kind)]),
                 f"AS{number} {name} ({kind}): {int(s)} sessions of {len(asn_accounts[(number, name, kind)])} accounts",
                 f"AS{number} {name}")
        for (number, name, kind), s in sorted(asn_sessions.items(), key=lambda t: -t[1])[:3]
    ] + [
        Evidence("ip", eid, n, f"{n} accounts here ({item.get('degree', n)} overall) called from this address"
                 + (f", AS{item['asn'].get('number')} {item['asn'].get('type')}" if item.get("asn") else ""))
        for eid, n, item in shared_ips[:EVIDENCE_PER_SIGNAL]
    ]  # fmt: skip
    subnets: dict[str, set[str]] = defaultdict(set)
    for m in members:
        for ip in m.get("ips") or []:
            if ip.get("subnet"):
                subnets[ip["subnet"]].add(m["account_id"])
    ev["hosting_share"] += [
        Evidence("subnet", s, len(a), f"{len(a)} accounts here used addresses in {s}")
        for s, a in sorted(subnets.items(), key=lambda t: -len(t[1]))[:2]
        if len(a) >= 2
    ]
    devices = _shared_entities(members, "devices")
    f["device_reuse_share"] = share_of(_holders_share(members, "devices", {d for d, _, _ in devices}), len(members))
    ev["device_reuse"] = [
        Evidence("device", eid, n, f"sign-up device of {n} accounts here ({item.get('degree', n)} overall)")
        for eid, n, item in devices[:EVIDENCE_PER_SIGNAL]
    ]
    clients = _shared_entities(members, "clients", min_accounts=3)
    rare = [(c, n, item) for c, n, item in clients if n >= 0.5 * float(item.get("degree") or n)]
    f["custom_client_share"] = share_of(_holders_share(members, "clients", {c for c, _, _ in rare}), len(members))
    ev["custom_client"] = [
        Evidence("client_fingerprint", eid, n, f"client build used by {n} accounts here ({item.get('degree', n)} overall)")
        for eid, n, item in rare[:EVIDENCE_PER_SIGNAL]
    ]


def _traffic_features(
    members: Sequence[dict[str, Any]], f: dict[str, float], ev: dict[str, list[Evidence]], quiet_hours: int
) -> str:
    caps = np.zeros(len(CAPABILITIES))
    for m in members:
        c = m.get("cap_counts")
        if c and len(c) == len(CAPABILITIES):
            caps += np.asarray(c, dtype=np.float64)
    total = caps.sum()
    exchanges = np.asarray([float(m.get("exchanges") or 0) for m in members])
    reasoning = float(sum(float(m.get("reasoning_exchanges") or 0) for m in members))
    f["exchanges"] = float(exchanges.sum())
    active = exchanges[exchanges > 0]
    f["active_share"] = share_of(len(active), len(members))
    f["exchanges_per_account"] = float(np.median(active)) if len(active) else 0.0
    f["reasoning_share"] = share_of(reasoning, exchanges.sum())
    top = np.sort(caps)[::-1] / total if total > 0 else np.zeros(len(CAPABILITIES))
    f["capability_concentration"] = float(top[:2].sum())
    dominant = CAPABILITIES[int(np.argmax(caps))] if total > 0 else ""
    f["dominant_capability_share"] = float(top[0])
    quiet = [q for m in members if (q := quiet_share(m.get("hours"), m.get("hour_counts"), quiet_hours)) is not None]
    f["rhythm_accounts"] = float(len(quiet))
    f["quiet_hours_share"] = float(np.mean(quiet)) if quiet else -1.0
    if quiet:
        ev["round_the_clock"] = [
            Evidence("time_window", "hour-of-day", len(quiet),
                     f"the quietest 6 hours of the day hold {100 * float(np.mean(quiet)):.1f}% of exchanges "
                     f"(mean of {len(quiet)} accounts; people sleep: about 2%)"),
        ]  # fmt: skip
    templates = _shared_entities(members, "templates", min_accounts=3)
    wide = [(t, n, item) for t, n, item in templates if n >= max(3.0, 0.3 * len(members))]
    f["shared_template_share"] = share_of(_holders_share(members, "templates", {t for t, _, _ in wide}), len(members))
    template_ex = sum(float(t.get("exchanges") or 0) for m in members for t in m.get("templates") or [])
    f["template_exchange_share"] = share_of(template_ex, exchanges.sum())
    ev["shared_templates"] = [
        Evidence("template", eid, n, f"prompt template used by {n} accounts here ({item.get('degree', n)} overall)")
        for eid, n, item in templates[:EVIDENCE_PER_SIGNAL]
    ]
    return dominant


def cluster_profile(
    members: Sequence[dict[str, Any]],
    models: Sequence[NewModelInfo],
    *,
    link_profile: dict[str, float] | None = None,
    params: DetectionParams | None = None,
    template_groups: dict[str, int] | None = None,
) -> ClusterProfile:
    """Every feature of one cluster from its members' facts (the mean strength of its links by kind, and the users
    of each template in the clusters around it)."""
    p = params or DetectionParams()
    f: dict[str, float] = {"size": float(len(members))}
    ev: dict[str, list[Evidence]] = {}
    created = np.asarray([m["created_at"] if m.get("created_at") is not None else np.nan for m in members], dtype=float)
    f["signup_burst_share"], ev["signup_burst"] = signup_bursts(created, p.burst_background_sigmas, p.burst_window_hours)
    banned = sum(1 for m in members if m.get("status") in ("banned", "suspended"))
    f["banned_share"] = share_of(banned, len(members))
    replaced, ev["replacements"] = replacements(members, p.replacement_window_hours)
    # A large cluster of ordinary accounts has ordinary bans and a sign-up or two the next day by chance.
    chance = banned * chance_per_window(created, p.replacement_window_hours * 3600)
    f["replacement_share"] = share_of(max(0.0, replaced - chance), len(members))
    _payment_features(members, f, ev)
    _network_features(members, f, ev)
    identity_features(members, f, ev)
    dominant = _traffic_features(members, f, ev, p.quiet_hours)
    template_features(
        members, f, ev, exclusivity=p.private_template_exclusivity, min_members=p.private_template_min_members,
        groups=template_groups,
    )
    pivot = pivot_sync(members, models, p.pivot_window_hours, p.pivot_sync_hours)
    f["fast_pivot_share"], f["pivot_sync_share"] = pivot.fast_share, pivot.sync_share
    f["pivot_concentration"], f["pivot_median_hours"] = pivot.concentration, pivot.median_hours
    f["pivot_together"] = pivot.together
    ev["pivot_sync"], ev["fast_pivot"] = list(pivot.evidence), list(pivot.fast_evidence)
    for name, value in (link_profile or {}).items():
        f[f"link_{name}"] = value
    return ClusterProfile(
        features={k: round(float(v), 4) for k, v in f.items()},
        evidence={k: tuple(v) for k, v in ev.items()},
        dominant_capability=dominant,
        exchanges=int(f["exchanges"]),
        member_exchanges={m["account_id"]: int(m.get("exchanges") or 0) for m in members},
    )


def link_profiles(
    communities: Iterable[Sequence[str]], account_ids: Sequence[str], src: np.ndarray, dst: np.ndarray,
    kind_strength: dict[str, np.ndarray],
) -> list[dict[str, float]]:
    """Per community, the mean strength of each kind over the links inside it (how it holds together)."""
    position = {a: i for i, a in enumerate(account_ids)}
    label = np.full(len(account_ids), -1, dtype=np.int64)
    communities = list(communities)
    for c, accounts in enumerate(communities):
        for a in accounts:
            i = position.get(a)
            if i is not None:
                label[i] = c
    inside = (label[src] >= 0) & (label[src] == label[dst])
    owner = label[src][inside]
    counts = np.bincount(owner, minlength=len(communities)).astype(np.float64)
    out: list[dict[str, float]] = [{"links": float(n)} for n in counts]
    for name, strength in kind_strength.items():
        sums = np.bincount(owner, weights=strength[inside], minlength=len(communities)).astype(np.float64)
        means = np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)
        for c in range(len(communities)):
            out[c][name] = round(float(means[c]), 4)
    return out
