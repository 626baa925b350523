"""Classification metrics at signature and compound level."""

from __future__ import annotations

from typing import Sequence

import numpy as np


def compound_scores(proba: np.ndarray, compound_ids: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """Average signature probabilities per compound (sorted compound ids, matrix)."""
    compounds = sorted(set(compound_ids))
    index = {c: i for i, c in enumerate(compounds)}
    total = np.zeros((len(compounds), proba.shape[1]))
    count = np.zeros(len(compounds))
    for row, compound in zip(proba, compound_ids):
        total[index[compound]] += row
        count[index[compound]] += 1
    return compounds, total / count[:, None]


def macro_f1(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> float:
    """Macro-averaged F1 over the classes present in truth or prediction (single-label)."""
    scores = []
    for k in range(n_classes):
        tp = np.sum((y_pred == k) & (y_true == k))
        fp = np.sum((y_pred == k) & (y_true != k))
        fn = np.sum((y_pred != k) & (y_true == k))
        if tp + fp + fn:
            scores.append(2 * tp / (2 * tp + fp + fn))
    return float(np.mean(scores)) if scores else 0.0


def classification_metrics(proba: np.ndarray, y: np.ndarray, prefix: str) -> dict[str, float]:
    """Top-1 accuracy (hit if the top class is any true label) and macro-F1 against the first label."""
    if len(y) == 0:
        return {}
    pred = proba.argmax(axis=1)
    hit = y[np.arange(len(y)), pred] > 0
    return {
        f"{prefix}_accuracy": float(hit.mean()),
        f"{prefix}_macro_f1": macro_f1(y.argmax(axis=1), pred, y.shape[1]),
        f"{prefix}_n": float(len(y)),
    }
