"""``kgtool build MANIFEST`` against a REAL Neo4j: the graph of loading the sources one by one (two
manifest orders), bad manifests refused before anything changes, lenient builds, the Run record, the
CLI, and the import folder for a server kgtool does not manage.

A build replaces the whole database, so this module runs its own managed server (conftest)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.helpers import canonical_dump
from tests.inline_cypher import raw_session
from toolkit import cypher
from toolkit.demo import DemoSpec, generate_demo
from toolkit.demo.workflow import demo_loads
from toolkit.errors import ConfigError, InputDataError
from toolkit.load import load
from toolkit.load.build import build
from toolkit.load.manifest import read_build_manifest
from toolkit.settings import Settings
from toolkit.sources import LoadOptions

pytestmark = [pytest.mark.neo4j, pytest.mark.slow]

STRING_OPTIONS = {"min_score": 300}  # a source option given in the manifest and to `kgtool load`
EDGES = "entrez_a\tsymbol_a\tentrez_b\tsymbol_b\tcombined_score\n1\tA\t2\tB\t900\n2\tB\t3\tC\tlots\n3\tC\t4\tD\t500\n"


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("build-demo")
    generate_demo(out, DemoSpec())
    return out


@pytest.fixture
def own_settings(own_server, own_graph) -> Settings:
    cfg = own_server.config
    return Settings(home=cfg.home, bolt_port=cfg.bolt_port, http_port=cfg.http_port, heap=cfg.heap,
                    pagecache=cfg.pagecache)


def _toml(value: object) -> str:
    return json.dumps(value)  # a JSON string or list of strings is TOML too


def _manifest(path: Path, loads: list[tuple[str, list[Path]]], extra: str = "") -> Path:
    parts = [extra]
    for name, files in loads:
        parts.append(f"[[source]]\nname = {_toml(name)}\nfiles = {_toml([str(f) for f in files])}\n")
        if name == "string":
            parts.append("options = { " + ", ".join(f"{k} = {v}" for k, v in STRING_OPTIONS.items()) + " }\n")
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def _dump(open_graph) -> set:
    with open_graph() as graph:
        return canonical_dump(graph)


def _plant(open_graph) -> set:
    with open_graph() as graph, raw_session(graph) as session:
        session.run("CREATE (:Gene {entrez_id: 424242, symbol: 'PLANTED'})").consume()
    return _dump(open_graph)


def test_a_build_gives_the_graph_of_loading_the_sources_one_by_one_in_any_order(own_settings, own_graph,
                                                                                 demo_dir, tmp_path):
    loads = demo_loads(demo_dir)
    report = build(own_settings, _manifest(tmp_path / "forward.toml", loads), force=True)
    built = _dump(own_graph)
    assert report.status == "completed" and [r.source for r in report.sources] == [n for n, _ in loads]
    assert report.nodes + report.relationships == report.records > 10_000

    backward = [loads[3], loads[2], loads[0], loads[1]]  # signatures before compounds, GO after STRING
    build(own_settings, _manifest(tmp_path / "backward.toml", backward), force=True)
    assert _dump(own_graph) == built

    with own_graph() as graph:
        graph.delete_everything()
        for name, files in loads:
            options = LoadOptions(source_options=STRING_OPTIONS if name == "string" else {})
            load(graph, own_settings, name, files, options)
    assert _dump(own_graph) == built
    with own_graph() as graph, raw_session(graph) as session:
        targets = session.run("MATCH (:Compound)-[r:TARGETS]->(:Gene) RETURN count(r) AS n").single()["n"]
    assert targets > 0  # linked after the import, as a later load links them


BAD = [
    ('[[source]]\nname = "nope"\nfiles = ["x"]\n', ConfigError, r"#1 \(nope\): unknown source 'nope'.*string"),
    ('[[source]]\nname = "string"\nfiles = ["{edges}"]\noptions = {{ min_scor = 3 }}\n', ConfigError,
     r"#1 \(string\): unknown option 'min_scor'.*min_score"),
    ('[[source]]\nname = "string"\nfiles = ["{edges}"]\noptions = {{ min_score = "high" }}\n', ConfigError,
     r"'min_score' takes a int"),
    ('[[source]]\nname = "string"\nfiles = ["missing.tsv"]\n', InputDataError,
     r"#1 \(string\): file .*missing.tsv not found.*resolve against"),
    ('[[source]]\nname = "string"\nfiles = ["{edges}"]\ncolour = 1\n', ConfigError, "unknown key 'colour'"),
    ('[[source]\nname = "string"\n', ConfigError, "TOML"),
    ('lenient = true\n', ConfigError, r"no \[\[source\]\] entries"),
    ('[[source]]\nname = "string"\nfiles = ["{edges}"]\n', InputDataError, "edges.tsv"),  # a bad record
]


@pytest.mark.parametrize("text, error, message", BAD)
def test_a_bad_manifest_or_record_is_one_line_and_leaves_the_database_as_it_was(own_settings, own_graph, tmp_path,
                                                                                 text, error, message):
    (tmp_path / "edges.tsv").write_text(EDGES, encoding="utf-8")
    path = tmp_path / "graph.toml"
    path.write_text(text.format(edges="edges.tsv"), encoding="utf-8")  # relative to the manifest
    before = _plant(own_graph)
    with pytest.raises(error, match=message) as info:
        build(own_settings, path, force=True)
    assert "\n" not in str(info.value) and (str(path) in str(info.value) or "edges.tsv" in str(info.value))
    assert _dump(own_graph) == before


def test_a_database_that_is_not_empty_is_refused_without_force(own_settings, own_graph, tmp_path):
    (tmp_path / "edges.tsv").write_text(EDGES.replace("lots", "700"), encoding="utf-8")
    path = _manifest(tmp_path / "graph.toml", [("string", [tmp_path / "edges.tsv"])])
    before = _plant(own_graph)
    with pytest.raises(Exception, match="already holds 1 nodes.*--force"):
        build(own_settings, path)
    assert _dump(own_graph) == before


@pytest.mark.parametrize("where", ["flag", "top", "source"])
def test_lenient_skips_the_bad_record_and_reports_it(own_settings, own_graph, tmp_path, where):
    (tmp_path / "edges.tsv").write_text(EDGES, encoding="utf-8")
    text = '[[source]]\nname = "string"\nfiles = ["edges.tsv"]\n'
    text = {"flag": text, "top": "lenient = true\n" + text, "source": text + "lenient = true\n"}[where]
    path = tmp_path / "graph.toml"
    path.write_text(text, encoding="utf-8")
    report = build(own_settings, path, force=True, lenient=where == "flag")
    (string,) = report.sources
    assert report.status == "completed" and string.n_dropped == 1 and string.rows_read == 3
    assert report.relationships == 2 and any("lots" in line or "line 3" in line for line in string.dropped)


def test_the_run_has_kind_build_the_manifest_and_the_files_checksums(own_settings, own_graph, tmp_path):
    edges = tmp_path / "edges.tsv"
    edges.write_text(EDGES.replace("lots", "700"), encoding="utf-8")
    path = _manifest(tmp_path / "graph.toml", [("string", [edges])])
    report = build(own_settings, path, force=True)
    with own_graph() as graph:
        run = graph.read(cypher.load("export/run"), run_id=report.run_id)[0]["run"]
    config, metrics = json.loads(run["config"]), json.loads(run["metrics"])
    assert run["kind"] == "build" and run["status"] == "completed"
    assert config["manifest"] == path.read_text(encoding="utf-8")
    assert config["files"] == [{"path": str(edges), "size": edges.stat().st_size,
                                "sha256": hashlib.sha256(edges.read_bytes()).hexdigest()}]
    assert metrics["sources"]["1:string"]["rows_read"] == 3 and metrics["relationships_created"] == 3
    manifest = json.loads((own_settings.runs_dir / report.run_id / "manifest.json").read_text())
    assert manifest["status"] == "completed" and manifest["kind"] == "build"


def test_the_cli_builds_with_progress_lines_and_a_summary(own_settings, own_graph, tmp_path):
    from toolkit.cli import cli

    edges = tmp_path / "edges.tsv"
    edges.write_text(EDGES, encoding="utf-8")
    path = _manifest(tmp_path / "graph.toml", [("string", [edges])])
    env = {"KGTOOL_HOME": str(own_settings.home), "KGTOOL_BOLT_PORT": str(own_settings.bolt_port),
           "KGTOOL_HTTP_PORT": str(own_settings.http_port), "KGTOOL_HEAP": own_settings.heap,
           "KGTOOL_PAGECACHE": own_settings.pagecache, "NEO4J_URI": None}
    result = CliRunner().invoke(cli, ["build", str(path), "--force", "--lenient"], env=env)
    assert result.exit_code == 0, result.output
    assert "reading [[source]] #1 (string): edges.tsv" in result.output
    assert "string: 3 rows read" in result.output and "string dropped:" in result.output
    assert "build completed: 1 sources, 4 nodes and 2 relationships imported" in result.output
    assert "records/s" in result.output
    result = CliRunner().invoke(cli, ["build", str(path), "--force"], env=env)
    assert result.exit_code == 1 and result.output.count("\n") <= 2 and "edges.tsv" in result.output


def test_an_external_server_gets_the_import_folder_and_the_command(tmp_path):
    edges = tmp_path / "edges.tsv"
    edges.write_text(EDGES.replace("lots", "700"), encoding="utf-8")
    path = _manifest(tmp_path / "graph.toml", [("string", [edges])])
    external = Settings(home=tmp_path / "home", uri="bolt://db.example.org:7687", password="x")
    report = build(external, read_build_manifest(path))
    assert report.status == "prepared" and report.nodes == 4 and report.relationships == 3
    assert report.command is not None and report.command.startswith("neo4j-admin database import full neo4j ")
    assert "--additional-config" not in report.command and str(report.import_dir) in report.command
    assert any(p.suffix == ".csv" for p in report.import_dir.iterdir())
    manifest = json.loads((external.runs_dir / report.run_id / "manifest.json").read_text())
    assert manifest["status"] == "prepared" and manifest["metrics"]["command"] == report.command


@pytest.mark.shared_data
def test_a_source_sees_the_gene_ids_of_the_sources_before_it(own_settings, own_graph, tmp_path):
    """GO's UniProtKB ids map through the ids a STRING aliases file earlier in the manifest gives,
    as when GO is loaded after STRING."""
    from tests.sources.test_id_mapping import build_uniprot_fixture

    fixture = build_uniprot_fixture(tmp_path)
    loads = [("string", [fixture.aliases]), ("go", [fixture.obo, fixture.gaf])]
    report = build(own_settings, _manifest(tmp_path / "go.toml", loads), force=True, lenient=True)
    built = _dump(own_graph)
    with own_graph() as graph:
        graph.delete_everything()
        for name, files in loads:
            load(graph, own_settings, name, files, LoadOptions(lenient=True, source_options=(
                STRING_OPTIONS if name == "string" else {})))
    assert _dump(own_graph) == built
    assert sum(1 for item in built if item[0] == "rel" and item[3] == "ANNOTATED_WITH") > 1000
    assert report.status == "completed" and [r.source for r in report.sources] == ["string", "go"]
