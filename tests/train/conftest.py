"""Fixtures of the training tests: a small demo graph in the real server, per module.

The demo files are generated once per session. Each module gets the demo loaded, but a module
whose graph still holds exactly what the last load left (same snapshot-cache fingerprint: no
test emptied or loaded anything since) does not load it again.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tests.train.data import SMALL, DemoGraph, load_demo

SEED = 11


@pytest.fixture(scope="session")
def _demo_state(tmp_path_factory) -> dict:
    return {"dir": tmp_path_factory.mktemp("train-demo"), "fingerprint": None}


@pytest.fixture(scope="module")
def demo_graph(session_graph, settings, tmp_path_factory, _demo_state) -> DemoGraph:
    """The small demo (96 signatures of 24 compounds, 3 MoAs, 2 cell lines) in the real server;
    the settings' home (runs, snapshot cache) is a fresh folder of this module."""
    from toolkit.train.cache import graph_fingerprint

    data_dir: Path = _demo_state["dir"]
    if _demo_state["fingerprint"] is None or graph_fingerprint(session_graph) != _demo_state["fingerprint"]:
        load_demo(session_graph, settings, data_dir, seed=SEED, **SMALL)
        _demo_state["fingerprint"] = graph_fingerprint(session_graph)
    home = tmp_path_factory.mktemp("train-home")
    return DemoGraph(graph=session_graph, settings=replace(settings, home=home), data_dir=data_dir)
