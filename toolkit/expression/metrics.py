"""Metrics of expression predictions, as the expression literature reports them.

On a block of samples (rows) x genes, :func:`expression_metrics` gives

* ``pearson`` / ``spearman`` — per sample (across its genes: is the predicted profile shaped like
  the measured one?), averaged over samples; ``pearson_gene`` / ``spearman_gene`` — per gene
  (across samples: does the model rank the samples right for this gene?), averaged over genes
  whose measured and predicted values vary;
* ``sign_accuracy`` — the share of (sample, gene) cells with ``|z| > SIGN_Z`` whose predicted sign is
  right (the recurrent-model paper's sign accuracy, on the genes that moved);
* ``mae`` / ``rmse`` over all cells;
* ``precision_at_100`` — per sample, the overlap of the predicted and the measured top-100 up genes,
  and of the top-100 down genes (DeepCE's precision@k), averaged over both directions and samples;
* ``macro_f1_3class`` — for 3-class predictions (n, genes, 3): macro-F1 over down / none / up of all
  cells (AnchorDrug's metric), labels at ``|z| > THREE_CLASS_Z``.

:func:`similarity_strata` splits test samples by the compound's maximum Tanimoto similarity to the
training compounds (< 0.4: a new chemotype; >= 0.4: a near neighbour was seen), the split every
figure is also reported on.
"""

from __future__ import annotations

from typing import Mapping, Optional, Sequence

import numpy as np

from toolkit.tasks import three_class

SIGN_Z = 1.0
TOP_K = 100
SIMILARITY_CUT = 0.4
STRATA = ("low_sim", "high_sim")  # max Tanimoto to training compounds < SIMILARITY_CUT, >= SIMILARITY_CUT


def _row_corr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson correlation of each row of ``a`` with the same row of ``b`` (NaN for a constant row)."""
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    denom = np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom > 0, (a * b).sum(axis=1) / np.where(denom > 0, denom, 1.0), np.nan)


def _ranks(x: np.ndarray) -> np.ndarray:
    from scipy.stats import rankdata

    return rankdata(x, axis=1)


def _nanmean(values: np.ndarray) -> float:
    values = values[np.isfinite(values)]
    return float(values.mean()) if values.size else float("nan")


def _top_overlap(pred: np.ndarray, truth: np.ndarray, k: int) -> float:
    """Mean over rows of |top-k(pred) ∩ top-k(truth)| / k (largest values)."""
    k = min(k, pred.shape[1])
    p = np.argpartition(-pred, k - 1, axis=1)[:, :k]
    t = np.argpartition(-truth, k - 1, axis=1)[:, :k]
    hits = [np.intersect1d(p[i], t[i]).size for i in range(len(pred))]
    return float(np.mean(hits)) / k


def macro_f1(pred: np.ndarray, truth: np.ndarray, n_classes: int = 3) -> float:
    """Macro-F1 of integer labels (classes absent from both sides are left out)."""
    scores = []
    for c in range(n_classes):
        tp = float(np.sum((pred == c) & (truth == c)))
        fp = float(np.sum((pred == c) & (truth != c)))
        fn = float(np.sum((pred != c) & (truth == c)))
        if tp + fp + fn:
            scores.append(2 * tp / (2 * tp + fp + fn))
    return float(np.mean(scores)) if scores else float("nan")


def expression_metrics(pred: np.ndarray, truth: np.ndarray, classes: Optional[np.ndarray] = None
                       ) -> dict[str, float]:
    """The module's metrics of ``pred`` against ``truth`` (both (n, genes)); ``classes`` (n, genes, 3)
    adds ``macro_f1_3class``. Empty input gives no metrics."""
    pred = np.asarray(pred, dtype=np.float64)
    truth = np.asarray(truth, dtype=np.float64)
    if pred.shape != truth.shape:
        raise ValueError(f"predictions {pred.shape} and measurements {truth.shape} differ in shape")
    if len(truth) == 0:
        return {}
    moved = np.abs(truth) > SIGN_Z
    out = {
        "pearson": _nanmean(_row_corr(pred, truth)),
        "spearman": _nanmean(_row_corr(_ranks(pred), _ranks(truth))),
        "pearson_gene": _nanmean(_row_corr(pred.T, truth.T)) if len(truth) > 2 else float("nan"),
        "spearman_gene": _nanmean(_row_corr(_ranks(pred.T), _ranks(truth.T))) if len(truth) > 2 else float("nan"),
        "sign_accuracy": float((np.sign(pred[moved]) == np.sign(truth[moved])).mean()) if moved.any() else float("nan"),
        "mae": float(np.abs(pred - truth).mean()),
        "rmse": float(np.sqrt(((pred - truth) ** 2).mean())),
        "precision_at_100": (_top_overlap(pred, truth, TOP_K) + _top_overlap(-pred, -truth, TOP_K)) / 2,
        "n": float(len(truth)),
    }
    if classes is not None:
        out["macro_f1_3class"] = macro_f1(np.asarray(classes).argmax(axis=-1), three_class(truth))
    return out


def similarity_strata(compounds: Sequence[str], similarity: Mapping[str, float]) -> dict[str, np.ndarray]:
    """Row indices of ``compounds`` per stratum of :data:`STRATA`."""
    sim = np.array([similarity.get(c, 0.0) for c in compounds])
    return {"low_sim": np.flatnonzero(sim < SIMILARITY_CUT), "high_sim": np.flatnonzero(sim >= SIMILARITY_CUT)}


def side_metrics(side: str, pred: np.ndarray, truth: np.ndarray, classes: Optional[np.ndarray],
                 strata: Optional[Mapping[str, np.ndarray]] = None) -> dict[str, float]:
    """``<side>_<metric>`` for the whole side, and ``<side>_<stratum>_<metric>`` per similarity stratum."""
    out = {f"{side}_{k}": v for k, v in expression_metrics(pred, truth, classes).items()}
    for stratum, rows in (strata or {}).items():
        if len(rows):
            part = expression_metrics(pred[rows], truth[rows], None if classes is None else classes[rows])
            out.update({f"{side}_{stratum}_{k}": v for k, v in part.items()})
    return out
