"""Target-class scores of any model on perturbed inputs (deletion curves, paired ablation)."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from toolkit.models import Explained, forward_of

ScoreFn = Callable[[np.ndarray], np.ndarray]  # (m, n_genes) -> (m,) score of one fixed class


def class_scores(model: Explained, x: np.ndarray, targets: np.ndarray, kind: str = "proba",
                 batch_size: int = 8192) -> np.ndarray:
    """The score of class ``targets[i]`` for row ``i``: ``"proba"`` (softmax) or ``"logit"``.

    Uses the model's forward function when it has one (exact logits), else ``predict_proba`` (its
    log stands in for the logit).
    """
    if kind not in ("proba", "logit"):
        raise ValueError(f"kind must be 'proba' or 'logit', not {kind!r}")
    targets = np.asarray(targets, dtype=int)
    module = forward_of(model)
    out = np.empty(len(x), dtype=np.float64)
    for start in range(0, len(x), batch_size):
        chunk = x[start : start + batch_size]
        t = targets[start : start + batch_size]
        if module is not None:
            logits = _logits(module, chunk)
            if kind == "logit":
                out[start : start + len(chunk)] = logits[np.arange(len(chunk)), t]
                continue
            logits = logits - logits.max(axis=1, keepdims=True)
            p = np.exp(logits)
            p /= p.sum(axis=1, keepdims=True)
        else:
            p = np.asarray(model.predict_proba(chunk), dtype=np.float64)  # type: ignore[union-attr]
        value = p[np.arange(len(chunk)), t]
        out[start : start + len(chunk)] = value if kind == "proba" else np.log(np.clip(value, 1e-12, None))
    return out


def _logits(forward: Any, x: np.ndarray) -> np.ndarray:
    import torch

    with torch.no_grad():
        return forward(torch.as_tensor(np.ascontiguousarray(x), dtype=torch.float32)).double().numpy()


def score_fn(model: Explained, target: int, kind: str = "proba") -> ScoreFn:
    """A function of input rows giving the score of one class (``target``)."""

    def fn(x: np.ndarray) -> np.ndarray:
        return class_scores(model, x, np.full(len(x), target), kind)

    return fn
