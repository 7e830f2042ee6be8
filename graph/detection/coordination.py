"""Who the members are to each other, and what they ask: identity ties and private prompt templates.

A careful campaign shares no card, device or address, but its accounts still work one private set of prompt
templates: templates (nearly) nobody outside the group uses. Colleagues do that too (a company's app or eval
suite), but colleagues are tied by identity: one declared organisation, or one corporate email domain used from
the same office addresses. Strangers pasting from a public prompt collection share templates that many accounts
outside the group also use. These features tell the three apart; scoring weighs them (`scoring.py`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from graph.detection.evidence import Evidence, share_of

OFFICE_NETWORKS = frozenset({"business", "education"})
"""ASN types of office and campus networks: an address there shared by colleagues ties them to one employer."""
EVIDENCE_LIMIT = 5


def identity_features(members: Sequence[dict[str, Any]], f: dict[str, float], ev: dict[str, list[Evidence]]) -> None:
    """Declared organisation, corporate and free-mail domains, and ties to one employer."""
    orgs = Counter(m["org_id"] for m in members if m.get("org_id"))
    org, org_n = orgs.most_common(1)[0] if orgs else ("", 0)
    f["org_share"] = share_of(org_n, len(members))
    domains = Counter(_domain(m) for m in members if m.get("email"))
    free = {_domain(m) for m in members if (m.get("email") or {}).get("free")}
    corporate = Counter({d: n for d, n in domains.items() if d and d not in free})
    dom, dom_n = corporate.most_common(1)[0] if corporate else ("", 0)
    f["corporate_domain_share"] = share_of(dom_n, len(members))
    f["free_mail_share"] = share_of(sum(n for d, n in domains.items() if d in free), len(members))
    f["corporate_domains"] = float(sum(1 for n in corporate.values() if n >= 2))
    evidence = []
    if dom:
        detail = f"{dom_n} of {len(members)} accounts sign up with @{dom}"
        if org:
            detail += f"; {org_n} declare organisation {org}"
        evidence.append(Evidence("email_domain", dom, dom_n, detail))
    ev["declared_organisation"] = evidence
    ev["single_tenant"] = list(evidence)
    ev["email_domains"] = [
        Evidence("email_domain", d, n, f"non-free domain of {n} accounts here") for d, n in corporate.most_common(3) if n >= 2
    ]
    f["employer_tie_share"], ev["common_employer"] = employer_ties(members, free)


def _domain(member: dict[str, Any]) -> str:
    return str((member.get("email") or {}).get("id") or "")


def employer_ties(members: Sequence[dict[str, Any]], free: set[str]) -> tuple[float, list[Evidence]]:
    """How much the members are tied to identifiable employers (0 to 1), and the domains and addresses that say so.

    A member is tied (1) when it shares a declared organisation with another member, or an office or campus address
    (a business or education network) with another member (colleagues, classmates, a lab), or signs up with a
    non-free domain and calls from an office or campus network itself (a researcher at their institution). A member
    that only shares a non-free sign-up domain with another member counts half: staff working from home share their
    company's domain, but so do a campaign's accounts on a throwaway domain of their own. Cloud, proxy, reseller and
    home addresses tie nobody.
    """
    orgs = Counter(m["org_id"] for m in members if m.get("org_id"))
    tied = {m["account_id"] for m in members if m.get("org_id") and orgs[m["org_id"]] >= 2}
    office: dict[str, set[str]] = defaultdict(set)
    for m in members:
        for ip in m.get("ips") or []:
            if ((ip.get("asn") or {}).get("type") or "") in OFFICE_NETWORKS:
                office[ip["id"]].add(m["account_id"])
    shared = {address: users for address, users in office.items() if len(users) >= 2}
    for users in shared.values():
        tied |= users
    at_office = set().union(*office.values()) if office else set()
    domain_of = {m["account_id"]: d for m in members if (d := _domain(m)) and d not in free}
    tied |= {account for account in domain_of if account in at_office}
    domains = Counter(domain_of.values())
    same_domain = {account for account, d in domain_of.items() if domains[d] >= 2} - tied
    evidence = [
        Evidence("email_domain", d, n, f"{n} accounts here sign up with @{d}"
                 + (" and work from office or campus networks" if any(a in tied for a in domain_of if domain_of[a] == d)
                    else ", all from home or cloud addresses"))
        for d, n in domains.most_common(2) if n >= 2
    ] + [
        Evidence("ip", address, len(users), f"office or campus address used by {len(users)} accounts here")
        for address, users in sorted(shared.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:3]
    ]  # fmt: skip
    if orgs and orgs.most_common(1)[0][1] >= 2:
        org, n = orgs.most_common(1)[0]
        evidence.insert(0, Evidence("email_domain", _domain_of_org(members, org), n, f"{n} accounts declare organisation {org}"))
    return share_of(len(tied) + 0.5 * len(same_domain), len(members)), evidence


def _domain_of_org(members: Sequence[dict[str, Any]], org: str) -> str:
    """The most common sign-up domain of an organisation's members (evidence names a domain, not an org id)."""
    domains = Counter(_domain(m) for m in members if m.get("org_id") == org)
    return domains.most_common(1)[0][0] if domains else ""


