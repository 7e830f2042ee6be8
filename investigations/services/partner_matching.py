"""Writes for matching partners' indicators against the graph: the accounts each one names (kept as PartnerMatch
rows, shown as the "partner match" signal of their clusters and on their pages), and an alert in the analyst
queue when an indicator names accounts it did not name before. Runs after every import and every ingest."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from graph.driver import get_graph
from graph.partners.matching import GraphMatch, match_observables
from graph.partners.patterns import Observable
from investigations.celery import app as celery_app
from investigations.models import AuditAction, ClusterMember, PartnerAlert, PartnerIndicator, PartnerMatch
from investigations.queues import Queue
from investigations.selectors.partners import active_indicator_q
from investigations.selectors.runs import latest_run
from investigations.services.audit import record_audit
from investigations.services.cases import User

REMATCH_TASK = "investigations.rematch_partner_indicators"


@dataclass(frozen=True)
class RematchSummary:
    """What one matching pass found."""

    indicators: int
    matches: int
    alerts: int


def queue_rematch(indicator_ids: Sequence[int] | None = None) -> None:
    """Match these indicators (every active one when None) once the current transaction commits. Robust: a broker
    away at that moment is logged and does not fail the ingest or import that asked (the next one matches again)."""
    ids = None if indicator_ids is None else sorted(set(indicator_ids))
    transaction.on_commit(lambda: celery_app.send_task(REMATCH_TASK, args=[ids], queue=Queue.DEFAULT), robust=True)


def rematch_partner_indicators(indicator_ids: Sequence[int] | None = None) -> RematchSummary:
    """Match active partner indicators (these, or all) against the graph as it is now."""
    qs = PartnerIndicator.objects.filter(active_indicator_q()).select_related("partner")
    if indicator_ids is not None:
        qs = qs.filter(pk__in=list(indicator_ids))
    else:  # a full pass also forgets what inactive indicators matched
        PartnerMatch.objects.exclude(indicator__in=PartnerIndicator.objects.filter(active_indicator_q())).delete()
    indicators = [i for i in qs if i.observables]
    wanted = {Observable(str(k), str(v)) for i in indicators for k, v in i.observables}
    found = match_observables(get_graph(), wanted, max_accounts=settings.PARTNER_MATCH_MAX_ACCOUNTS) if wanted else []
    by_observable: dict[Observable, list[GraphMatch]] = defaultdict(list)
    for m in found:
        by_observable[m.observable].append(m)
    matches = alerts = 0
    for indicator in indicators:
        hits = [m for k, v in indicator.observables for m in by_observable.get(Observable(str(k), str(v)), [])]
        matches += len(hits)
        alerts += int(_apply(indicator, hits) is not None)
    return RematchSummary(len(indicators), matches, alerts)


def _apply(indicator: PartnerIndicator, hits: list[GraphMatch]) -> PartnerAlert | None:
    """Keep an indicator's matches as the graph has them now; an alert for accounts it names for the first time."""
    now = timezone.now()
    with transaction.atomic():
        indicator = PartnerIndicator.objects.select_for_update().select_related("partner").get(pk=indicator.pk)
        if not indicator.is_active:
            return None
        existing = {(m.account_id, m.kind, m.value): m for m in indicator.matches.all()}
        wanted = {(h.account_id, h.entity_kind, h.entity): h for h in hits}
        gone = [m.pk for key, m in existing.items() if key not in wanted]
        PartnerMatch.objects.filter(pk__in=gone).delete()
        PartnerMatch.objects.bulk_create(
            [
                PartnerMatch(
                    indicator=indicator, account_id=h.account_id, kind=h.entity_kind, value=h.entity[:320],
                    reported=h.observable.value[:320], distance=h.distance, matched_at=now,
                )  # fmt: skip
                for key, h in sorted(wanted.items())
                if key not in existing
            ],
            ignore_conflicts=True,
        )
        indicator.matched_at = now
        indicator.save(update_fields=["matched_at"])
        before = {a for a, _, _ in existing}
        new = sorted({a for a, _, _ in wanted} - before)
        if not new:
            return None
        kinds = sorted({h.entity_kind.replace("_", " ") for h in hits if h.account_id in set(new)})
        label = indicator.name or indicator.stix_id
        alert = PartnerAlert.objects.create(
            indicator=indicator, account_ids=new, cluster_keys=_clusters_of(new), created_at=now,
            reason=f"{indicator.partner.name}'s indicator {label!r} names {len(new)} of our accounts ({', '.join(kinds)})"[:300],
        )  # fmt: skip
        record_audit(
            None, None, AuditAction.PARTNER_MATCH_RAISED, alert.reason,
            after={"alert": alert.pk, "indicator": indicator.pk, "partner": indicator.partner_id,
                   "accounts": new[:100], "clusters": alert.cluster_keys},
        )  # fmt: skip
    return alert


def _clusters_of(account_ids: list[str]) -> list[str]:
    """Keys of the latest run's clusters that hold these accounts."""
    run = latest_run()
    if run is None:
        return []
    keys = ClusterMember.objects.filter(cluster__run=run, account_id__in=account_ids).values_list("cluster__key", flat=True)
    return sorted(set(keys))


def acknowledge_partner_alert(alert: PartnerAlert, *, by: User) -> PartnerAlert:
    """An analyst or case manager has looked at the alert."""
    with transaction.atomic():
        alert = PartnerAlert.objects.select_for_update().get(pk=alert.pk)
        if alert.acknowledged_at is None:
            alert.acknowledged_at = timezone.now()
            alert.acknowledged_by = by  # type: ignore[assignment]
            alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
            record_audit(
                None, by, AuditAction.PARTNER_ALERT_ACKNOWLEDGED, f"Partner match alert #{alert.pk} acknowledged",
                after={"alert": alert.pk},
            )  # fmt: skip
    return alert
