"""Classification metrics at signature and compound level, multi-label aware.

Truth ``y`` is multi-hot (a compound can have several MoAs). Models give class probabilities;
the predicted label set is the top class plus every class with probability >= ``threshold``.

* ``macro_f1`` / ``micro_f1``: F1 of those label sets; macro over the classes present in the
  evaluated truth;
* ``auroc`` / ``auprc``: one-vs-rest per class, macro over the classes present in the truth
  (AUROC also needs a negative; classes without one are skipped);
* ``log_loss``: cross-entropy against the truth spread evenly over a row's labels (the training
  loss), probabilities clipped to [1e-15, 1];
* ``top1_accuracy`` / ``top3_accuracy``: a true label is among the k most probable classes
  (``accuracy`` is ``top1_accuracy``, kept for older readers);
* a per-class table: precision, recall, F1 and support (positives in the truth) of every class.

Compound-level scores pool a compound's sample probabilities by their mean LOG-probability
(a normalised geometric mean, :func:`compound_scores`): on noisy Level 5 data, where one
signature is right a quarter of the time, averaging probabilities returns the class prior,
while log pooling lets consistent evidence add up. :func:`macro_f1_score` and
:func:`compound_macro_f1` are THE macro-F1 of kgtool: the pipeline's Run metrics and the
benchmarks both call them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Mapping, Sequence

import numpy as np

TOP_K = (1, 3)
EPS = 1e-15


def compound_scores(proba: np.ndarray, compound_ids: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """Pool sample probabilities per compound by their mean log-probability, renormalised
    (sorted compound ids, matrix of rows summing to 1). A compound with one sample keeps it."""
    compounds = sorted(set(compound_ids))
    index = {c: i for i, c in enumerate(compounds)}
    total = np.zeros((len(compounds), proba.shape[1]))
    count = np.zeros(len(compounds))
    logp = np.log(np.clip(np.asarray(proba, dtype=np.float64), EPS, 1.0))
    rows = np.fromiter((index[c] for c in compound_ids), dtype=np.int64, count=len(compound_ids))
    np.add.at(total, rows, logp)
    np.add.at(count, rows, 1.0)
    mean = total / np.clip(count, 1, None)[:, None]
    if not len(mean):
        return compounds, mean
    mean -= mean.max(axis=1, keepdims=True)
    pooled = np.exp(mean)
    return compounds, pooled / pooled.sum(axis=1, keepdims=True)


def compound_truth(y: np.ndarray, compound_ids: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """Multi-hot truth per compound (the union over its rows), in sorted compound order."""
    compounds = sorted(set(compound_ids))
    index = {c: i for i, c in enumerate(compounds)}
    out = np.zeros((len(compounds), y.shape[1]), dtype=y.dtype)
    for row, compound in zip(y, compound_ids):
        out[index[compound]] = np.maximum(out[index[compound]], row)
    return compounds, out


def predicted_sets(proba: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """Multi-hot predictions: the top class, plus any class at or above ``threshold``."""
    pred = (proba >= threshold).astype(np.int8)
    if len(proba):
        pred[np.arange(len(proba)), proba.argmax(axis=1)] = 1
    return pred


def macro_f1_score(proba: np.ndarray, y: np.ndarray, threshold: float = 0.5) -> float:
    """kgtool's macro-F1: F1 of the predicted label sets (top class plus any class >= ``threshold``)
    against the multi-hot truth, averaged over the classes present in the truth (0 with no rows)."""
    from sklearn.metrics import f1_score

    if len(y) == 0:
        return 0.0
    y_true = (np.asarray(y) > 0).astype(np.int8)
    present = [k for k in range(y_true.shape[1]) if y_true[:, k].any()]
    if not present:
        return 0.0
    return float(f1_score(y_true, predicted_sets(proba, threshold), labels=present, average="macro",
                          zero_division=0))


def compound_macro_f1(proba: np.ndarray, y: np.ndarray, compound_ids: Sequence[str],
                      threshold: float = 0.5) -> float:
    """:func:`macro_f1_score` after pooling samples per compound (:func:`compound_scores`)."""
    _, scores = compound_scores(proba, compound_ids)
    _, truth = compound_truth(y, compound_ids)
    return macro_f1_score(scores, truth, threshold)


def top_k_accuracy(proba: np.ndarray, y: np.ndarray, k: int) -> float:
    """Share of rows with a true label among the ``k`` most probable classes."""
    if len(y) == 0:
        return float("nan")
    top = np.argsort(-proba, axis=1, kind="stable")[:, :k]
    return float(np.mean(np.take_along_axis(y, top, axis=1).max(axis=1) > 0))


def log_loss(proba: np.ndarray, y: np.ndarray) -> float:
    target = y / np.clip(y.sum(axis=1, keepdims=True), 1.0, None)
    return float(np.mean(-(target * np.log(np.clip(proba, EPS, 1.0))).sum(axis=1)))


def _ranking_scores(proba: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    from sklearn.metrics import average_precision_score, roc_auc_score

    aurocs, auprcs = [], []
    for k in range(y.shape[1]):
        positives = int(y[:, k].sum())
        if positives == 0:
            continue
        auprcs.append(average_precision_score(y[:, k], proba[:, k]))
        if positives < len(y):
            aurocs.append(roc_auc_score(y[:, k], proba[:, k]))
    return (float(np.mean(aurocs)) if aurocs else float("nan"), float(np.mean(auprcs)) if auprcs else float("nan"))


@dataclass(frozen=True)
class ClassRow:
    label: str
    precision: float
    recall: float
    f1: float
    support: int


def per_class(proba: np.ndarray, y: np.ndarray, classes: Sequence[str], threshold: float = 0.5) -> list[ClassRow]:
    from sklearn.metrics import precision_recall_fscore_support

    y_true = (y > 0).astype(np.int8)
    p, r, f, s = precision_recall_fscore_support(y_true, predicted_sets(proba, threshold),
                                                 labels=list(range(len(classes))), average=None, zero_division=0)
    return [ClassRow(c, float(p[k]), float(r[k]), float(f[k]), int(s[k])) for k, c in enumerate(classes)]


def classification_metrics(proba: np.ndarray, y: np.ndarray, prefix: str, threshold: float = 0.5) -> dict[str, float]:
    """Flat numeric metrics named ``{prefix}_{metric}`` (empty when there are no rows; a metric
    that is undefined here, such as AUROC with one class, is left out)."""
    if len(y) == 0:
        return {}
    from sklearn.metrics import f1_score

    y_true = (y > 0).astype(np.int8)
    pred = predicted_sets(proba, threshold)
    auroc, auprc = _ranking_scores(proba, y_true)
    out = {
        "macro_f1": macro_f1_score(proba, y, threshold),
        "micro_f1": float(f1_score(y_true, pred, average="micro", zero_division=0)),
        "auroc": auroc,
        "auprc": auprc,
        "log_loss": log_loss(proba, y),
        "n": float(len(y)),
    }
    for k in TOP_K:
        out[f"top{k}_accuracy"] = top_k_accuracy(proba, y, k)
    out["accuracy"] = out["top1_accuracy"]
    return {f"{prefix}_{name}": value for name, value in out.items() if np.isfinite(value)}  # no NaN on the Run


@dataclass(frozen=True)
class Evaluation:
    """Flat metrics (Run node and manifest) and per-class tables (manifest only)."""

    metrics: Mapping[str, float]
    per_class: Mapping[str, list[dict[str, Any]]]


def evaluate_predictions(proba: np.ndarray, y: np.ndarray, compound_ids: Sequence[str], classes: Sequence[str],
                         side: str, threshold: float = 0.5) -> Evaluation:
    """Signature- and compound-level metrics of one side (``train``, ``test``, ...)."""
    if len(y) == 0:
        return Evaluation({}, {})
    compounds, scores = compound_scores(proba, compound_ids)
    _, truth = compound_truth(y, compound_ids)
    metrics: dict[str, float] = {}
    tables: dict[str, list[dict[str, Any]]] = {}
    for level, (p, t) in {"signature": (proba, y), "compound": (scores, truth)}.items():
        metrics.update(classification_metrics(p, t, f"{side}_{level}", threshold))
        tables[f"{side}_{level}"] = [asdict(row) for row in per_class(p, t, classes, threshold)]
    return Evaluation(metrics, tables)
