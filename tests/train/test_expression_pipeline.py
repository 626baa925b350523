"""``kgtool train`` for expression models, end to end on the small demo in the real server: the run,
its metrics, the predictions and PREDICTED_EFFECT edges in the graph, the hypothesis queries over
them, controls, and the flags that belong to one task only."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from tests.helpers import server_env
from tests.inline_cypher import raw_session
from toolkit import cypher
from toolkit.cli import cli
from toolkit.expression.pipeline import ExpressionRunOptions, load_expression_model, train_expression
from toolkit.models import TrainConfig
from toolkit.queries import run_hypothesis as run_query

UNPROFILED = "BRD-K99999999"  # a compound with a structure and no signature: only the grid predicts it
CONFIG = TrainConfig(epochs=5, seed=0)


def _invoke(args, home):
    env = {"NEO4J_URI": None, "NEO4J_PASSWORD": None, "NEO4J_USERNAME": None, "KGTOOL_PLUGINS": None,
           **server_env(), "KGTOOL_HOME": str(home)}
    result = CliRunner().invoke(cli, args, env=env, catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def planted(demo_graph):
    with raw_session(demo_graph.graph) as s:
        s.run("MERGE (c:Compound {pert_id: $id}) SET c.smiles = 'CC(=O)Nc1ccc(O)cc1', c.name = 'unprofiled'",
              id=UNPROFILED).consume()
    return demo_graph


@pytest.fixture(scope="module")
def ridge_run(planted, settings):
    """Trained with the server's settings (home), where the CLI of these tests finds its runs."""
    return train_expression(planted.graph, settings, "ridge_ecfp", CONFIG, ExpressionRunOptions(top_genes=5))


def _counts(graph, run_id):
    with raw_session(graph) as s:
        nodes = s.run("MATCH (:Run {run_id: $r})-[:PREDICTED]->(p:ExpressionPrediction) RETURN count(p) AS n",
                      r=run_id).single()["n"]
        edges = s.run("MATCH (:Compound)-[e:PREDICTED_EFFECT {run_id: $r}]->(:Gene) RETURN count(e) AS n",
                      r=run_id).single()["n"]
        compounds = s.run("MATCH (c:Compound) WHERE c.smiles IS NOT NULL AND c.smiles <> '' "
                          "RETURN count(c) AS n").single()["n"]
        cells = s.run("MATCH (c:CellLine) RETURN count(c) AS n").single()["n"]
    return nodes, edges, compounds, cells


def test_an_expression_run_records_metrics_and_writes_the_grid(planted, ridge_run):
    run = ridge_run
    assert run.status == "completed" and run.config["task"] == "expression"
    for metric in ("pearson", "spearman", "pearson_gene", "sign_accuracy", "mae", "rmse", "precision_at_100"):
        assert np.isfinite(run.metrics[f"test_{metric}"]), metric
    assert -1 <= run.metrics["test_pearson"] <= 1 and 0 <= run.metrics["test_sign_accuracy"] <= 1
    strata = [k for k in run.metrics if k.startswith(("test_low_sim_n", "test_high_sim_n"))]
    assert strata and sum(run.metrics[k] for k in strata) == run.metrics["test_n"]
    assert run.metrics["train_pearson"] > run.metrics["test_pearson"] - 0.5  # fitted, not garbage
    nodes, edges, compounds, cells = _counts(planted.graph, run.run_id)
    assert run.metrics["predict_pairs"] == "grid" and nodes == compounds * cells == run.metrics["predictions_written"]
    assert edges == nodes * 2 * 5  # top 5 up + top 5 down per pair
    with raw_session(planted.graph) as s:
        row = s.run("MATCH (p:ExpressionPrediction {run_id: $r})-[:FOR]->(:Compound {pert_id: $c}) "
                    "RETURN p.split AS split, size(p.z) AS n, p.measured_pearson AS m", r=run.run_id,
                    c=UNPROFILED).data()
    assert len(row) == cells and all(r["split"] == "unseen" and r["n"] == run.config["genes"] and r["m"] is None
                                     for r in row)


def test_the_checkpoint_reloads_to_the_same_predictions(planted, ridge_run, settings):
    """A training compound's structure is in the checkpoint; a test compound's comes with the context."""
    from dataclasses import replace

    from toolkit.tasks import Conditions
    from toolkit.train.export import export_signatures

    model = load_expression_model(ridge_run, settings)
    smiles = export_signatures(planted.graph, with_context=True).context
    for side in ("train", "test"):
        with raw_session(planted.graph) as s:
            row = s.run("MATCH (p:ExpressionPrediction {run_id: $r, split: $side})-[:FOR]->(c:Compound) "
                        "RETURN c.pert_id AS c, p.cell AS cell, p.z AS z LIMIT 1", r=ridge_run.run_id, side=side).single()
        conditions = Conditions([row["c"]], [row["cell"]], np.full(1, np.nan), np.full(1, np.nan))
        pred = model.predict_expression(conditions, context=None if side == "train" else smiles)
        assert np.allclose(pred[0], row["z"], atol=1e-3), side
    unknown = replace(smiles, compound_smiles={})
    drug_free = model.predict_expression(conditions, context=unknown)
    assert not np.allclose(drug_free[0], row["z"], atol=1e-3)  # without its structure the test compound differs


