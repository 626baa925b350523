"""Hypothesis queries: ``cypher/hypotheses/*.cypher`` plus folders that plugins register.

Each declares its parameters in its header (``// param $run = null: ...``, see :mod:`toolkit.cypher`);
a parameter left out takes its declared default.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from toolkit import cypher, plugins
from toolkit.cypher import Statement
from toolkit.errors import QueryError
from toolkit.graph.db import Graph


def hypotheses() -> dict[str, Statement]:
    """Every hypothesis query by short name (file stem); plugin folders come after the built-ins."""
    found = {s.name.split("/", 1)[1]: s for s in cypher.folder("hypotheses")}
    for folder in plugins.registry().items["cypher"].values():
        for path in sorted(Path(folder).glob("*.cypher")):
            if path.stem in found:
                raise QueryError(f"{path}: hypothesis query {path.stem!r} already exists; rename the file")
            found[path.stem] = cypher.read_statement(path, f"hypotheses/{path.stem}")
    return found


def hypothesis(name: str) -> Statement:
    queries = hypotheses()
    if name not in queries:
        raise QueryError(f"no hypothesis query {name!r}; `kgtool query --list` shows them")
    return queries[name]


def bind(name: str, params: dict[str, Any]) -> tuple[Statement, dict[str, Any]]:
    """The query and its parameters: ``params`` plus the declared defaults, checked."""
    statement = hypothesis(name)
    return statement, statement.bind(params)


def run_hypothesis(graph: Graph, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    statement, values = bind(name, params)
    return graph.read(statement, **values)
