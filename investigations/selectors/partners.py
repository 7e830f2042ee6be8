"""Reads about partners for pages and the API: partners with their tokens and rights, a case's publications, the
"partner match" signal of a cluster, an account's partner matches, and open partner-match alerts."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from investigations.models import (
    Case,
    Cluster,
    Partner,
    PartnerAlert,
    PartnerIndicator,
    PartnerMatch,
    Publication,
    TaxiiCollection,
)
from investigations.selectors.explanations import Evidence, SignalRow

PARTNER_SIGNAL = "partner_match"


def active_indicator_q(prefix: str = "") -> Q:
    """Indicators that still count: not revoked and not past valid_until."""
    return Q(**{f"{prefix}revoked": False}) & (
        Q(**{f"{prefix}valid_until__isnull": True}) | Q(**{f"{prefix}valid_until__gt": timezone.now()})
    )


def partners_overview() -> QuerySet[Partner]:
    """Every partner with how many live tokens, collections and indicators it has."""
    now = timezone.now()
    return Partner.objects.annotate(
        live_tokens=Count("tokens", filter=Q(tokens__revoked_at__isnull=True, tokens__expires_at__gt=now), distinct=True),
        collections=Count("access", distinct=True),
        indicator_count=Count("indicators", distinct=True),
    ).order_by("name")


def all_collections() -> QuerySet[TaxiiCollection]:
    """Every TAXII collection, by title."""
    return TaxiiCollection.objects.order_by("title")


def partner_indicators(partner: Partner, *, limit: int = 100) -> list[PartnerIndicator]:
    """The partner's latest indicators with how many accounts each matches."""
    return list(partner.indicators.annotate(accounts=Count("matches__account_id", distinct=True))[:limit])


def case_publications(case: Case) -> QuerySet[Publication]:
    """What the case published, newest first, with its collections."""
    return case.publications.select_related("published_by").prefetch_related("collections")


def _matches_on(accounts: QuerySet[Any]) -> QuerySet[PartnerMatch]:
    """Matches of active partner indicators on these accounts (an `account_id` values query), by indicator."""
    return (
        PartnerMatch.objects.filter(active_indicator_q("indicator__"), account_id__in=accounts)
        .select_related("indicator__partner")
        .order_by("indicator_id", "account_id")
    )


def cluster_partner_matches(cluster: Cluster) -> list[PartnerMatch]:
    """Matches of active partner indicators on the cluster's members."""
    return list(_matches_on(cluster.members.values("account_id")))


def partner_signal_rows(cluster: Cluster) -> list[SignalRow]:
    """The "partner match" signal of a cluster: which partner reported what, and which members hold it (empty when
    no partner indicator matches its members). It is evidence beside the score, not part of it."""
    matches = cluster_partner_matches(cluster)
    if not matches:
        return []
    by_indicator: dict[int, list[PartnerMatch]] = defaultdict(list)
    for m in matches:
        by_indicator[m.indicator_id].append(m)
    evidence = []
    for rows in by_indicator.values():
        indicator = rows[0].indicator
        by_entity: dict[tuple[str, str], list[str]] = defaultdict(list)
        distances: dict[tuple[str, str], int] = {}
        for m in rows:
            by_entity[(m.kind, m.value)].append(m.account_id)
            if m.distance:
                distances.setdefault((m.kind, m.value), m.distance)
        for (kind, value), accounts in sorted(by_entity.items()):
            distance = distances.get((kind, value))
            detail = f"{indicator.partner.name} reported {indicator.name or indicator.stix_id} ({indicator.stix_id})"
            if distance:
                detail += f"; template SimHash {distance} bits from the reported one"
            evidence.append(Evidence(kind=kind, id=value, accounts=len(set(accounts)),
                                     account_ids=tuple(sorted(set(accounts))), detail=detail,
                                     label=indicator.partner.name))  # fmt: skip
    members = {m.account_id for m in matches}
    partners = sorted({m.indicator.partner.name for m in matches})
    return [
        SignalRow(
            signal=PARTNER_SIGNAL,
            label=f"Partner match ({', '.join(partners)})",
            value=f"{len(members)} of {cluster.size} members named by {len(by_indicator)} partner "
            f"indicator{'s' if len(by_indicator) != 1 else ''}",
            contribution=0.0,
            evidence=tuple(evidence),
            scored=False,
        )
    ]


def account_partner_matches(account_id: str) -> list[PartnerMatch]:
    """Matches of active partner indicators on one account."""
    return list(
        PartnerMatch.objects.filter(active_indicator_q("indicator__"), account_id=account_id)
        .select_related("indicator__partner")
        .order_by("-matched_at")[:100]
    )


@dataclass(frozen=True)
class CaseReport:
    """One partner indicator that names accounts of a case: which accounts, through what, and when it last matched."""

    indicator: PartnerIndicator
    account_ids: tuple[str, ...]
    matched: tuple[str, ...]  # "kind value" of what matched, distinct
    matched_at: datetime


def case_partner_reports(case: Case, *, limit: int = 5000) -> list[CaseReport]:
    """Active partner indicators that name the case's frozen accounts, the ones naming most accounts first: a
    partner's report about accounts already under investigation does not raise a queue alert, it shows here."""
    matches = _matches_on(case.case_accounts.values("account_id"))[:limit]
    grouped: dict[int, list[PartnerMatch]] = defaultdict(list)
    for m in matches:
        grouped[m.indicator_id].append(m)
    reports = [
        CaseReport(
            indicator=rows[0].indicator,
            account_ids=tuple(sorted({m.account_id for m in rows})),
            matched=tuple(sorted({f"{m.kind.replace('_', ' ')} {m.value}" for m in rows})),
            matched_at=max(m.matched_at for m in rows),
        )
        for rows in grouped.values()
    ]
    return sorted(reports, key=lambda r: (-len(r.account_ids), r.indicator.partner.name, r.indicator.stix_id))


def open_partner_alerts(limit: int = 20) -> list[PartnerAlert]:
    """Unacknowledged partner-match alerts of active indicators, newest first."""
    return list(
        PartnerAlert.objects.filter(active_indicator_q("indicator__"), acknowledged_at__isnull=True)
        .select_related("indicator__partner")
        .order_by("-created_at", "-id")[:limit]
    )
