"""Fixtures of the indicator-exchange tests: the analyst-workspace scenario (graph and runs), two partners with
tokens and collections, and a confirmed case of the hydra campaign."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User

from investigations.models import Case, Cluster, DetectionRun, Partner, TaxiiCollection
from investigations.services.case_workflow import transition_case
from investigations.services.cases import open_case
from investigations.services.partners import (
    create_collection,
    create_partner,
    grant_collection,
    issue_partner_token,
)
from tests.integration.ui.conftest import runs, scenario_graph  # noqa: F401  # the scenario's fixtures
from tests.integration.ui.scenario import LATEST_RUN, TOP


@dataclass
class Exchange:
    """Two partners, their tokens, and the collections: `shared` (A reads), `inbox` (A writes), `b_only` (B reads)."""

    a: Partner
    b: Partner
    token_a: str
    token_b: str
    shared: TaxiiCollection
    inbox: TaxiiCollection
    b_only: TaxiiCollection


@pytest.fixture
def exchange(admin_user: User) -> Exchange:
    a = create_partner("Lab A", contact="soc@lab-a.example", by=admin_user)
    b = create_partner("Cloud B", by=admin_user)
    shared = create_collection("Distillation campaigns", description="Published from cases", by=admin_user)
    inbox = create_collection("Lab A reports", by=admin_user)
    b_only = create_collection("Cloud B feed", by=admin_user)
    grant_collection(a, shared, can_read=True, can_write=False, by=admin_user)
    grant_collection(a, inbox, can_read=True, can_write=True, by=admin_user)
    grant_collection(b, b_only, can_read=True, can_write=False, by=admin_user)
    token_a, _ = issue_partner_token(a, by=admin_user)
    token_b, _ = issue_partner_token(b, by=admin_user)
    return Exchange(a, b, token_a, token_b, shared, inbox, b_only)


@pytest.fixture
def confirmed_case(runs: dict[int, DetectionRun], case_manager: User) -> Case:  # noqa: F811
    """A case of the hydra campaign (C-000001 of the latest run), confirmed."""
    top = Cluster.objects.get(run=runs[LATEST_RUN], key=TOP)
    case = open_case(by=case_manager, clusters=[top], title="Hydra campaign")
    transition_case(case, "investigating", by=case_manager)
    return transition_case(case, "confirmed", by=case_manager)
