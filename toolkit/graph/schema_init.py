"""``kgtool db init``: constraints and indexes from ``cypher/schema/``, idempotently."""

from __future__ import annotations

from toolkit import cypher
from toolkit.graph.db import Graph
from toolkit.schema import NodeLabel


def apply_schema(graph: Graph) -> list[str]:
    """Create every constraint and index (``IF NOT EXISTS``); return the statement names applied."""
    applied = []
    for label in NodeLabel:
        name = f"{label.value.lower()}_{label.key}_unique"
        graph.run_autocommit(cypher.render("schema/unique_key", name=name, label=label.value, key=label.key))
        applied.append(f"schema/unique_key[{label.value}]")
    for statement in cypher.folder("schema"):
        if statement.name == "schema/unique_key":
            continue
        graph.run_autocommit(statement)
        applied.append(statement.name)
    return applied
