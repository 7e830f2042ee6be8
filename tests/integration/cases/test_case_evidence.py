"""Frozen evidence: what a snapshot holds, that later ingests and runs never change it, and regrowth alerts."""

from __future__ import annotations

import pytest
import stix2
from django.contrib.auth.models import User

from investigations.exports.csv import safe_cell
from investigations.exports.stix import stix_pattern
from investigations.models import AuditAction, CaseAlert, CaseStatus, IndicatorKind, RegrowthAlert
from investigations.selectors.case_evidence import case_changes, case_indicators
from investigations.selectors.cases import case_cluster_keys
from investigations.selectors.detection import linked_cluster_keys
from investigations.selectors.indicators import explanation_indicators
from investigations.services.case_workflow import acknowledge_alert, transition_case
from investigations.services.cases import CaseError, add_accounts, add_cluster, open_case
from investigations.services.regrowth import raise_regrowth_alerts
from tests.integration.cases.conftest import (
    CARD,
    EXPECTED_INDICATORS,
    RING,
    TEMPLATE_FP,
    TEMPLATE_ID,
    Scenario,
    later_ingest,
    make_run,
)


def _indicator_tuples(case: object) -> set[tuple[IndicatorKind, str, int, int]]:
    return {(i.kind, i.value, len(i.accounts), i.accounts_total) for i in case_indicators(case)}  # type: ignore[arg-type]


def test_opening_a_case_freezes_members_score_explanation_and_shared_indicators(
    scenario: Scenario, case_manager: User
) -> None:
    case = open_case(by=case_manager, clusters=[scenario.top])
    cc = case.case_clusters.get()
    assert cc.cluster_key == "C-000001" and cc.run_id == scenario.run.pk
    assert [m["account_id"] for m in cc.snapshot["members"]] == RING
    assert {m["status"] for m in cc.snapshot["members"]} == {"active"}
    assert cc.snapshot["cluster"]["score"] == 0.91
    assert cc.snapshot["cluster"]["explanation"][0]["signal"] == "card_rotation"
    assert _indicator_tuples(case) == EXPECTED_INDICATORS
    by_value = {i.value: i for i in case_indicators(case)}
    # The explanation's evidence is merged in: the card and the template (named by its id) are marked as such.
    assert by_value[CARD].sources == ("C-000001",)
    assert {s for row in cc.snapshot["indicators"] if row["value"] == CARD for s in row["sources"]} == {
        "graph", "explanation"
    }  # fmt: skip
    assert by_value[TEMPLATE_FP].template_id == TEMPLATE_ID
    assert set(case.case_accounts.values_list("account_id", flat=True)) == set(RING)


def test_later_ingests_and_runs_never_change_the_snapshot(scenario: Scenario, case_manager: User) -> None:
    case = open_case(by=case_manager, clusters=[scenario.top])
    before = case.case_clusters.get().snapshot
    later_ingest(scenario.graph)
    make_run({"C-000001": ([*RING, "r5"], 0.95)}, new={"r5"})
    assert case.case_clusters.get().snapshot == before
    assert _indicator_tuples(case) == EXPECTED_INDICATORS
    changes = case_changes(case)
    assert [(c.cluster_key, c.new_members, c.departed_members) for c in changes.clusters] == [("C-000001", ("r5",), ())]
    assert [(s.account_id, s.before, s.now) for s in changes.statuses] == [("r2", "active", "banned")]


def test_adding_a_cluster_freezes_it_as_it_is_then(scenario: Scenario, case_manager: User) -> None:
    case = open_case(by=case_manager, clusters=[scenario.top])
    later_ingest(scenario.graph)
    add_cluster(case, scenario.other, by=case_manager)
    assert set(case.case_clusters.values_list("cluster_key", flat=True)) == {"C-000001", "C-000002"}
    with pytest.raises(CaseError, match="already in case"):
        add_cluster(case, scenario.other, by=case_manager)
    events = list(case.audit_events.filter(action=AuditAction.EVIDENCE_ADDED).values_list("after", flat=True))
    assert [e["cluster_key"] for e in events] == ["C-000001", "C-000002"]


