"""Smoke check of the running Neo4j + Graph Data Science server.

Run after ``deploy/neo4j.sh start``::

    .venv/bin/python deploy/neo4j_smoke.py

It checks ``gds.version()``, builds a tiny graph (two triangles joined by one edge, plus
an isolated pair), projects it undirected (native ``gds.graph.project`` procedure; the
Cypher-aggregation form is checked too), runs WCC and Leiden, prints the communities and
cleans up after itself (its nodes carry their own label; the projections have their own
names). Run one at a time: the native projection takes every node with the smoke label.
Exit status 0 when everything matched the expectation, 1 otherwise.

Tests can import it: ``run_smoke(driver)`` returns a dict and raises ``SmokeFailure``.

Environment: NEO4J_URI (default bolt://127.0.0.1:$NEO4J_BOLT_PORT, port 7687),
NEO4J_USER (neo4j), NEO4J_PASSWORD (neo4j-dev-password), NEO4J_DATABASE (neo4j).
"""

from __future__ import annotations

import os
import sys
import uuid
from typing import Any

from neo4j import Driver, GraphDatabase

LABEL = "DeploySmokeNode"
REL_TYPE = "DEPLOY_SMOKE_LINK"

# Two triangles a1-a2-a3 and b1-b2-b3, joined by a3-b1; an isolated pair c1-c2.
NODES = ["a1", "a2", "a3", "b1", "b2", "b3", "c1", "c2"]
EDGES = [
    ("a1", "a2"),
    ("a2", "a3"),
    ("a3", "a1"),
    ("b1", "b2"),
    ("b2", "b3"),
    ("b3", "b1"),
    ("a3", "b1"),
    ("c1", "c2"),
]
EXPECTED_WCC = [{"a1", "a2", "a3", "b1", "b2", "b3"}, {"c1", "c2"}]
EXPECTED_LEIDEN = [{"a1", "a2", "a3"}, {"b1", "b2", "b3"}, {"c1", "c2"}]


class SmokeFailure(AssertionError):
    """The server answered, but not as expected."""


def connection_settings() -> tuple[str, tuple[str, str], str]:
    port = os.environ.get("NEO4J_BOLT_PORT", "7687")
    uri = os.environ.get("NEO4J_URI", f"bolt://127.0.0.1:{port}")
    user = os.environ.get("NEO4J_USER", "neo4j")
    password = os.environ.get("NEO4J_PASSWORD", "neo4j-dev-password")
    database = os.environ.get("NEO4J_DATABASE", "neo4j")
    return uri, (user, password), database


def _groups(rows: list[dict[str, Any]]) -> list[set[str]]:
    by_community: dict[int, set[str]] = {}
    for row in rows:
        by_community.setdefault(row["community"], set()).add(row["name"])
    return sorted(by_community.values(), key=lambda g: sorted(g))


def _same_partition(found: list[set[str]], expected: list[set[str]]) -> bool:
    return sorted(map(sorted, found)) == sorted(map(sorted, expected))


