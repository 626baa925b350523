"""Clear one-line errors at the CLI edge (real server where one is involved)."""

import pytest
from click.testing import CliRunner

from tests.helpers import TEST_BOLT
from toolkit.cli import cli

CLEAN_ENV = {"NEO4J_URI": None, "NEO4J_PASSWORD": None, "NEO4J_USERNAME": None, "KGTOOL_PLUGINS": None,
             "KGTOOL_BOLT_PORT": None, "KGTOOL_HTTP_PORT": None, "KGTOOL_HOME": None}


def invoke(args, **env):
    result = CliRunner().invoke(cli, args, env={**CLEAN_ENV, **env})
    return result.exit_code, result.output.strip()


def _one_line_error(output: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, output
    return lines[0]


def test_never_started_server_says_db_start(tmp_path):
    code, out = invoke(["--home", str(tmp_path), "runs"])
    assert code == 1
    assert "kgtool db start" in _one_line_error(out)


def test_stopped_server_says_db_start(tmp_path):
    (tmp_path / "neo4j").mkdir()
    (tmp_path / "neo4j" / "password").write_text("whatever")
    code, out = invoke(["--home", str(tmp_path), "runs"], KGTOOL_BOLT_PORT="9")  # nothing listens on 9
    assert code == 1
    line = _one_line_error(out)
    assert "cannot reach Neo4j at bolt://127.0.0.1:9" in line and "kgtool db start" in line


@pytest.mark.usefixtures("session_graph")
def test_wrong_password_is_named(tmp_path):
    code, out = invoke(["runs"], NEO4J_URI=f"bolt://127.0.0.1:{TEST_BOLT}", NEO4J_PASSWORD="not-the-password")
    assert code == 1
    line = _one_line_error(out)
    assert "rejected the credentials" in line and "NEO4J_PASSWORD" in line
    assert "not-the-password" not in out


def test_external_server_without_password_is_named():
    code, out = invoke(["runs"], NEO4J_URI="bolt://127.0.0.1:9")
    assert code == 1 and "set NEO4J_PASSWORD" in _one_line_error(out)


def test_db_start_refuses_an_external_server():
    code, out = invoke(["db", "start"], NEO4J_URI="bolt://example.invalid:7687")
    assert code == 1 and "does not manage that server" in _one_line_error(out)


def test_unknown_query_and_bad_params(tmp_path):
    code, out = invoke(["--home", str(tmp_path), "query", "no_such_query"])
    assert code == 1 and "no hypothesis query 'no_such_query'" in _one_line_error(out)
    code, out = invoke(["--home", str(tmp_path), "query", "compound_mechanism", "--param", "top=3"])
    assert code == 1 and "missing parameters ['compound']" in _one_line_error(out)
    code, out = invoke(["query", "compound_mechanism", "--param", "novalue"])
    assert code == 2 and "is not key=value" in out
