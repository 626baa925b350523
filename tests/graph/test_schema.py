"""`db init` against the real server: constraints exist and applying twice changes nothing."""

from toolkit.graph.schema_init import apply_schema
from toolkit.schema import NodeLabel
from tests.inline_cypher import raw_session


def _schema(graph):
    with raw_session(graph) as s:
        constraints = {(r["labelsOrTypes"][0], r["properties"][0]) for r in s.run("SHOW CONSTRAINTS")}
        indexes = {r["name"] for r in s.run("SHOW INDEXES")}
    return constraints, indexes


def test_init_creates_one_unique_constraint_per_label(graph):
    apply_schema(graph)
    constraints, indexes = _schema(graph)
    assert {(label.value, label.key) for label in NodeLabel} <= constraints
    assert {"run_kind", "explains_run", "gene_symbol", "compound_name"} <= indexes


def test_init_is_idempotent(graph):
    apply_schema(graph)
    first = _schema(graph)
    apply_schema(graph)
    assert _schema(graph) == first


def test_unique_constraint_is_enforced(graph):
    import neo4j

    apply_schema(graph)
    with raw_session(graph) as s:
        s.run("CREATE (:Gene {entrez_id: 1})").consume()
        try:
            s.run("CREATE (:Gene {entrez_id: 1})").consume()
        except neo4j.exceptions.ConstraintError:
            return
    raise AssertionError("a second Gene with the same entrez_id was accepted")
