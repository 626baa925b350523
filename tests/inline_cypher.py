"""Inline Cypher for tests: plant graph states no loader writes and inspect the graph directly.

kgtool itself runs only stored statements (``cypher/**``) through :class:`toolkit.graph.db.Graph`'s
methods, which check their parameters. Tests reach past that on purpose, on the graph's own
driver, so that what they set up and what they check does not go through the code under test.
"""

from __future__ import annotations

from typing import Any


def raw_session(graph: Any, **kwargs: Any) -> Any:
    """A driver session (``neo4j.Session``) on ``graph``'s database; use it as a context manager."""
    return graph._driver.session(database=graph.database, **kwargs)
