"""Query parameters declared with defaults in the .cypher headers: listed, filled in, checked."""

import pytest
from click.testing import CliRunner

from tests.helpers import server_env
from toolkit import cypher
from toolkit.cli import cli
from toolkit.errors import QueryError
from toolkit.queries import bind, hypotheses

USER_FACING = ("hypotheses", "browser")


def _user_facing():
    for sub in USER_FACING:
        yield from cypher.folder(sub)


def test_every_user_facing_query_declares_exactly_its_parameters():
    statements = list(_user_facing())
    assert len(statements) >= 9
    for statement in statements:
        declared = [p.name for p in statement.declared]
        assert len(declared) == len(set(declared)), statement.name
        assert set(declared) == statement.parameters, f"{statement.name}: declare each parameter with // param"
        assert all(p.description for p in statement.declared), statement.name
        assert "// param" not in statement.description and statement.description, statement.name


def test_run_defaults_to_null_wherever_it_is_documented_as_the_newest():
    for statement in _user_facing():
        run = [p for p in statement.declared if p.name == "run"]
        if run:
            assert not run[0].required and run[0].default is None, statement.name
            assert "newest" in run[0].description, statement.name


def test_header_syntax_parses_defaults_as_json():
    statement = cypher.Statement("t", '// Doc line.\n// param $a: required one\n// param $b = 0.05: a number\n'
                                      '// param $c = "two words": text\n// param $d = null: none\n'
                                      "RETURN $a, $b, $c, $d", "")
    assert [(p.name, p.required, p.default) for p in statement.declared] == [
        ("a", True, None), ("b", False, 0.05), ("c", False, "two words"), ("d", False, None)]
    assert statement.description == "Doc line."
    assert statement.bind({"a": 1, "d": 3}) == {"a": 1, "b": 0.05, "c": "two words", "d": 3}


def test_why_predicted_needs_only_the_compound():
    """issue 11: `--param compound=X` failed with "missing parameters ['run', 'top']"."""
    statement, values = bind("why_predicted", {"compound": "BRD-K1"})
    assert statement.name == "hypotheses/why_predicted"
    assert values == {"compound": "BRD-K1", "run": None, "top": 10}
    assert bind("why_predicted", {"compound": "BRD-K1", "run": "explain-x", "top": 3})[1]["top"] == 3


def test_missing_required_and_bad_declarations_are_errors():
    with pytest.raises(QueryError, match=r"missing parameters \['compound'\]"):
        bind("why_predicted", {})
    with pytest.raises(QueryError, match=r"unexpected \['nope'\]"):
        bind("why_predicted", {"compound": "x", "nope": 1})
    unused = cypher.Statement("t", "// param $gone = 1: never used\nRETURN 1", "")
    with pytest.raises(QueryError, match=r"declares parameters \['gone'\]"):
        unused.bind({})
    not_json = cypher.Statement("t", "// param $x = maybe: not JSON\nRETURN $x", "")
    with pytest.raises(QueryError, match="is not JSON"):
        not_json.bind({})


def test_list_shows_each_parameter_with_its_default(tmp_path):
    result = CliRunner().invoke(cli, ["--home", str(tmp_path), "query", "--list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    block = lines[lines.index("why_predicted"):]
    params = [line.split()[1] for line in block[1:] if line.strip().startswith("--param")][:3]
    assert params == ["compound=…", "run=null", "top=10"]
    assert any("--param compound=…" in line and "(required)" in line for line in block)
    assert any("--param max_q=0.05" in line for line in lines)
    assert set(hypotheses()) <= {line for line in lines if line and not line.startswith(" ")}


def _explained_graph(graph):
    """One compound explained by two explain runs: the newer one ranks 12 genes, the older one 1."""
    graph.write(cypher.Statement("t", """
        CREATE (c:Compound {pert_id: 'BRD-K1', name: 'one'})<-[:FOR]-(p:Prediction {prediction_id: 'p1', rank: 1,
               score: 0.9})-[:OF_MOA]->(:MoA {name: 'm'})
        WITH p UNWIND range(1, 12) AS i
        CREATE (:Gene {entrez_id: i, symbol: 'G' + i})-[:EXPLAINS {run_id: 'explain-2', rank: i, score: 1.0 / i}]->(p)
        WITH p, count(*) AS made
        MATCH (g:Gene {entrez_id: 1}) CREATE (g)-[:EXPLAINS {run_id: 'explain-1', rank: 1, score: 0.5}]->(p)
        """, ""))


def test_query_uses_the_declared_defaults_on_the_real_server(graph):
    _explained_graph(graph)
    result = CliRunner().invoke(cli, ["query", "why_predicted", "--param", "compound=BRD-K1", "--format", "tsv"],
                                env={**server_env(), "NEO4J_URI": None, "KGTOOL_PLUGINS": None})
    assert result.exit_code == 0, result.output
    header, *rows = [line.split("\t") for line in result.output.strip().splitlines()]
    got = [dict(zip(header, row)) for row in rows]
    assert {r["explain_run"] for r in got} == {"explain-2"}  # run = null: the newest run
    assert [r["name"] for r in got if r["kind"] == "gene"] == [f"G{i}" for i in range(1, 11)]  # top = 10
    older = CliRunner().invoke(cli, ["query", "why_predicted", "--param", "compound=BRD-K1", "--param",
                                     "run=explain-1", "--format", "tsv"], env={**server_env(), "NEO4J_URI": None})
    assert older.exit_code == 0, older.output
    assert older.output.strip().splitlines()[1].split("\t")[2] == "explain-1"
