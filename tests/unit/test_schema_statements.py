"""The schema file parses into one statement per constraint or index, each idempotent."""

from graph.schema import schema_statements


def test_every_schema_statement_is_idempotent() -> None:
    statements = schema_statements()
    assert len(statements) >= 17
    for statement in statements:
        assert "IF NOT EXISTS" in statement, statement
        assert "//" not in statement


def test_every_natural_id_has_a_uniqueness_constraint() -> None:
    text = "\n".join(schema_statements())
    for label in ["Account", "PaymentInstrument", "Device", "IP", "Session", "PromptTemplate", "Cluster"]:
        assert f"(n:{label}) REQUIRE" in text, label
