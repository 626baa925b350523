"""Fixtures of the graph tests that stop and start a server: their own managed Neo4j in a tmp
home on free ports (never the shared test server), one per test module."""

from __future__ import annotations

import socket

import pytest

from tests.helpers import start_own_server
from toolkit.graph.db import connect
from toolkit.graph.schema_init import apply_schema
from toolkit.settings import Settings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def own_server(tmp_path_factory):
    from toolkit.server import ServerConfig

    bolt = _free_port()
    http = _free_port()
    while http == bolt:
        http = _free_port()
    server = start_own_server(ServerConfig(home=tmp_path_factory.mktemp("bulk-home"), bolt_port=bolt, http_port=http),
                              "bulk-import")
    yield server
    server.stop()


@pytest.fixture
def own_graph(own_server):
    """A connection to the module's own server, emptied (schema applied); reconnect after imports."""
    cfg = own_server.config
    settings = Settings(home=cfg.home, bolt_port=cfg.bolt_port, http_port=cfg.http_port)

    def open_graph():
        return connect(settings)

    with open_graph() as graph:
        graph.delete_everything()
        apply_schema(graph)
    return open_graph
