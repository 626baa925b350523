"""``kgtool train --config``, ``kgtool runs --compare`` and ``kgtool predict`` against the real server."""

from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner

from tests.helpers import server_env
from toolkit import cypher
from toolkit.cli import cli
from toolkit.cli.train import command as train_command
from toolkit.cli.train import read_config
from toolkit.errors import ConfigError
from tests.inline_cypher import raw_session

CLEAN = {"NEO4J_URI": None, "NEO4J_PASSWORD": None, "NEO4J_USERNAME": None, "KGTOOL_PLUGINS": None}


def invoke(args, home):
    env = {**CLEAN, **server_env(), "KGTOOL_HOME": str(home)}
    result = CliRunner().invoke(cli, args, env=env, catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture
def home(demo_graph, settings):
    """The test server's home (where its password is); the CLI's runs and cache land there."""
    return settings.home


def _config_of(graph, run_id):
    return json.loads(graph.read(cypher.load("export/run"), run_id=run_id)[0]["run"]["config"])


def _run_id(output: str) -> str:
    return [line.split()[-1] for line in output.splitlines() if "run:" in line][-1]


def test_read_config_checks_keys_and_types(tmp_path):
    known = {p.name: p for p in train_command.params}
    ctx = click.Context(train_command)
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"batch-size": 8, "split": "cold_cell", "params": {"hidden": 16}, "k_folds": "2"}))
    assert read_config(path, known, ctx) == {"batch_size": 8, "split_kind": "cold_cell", "params": {"hidden": 16},
                                             "k_folds": 2}
    path.write_text(json.dumps({"epoch": 3}))
    with pytest.raises(ConfigError, match="unknown key 'epoch'"):
        read_config(path, known, ctx)
    path.write_text(json.dumps({"split": "sideways"}))
    with pytest.raises(ConfigError, match="split"):
        read_config(path, known, ctx)
    path.write_text("[1, 2]")
    with pytest.raises(ConfigError, match="JSON object"):
        read_config(path, known, ctx)


def test_train_config_file_with_flag_overrides_then_compare_and_predict(demo_graph, home, tmp_path):
    graph = demo_graph.graph
    config = tmp_path / "train.json"
    config.write_text(json.dumps({"epochs": 7, "batch_size": 16, "seed": 4, "split": "random",
                                  "params": {"hidden": 32, "dropout": 0.1}, "k-folds": 2, "amp": True}))
    code, out = invoke(["train", "mlp", "--config", str(config), "--epochs", "3", "--param", "hidden=24"], home)
    assert code == 0, out
    first = _run_id(out)
    cfg = _config_of(graph, first)
    assert cfg["epochs"] == 3 and cfg["batch_size"] == 16 and cfg["seed"] == 4  # flag beats file, file beats default
    assert cfg["split"] == "random" and cfg["k_folds"] == 2
    assert cfg["params"] == {"hidden": 24, "dropout": 0.1, "amp": True}  # amp: mixed precision on CUDA only
    assert "test_compound_auroc" in out

    code, out = invoke(["train", "mlp", "--epochs", "2", "--split", "cold_cell", "--device", "cpu"], home)
    assert code == 0, out
    second = _run_id(out)

    code, out = invoke(["runs", "--compare", first, second, "--format", "tsv"], home)
    assert code == 0, out
    lines = [line.split("\t") for line in out.strip().splitlines()]
    assert lines[0] == ["metric", first, second]
    table = {row[0]: row[1:] for row in lines[1:]}
    assert table["split"] == ["random", "cold_cell"]
    assert table["test_compound_macro_f1"][0] and table["test_compound_macro_f1"][1]
    assert table["cv_folds"][0] == "2" and table["cv_folds"][1] == ""  # only the first ran folds
    code, out = invoke(["runs", "--compare", first, "train-nope"], home)
    assert code == 1 and "no run 'train-nope'" in out

    with raw_session(graph) as s:
        pert_id = s.run("""MATCH (:Run {run_id: $r})-[:PREDICTED]->(p:Prediction)-[:FOR]->(c:Compound)
                           WITH c LIMIT 1 MATCH (:Run {run_id: $r})-[:PREDICTED]->(p)-[:FOR]->(c)
                           DETACH DELETE p RETURN DISTINCT c.pert_id AS id""", r=second).single()["id"]
    code, out = invoke(["predict", second, "--compound", pert_id, "--format", "tsv"], home)
    assert code == 0, out
    assert out.splitlines()[0] == "pert_id\tmoa\tscore" and out.splitlines()[1].startswith(pert_id + "\t")
    assert "1 compounds predicted" in out
    code, out = invoke(["runs", "--kind", "predict", "--format", "json"], home)
    assert code == 0 and json.loads(out)[0]["kind"] == "predict"
