"""Metrics: multi-label aware, macro over the classes present, at signature and compound level (no server)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from toolkit.train.metrics import (
    classification_metrics,
    compound_scores,
    compound_truth,
    evaluate_predictions,
    per_class,
    predicted_sets,
    top_k_accuracy,
)

CLASSES = ("a", "b", "c", "d")


def test_perfect_predictions_score_one_and_small_log_loss():
    y = np.eye(4, dtype=np.float32)[[0, 1, 2, 3, 0, 1]]
    proba = 0.97 * y + 0.01
    m = classification_metrics(proba, y, "test")
    for name in ("macro_f1", "micro_f1", "auroc", "auprc", "top1_accuracy", "top3_accuracy", "accuracy"):
        assert m[f"test_{name}"] == pytest.approx(1.0), name
    assert m["test_log_loss"] == pytest.approx(-math.log(0.98), rel=1e-5)
    assert m["test_n"] == 6


def test_multi_label_micro_f1_and_top_k():
    # row 0 has labels {a, b}: predicting a is a hit but recalls only one of two labels
    y = np.array([[1, 1, 0, 0], [0, 0, 1, 0]], dtype=np.float32)
    proba = np.array([[0.4, 0.3, 0.2, 0.1], [0.1, 0.5, 0.3, 0.1]])
    m = classification_metrics(proba, y, "s")
    # predicted {a}, {b}; truth {a,b}, {c}: tp=1, fp=1, fn=2 -> micro F1 = 2/(2+1+2)
    assert m["s_micro_f1"] == pytest.approx(2 / 5)
    assert m["s_top1_accuracy"] == pytest.approx(0.5)
    assert m["s_top3_accuracy"] == pytest.approx(1.0)
    assert top_k_accuracy(proba, y, 2) == pytest.approx(1.0)
    # log loss against the truth spread over the labels: row 0 -> 0.5/0.5 on a, b
    expected = np.mean([-(0.5 * math.log(0.4) + 0.5 * math.log(0.3)), -math.log(0.3)])
    assert m["s_log_loss"] == pytest.approx(expected)


def test_threshold_adds_confident_second_labels():
    proba = np.array([[0.55, 0.5, 0.0, 0.0]])
    assert predicted_sets(proba).tolist() == [[1, 1, 0, 0]]
    assert predicted_sets(proba, threshold=0.9).tolist() == [[1, 0, 0, 0]]


def test_macro_scores_average_only_classes_present_in_the_truth():
    rng = np.random.default_rng(0)
    y = np.zeros((12, 4), dtype=np.float32)
    y[np.arange(12), [0, 1, 2] * 4] = 1  # class d never occurs
    proba = rng.dirichlet(np.ones(4), size=12)
    m = classification_metrics(proba, y, "t")
    expected = np.mean([roc_auc_score(y[:, k], proba[:, k]) for k in range(3)])
    assert m["t_auroc"] == pytest.approx(expected)
    pred = predicted_sets(proba)
    f1 = []
    for k in range(3):
        tp = np.sum(pred[:, k] * y[:, k])
        fp = np.sum(pred[:, k] * (1 - y[:, k]))
        fn = np.sum((1 - pred[:, k]) * y[:, k])
        f1.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0)
    assert m["t_macro_f1"] == pytest.approx(np.mean(f1))


def test_undefined_metrics_are_left_out_not_nan():
    y = np.array([[1, 0], [1, 0]], dtype=np.float32)  # one class, no negatives: AUROC undefined
    m = classification_metrics(np.array([[0.9, 0.1], [0.6, 0.4]]), y, "x")
    assert "x_auroc" not in m and "x_auprc" in m
    assert all(np.isfinite(v) for v in m.values())
    assert classification_metrics(np.zeros((0, 2)), np.zeros((0, 2)), "x") == {}


def test_per_class_table():
    y = np.array([[1, 0, 0, 0], [1, 0, 0, 0], [0, 1, 0, 0], [0, 1, 1, 0]], dtype=np.float32)
    proba = np.array([[0.7, 0.1, 0.1, 0.1], [0.1, 0.7, 0.1, 0.1], [0.1, 0.7, 0.1, 0.1], [0.1, 0.1, 0.7, 0.1]])
    rows = {r.label: r for r in per_class(proba, y, CLASSES)}
    assert [rows[c].support for c in CLASSES] == [2, 2, 1, 0]
    assert rows["a"].precision == 1.0 and rows["a"].recall == 0.5
    assert rows["b"].precision == 0.5 and rows["b"].recall == 0.5
    assert rows["c"].f1 == 1.0 and rows["d"].f1 == 0.0


def test_compound_level_pools_log_probabilities_and_unites_labels():
    proba = np.array([[0.8, 0.2], [0.4, 0.6], [0.1, 0.9]])
    compounds, scores = compound_scores(proba, ["x", "x", "y"])
    assert compounds == ["x", "y"]
    geometric = np.array([np.sqrt(0.8 * 0.4), np.sqrt(0.2 * 0.6)])  # normalised geometric mean
    assert np.allclose(scores, [geometric / geometric.sum(), [0.1, 0.9]])
    _, truth = compound_truth(np.array([[1, 0], [1, 1], [0, 1]], dtype=np.float32), ["x", "x", "y"])
    assert truth.tolist() == [[1, 1], [0, 1]]


def test_evaluate_predictions_gives_both_levels_and_tables():
    y = np.array([[1, 0], [1, 0], [0, 1], [0, 1]], dtype=np.float32)
    proba = np.array([[0.9, 0.1], [0.4, 0.6], [0.2, 0.8], [0.3, 0.7]])
    ev = evaluate_predictions(proba, y, ["p", "p", "q", "q"], ("a", "b"), "test")
    assert ev.metrics["test_signature_top1_accuracy"] == pytest.approx(0.75)
    assert ev.metrics["test_compound_top1_accuracy"] == pytest.approx(1.0)
    assert ev.metrics["test_compound_n"] == 2
    assert set(ev.per_class) == {"test_signature", "test_compound"}
    assert [r["support"] for r in ev.per_class["test_compound"]] == [1, 1]
    assert set(ev.per_class["test_signature"][0]) == {"label", "precision", "recall", "f1", "support"}