def test_hypothesis_queries_answer_from_the_predictions(planted, ridge_run):
    graph, run_id = planted.graph, ridge_run.run_id
    with raw_session(graph) as s:
        cell = s.run("MATCH (c:CellLine) RETURN c.name AS n ORDER BY n LIMIT 1").single()["n"]
        gene = s.run("MATCH (:Compound {pert_id: $c})-[e:PREDICTED_EFFECT {run_id: $r, cell: $cell, "
                     "direction: 'down'}]->(g:Gene) RETURN g.symbol AS s ORDER BY e.rank LIMIT 1",
                     c=UNPROFILED, r=run_id, cell=cell).single()["s"]
    rows = run_query(graph, "predicted_downregulators", {"gene": gene, "cell": cell, "run": run_id})
    assert UNPROFILED in [r["compound"] for r in rows]  # the only compound never profiled there
    assert all(r["predicted"] < 0 for r in rows)
    effects = run_query(graph, "predicted_effects", {"compound": UNPROFILED, "cell": cell, "run": None})
    assert len(effects) == 10 and all(r["measured"] is None and r["signatures"] == 0 for r in effects)


def test_runs_disagree_less_with_themselves_than_with_a_shuffled_control(planted, ridge_run):
    from toolkit.train.cache import graph_fingerprint

    before = graph_fingerprint(planted.graph)
    control = train_expression(planted.graph, planted.settings, "ridge_ecfp", CONFIG,
                               ExpressionRunOptions(control="drug_shuffled", predict="samples", top_genes=2))
    assert control.config["control"] == "drug_shuffled" and control.metrics["predict_pairs"] == "samples"
    assert graph_fingerprint(planted.graph) == before  # predictions are not data: the snapshot cache holds
    rows = run_query(planted.graph, "effect_disagreement", {"run_a": ridge_run.run_id, "run_b": control.run_id,
                                                            "limit": 500})
    assert rows and all(-1 <= r["pearson"] <= 1 for r in rows if r["pearson"] is not None)
    same = run_query(planted.graph, "effect_disagreement", {"run_a": ridge_run.run_id, "run_b": ridge_run.run_id,
                                                            "limit": 5})
    assert all(r["pearson"] == pytest.approx(1.0, abs=1e-3) for r in same)


def test_the_cli_trains_a_three_class_model_and_refuses_moa_flags(planted, settings, tmp_path):
    home = settings.home
    code, out = _invoke(["train", "gene_majority", "--epochs", "2", "--predict-pairs", "none"], home)
    assert code == 0, out
    run_id = [line.split()[-1] for line in out.splitlines() if line.startswith("run:")][-1]
    run = planted.graph.read(cypher.load("export/run"), run_id=run_id)[0]["run"]
    metrics = json.loads(run["metrics"])
    assert 0 < metrics["test_macro_f1_3class"] <= 1 and metrics["predictions_written"] == 0
    code, out = _invoke(["train", "gene_mean", "--k-folds", "3"], home)
    assert code != 0 and "--k-folds applies to MoA models; 'gene_mean' is an expression model" in out
    code, out = _invoke(["train", "majority", "--top-genes", "3"], home)
    assert code != 0 and "--top-genes applies to expression models; 'majority' is an MoA model" in out


def test_explain_writes_substructure_edges_the_query_reads(planted, ridge_run, settings, tmp_path):
    report = tmp_path / "explain.html"
    code, out = _invoke(["explain", ridge_run.run_id, "--genes", "2", "--top-k", "3", "--max-pairs", "4",
                         "--report", str(report)], settings.home)
    assert code == 0, out
    explain_id = [line.split()[-1] for line in out.splitlines() if line.startswith("run:")][-1]
    with raw_session(planted.graph) as s:
        edges = s.run("MATCH (s:Substructure)-[e:EXPLAINS {run_id: $r}]->(p:ExpressionPrediction)-[:FOR]->(c) "
                      "RETURN c.pert_id AS c, p.cell AS cell, e.gene AS gene, e.rank AS rank, e.score AS score",
                      r=explain_id).data()
        parent = s.run("MATCH (r:Run {run_id: $r}) RETURN r.parent_run AS p", r=explain_id).single()["p"]
    assert parent == ridge_run.run_id and edges and all(1 <= e["rank"] <= 3 for e in edges)
    assert len({(e["c"], e["cell"]) for e in edges}) <= 4 and len({(e["c"], e["cell"], e["gene"]) for e in edges}) >= 2
    first = edges[0]
    with raw_session(planted.graph) as s:
        symbol = s.run("MATCH (g:Gene {entrez_id: $g}) RETURN g.symbol AS s", g=first["gene"]).single()["s"]
    rows = run_query(planted.graph, "expression_substructures",
                     {"compound": first["c"], "gene": symbol, "cell": first["cell"]})
    assert [r["rank"] for r in rows] == sorted(r["rank"] for r in rows) and rows[0]["run"] == explain_id
    assert "<svg" in report.read_text() and first["c"] in report.read_text()


def test_a_cold_cell_run_marks_the_held_out_cell_lines_pairs_as_test(planted):
    run = train_expression(planted.graph, planted.settings, "cell_mean", CONFIG,
                           ExpressionRunOptions(split="cold_cell", predict="samples", top_genes=1))
    with raw_session(planted.graph) as s:
        sides = s.run("MATCH (p:ExpressionPrediction {run_id: $r}) RETURN p.split AS split, collect(DISTINCT p.cell) "
                      "AS cells", r=run.run_id).data()
    by_side = {r["split"]: set(r["cells"]) for r in sides}
    assert "test" in by_side and not by_side["test"] & set(run.config["train_cells"])
    assert by_side["train"] <= set(run.config["train_cells"])