def template_groups(clusters: Iterable[Sequence[dict[str, Any]]], min_members: int) -> dict[str, int]:
    """Per template, its users in the clusters that hold at least `min_members` of them: the group around it.

    Community detection may cut one large campaign into several clusters; its templates are then used by members of
    each, and by nobody else. A public prompt's users are mostly in no cluster, or in clusters of a few."""
    out: Counter[str] = Counter()
    for members in clusters:
        users = Counter(t["id"] for m in members for t in {x["id"]: x for x in m.get("templates") or []}.values())
        out.update({t: n for t, n in users.items() if n >= min_members})
    return dict(out)


def template_features(
    members: Sequence[dict[str, Any]], f: dict[str, float], ev: dict[str, list[Evidence]], *, exclusivity: float,
    min_members: int, groups: dict[str, int] | None = None,
) -> None:
    """Private prompt templates: used by at least `min_members` members, and with `exclusivity` of all their users
    in this cluster or in the other clusters around the template (`template_groups`).

    `private_template_share`: the members' templated exchanges on private templates; `private_template_members`:
    members working at least one; `private_template_coverage`: private templates per template a member works
    (1: everyone works the whole set, like a company's app; higher: the members share the set out in slices).
    """
    inside: dict[str, set[str]] = defaultdict(set)
    degree: Counter[str] = Counter()
    exchanges: dict[str, float] = defaultdict(float)
    for m in members:
        for t in m.get("templates") or []:
            inside[t["id"]].add(m["account_id"])
            degree[t["id"]] = max(degree[t["id"]], int(t.get("degree") or 0))
            exchanges[t["id"]] += float(t.get("exchanges") or 0)
    users = {t: len(a) for t, a in inside.items()}
    group = {t: max(n, (groups or {}).get(t, 0)) for t, n in users.items()}
    private = {t for t, n in users.items() if n >= min_members and group[t] >= exclusivity * max(degree[t], n)}
    per_member = [sum(1 for t in m.get("templates") or [] if t["id"] in private) for m in members]
    working = [k for k in per_member if k]
    f["private_template_share"] = share_of(sum(exchanges[t] for t in private), sum(exchanges.values()))
    f["private_template_members"] = share_of(len(working), len(members))
    f["private_templates"] = float(len(private))
    f["private_template_coverage"] = len(private) / float(np.mean(working)) if working else 0.0
    ranked = sorted(users, key=lambda t: (-users[t], t))
    slices = (
        f"; {len(private)} private templates in all, a member works {float(np.mean(working)):.1f} of them"
        if working else ""
    )  # fmt: skip
    ev["private_templates"] = [
        Evidence("template", t, users[t], f"used by {users[t]} accounts here"
                 + (f", {group[t] - users[t]} in other clusters around it" if group[t] > users[t] else "")
                 + f" and {max(degree[t], group[t]) - group[t]} elsewhere ({int(exchanges[t])} exchanges here)"
                 + (slices if i == 0 else ""))
        for i, t in enumerate([t for t in ranked if t in private][:EVIDENCE_LIMIT])
    ] + [
        Evidence("template", t, users[t], f"used by {users[t]} accounts here but {degree[t] - users[t]} elsewhere: "
                 "public, not counted")
        for t in [t for t in ranked if t not in private and users[t] >= min_members][:2]
    ]  # fmt: skip