def test_accounts_added_directly_hold_their_own_entities(scenario: Scenario, case_manager: User) -> None:
    case = open_case(by=case_manager, account_ids=["r4", "ghost-1"])
    r4 = case.case_accounts.get(account_id="r4")
    assert r4.cluster_key == "" and r4.snapshot["in_graph"] is True and r4.snapshot["status"] == "active"
    assert case.case_accounts.get(account_id="ghost-1").snapshot["in_graph"] is False
    values = {i.value for i in case_indicators(case)}
    assert "cccc3333dddd4444" in values and "203.0.113.9" in values  # r4's own card and address
    with pytest.raises(CaseError, match="already in the case"):
        add_accounts(case, ["r4"], by=case_manager)
    with pytest.raises(CaseError, match="Not an account id"):
        add_accounts(case, ["bad id with spaces"], by=case_manager)


def test_regrowth_alerts_are_raised_once_per_new_account_and_only_for_watched_cases(
    scenario: Scenario, case_manager: User
) -> None:
    watched = open_case(by=case_manager, clusters=[scenario.top])
    dismissed = open_case(by=case_manager, clusters=[scenario.other])
    transition_case(dismissed, "dismissed", by=case_manager, reason="benchmark users")
    assert case_cluster_keys() == {"C-000001"}
    assert "C-000001" in linked_cluster_keys() and "C-000002" not in linked_cluster_keys()

    run2 = make_run({"C-000001": ([*RING, "r5"], 0.93), "C-000002": (["x1", "x2", "x3"], 0.4)})
    first = raise_regrowth_alerts(run2)
    assert [(a.case_id, a.account_ids) for a in first] == [(watched.pk, ["r5"])]
    assert raise_regrowth_alerts(run2) == []  # idempotent for the same run
    run3 = make_run({"C-000001": ([*RING, "r5", "r6"], 0.94)})
    assert [a.account_ids for a in raise_regrowth_alerts(run3)] == [["r6"]]  # r5 already alerted
    assert CaseAlert.objects.filter(case=dismissed).count() == 0
    assert RegrowthAlert.objects.filter(cluster_key="C-000001").count() == 2
    raised = watched.audit_events.filter(action=AuditAction.ALERT_RAISED)
    assert [(e.actor_id, e.after["accounts"]) for e in raised] == [(None, ["r5"]), (None, ["r6"])]


def test_actioned_then_closed_cases_are_still_watched(scenario: Scenario, case_manager: User) -> None:
    case = open_case(by=case_manager, clusters=[scenario.top])
    for target in ("investigating", "confirmed", "actioned", "closed"):
        transition_case(case, target, by=case_manager)
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.actioned_at is not None
    assert case_cluster_keys() == {"C-000001"}
    alerts = raise_regrowth_alerts(make_run({"C-000001": ([*RING, "r9"], 0.9)}))
    assert [a.account_ids for a in alerts] == [["r9"]]


def test_acknowledging_an_alert_can_freeze_the_new_accounts_into_the_case(
    scenario: Scenario, case_manager: User
) -> None:
    case = open_case(by=case_manager, clusters=[scenario.top])
    later_ingest(scenario.graph)
    (alert,) = raise_regrowth_alerts(make_run({"C-000001": ([*RING, "r5"], 0.93)}))
    acknowledge_alert(alert, by=case_manager, add_accounts_to_case=True)
    r5 = case.case_accounts.get(account_id="r5")
    assert r5.cluster_key == "" and r5.snapshot["in_graph"] is True
    assert "198.51.100.77" in {i.value for i in case_indicators(case)}
    with pytest.raises(CaseError, match="already been acknowledged"):
        acknowledge_alert(alert, by=case_manager)


