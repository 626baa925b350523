"""Options that sources declare (``Source.options``): ``LoadOptions.get``, the ``kgtool load`` flags
built from every registered source, conflicts between plugins, and the example plugin's own option."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from tests.helpers import server_env
from tests.inline_cypher import raw_session
from toolkit import hookspecs, plugins
from toolkit.cli.source_options import declared_options
from toolkit.errors import ConfigError, PluginError
from toolkit.sources import LoadOptions, SourceOption

LIMIT = SourceOption[int]("limit", int, 7, "A limit.")
RATIO = SourceOption[float]("ratio", float, None, "A ratio.")


pytestmark = pytest.mark.usefixtures("fresh_plugins")


def test_get_returns_the_given_value_else_the_declared_default():
    assert LoadOptions().get(LIMIT) == 7
    assert LoadOptions(source_options={"limit": 3}).get(LIMIT) == 3
    assert LoadOptions(source_options={"ratio": 1}).get(RATIO) == 1.0 and LoadOptions().get(RATIO) is None
    with pytest.raises(ConfigError, match="'limit' takes a int, got 'many'"):
        LoadOptions(source_options={"limit": "many"}).get(LIMIT)


def test_from_values_splits_shared_and_source_options():
    options = LoadOptions.from_values(lenient=True, batch_size=10, top_k=5)
    assert (options.lenient, options.batch_size, dict(options.source_options)) == (True, 10, {"top_k": 5})


def test_an_option_name_must_be_an_identifier_of_a_known_type():
    with pytest.raises(ConfigError, match="not a Python identifier"):
        SourceOption("min-score", int, 0, "")
    with pytest.raises(ConfigError, match="has type"):
        SourceOption("when", list, [], "")


def test_the_built_in_flags_keep_their_names_defaults_and_help():
    from toolkit.cli import cli

    result = CliRunner().invoke(cli, ["load", "--help"], terminal_width=400)
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: " ".join(line.split()) for line in result.output.splitlines()
             if line.strip().startswith("--")}
    assert lines["--min-score"] == "--min-score INTEGER STRING: minimum combined score (0-1000). [default: 0]"
    assert lines["--top-k"] == "--top-k INTEGER Signatures: up/down genes linked per signature. [default: 50]"
    assert lines["--qc-only"] == "--qc-only Signatures: keep qc_pass == 1 only."
    assert lines["--min-cc-q75"].startswith("--min-cc-q75 FLOAT Signatures: keep replicate correlation cc_q75")
    assert lines["--exemplar-only"].startswith("--exemplar-only Signatures: keep exemplar signatures only")
    assert lines["--consensus"].startswith("--consensus [none|modz|mean] Signatures: write one consensus")
    assert lines["--consensus"].endswith("[default: none]")
    assert lines["--zscore"].startswith("--zscore [none|plate|vehicle] Signatures: robust z-score Level 3")
    assert lines["--propagate"] == "--propagate GO: annotate genes to every ancestor term too."
    assert lines["--gene-tag"].startswith("--gene-tag TEXT Example gene_tags")  # the example plugin's own
    assert "--chunk-signatures" not in lines  # declared with cli=False
    for shared in ("--lenient", "--batch-size", "--bulk", "--force"):
        assert shared in lines


def _plugin_declaring(option: SourceOption):
    from toolkit.sources import Source

    class Other(Source):
        name = "other"
        description = "declares an option"
        options = (option,)

        def read(self, paths, options, report):
            return iter(())

    class Plugin:
        @staticmethod
        @hookspecs.hookimpl
        def kgtool_register_sources(register):
            register(Other())

    return Plugin()


def test_a_flag_two_plugins_declare_with_different_types_is_an_error_naming_both():
    plugins.plugin_manager().register(_plugin_declaring(SourceOption("top_k", str, "x", "")), name="other_plugin")
    with pytest.raises(PluginError, match="--top-k: plugin 'signatures' declares it as int, plugin 'other_plugin'"):
        declared_options()


def test_a_flag_two_plugins_declare_with_one_type_is_shared():
    plugins.plugin_manager().register(_plugin_declaring(SourceOption("top_k", int, 3, "")), name="other_plugin")
    assert [plugin for plugin, option in declared_options() if option.name == "top_k"] == ["signatures"]


def _tags(graph) -> dict[int, str]:
    with raw_session(graph) as session:
        return {r["e"]: r["tag"] for r in session.run("MATCH (g:Gene) WHERE g.tag IS NOT NULL "
                                                       "RETURN g.entrez_id AS e, g.tag AS tag")}


@pytest.mark.neo4j
def test_the_example_source_takes_its_own_option_through_kgtool_load(graph, tmp_path):
    from toolkit.cli import cli

    path = tmp_path / "genes.tsv"
    path.write_text("entrez_id\tnote\n5290\ta\n7157\tb\n")
    result = CliRunner().invoke(cli, ["load", "gene_tags", str(path), "--gene-tag", "screened"], env=server_env())
    assert result.exit_code == 0, result.output
    assert _tags(graph) == {5290: "screened", 7157: "screened"}

    result = CliRunner().invoke(cli, ["load", "gene_tags", str(path)], env=server_env())  # the declared default
    assert result.exit_code == 0, result.output
    assert _tags(graph) == {5290: "example", 7157: "example"}


@pytest.mark.neo4j
def test_a_built_in_flag_still_reaches_its_source(graph, tmp_path):
    from toolkit.cli import cli

    path = tmp_path / "edges.tsv"
    path.write_text("entrez_a\tsymbol_a\tentrez_b\tsymbol_b\tcombined_score\n1\tA\t2\tB\t900\n2\tB\t3\tC\t300\n")
    result = CliRunner().invoke(cli, ["load", "string", str(path), "--min-score", "400"], env=server_env())
    assert result.exit_code == 0, result.output
    with raw_session(graph) as session:
        assert session.run("MATCH ()-[r:INTERACTS_WITH]->() RETURN count(r) AS n").single()["n"] == 1


@pytest.mark.neo4j
def test_a_misspelt_source_option_is_an_error_and_writes_nothing(graph, settings, tmp_path):
    from toolkit.load import load

    path = tmp_path / "edges.tsv"
    path.write_text("entrez_a\tsymbol_a\tentrez_b\tsymbol_b\tcombined_score\n1\tA\t2\tB\t900\n")
    with pytest.raises(ConfigError, match="unknown source option 'min_scor'.*min_score"):
        load(graph, settings, "string", [path], LoadOptions.from_values(min_scor=400))
    with raw_session(graph) as session:
        assert session.run("MATCH (n) RETURN count(n) AS n").single()["n"] == 0
