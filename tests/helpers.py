"""Helpers shared by tests (import from here, not from conftest)."""

from __future__ import annotations

import os
from pathlib import Path

from toolkit.settings import Settings, resolve

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
TEST_HOME = Path(os.environ.get("KGTOOL_TEST_HOME", REPO / ".kgtool-test"))
TEST_BOLT = int(os.environ.get("KGTOOL_TEST_BOLT_PORT", "17687"))
TEST_HTTP = int(os.environ.get("KGTOOL_TEST_HTTP_PORT", "17474"))


def server_env() -> dict[str, str]:
    """Environment that points kgtool at the managed test server (and nothing external)."""
    return {"KGTOOL_HOME": str(TEST_HOME), "KGTOOL_BOLT_PORT": str(TEST_BOLT), "KGTOOL_HTTP_PORT": str(TEST_HTTP)}


def make_settings(**flags: object) -> Settings:
    return resolve(flags=dict(flags), env=server_env())


def start_own_server(config, what: str):  # (ServerConfig, str) -> ManagedNeo4j
    """Start a test module's own managed server (installing it if needed); one that cannot start
    fails the test, never skips it. ``what`` names the server in that failure."""
    import pytest

    from toolkit.server import ManagedNeo4j

    server = ManagedNeo4j(config)
    try:
        server.start(timeout=240)
    except Exception as exc:  # noqa: BLE001 - reported as a failure with the reason
        pytest.fail(f"the {what} test server could not be started: {exc}", pytrace=False)
    return server


def counts(graph) -> dict[tuple[str, str], int]:
    """(node|rel, label|type) -> count."""
    from toolkit import cypher

    return {(r["kind"], r["name"]): r["count"] for r in graph.read(cypher.load("export/counts"))}


def freeze(value):
    """A property value made hashable: lists as tuples, maps as key-sorted tuples of pairs (nested)."""
    if isinstance(value, (list, tuple)):
        return tuple(freeze(x) for x in value)
    if isinstance(value, dict):
        return tuple(sorted((k, freeze(v)) for k, v in value.items()))
    return value


def canonical_dump(graph) -> set[tuple]:
    """Every node and relationship with its properties, load Run nodes (and anything on them) left out."""
    from toolkit import cypher
    from toolkit.schema import NodeLabel

    keys = {label.value: label.key for label in NodeLabel}
    out = set()
    for r in graph.read(cypher.load("export/dump"), keys=keys):
        if r["kind"] == "node":
            if "Run" not in r["labels"]:
                out.add(("node", tuple(sorted(r["labels"])), freeze(r["props"])))
        elif "Run" not in (r["start_label"], r["end_label"]):
            out.add(("rel", r["start_label"], r["start"], r["type"], r["end_label"], r["end"], freeze(r["props"])))
    return out


def registered_plugin(plugin: object, name: str):  # (plugin object, name) -> context manager
    """Register a test plugin for the duration of a ``with`` block (the registry rebuilt both ways)."""
    from contextlib import contextmanager

    from toolkit import plugins

    @contextmanager
    def scope():
        pm = plugins.plugin_manager()
        pm.register(plugin, name=name)
        plugins.registry.cache_clear()
        try:
            yield
        finally:
            pm.unregister(name=name)
            plugins.registry.cache_clear()

    return scope()