def test_explanation_evidence_of_any_shape_yields_valid_indicators() -> None:
    explanation = [
        {"signal": "s", "evidence": [{"kind": "ip", "id": "203.0.113.1"}, {"kind": "ip", "id": "not an ip"},
                                     {"kind": "asn", "id": "64500"}, {"kind": "email_domain", "id": "<b>.example"}]},
        {"signal": "t", "evidence": {"payment_fingerprints": ["ABCDEF0123456789", "zz"], "subnets": ["10.1.2.3/24"]}},
        {"signal": "device", "label": "device", "value": 0.5, "evidence": []},
    ]  # fmt: skip
    assert explanation_indicators(explanation) == [
        (IndicatorKind.IP, "203.0.113.1"),
        (IndicatorKind.PAYMENT_FINGERPRINT, "abcdef0123456789"),
        (IndicatorKind.SUBNET, "10.1.2.0/24"),
    ]


def test_regrowth_follows_lineage_when_the_cluster_is_split_under_a_new_key(
    scenario: Scenario, case_manager: User
) -> None:
    case = open_case(by=case_manager, clusters=[scenario.top])
    run2 = make_run({"C-000007": (["r1", "r2", "r7"], 0.9), "C-000008": (["r3", "r4"], 0.9)})
    run2.clusters.filter(key="C-000007").update(lineage={"status": "split", "split_from": "C-000001"})
    run2.clusters.filter(key="C-000008").update(lineage={"status": "split", "split_from": "C-000001"})
    (alert,) = raise_regrowth_alerts(run2)
    assert alert.case_id == case.pk and alert.cluster_key == "C-000001" and alert.account_ids == ["r7"]
    assert alert.regrowth_alert is not None and alert.regrowth_alert.cluster_key == "C-000007"
    assert "now C-000007" in alert.reason


def test_regrowth_follows_the_campaign_through_several_key_changes(scenario: Scenario, case_manager: User) -> None:
    """A fast-growing campaign's cluster takes a new key in one run (merged with new accounts) and another in the
    next: the case still hears of its new accounts, however many runs ago it snapshot the cluster."""
    case = open_case(by=case_manager, clusters=[scenario.top])
    run2 = make_run({"C-000009": ([*RING, "r5", "x1"], 0.95)})
    run2.clusters.filter(key="C-000009").update(lineage={"status": "merged", "merged_from": ["C-000001", "C-000002"]})
    assert [a.account_ids for a in raise_regrowth_alerts(run2)] == [["r5", "x1"]]
    run3 = make_run({"C-000011": ([*RING, "r5", "x1", "r6"], 0.95), "C-000012": (["y1", "y2", "y3"], 0.9)})
    run3.clusters.filter(key="C-000011").update(lineage={"status": "split", "split_from": "C-000009"})
    (alert,) = raise_regrowth_alerts(run3)
    assert alert.case_id == case.pk and alert.account_ids == ["r6"] and "now C-000011" in alert.reason
    run4 = make_run({"C-000011": ([*RING, "r5", "x1", "r6", "r7"], 0.95)})
    assert [a.account_ids for a in raise_regrowth_alerts(run4)] == [["r7"]]
    assert CaseAlert.objects.filter(case=case).count() == 3


def test_stix_patterns_escape_values_and_stay_valid() -> None:
    pattern = stix_pattern(IndicatorKind.PROMPT_TEMPLATE, "T-1' OR '1'='1\\")
    assert pattern == "[x-prompt-template:template_id = 'T-1\\' OR \\'1\\'=\\'1\\\\']"
    stix2.Indicator(pattern=pattern, pattern_type="stix", valid_from="2026-01-01T00:00:00Z")
    assert stix_pattern(IndicatorKind.IP, "2001:db8::1") == "[ipv6-addr:value = '2001:db8::1']"
    assert stix_pattern(IndicatorKind.EMAIL_DOMAIN, "a_b.example") == "[domain-name:value = 'a_b.example']"
    assert [safe_cell(v) for v in ["=SUM(A1)", "+1", "-2+3|cmd", "@x", "ok", None, "-acct_1"]] == [
        "'=SUM(A1)", "'+1", "'-2+3|cmd", "'@x", "ok", "", "-acct_1"
    ]  # fmt: skip
