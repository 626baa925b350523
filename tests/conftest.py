"""Shared fixtures. Integration tests run against a REAL Neo4j: the project's managed server in a
test home, started here if it is not already running (``.ci/run`` starts it first). A server that
cannot be started is a test failure, never a skip."""

from __future__ import annotations

import os

import pytest

from toolkit.settings import Settings

from tests.helpers import make_settings


@pytest.fixture(scope="session")
def settings() -> Settings:
    return make_settings()


@pytest.fixture(scope="session")
def neo4j_server(settings: Settings):
    from toolkit.server import ManagedNeo4j, ServerConfig

    server = ManagedNeo4j(ServerConfig(home=settings.home, bolt_port=settings.bolt_port, http_port=settings.http_port))
    started_here = not server.status().running
    try:
        server.start(timeout=240)
    except Exception as exc:  # noqa: BLE001 - reported as a failure with the reason
        pytest.fail(f"the managed Neo4j test server could not be started: {exc}", pytrace=False)
    yield server
    if started_here and not os.environ.get("KGTOOL_KEEP_TEST_SERVER"):
        server.stop()


@pytest.fixture(scope="session")
def session_graph(settings: Settings, neo4j_server):
    from toolkit.graph.db import connect
    from toolkit.graph.schema_init import apply_schema

    graph = connect(settings)
    apply_schema(graph)
    yield graph
    graph.close()


@pytest.fixture
def graph(session_graph):
    """The real graph, emptied before the test (schema kept)."""
    session_graph.delete_everything()
    return session_graph
