"""A case on clusters found by the real detection service: a banned ring member is replaced after the case is
opened, the next run keeps the cluster's key, and the case gets the replacement as a regrowth alert."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from graph.detection.params import DetectionParams
from graph.driver import Graph
from investigations.models import CaseAlert, DetectionRun, RegrowthAlert
from investigations.selectors.case_evidence import case_changes, case_indicators
from investigations.selectors.cases import top_clusters
from investigations.services.cases import open_case
from investigations.services.detection import execute_detection
from investigations.services.regrowth import raise_regrowth_alerts
from tests.integration.detection.builders import (
    DAY,
    T0,
    ban_and_replace,
    organisation,
    ring,
    write_accounts,
)

pytestmark = pytest.mark.integration


def _detect() -> DetectionRun:
    return execute_detection(DetectionRun.objects.create(params=DetectionParams().to_dict()))



@pytest.mark.django_db
def test_a_case_on_a_detected_ring_is_alerted_when_the_ring_regrows(
    clean_graph: Graph, case_manager: User
) -> None:
    hydra = ring("hydra", 10, created=T0 - 4 * DAY)
    write_accounts(clean_graph, hydra + organisation("acme", 6))
    _detect()
    top = top_clusters()[0]
    assert top.flagged and top.size == 10
    case = open_case(by=case_manager, clusters=[top], title="Hydra ring")
    frozen = {(i.kind.value, i.value) for i in case_indicators(case)}
    assert ("payment_fingerprint", "hydra-card-0") in frozen and ("device", "hydra-dev-0") in frozen
    assert not any("acme" in value for _, value in frozen)  # nothing from the legitimate organisation

    new = ban_and_replace(clean_graph, hydra[3])
    second = _detect()
    assert second.clusters.filter(key=top.key).exists()
    # Detection already alerts the analysts' queue for clusters under a case (linked_cluster_keys) ...
    assert RegrowthAlert.objects.filter(run=second, cluster_key=top.key).count() == 1
    # ... and the run itself gave the case its own alert, linked to that one; calling the hook again adds nothing.
    (alert,) = CaseAlert.objects.filter(case=case)
    assert raise_regrowth_alerts(second) == []
    assert alert.account_ids == [new.id] and alert.regrowth_alert is not None
    assert RegrowthAlert.objects.filter(run=second).count() == 1
    changes = case_changes(case)
    assert changes.clusters[0].new_members == (new.id,)
    assert {(s.account_id, s.now) for s in changes.statuses} == {(hydra[3].id, "banned")}
    assert {(i.kind.value, i.value) for i in case_indicators(case)} == frozen
