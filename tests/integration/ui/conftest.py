"""Fixtures of the analyst-workspace tests: the scenario graph (once per module) and its Django records."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from graph.driver import Graph
from investigations.models import DetectionRun
from investigations.selectors.page_cache import clear_cluster_cache
from tests.conftest import wipe_graph
from tests.integration.ui import scenario


@pytest.fixture(scope="module")
def scenario_graph(graph: Graph) -> Iterator[Graph]:
    """The scenario written into an emptied graph, shared by the tests of one module."""
    wipe_graph(graph)
    scenario.load(graph)
    yield graph


@pytest.fixture
def runs(scenario_graph: Graph, db: Any) -> dict[int, DetectionRun]:
    """Both detection runs of the scenario, with clusters, members and the regrowth alert."""
    clear_cluster_cache()
    return scenario.create_records()


@pytest.fixture
def analyst_client(client: Client, analyst: User) -> Client:
    """A browser-less client logged in as an analyst."""
    client.force_login(analyst)  # type: ignore[arg-type]
    return client
