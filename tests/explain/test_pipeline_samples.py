"""Explain works on the samples the model was trained on, refuses changed data unless told, and
reports every prediction it skips (against the real Neo4j, on a small demo graph)."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest
from click.testing import CliRunner

from tests.explain._support import ensure_explainers
from tests.helpers import server_env
from tests.train.data import load_demo
from toolkit import cypher, plugins, runs
from toolkit.errors import RunError
from tests.inline_cypher import raw_session

pytestmark = [pytest.mark.neo4j, pytest.mark.slow]

QUIET = dict(pathways=False, interactions=False, quality=False)


@pytest.fixture(scope="module")
def trained(session_graph, settings, tmp_path_factory):
    """A demo graph and an mlp trained on per-compound-per-cell consensus samples."""
    from toolkit.models import TrainConfig
    from toolkit.train.pipeline import train

    plugins.reset()
    ensure_explainers()
    load_demo(session_graph, settings, tmp_path_factory.mktemp("explain-samples-data"), seed=5)
    run = train(session_graph, settings, "mlp", TrainConfig(epochs=20, seed=5), aggregate="compound_cell")
    yield settings, run
    plugins.reset()


def _rows(graph, query, **params):
    with raw_session(graph) as s:
        return [r.data() for r in s.run(query, params)]


def test_an_aggregated_run_is_explained_on_its_consensus_samples(trained, session_graph):
    from toolkit.explain.pipeline import ExplainOptions, explain_run

    home, run = trained
    outcome = explain_run(session_graph, home, run.run_id, "integrated_gradients", top_k=5,
                          options=ExplainOptions(**QUIET))
    explained = sorted({p.pert_id for p in outcome.explanation.predictions})
    assert explained and outcome.run.metrics["predictions_skipped"] == 0
    pairs = _rows(session_graph, """
        MATCH (s:Signature)-[:OF_COMPOUND]->(c:Compound)
        WHERE c.pert_id IN $ids AND s.z IS NOT NULL
        MATCH (s)-[:IN_CELL]->(cell:CellLine)
        RETURN c.pert_id AS pert_id, count(DISTINCT cell) AS cells""", ids=explained)
    cells = {r["pert_id"]: r["cells"] for r in pairs}
    signatures = _rows(session_graph, "MATCH (s:Signature)-[:OF_COMPOUND]->(c:Compound) WHERE c.pert_id IN $ids "
                                      "RETURN count(s) AS n", ids=explained)[0]["n"]
    assert outcome.run.metrics["samples_attributed"] == sum(cells.values()) < signatures
    assert all(len(p.rows) == cells[p.pert_id] for p in outcome.explanation.predictions)
    assert outcome.run.data_hash == run.data_hash and outcome.run.config["data_changed"] is False


def test_a_changed_graph_is_refused_unless_allowed_and_skipped_predictions_are_reported(
        trained, session_graph, caplog):
    from toolkit.cli import cli
    from toolkit.explain.pipeline import ExplainOptions, explain_run

    home, run = trained
    predictions = session_graph.read(cypher.load("export/run_predictions"), run_id=run.run_id, rank=1)
    gone = sorted(p["pert_id"] for p in predictions if p["split"] == "test")[0]
    session_graph.write(cypher.Statement("t", "MATCH (s:Signature)-[:OF_COMPOUND]->(:Compound {pert_id: $id}) "
                                              "DETACH DELETE s", ""), id=gone)
    with pytest.raises(RunError) as info:
        explain_run(session_graph, home, run.run_id, "integrated_gradients", options=ExplainOptions(**QUIET))
    message = str(info.value)
    assert run.run_id in message and run.data_hash[:12] in message and "--allow-data-change" in message
    assert "\n" not in message
    explains = _rows(session_graph, "MATCH (r:Run {kind: 'explain', parent_run: $id}) RETURN count(r) AS n",
                     id=run.run_id)[0]["n"]

    result = CliRunner().invoke(cli, ["explain", run.run_id, "--no-quality"], env=server_env())
    assert result.exit_code != 0 and "--allow-data-change" in result.output
    assert _rows(session_graph, "MATCH (r:Run {kind: 'explain', parent_run: $id}) RETURN count(r) AS n",
                 id=run.run_id)[0]["n"] == explains  # a refused explain leaves no run

    with caplog.at_level(logging.WARNING, logger="toolkit.explain.pipeline"):
        outcome = explain_run(session_graph, home, run.run_id, "integrated_gradients",
                              options=ExplainOptions(allow_data_change=True, **QUIET))
    done = outcome.run
    assert done.config["allow_data_change"] is True and done.config["data_changed"] is True
    assert done.config["train_data_hash"] == run.data_hash and done.data_hash != run.data_hash
    assert done.metrics["predictions_skipped"] == 1
    assert done.metrics["skipped_predictions"] == [
        {"prediction_id": next(p["prediction_id"] for p in predictions if p["pert_id"] == gone), "pert_id": gone,
         "moa": next(p["moa"] for p in predictions if p["pert_id"] == gone), "reason": "not_in_snapshot"}]
    assert gone not in {p.pert_id for p in outcome.explanation.predictions}
    assert any("skipped 1 predictions: 1 not_in_snapshot" in r.getMessage() for r in caplog.records)
    manifest = runs.read_manifest(home.runs_dir, done.run_id)
    assert manifest["metrics"]["skipped_predictions"][0]["pert_id"] == gone
    node = session_graph.read(cypher.load("export/run"), run_id=done.run_id)[0]["run"]
    assert node["metric_predictions_skipped"] == 1.0 and json.loads(node["config"])["allow_data_change"] is True
    assert np.isfinite(outcome.explanation.attributions).all()
