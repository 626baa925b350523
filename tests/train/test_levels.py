"""Sample and prediction levels: consensus signatures (MODZ, mean), per-compound samples, and
signature-level predictions, down to train runs on the real graph."""

from __future__ import annotations

import numpy as np
import pytest

from tests.train.data import synthetic
from toolkit import cypher
from toolkit.consensus import MIN_WEIGHT, consensus, modz_weights
from toolkit.errors import ConfigError
from toolkit.models import TrainConfig
from toolkit.train.aggregate import aggregate
from toolkit.train.predict import predict
from toolkit.train.pipeline import train


def test_modz_weights_down_weight_the_replicate_that_disagrees():
    rng = np.random.default_rng(0)
    signal = rng.normal(size=200)
    block = np.stack([signal + rng.normal(scale=0.3, size=200) for _ in range(3)] + [rng.normal(size=200)])
    w = modz_weights(block)
    assert w.sum() == pytest.approx(1.0)
    assert w[3] < 0.5 * w[:3].min()  # the unrelated replicate
    assert np.allclose(modz_weights(block[:2]), [0.5, 0.5]) and np.allclose(modz_weights(block[:1]), [1.0])


def test_modz_weights_follow_spearman_and_clip_anticorrelated_replicates():
    from scipy.stats import spearmanr

    a = np.arange(10.0)
    block = np.stack([a, a ** 2, -a])  # Spearman: a~a^2 = 1, both ~ -a = -1
    rho = spearmanr(block, axis=1).statistic
    raw = np.clip([(rho[0, 1] + rho[0, 2]) / 2, (rho[1, 0] + rho[1, 2]) / 2, (rho[2, 0] + rho[2, 1]) / 2],
                  MIN_WEIGHT, None)
    assert np.allclose(modz_weights(block), raw / raw.sum())
    assert np.allclose(consensus(block, "mean"), block.mean(axis=0))
    assert np.allclose(consensus(block, "modz"), modz_weights(block) @ block)


def test_one_sample_per_compound_with_the_union_of_labels():
    data = synthetic()
    per_compound = aggregate(data, "compound", "mean")
    compounds = sorted(set(data.compound_ids))
    assert sorted(per_compound.compound_ids) == compounds and len(per_compound.sample_ids) == len(compounds)
    first = per_compound.compound_ids[0]
    rows = [i for i, c in enumerate(data.compound_ids) if c == first]
    assert np.allclose(per_compound.x[0], data.x[rows].mean(axis=0), atol=1e-6)
    assert np.array_equal(per_compound.y[0], data.y[rows].max(axis=0))
    assert per_compound.cell_ids == () and per_compound.context is data.context
    per_cell = aggregate(data, "compound_cell")
    assert len(per_cell.sample_ids) == len(compounds) * 4 and per_cell.sample_ids[0] == f"compound_cell:{first}@A"
    assert aggregate(data, "none") is data


def test_compound_cell_needs_cell_lines():
    from dataclasses import replace

    with pytest.raises(ConfigError, match="cell lines"):
        aggregate(replace(synthetic(), cell_ids=()), "compound_cell")


@pytest.mark.neo4j
def test_train_and_predict_on_per_compound_samples(demo_graph):
    graph, settings = demo_graph.graph, demo_graph.settings
    run = train(graph, settings, "mlp", TrainConfig(epochs=10, seed=1, lr=3e-3), aggregate="compound")
    node = graph.read(cypher.load("export/run"), run_id=run.run_id)[0]["run"]
    import json

    config = json.loads(node["config"])
    n_compounds = graph.read(cypher.Statement("t", "MATCH (c:Compound)<-[:OF_COMPOUND]-(:Signature) "
                                                   "RETURN count(DISTINCT c) AS n", ""))[0]["n"]
    assert config["aggregate"] == "compound" and config["consensus"] == "modz" and config["samples"] == n_compounds
    assert 0.0 <= node["metric_test_compound_macro_f1"] <= 1.0
    # one sample per compound: signature- and compound-level test scores are the same rows
    assert node["metric_test_signature_n"] == node["metric_test_compound_n"]
    compound = sorted(set(demo_graph_compounds(graph)))[0]
    graph.write(cypher.Statement("t", "MATCH (p:Prediction {run_id: $run})-[:FOR]->(:Compound {pert_id: $c}) "
                                      "DETACH DELETE p", ""), run=run.run_id, c=compound)
    again = predict(graph, settings, run.run_id, [compound])  # folded like the training samples
    assert again.metrics["compounds_predicted"] == 1 and again.metrics["predictions_written"] == 3
    assert again.metrics["signatures"] > 1


def demo_graph_compounds(graph) -> list[str]:
    return [r["c"] for r in graph.read(cypher.Statement(
        "t", "MATCH (:Signature)-[:OF_COMPOUND]->(c:Compound)-[:HAS_MOA]->() RETURN c.pert_id AS c", ""))]


@pytest.mark.neo4j
def test_signature_level_predictions_through_the_cli(demo_graph):
    from click.testing import CliRunner

    from tests.helpers import server_env
    from toolkit.cli import cli

    graph = demo_graph.graph
    result = CliRunner().invoke(cli, ["train", "logistic", "--predict-level", "both", "--aggregate", "none",
                                      "--seed", "3"],
                                env=server_env(), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    run_id = result.output.strip().splitlines()[-1].split()[-1]
    rows = graph.read(cypher.Statement("t", """
        MATCH (:Run {run_id: $run})-[:PREDICTED]->(p:Prediction)-[:FOR]->(target)
        RETURN p.level AS level, labels(target)[0] AS label, count(p) AS n, count(DISTINCT target) AS targets,
               sum(CASE WHEN p.rank = 1 THEN 1 ELSE 0 END) AS firsts""", ""), run=run_id)
    by_level = {r["level"]: r for r in rows}
    # the default QC filter (--qc auto) leaves out the signatures the loader marked qc_pass = false
    n_sigs = graph.read(cypher.Statement("t", "MATCH (s:Signature) WHERE coalesce(s.qc_pass, true) RETURN count(s) AS n",
                                         ""))[0]["n"]
    n_failed = graph.read(cypher.Statement("t", "MATCH (s:Signature {qc_pass: false}) RETURN count(s) AS n", ""))[0]["n"]
    assert n_failed > 0  # the demo has QC failures, so this checks the filter
    assert by_level["signature"]["label"] == "Signature" and by_level["signature"]["targets"] == n_sigs
    assert by_level["signature"]["n"] == 3 * n_sigs and by_level["signature"]["firsts"] == n_sigs
    assert by_level["compound"]["label"] == "Compound"
    bad = CliRunner().invoke(cli, ["train", "logistic", "--predict-level", "signature", "--aggregate", "compound"],
                             env=server_env())
    assert bad.exit_code != 0 and "signature-level predictions need signature samples" in bad.output
