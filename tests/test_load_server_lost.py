"""A load whose server is killed mid-way (real Neo4j, SIGKILL to its process group, real files).

The module runs its own managed server (it kills it), never the shared test server. It loads a
base (STRING + GO), kills the server while the L1000 signatures are being written, and checks:
the load fails with one clear line; after a restart the base is intact, no batch is half-written,
the run is marked interrupted; and re-running the same load gives the graph an uninterrupted load
gives.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from pathlib import Path
from typing import Iterator, Sequence

import pytest

from tests.helpers import SHARED_DATA, canonical_dump, counts, start_own_server
from toolkit import cypher, plugins
from toolkit.errors import GraphConnectionError
from toolkit.graph.batches import Batch, RelBatch, SourceReport
from toolkit.graph.db import connect
from toolkit.graph.schema_init import apply_schema
from toolkit.load import load
from toolkit.runs import read_manifest
from toolkit.schema import RelType
from toolkit.settings import Settings
from toolkit.sources import LoadOptions, Source

pytestmark = [
    pytest.mark.neo4j,
    pytest.mark.shared_data,
    pytest.mark.slow,
]

BOLT_PORT, HTTP_PORT = 57787, 57574
GO = SHARED_DATA / "gene_ontology"
BASE = {
    "string": [SHARED_DATA / "string" / "string_v12_landmark978_edges.tsv"],
    "go": [GO / "goslim_generic_goatools-tests.obo", GO / "landmark978_gene2go_direct_expev.tsv"],
}
SIGNATURES = [SHARED_DATA / "l1000_signatures" / "cmapR_ds_level5_modz_n272x978.gct"]
BATCH = 500
OPTIONS = LoadOptions.from_values(top_k=50, batch_size=BATCH)
KILL_AFTER_UP_BATCHES = 6  # of ~27 UPREGULATES batches


def _port(preferred: int, taken: set[int]) -> int:
    """``preferred`` if it is free, else one the OS picks (the preferred ones are in the ephemeral range)."""
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", preferred))
            if preferred not in taken:
                return preferred
        except OSError:
            pass
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port not in taken:
            return port


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from toolkit.server import ServerConfig

    bolt = _port(BOLT_PORT, set())
    config = ServerConfig(home=tmp_path_factory.mktemp("lost-home"), bolt_port=bolt,
                          http_port=_port(HTTP_PORT, {bolt}), heap="512m", pagecache="64m")
    neo = start_own_server(config, "server-lost")
    yield neo
    neo.stop()


@pytest.fixture
def settings(server) -> Settings:
    cfg = server.config
    return Settings(home=cfg.home, bolt_port=cfg.bolt_port, http_port=cfg.http_port)


def _kill_hard(server) -> None:
    pid = server.status().pid
    assert pid is not None
    os.killpg(os.getpgid(pid), signal.SIGKILL)


class KillingSource(Source):
    """The real signatures source; after ``after`` UPREGULATES batches the server is SIGKILLed from a
    thread while the next batch is being written."""

    name = "signatures"
    description = "signatures, with the server killed mid-way"

    def __init__(self, real: Source, server, after: int) -> None:
        self.real, self.server, self.after = real, server, after
        self.options = real.options  # the real source's declared options (top_k, ...)
        self.killer: threading.Thread | None = None

    def read(self, paths: Sequence[Path], options: LoadOptions, report: SourceReport) -> Iterator[Batch]:
        up = 0
        for batch in self.real.read(paths, options, report):
            if isinstance(batch, RelBatch) and batch.rel_type is RelType.UPREGULATES:
                up += 1
                if up == self.after + 1:
                    self.killer = threading.Thread(target=lambda: (time.sleep(0.02), _kill_hard(self.server)))
                    self.killer.start()
            yield batch


def _load_runs(graph) -> list[dict]:
    return graph.read(cypher.load("export/runs"), kind="load", limit=20)


def _props(dump: set[tuple]) -> dict[tuple, dict]:
    """Node key -> properties, for the nodes of a canonical dump."""
    out = {}
    for item in dump:
        if item[0] == "node":
            props = dict(item[2])
            label = item[1][0]
            key = next(k for k in ("entrez_id", "go_id", "pert_id", "name", "sig_id", "smarts") if k in props)
            out[(label, props[key])] = props
    return out


def test_a_load_that_loses_its_server_is_marked_leaves_whole_batches_and_a_rerun_completes_it(
        server, settings, monkeypatch):
    with connect(settings) as graph:
        graph.delete_everything()
        apply_schema(graph)
        for name, paths in BASE.items():
            assert load(graph, settings, name, paths, OPTIONS).status == "completed"
        base = canonical_dump(graph)
        base_counts = counts(graph)

        real = plugins.registry().get("sources", "signatures")
        killing = KillingSource(real, server, KILL_AFTER_UP_BATCHES)
        monkeypatch.setitem(plugins.registry().items["sources"], "signatures", killing)
        started = time.monotonic()
        with pytest.raises(GraphConnectionError) as err:
            load(graph, settings, "signatures", SIGNATURES, OPTIONS)
        waited = time.monotonic() - started
        monkeypatch.undo()
    killing.killer.join()
    message = str(err.value)
    assert "\n" not in message and message.startswith(f"lost the connection to Neo4j at {settings.bolt_uri}")
    assert "`kgtool db start`" in message and "re-run the same `kgtool load` command" in message
    assert "Traceback" not in message and waited < 120
    run_id = next(part.split()[1].rstrip(";") for part in message.split("(") if part.startswith("run "))
    assert read_manifest(settings.runs_dir, run_id)["status"] == "interrupted"

    deadline = time.monotonic() + 30  # the killed JVM may still be tearing down
    while server.status().running and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not server.status().running
    server.start(timeout=240)
    with connect(settings) as graph:
        # nothing of the base is lost: every node keeps its properties, every relationship is there
        after = canonical_dump(graph)
        now = counts(graph)
        for kind_name in (("node", "GOTerm"), ("rel", "INTERACTS_WITH"), ("rel", "ANNOTATED_WITH"),
                          ("rel", "IS_A"), ("rel", "PART_OF")):
            assert now[kind_name] == base_counts[kind_name]
        assert {r for r in base if r[0] == "rel"} <= after
        after_props = _props(after)
        for key, props in _props(base).items():
            assert props.items() <= after_props[key].items(), key
        # no half-written batch: UPREGULATES rows are all new pairs, so whole batches are multiples of BATCH
        up = now.get(("rel", "UPREGULATES"), 0)
        assert up % BATCH == 0 and up >= KILL_AFTER_UP_BATCHES * BATCH  # the batches committed before the kill
        assert now.get(("rel", "DOWNREGULATES"), 0) == 0  # written after all UP batches
        assert now[("node", "Signature")] == 272 and now[("rel", "OF_COMPOUND")] == 272  # whole batches
        # the interrupted run is still 'running' (nobody could mark it) until the next load looks
        assert {r["run_id"]: r["status"] for r in _load_runs(graph)}[run_id] == "running"

        report = load(graph, settings, "signatures", SIGNATURES, OPTIONS)
        assert report.status == "completed"
        runs = {r["run_id"]: r for r in _load_runs(graph)}
        assert runs[run_id]["status"] == "interrupted" and "lost the connection" in runs[run_id]["metrics"]
        assert [r["status"] for r in _load_runs(graph)] == ["completed", "interrupted", "completed", "completed"]
        completed = canonical_dump(graph)

        # the same as never interrupted
        graph.delete_everything()
        for name, paths in {**BASE, "signatures": SIGNATURES}.items():
            assert load(graph, settings, name, paths, OPTIONS).status == "completed"
        uninterrupted = canonical_dump(graph)
        assert up < counts(graph)[("rel", "UPREGULATES")]  # the kill did cut the load short
    assert completed == uninterrupted
