"""Connection settings for Neo4j, read from the environment or passed in by the caller."""

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class GraphConfig:
    """Where the graph lives and how to log in."""

    uri: str = "bolt://127.0.0.1:7687"
    user: str = "neo4j"
    password: str = "neo4j-dev-password"
    database: str = "neo4j"

    @classmethod
    def from_env(cls) -> "GraphConfig":
        """Read NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD and NEO4J_DATABASE, with development defaults."""
        return cls(
            uri=os.environ.get("NEO4J_URI") or cls.uri,
            user=os.environ.get("NEO4J_USER") or cls.user,
            password=os.environ.get("NEO4J_PASSWORD") or cls.password,
            database=os.environ.get("NEO4J_DATABASE") or cls.database,
        )
