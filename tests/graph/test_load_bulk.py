"""``kgtool load --bulk`` against a REAL Neo4j with the real fixtures: the graph of a regular load,
contested properties that later loads rank against, the run record, and the refusals.

Bulk import replaces the whole database, so this module runs its own managed server (conftest)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tests.helpers import SHARED_DATA, canonical_dump
from toolkit import cypher
from toolkit.errors import ConfigError, ServerError
from toolkit.load import bulk_load, load
from toolkit.settings import Settings
from toolkit.sources import LoadOptions
from tests.inline_cypher import raw_session

pytestmark = [pytest.mark.neo4j, pytest.mark.slow, pytest.mark.shared_data]

HUB = SHARED_DATA / "drug_repurposing_hub"
COMPOUNDS = [HUB / "repurposing_drugs_20200324.txt", HUB / "repurposing_samples_20200324.txt"]
CMAPR = [SHARED_DATA / "l1000_signatures" / "cmapR_ds_level5_modz_n272x978.gct"]
STRING = [SHARED_DATA / "string" / "string_v12_landmark978_edges.tsv"]


@pytest.fixture
def own_settings(own_server, own_graph) -> Settings:
    """Settings of the module's own (emptied) server."""
    cfg = own_server.config
    return Settings(home=cfg.home, bolt_port=cfg.bolt_port, http_port=cfg.http_port)


def _dump(open_graph) -> set:
    with open_graph() as graph:
        return canonical_dump(graph)


def test_a_bulk_load_gives_the_graph_of_a_regular_load(own_settings, own_graph):
    report = bulk_load(own_settings, "compounds", COMPOUNDS, force=True)
    bulk = _dump(own_graph)
    with own_graph() as graph:
        graph.delete_everything()
        regular = load(graph, own_settings, "compounds", COMPOUNDS)
    assert _dump(own_graph) == bulk  # names, structures, MoA spellings, name_source: all the same
    assert report.status == "completed" and report.rows_read == regular.rows_read > 10_000
    assert report.dropped == regular.dropped
    nodes = sum(1 for item in bulk if item[0] == "node")
    assert report.counts.nodes_created == nodes and report.counts.relationships_created == len(bulk) - nodes


def test_later_loads_rank_against_what_the_bulk_load_set(own_settings, own_graph):
    bulk_load(own_settings, "signatures", CMAPR, LoadOptions.from_values(top_k=10), force=True)
    with own_graph() as graph:
        load(graph, own_settings, "string", STRING)
    after_bulk = _dump(own_graph)
    with own_graph() as graph:
        graph.delete_everything()
        load(graph, own_settings, "signatures", CMAPR, LoadOptions.from_values(top_k=10))
        load(graph, own_settings, "string", STRING)
    assert _dump(own_graph) == after_bulk
    with own_graph() as graph, raw_session(graph) as s:
        sources = dict(s.run("MATCH (g:Gene) RETURN g.symbol_source AS s, count(*) AS n").values())
    assert set(sources) == {"string", "signatures"}  # STRING outranks the CMap symbols it knows


def test_the_run_is_recorded_with_its_counts(own_settings, own_graph):
    report = bulk_load(own_settings, "string", STRING, force=True)
    with own_graph() as graph:
        run = graph.read(cypher.load("export/run"), run_id=report.run_id)[0]["run"]
    config, metrics = json.loads(run["config"]), json.loads(run["metrics"])
    assert run["kind"] == "load" and run["status"] == "completed" and config["bulk"] is True
    assert metrics["relationships_created"] == report.counts.relationships_created == 2102  # SOURCES.md: 2,102 edges
    manifest = json.loads((own_settings.runs_dir / report.run_id / "manifest.json").read_text())
    assert manifest["status"] == "completed"


def test_a_database_that_is_not_empty_is_refused_and_kept(own_settings, own_graph):
    with own_graph() as graph:
        load(graph, own_settings, "string", STRING)
    before = _dump(own_graph)
    with pytest.raises(ServerError, match="already holds .* --force"):
        bulk_load(own_settings, "signatures", CMAPR)
    assert _dump(own_graph) == before


def test_an_external_server_or_force_without_bulk_is_refused(own_settings):
    from toolkit.cli import cli

    external = Settings(home=own_settings.home, uri="bolt://db.example.org:7687", password="x")
    with pytest.raises(ConfigError, match="NEO4J_URI is set.*load without --bulk"):
        bulk_load(external, "string", STRING)
    result = CliRunner().invoke(cli, ["load", "string", str(STRING[0]), "--force"])
    assert result.exit_code == 2 and "--force only goes with --bulk" in result.output
