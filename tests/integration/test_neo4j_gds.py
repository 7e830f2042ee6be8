"""The real Neo4j server with the GDS plugin: versions, schema, WCC and Leiden on a tiny graph."""

from graph.driver import Graph
from graph.schema import apply_schema, existing_constraints, server_versions

EDGES = [
    ("a1", "a2"), ("a2", "a3"), ("a1", "a3"),  # triangle a
    ("b1", "b2"), ("b2", "b3"), ("b1", "b3"),  # triangle b
    ("a3", "b1"),  # one bridge: a single component, two communities
    ("c1", "c2"),  # a separate pair
]  # fmt: skip


def _load(g: Graph) -> None:
    g.write_text(
        "test_load_edges",
        "UNWIND $edges AS e MERGE (x:T {name: e[0]}) MERGE (y:T {name: e[1]}) MERGE (x)-[:L]->(y)",
        edges=[list(e) for e in EDGES],
    )


def _groups(rows: list[dict[str, object]], key: str) -> set[frozenset[str]]:
    by: dict[object, set[str]] = {}
    for row in rows:
        by.setdefault(row[key], set()).add(str(row["name"]))
    return {frozenset(v) for v in by.values()}


def test_versions_are_the_pinned_lines(clean_graph: Graph) -> None:
    versions = server_versions(clean_graph)
    assert versions["neo4j"].startswith("5.26."), versions
    assert versions["gds"].startswith("2.13."), versions


def test_schema_applies_twice(clean_graph: Graph) -> None:
    apply_schema(clean_graph)
    before = existing_constraints(clean_graph)
    apply_schema(clean_graph)
    assert existing_constraints(clean_graph) == before
    assert {"account_id", "payment_fingerprint", "session_id", "cluster_id"} <= before


def test_wcc_and_leiden_find_the_communities(clean_graph: Graph) -> None:
    g = clean_graph
    _load(g)
    g.auto(
        "test_project",
        "CALL gds.graph.project('t', 'T', {L: {orientation: 'UNDIRECTED'}}) YIELD graphName RETURN graphName",
    )
    try:
        wcc = g.auto(
            "test_wcc",
            "CALL gds.wcc.stream('t') YIELD nodeId, componentId "
            "RETURN gds.util.asNode(nodeId).name AS name, componentId",
        )
        assert _groups(wcc, "componentId") == {
            frozenset({"a1", "a2", "a3", "b1", "b2", "b3"}),
            frozenset({"c1", "c2"}),
        }
        leiden = g.auto(
            "test_leiden",
            "CALL gds.leiden.stream('t', {randomSeed: 7, concurrency: 1}) YIELD nodeId, communityId "
            "RETURN gds.util.asNode(nodeId).name AS name, communityId",
        )
        assert _groups(leiden, "communityId") == {
            frozenset({"a1", "a2", "a3"}),
            frozenset({"b1", "b2", "b3"}),
            frozenset({"c1", "c2"}),
        }
    finally:
        g.auto("test_drop", "CALL gds.graph.drop('t', false) YIELD graphName RETURN graphName")