def run_smoke(driver: Driver, database: str = "neo4j") -> dict[str, Any]:
    """Run the check; returns {'gds_version', 'wcc', 'leiden', ...}; raises SmokeFailure."""
    run_id = uuid.uuid4().hex[:12]
    graph_name = f"deploy_smoke_{run_id}"
    extra_graphs: list[str] = []
    result: dict[str, Any] = {"graph_name": graph_name}

    def q(cypher: str, **params: Any) -> list[dict[str, Any]]:
        records, _, _ = driver.execute_query(cypher, params, database_=database)
        return [r.data() for r in records]

    result["gds_version"] = q("CALL gds.version() YIELD gdsVersion RETURN gdsVersion")[0]["gdsVersion"]
    result["neo4j_version"] = q(
        "CALL dbms.components() YIELD name, versions, edition "
        "RETURN name + ' ' + versions[0] + ' ' + edition AS v"
    )[0]["v"]
    # Leftovers of an interrupted earlier run would join the native projection.
    q(f"MATCH (n:{LABEL}) DETACH DELETE n")
    try:
        q(
            f"UNWIND $names AS name CREATE (:{LABEL} {{run: $run, name: name}})",
            names=NODES,
            run=run_id,
        )
        q(
            f"UNWIND $edges AS e "
            f"MATCH (a:{LABEL} {{run: $run, name: e[0]}}), (b:{LABEL} {{run: $run, name: e[1]}}) "
            f"CREATE (a)-[:{REL_TYPE}]->(b)",
            edges=[list(e) for e in EDGES],
            run=run_id,
        )
        # Native projection (the procedure), undirected as Leiden requires.
        projected = q(
            "CALL gds.graph.project($graph, $label, "
            "{LINK: {type: $rel_type, orientation: 'UNDIRECTED'}}) "
            "YIELD nodeCount, relationshipCount "
            "RETURN nodeCount AS nodes, relationshipCount AS rels",
            graph=graph_name,
            label=LABEL,
            rel_type=REL_TYPE,
        )[0]
        result["projection"] = projected
        if projected["nodes"] != len(NODES) or projected["rels"] != 2 * len(EDGES):
            raise SmokeFailure(f"unexpected projection size: {projected}")

        # The Cypher-aggregation projection (gds.graph.project as a function) works too.
        cypher_graph = graph_name + "_cypher"
        extra_graphs.append(cypher_graph)
        cypher_projected = q(
            f"MATCH (s:{LABEL} {{run: $run}}) "
            f"OPTIONAL MATCH (s)-[:{REL_TYPE}]->(t:{LABEL} {{run: $run}}) "
            "WITH gds.graph.project($graph, s, t, {}, {undirectedRelationshipTypes: ['*']}) AS g "
            "RETURN g.nodeCount AS nodes, g.relationshipCount AS rels",
            run=run_id,
            graph=cypher_graph,
        )[0]
        if cypher_projected != projected:
            raise SmokeFailure(f"Cypher projection {cypher_projected} != native {projected}")

        wcc = q(
            "CALL gds.wcc.stream($graph) YIELD nodeId, componentId "
            "RETURN gds.util.asNode(nodeId).name AS name, componentId AS community",
            graph=graph_name,
        )
        leiden = q(
            "CALL gds.leiden.stream($graph, {randomSeed: 42, concurrency: 1}) "
            "YIELD nodeId, communityId "
            "RETURN gds.util.asNode(nodeId).name AS name, communityId AS community",
            graph=graph_name,
        )
        result["wcc"] = [sorted(g) for g in _groups(wcc)]
        result["leiden"] = [sorted(g) for g in _groups(leiden)]
        if not _same_partition(_groups(wcc), EXPECTED_WCC):
            raise SmokeFailure(f"WCC found {result['wcc']}, expected {EXPECTED_WCC}")
        if not _same_partition(_groups(leiden), EXPECTED_LEIDEN):
            raise SmokeFailure(f"Leiden found {result['leiden']}, expected {EXPECTED_LEIDEN}")
    finally:
        for name in [graph_name, *extra_graphs]:
            q("CALL gds.graph.drop($graph, false) YIELD graphName RETURN graphName", graph=name)
        q(f"MATCH (n:{LABEL} {{run: $run}}) DETACH DELETE n", run=run_id)
    return result


def main() -> int:
    uri, auth, database = connection_settings()
    try:
        with GraphDatabase.driver(uri, auth=auth) as driver:
            driver.verify_connectivity()
            result = run_smoke(driver, database)
    except SmokeFailure as exc:
        print(f"neo4j smoke check FAILED: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # connection, auth, missing procedures
        print(f"neo4j smoke check FAILED ({uri}): {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(f"server:      {result['neo4j_version']}")
    print(f"gds.version: {result['gds_version']}")
    print(
        f"projection:  {result['projection']['nodes']} nodes, "
        f"{result['projection']['rels']} relationships (undirected)"
    )
    print("wcc:         " + " | ".join(",".join(g) for g in result["wcc"]))
    print("leiden:      " + " | ".join(",".join(g) for g in result["leiden"]))
    print("neo4j smoke check OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
