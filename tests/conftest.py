"""Shared fixtures. Integration tests run against a REAL Neo4j: the project's managed server in a
test home, started here if it is not already running (``.ci/run`` starts it first). A server that
cannot be started is a test failure, never a skip.

Tests marked ``shared_data`` read the real files in ``../shared/data``. Without that folder they
FAIL, saying so, unless the run opts out explicitly: ``KGTOOL_TESTS_WITHOUT_SHARED_DATA=1``
deselects them (as ``-m "not shared_data"`` does). They never skip."""

from __future__ import annotations

import os

import pytest

from toolkit.settings import Settings

from tests.helpers import SHARED_DATA, make_settings

WITHOUT_SHARED_DATA = "KGTOOL_TESTS_WITHOUT_SHARED_DATA"


def _opted_out() -> bool:
    return os.environ.get(WITHOUT_SHARED_DATA, "").strip().lower() in ("1", "true", "yes")


def pytest_collection_modifyitems(config, items) -> None:
    """With the explicit opt-out and no ``../shared/data``, deselect the ``shared_data`` tests."""
    if SHARED_DATA.exists() or not _opted_out():
        return
    kept = [item for item in items if item.get_closest_marker("shared_data") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept


def pytest_runtest_setup(item) -> None:
    """A ``shared_data`` test without ``../shared/data`` (and no opt-out) fails, naming the fix."""
    if item.get_closest_marker("shared_data") is not None and not SHARED_DATA.exists():
        pytest.fail(f"{SHARED_DATA} is missing: this test reads the real files there; put ../shared/data beside "
                    f"the checkout, or set {WITHOUT_SHARED_DATA}=1 to deselect the real-data tests", pytrace=False)


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


@pytest.fixture
def fresh_plugins(monkeypatch):
    """A plugin registry built afresh for the test from every installed entry point (no pin)."""
    from toolkit import plugins

    monkeypatch.delenv(plugins.PIN_ENV, raising=False)
    plugins.reset()
    yield
    plugins.reset()
