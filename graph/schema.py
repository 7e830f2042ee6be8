"""The graph schema (constraints and indexes from `cypher/schema.cypher`), applied idempotently."""

from __future__ import annotations

from typing import LiteralString, cast

from graph.driver import Graph, cypher


def schema_statements() -> list[LiteralString]:
    """The statements of `schema.cypher`, comments removed, one per constraint or index."""
    lines = [line for line in cypher("schema").splitlines() if not line.lstrip().startswith("//")]
    return [cast(LiteralString, s.strip()) for s in "\n".join(lines).split(";") if s.strip()]


def apply_schema(graph: Graph) -> int:
    """Create every missing constraint and index, wait until they are online; return the number of statements."""
    statements = schema_statements()
    for statement in statements:
        graph.auto("schema", statement)
    graph.auto("schema_await", "CALL db.awaitIndexes(300)")
    return len(statements)


def existing_constraints(graph: Graph) -> set[str]:
    """Names of the constraints the database has now."""
    return {row["name"] for row in graph.auto("show_constraints", "SHOW CONSTRAINTS YIELD name RETURN name")}


def server_versions(graph: Graph) -> dict[str, str]:
    """The Neo4j version and edition, and the GDS version (or 'missing')."""
    rows = graph.auto(
        "server_components", "CALL dbms.components() YIELD name, versions, edition RETURN name, versions, edition"
    )
    versions = {"neo4j": rows[0]["versions"][0], "edition": rows[0]["edition"]} if rows else {}
    try:
        gds = graph.auto("gds_version", "RETURN gds.version() AS version")
        versions["gds"] = gds[0]["version"]
    except Exception:  # noqa: BLE001 - the procedure is absent when the plugin is not loaded
        versions["gds"] = "missing"
    return versions
