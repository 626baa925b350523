"""The thin end-to-end slice against the real server: load → train → explain → query."""

from __future__ import annotations

import json

import pytest

from tests.helpers import counts
from tests.test_hooks import Recorder
from toolkit import cypher, plugins
from tests.inline_cypher import raw_session

SMALL = dict(n_genes=300, n_moas=3, compounds_per_moa=8, n_cells=2, pathway_size=15, n_background_terms=15)


@pytest.fixture(scope="module")
def demo(session_graph, settings, tmp_path_factory):
    from toolkit.demo import DemoSpec
    from toolkit.demo.workflow import run_demo

    plugins.reset()
    recorder = Recorder()
    plugins.plugin_manager().register(recorder, name="recorder")
    session_graph.delete_everything()
    data_dir = tmp_path_factory.mktemp("demo")
    result = run_demo(session_graph, settings, data_dir, DemoSpec(seed=3, **SMALL), epochs=40, seed=3)
    yield result, recorder, data_dir
    plugins.reset()


def _one(graph, query, **params):
    with raw_session(graph) as s:
        return s.run(query, params).single()


def test_runs_are_recorded_completed_with_provenance(demo, session_graph, settings):
    result, _, _ = demo
    rows = {r["kind"]: r for r in session_graph.read(cypher.load("export/runs"), kind=None, limit=50)}
    assert set(rows) == {"load", "train", "explain"}
    run = session_graph.read(cypher.load("export/run"), run_id=result.train_run)[0]["run"]
    assert run["status"] == "completed" and run["seed"] == 3 and len(run["data_hash"]) == 64
    assert "torch" in json.loads(run["versions"])
    manifest = json.loads((settings.runs_dir / result.train_run / "manifest.json").read_text())
    assert manifest["data_hash"] == run["data_hash"] and manifest["status"] == "completed"
    explain_run = session_graph.read(cypher.load("export/run"), run_id=result.explain_run)[0]["run"]
    assert explain_run["parent_run"] == result.train_run


def test_predictions_are_written_for_every_compound(demo, session_graph):
    result, _, _ = demo
    record = _one(session_graph, """
        MATCH (:Run {run_id: $run})-[:PREDICTED]->(p:Prediction)-[:FOR]->(c:Compound)
        MATCH (p)-[:OF_MOA]->(:MoA)
        RETURN count(p) AS predictions, count(DISTINCT c) AS compounds, collect(DISTINCT p.split) AS splits""",
        run=result.train_run)
    n_compounds = _one(session_graph, "MATCH (c:Compound)<-[:OF_COMPOUND]-() RETURN count(DISTINCT c) AS n")["n"]
    assert record["compounds"] == n_compounds
    assert record["predictions"] == 3 * n_compounds
    assert {"train", "test", "unlabelled"} <= set(record["splits"])


def test_explains_edges_have_scores_ranks_and_provenance(demo, session_graph):
    result, _, _ = demo
    record = _one(session_graph, """
        MATCH (g:Gene)-[e:EXPLAINS {run_id: $run}]->(p:Prediction {rank: 1})
        RETURN count(e) AS edges, count(DISTINCT p) AS predictions, collect(DISTINCT e.method) AS methods,
               min(e.rank) AS first, max(e.rank) AS last""", run=result.explain_run)
    assert record["methods"] == ["integrated_gradients"]
    assert (record["first"], record["last"]) == (1, 20)
    assert record["edges"] == 20 * record["predictions"] > 0


def test_explanations_recover_planted_genes_better_than_chance(demo):
    result, _, _ = demo
    assert result.target_gene_precision_at_20 > 3 * result.random_precision_at_20


def test_hypothesis_query_finds_the_planted_pathway(demo):
    from toolkit.demo import load_ground_truth

    result, _, data_dir = demo
    truth = load_ground_truth(data_dir / "ground_truth.json")
    planted = truth.moa(truth.true_moa_of(result.hypothesis_compound)).pathway_go_id
    assert result.hypothesis_rows, "the hypothesis query returned nothing"
    assert result.hypothesis_rows[0]["go_id"] == planted


def test_lifecycle_hooks_fire(demo):
    _, recorder, _ = demo
    assert len(recorder.calls["after_load"]) == 4
    assert all(r.status == "completed" for r in recorder.calls["after_load"])
    assert [r.kind for r in recorder.calls["after_train"]] == ["train"]
    assert [r.kind for r in recorder.calls["after_explain"]] == ["explain"]


def test_loading_the_demo_twice_changes_nothing(demo, session_graph, settings):
    from toolkit.demo.workflow import demo_loads
    from toolkit.load import load

    _, _, data_dir = demo
    data_counts = lambda: {k: v for k, v in counts(session_graph).items() if k[1] != "Run"}  # noqa: E731
    before = data_counts()
    for source, paths in demo_loads(data_dir):
        report = load(session_graph, settings, source, paths)
        assert report.counts.nodes_created == 0 and report.counts.relationships_created == 0
    assert data_counts() == before


def test_the_example_third_party_model_trains_and_writes_back(demo, session_graph, settings):
    from toolkit.models import TrainConfig
    from toolkit.train.pipeline import train

    run = train(session_graph, settings, "linear_softmax", TrainConfig(epochs=60, lr=1e-2, seed=1))
    assert run.plugin == "linear_softmax" and run.status == "completed"
    assert run.metrics["test_compound_accuracy"] > 0.5  # 3 balanced MoAs: chance is 1/3
    n = _one(session_graph, "MATCH (:Run {run_id: $r})-[:PREDICTED]->(p) RETURN count(p) AS n", r=run.run_id)["n"]
    assert n > 0
