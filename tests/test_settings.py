"""Settings resolve flags > environment > config file > defaults; the password is never shown."""

import json

import pytest

from toolkit.errors import ConfigError
from toolkit.settings import resolve


def test_precedence(tmp_path):
    config = tmp_path / "kgtool.json"
    config.write_text(json.dumps({"bolt_port": 1111, "database": "fromfile"}))
    env = {"KGTOOL_CONFIG": str(config), "KGTOOL_BOLT_PORT": "2222"}
    s = resolve(flags={"bolt_port": None, "database": None}, env=env)
    assert (s.bolt_port, s.database) == (2222, "fromfile")
    assert resolve(flags={"bolt_port": 3333}, env=env).bolt_port == 3333


def test_external_server_from_conventional_variables():
    s = resolve(env={"NEO4J_URI": "neo4j+s://x.databases.neo4j.io", "NEO4J_PASSWORD": "secret",
                     "NEO4J_DATABASE": "movies"})
    assert not s.managed and s.bolt_uri.startswith("neo4j+s://") and s.database == "movies"
    assert "secret" not in repr(s)


def test_bad_values_are_one_line_errors(tmp_path):
    with pytest.raises(ConfigError, match="KGTOOL_BOLT_PORT.*must be int"):
        resolve(env={"KGTOOL_BOLT_PORT": "seven"})
    config = tmp_path / "bad.json"
    config.write_text(json.dumps({"colour": "blue"}))
    with pytest.raises(ConfigError, match="unknown settings"):
        resolve(env={"KGTOOL_CONFIG": str(config)})
