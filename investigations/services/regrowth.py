"""Regrowth alerts, computed once after each detection run: accounts that joined a watched cluster (hydra regrowth,
ban evasion) and that its watcher does not know yet.

A cluster key is watched by the cases that hold it (open, or actioned) and by an analyst's confirmation that it is
a campaign. What a watcher knows: a case, the accounts it froze in its snapshot, holds, or was alerted about; a
confirmation, the key's members in the run before. The run's clusters that carry a watched key on (the same key,
or a split or merge of it, followed through every run since the watch began, however often the key changed) are
its followers; an account of the followers a watcher does not know is new to it.
The first follower gets one queue alert (`RegrowthAlert`) listing what is new to any watcher, and each case a
`CaseAlert` of what is new to it (with an audit event). Running it twice for a run adds nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from investigations.models import (
    AuditAction,
    CaseAlert,
    CaseCluster,
    Cluster,
    ClusterMember,
    DetectionRun,
    RegrowthAlert,
)
from investigations.selectors.case_evidence import member_ids
from investigations.selectors.cases import successor_clusters, watched_case_clusters
from investigations.selectors.detection import confirmed_cluster_keys
from investigations.selectors.runs import previous_run
from investigations.services.audit import record_audit


def _members(clusters: Iterable[Cluster]) -> set[str]:
    return set(ClusterMember.objects.filter(cluster__in=list(clusters)).values_list("account_id", flat=True))


def _known_to_case(cc: CaseCluster) -> set[str]:
    known = set(member_ids(cc.snapshot)) | set(cc.case.case_accounts.values_list("account_id", flat=True))
    for ids in cc.case.alerts.values_list("account_ids", flat=True):
        known.update(ids)
    return known


def raise_regrowth_alerts(run: DetectionRun) -> list[CaseAlert]:
    """Alert the queue and every watching case of the accounts new to them in `run`; returns the case alerts made."""
    cases: dict[str, list[CaseCluster]] = {}
    for cc in watched_case_clusters():
        cases.setdefault(cc.cluster_key, []).append(cc)
    confirmed = confirmed_cluster_keys()
    before = previous_run(run)
    # keys are followed from the oldest watching snapshot on, through every key change since
    snapshot_runs = [cc.run for ccs in cases.values() for cc in ccs if cc.run is not None and cc.run.pk < run.pk]
    since = min(snapshot_runs, key=lambda r: r.pk, default=before)
    followers_of = successor_clusters(run, set(cases) | confirmed, since)
    created: list[CaseAlert] = []
    for key, followers in followers_of.items():
        members = _members(followers)
        new_to_case = {cc.pk: sorted(members - _known_to_case(cc)) for cc in cases.get(key, [])}
        new_to_analysts: set[str] = set()
        if key in confirmed and before is not None:
            new_to_analysts = members - _members(Cluster.objects.filter(run=before, key=key))
        new = sorted(new_to_analysts.union(*map(set, new_to_case.values())))
        if not new:
            continue
        cluster = followers[0]
        now_as = f", now {cluster.key}" if cluster.key != key else ""
        with transaction.atomic():
            regrowth = RegrowthAlert.objects.filter(run=run, cluster=cluster).first()
            if regrowth is None:
                reason = f"{len(new)} new account(s) joined {key}{now_as} in run #{run.pk} (hydra regrowth / ban evasion)"
                regrowth = RegrowthAlert.objects.create(
                    run=run, cluster=cluster, cluster_key=cluster.key, account_ids=new, reason=reason[:200]
                )
            for cc in cases.get(key, []):
                ids = new_to_case[cc.pk]
                if ids:
                    alert = _alert_case(run, cc, regrowth, ids, now_as)
                    if alert is not None:
                        created.append(alert)
    return created


def _alert_case(run: DetectionRun, cc: CaseCluster, regrowth: RegrowthAlert, new: list[str], now_as: str) -> CaseAlert | None:
    """The case's alert of this run for this cluster key, with its audit event (None when it exists already)."""
    reason = (
        f"{len(new)} new account{'s' if len(new) != 1 else ''} joined {cc.cluster_key}{now_as}"
        f" (case #{cc.case_id}, {cc.case.get_status_display().lower()}) in run #{run.pk}"
    )
    alert, was_created = CaseAlert.objects.get_or_create(
        case=cc.case, run=run, cluster_key=cc.cluster_key,
        defaults={"regrowth_alert": regrowth, "account_ids": new, "reason": reason[:300]},
    )  # fmt: skip
    if not was_created:
        return None
    record_audit(
        cc.case, None, AuditAction.ALERT_RAISED, reason,
        after={"alert_id": alert.pk, "cluster_key": cc.cluster_key, "run_id": run.pk, "accounts": new},
    )  # fmt: skip
    return alert
