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


def counts(graph) -> dict[tuple[str, str], int]:
    """(node|rel, label|type) -> count."""
    from toolkit import cypher

    return {(r["kind"], r["name"]): r["count"] for r in graph.read(cypher.load("export/counts"))}
