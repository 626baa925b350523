"""The graph-free explain core: grouping, edges, write-back rows, the HTML report."""

import numpy as np
import pytest

from tests.explain._support import TinyGraphModel, TinyMLP, explainer, planted_task
from toolkit.explain.compute import (
    EdgeScore,
    Explanation,
    PredictionInfo,
    attribute_predictions,
    SkipReason,
    explain_arrays,
    match_predictions,
    predictions_from,
    undirected_edges,
)
from toolkit.explain.pipeline import explanation_rows
from toolkit.explain.writeback import Level
from toolkit.models import TrainConfig
from toolkit.runs import RunRecord


def test_predictions_group_a_compounds_signatures_and_skip_unknown_compounds():
    rows = [{"prediction_id": "p1", "pert_id": "c1", "moa": "B", "score": 0.9, "split": "test"},
            {"prediction_id": "p9", "pert_id": "nope", "moa": "A"}]
    (p,) = predictions_from(rows, ("c0", "c1", "c1", "c2"), ("A", "B"))
    assert (p.prediction_id, p.target, p.rows, p.split) == ("p1", 1, (1, 2), "test")


def test_every_prediction_that_cannot_be_explained_is_returned_with_its_reason():
    rows = [{"prediction_id": "p1", "pert_id": "c1", "moa": "B"},
            {"prediction_id": "p2", "pert_id": "gone", "moa": "A"},  # no signature in the graph
            {"prediction_id": "p3", "pert_id": "qc", "moa": "A"},  # signatures, but none left after QC
            {"prediction_id": "p4", "pert_id": "c0", "moa": "Z"}]  # not a class of the train run
    predictions, skipped = match_predictions(rows, ("c0", "c1", "c1"), ("A", "B"), in_graph={"c0", "c1", "qc"})
    assert [p.prediction_id for p in predictions] == ["p1"]
    assert [(s.prediction_id, s.reason) for s in skipped] == [
        ("p2", SkipReason.NOT_IN_SNAPSHOT), ("p3", SkipReason.NO_SAMPLES), ("p4", SkipReason.CLASS_UNKNOWN)]
    assert skipped[0].as_row() == {"prediction_id": "p2", "pert_id": "gone", "moa": "A", "reason": "not_in_snapshot"}
    _, unknown = match_predictions(rows[1:2], ("c0",), ("A",))
    assert unknown[0].reason is SkipReason.NO_SAMPLES  # without the graph's compounds: cannot tell


def test_attributions_are_the_mean_over_a_compounds_signatures():
    class Echo:
        name, deterministic = "echo", True

        def attribute(self, model, inputs, targets, seed=0):
            return inputs * 2

    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    preds = [PredictionInfo("p0", "c0", "A", 0, (0, 1)), PredictionInfo("p1", "c1", "A", 0, (3,))]
    a, edges, index = attribute_predictions(Echo(), None, x, preds)
    assert np.allclose(a, [[3.0, 5.0, 7.0], [18.0, 20.0, 22.0]]) and edges is None and index is None


def test_undirected_edges_merge_both_directions_by_max():
    index = np.array([[0, 1, 1, 2, 2], [1, 0, 2, 1, 2]])
    edges = undirected_edges(index, np.array([0.2, 0.7, 0.1, 0.3, 0.9]), top_k=5)
    assert edges == [EdgeScore(0, 1, 0.7), EdgeScore(1, 2, 0.3)]  # the self-loop is dropped


def test_a_graph_model_gets_gene_and_edge_explanations():
    data, genes = planted_task(n=80, n_genes=12, n_classes=2, signal=2, seed=1)
    edges = np.array([[0, 1, 2, 3, 5, 7], [1, 0, 3, 2, 7, 5]])
    model = TinyGraphModel(12, 2, {"edges": edges.tolist()})
    model.fit(data, TrainConfig(epochs=60, lr=0.05))
    ex = explainer("gnn_explainer")
    ex.epochs = 30
    preds = predictions_from([{"prediction_id": f"p{c}", "pert_id": c, "moa": "moa0"} for c in ("c0", "c1")],
                             data.compound_ids, data.classes)
    out = explain_arrays(ex, model, data.x, data.gene_ids, preds, interaction_candidates=3, edge_top_k=2)
    assert out.attributions.shape == (2, 12)
    assert set(out.edges) == {"pc0", "pc1"} and all(len(v) == 2 for v in out.edges.values())
    rows = explanation_rows(out, top_k=2)
    assert set(rows) == {Level.GENE, Level.GENE_PAIR, Level.EDGE}
    assert all(r["entrez_a"] < r["entrez_b"] for r in rows[Level.EDGE])
    assert {(r["entrez_a"], r["entrez_b"]) for r in rows[Level.EDGE]} <= {(1000, 1001), (1002, 1003), (1005, 1007)}


def test_explanation_rows_are_bounded_by_top_k():
    data, _ = planted_task(n=40, n_genes=10, signal=3, seed=3)
    model = TinyMLP(10, 3)
    model.fit(data, TrainConfig(epochs=20, lr=0.05))
    from toolkit.explain.pathways import GeneSets

    sets = GeneSets.build([{"go_id": f"GO:{k}", "genes": list(range(1000 + k, 1004 + k))} for k in range(5)],
                          data.gene_ids)
    preds = predictions_from([{"prediction_id": "p", "pert_id": "c0", "moa": "moa1"}], data.compound_ids, data.classes)
    out = explain_arrays(explainer("integrated_gradients"), model, data.x, data.gene_ids, preds, gene_sets=sets,
                         interaction_candidates=5)
    rows = explanation_rows(out, top_k=3)
    assert [r["rank"] for r in rows[Level.GENE]] == [1, 2, 3]
    assert [r["rank"] for r in rows[Level.GO_TERM]] == [1, 2, 3]
    assert 0 < len(rows[Level.GENE_PAIR]) <= 3
    scores = [r["score"] for r in rows[Level.GENE]]
    assert scores == sorted(scores, reverse=True)


def test_the_report_is_self_contained_and_escapes_names():
    from toolkit.explain.report import render_report

    preds = (PredictionInfo("p<1>", "<script>alert(1)</script>", "MoA & co", 0, (0,), 0.9, "test"),)
    a = np.array([[0.5, -0.2, 0.1]])
    explanation = Explanation("integrated_gradients", preds, (11, 12, 13), a)
    run = RunRecord(run_id="explain-x", kind="explain", plugin="integrated_gradients", config={}, seed=0,
                    parent_run="train-y").with_result("completed", {"deletion_auc": 0.1, "deletion_auc_random": 0.6,
                                                                     "deterministic": 1.0})
    page = render_report(run, explanation, {11: "GENE<A>"})
    assert page.startswith("<!DOCTYPE html>") and "data:image/png;base64," in page
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "deletion AUC" in page and "not measured" in page and "deterministic method" in page
    assert "http://" not in page and "https://" not in page  # nothing fetched from outside


def test_unsupported_structure_model_without_structures_is_an_error():
    from tests.explain._support import TinyFusion

    model = TinyFusion(3, 2, {"n_bits": 64})
    with pytest.raises(ValueError, match="structures"):
        explain_arrays(explainer("integrated_gradients"), model, np.zeros((1, 3), np.float32), (1, 2, 3),
                       [PredictionInfo("p", "c", "A", 0, (0,))])
