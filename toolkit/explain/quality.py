"""How good is an explanation? Faithfulness, robustness, stability and (on planted data) truth.

* deletion / insertion curves: genes removed from (inserted into) the signature in attribution
  order, replaced by (taken from) the baseline 0, tracking the target class probability; the area
  under each curve over the fraction of genes [0, 1]. Deletion: lower is better; insertion: higher.
  A random ranking through the same code gives the reference.
* Captum ``infidelity`` (normalised, Gaussian perturbations) and ``sensitivity_max`` on a small
  sample (both re-run the model or the explainer many times).
* stability: top-k overlap and Spearman rank correlation of attributions between seeds or models.
* ground truth on planted data: precision@k and AUROC of gene attributions against the planted
  pathway genes (targets included), the planted GO term among the top 3 terms, the planted
  substructure as the top substructure.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from toolkit.explain.scoring import ScoreFn
from toolkit.models import forward_of


def _trapezoid(y: np.ndarray, x: np.ndarray) -> float:
    return float(np.sum((y[1:] + y[:-1]) * np.diff(x)) / 2.0)


def curve_points(n_genes: int, steps: int) -> np.ndarray:
    """How many genes are removed/inserted at each of the ``steps + 1`` curve points."""
    return np.unique(np.round(np.linspace(0, n_genes, steps + 1)).astype(int))


def deletion_insertion(score: ScoreFn, x: np.ndarray, order: np.ndarray, steps: int = 50,
                       baseline: float = 0.0) -> tuple[float, float]:
    """Areas under the deletion and insertion curves of one prediction (signatures ``x``).

    ``order`` is the gene ranking, most important first; ``score`` maps rows to the target class
    probability. The curves are the mean over the signatures.
    """
    x = np.atleast_2d(np.asarray(x, dtype=np.float32))
    s, g = x.shape
    counts = curve_points(g, steps)
    position = np.empty(g, dtype=int)
    position[np.asarray(order)] = np.arange(g)
    removed = position[None, :] < counts[:, None]  # (points, g)
    base = np.float32(baseline)
    deleted = np.where(removed[None, :, :], base, x[:, None, :])  # (s, points, g)
    inserted = np.where(removed[None, :, :], x[:, None, :], base)
    values = score(np.concatenate([deleted, inserted], axis=1).reshape(-1, g)).reshape(s, 2, len(counts))
    curve = values.mean(axis=0)
    frac = counts / g
    return float(_trapezoid(curve[0], frac)), float(_trapezoid(curve[1], frac))


def top_k_sets(a: np.ndarray, k: int) -> list[set[int]]:
    a = np.atleast_2d(a)
    return [set(np.argsort(-row, kind="stable")[:k].tolist()) for row in a]


def topk_overlap(a: np.ndarray, b: np.ndarray, k: int = 20) -> float:
    """Mean over rows of |top-k(a) ∩ top-k(b)| / k."""
    k = min(k, np.atleast_2d(a).shape[1])
    pairs = zip(top_k_sets(a, k), top_k_sets(b, k))
    values = [len(x & y) / k for x, y in pairs]
    return float(np.mean(values)) if values else float("nan")


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Mean over rows of the Spearman rank correlation of the two attribution vectors."""
    from scipy.stats import spearmanr

    values = []
    for x, y in zip(np.atleast_2d(a), np.atleast_2d(b)):
        if np.ptp(x) == 0 or np.ptp(y) == 0:
            continue
        values.append(spearmanr(x, y).statistic)
    return float(np.mean(values)) if values else float("nan")


def pairwise_stability(runs: Sequence[np.ndarray], k: int = 20) -> tuple[float, float]:
    """Mean top-k overlap and Spearman over all pairs of attribution matrices."""
    over, rho = [], []
    for i in range(len(runs)):
        for j in range(i + 1, len(runs)):
            over.append(topk_overlap(runs[i], runs[j], k))
            rho.append(spearman(runs[i], runs[j]))
    return (float(np.mean(over)), float(np.mean(rho))) if over else (float("nan"), float("nan"))


def precision_at_k(attributions: np.ndarray, planted: np.ndarray, k: int = 20) -> float:
    """Mean over rows of the share of the top-k genes that are planted (``planted`` boolean)."""
    rows = [len(top & set(np.flatnonzero(p).tolist())) / k
            for top, p in zip(top_k_sets(attributions, k), np.atleast_2d(planted))]
    return float(np.mean(rows)) if rows else float("nan")


def auroc(attributions: np.ndarray, planted: np.ndarray) -> float:
    """Mean over rows of the AUROC of attributions separating planted from other genes."""
    from sklearn.metrics import roc_auc_score

    values = [roc_auc_score(p, a) for a, p in zip(np.atleast_2d(attributions), np.atleast_2d(planted))
              if 0 < p.sum() < len(p)]
    return float(np.mean(values)) if values else float("nan")


def captum_scores(explainer: Any, model: Any, x: np.ndarray, targets: np.ndarray, seed: int = 0,
                  n_perturb: int = 5, noise: float = 0.1, radius: float = 0.02) -> dict[str, float]:
    """Captum ``infidelity`` (normalised; N(0, ``noise``) perturbations) and ``sensitivity_max``
    (uniform perturbations of ``radius``), means over the rows of ``x``."""
    import torch
    from captum.metrics import infidelity, sensitivity_max

    generator = torch.Generator().manual_seed(seed)
    forward = _forward(model)
    inputs = torch.as_tensor(np.asarray(x), dtype=torch.float32)
    target = torch.as_tensor(np.asarray(targets), dtype=torch.long)
    attributions = torch.as_tensor(explainer.attribute(model, np.asarray(x), np.asarray(targets), seed=seed),
                                   dtype=torch.float32)

    def perturb(inp: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        delta = torch.randn(inp.shape, generator=generator) * noise
        return delta, inp - delta

    infid = infidelity(forward, perturb, inputs, attributions, target=target, n_perturb_samples=n_perturb,
                       normalize=True)

    def explanation(inp: Any, target: torch.Tensor) -> Any:
        as_tuple = isinstance(inp, tuple)
        tensor = inp[0] if as_tuple else inp
        t = np.asarray(target).reshape(-1)
        if len(t) != len(tensor):  # Captum repeats each input row (repeat_interleave), not the target
            t = np.repeat(t, len(tensor) // len(t))
        with torch.enable_grad():  # Captum calls this under no_grad; gradient explainers need it
            out = explainer.attribute(model, tensor.detach().numpy(), t, seed=seed)
        out = torch.as_tensor(out, dtype=torch.float32)
        return (out,) if as_tuple else out

    sens = sensitivity_max(explanation, inputs, perturb_radius=radius, n_perturb_samples=n_perturb, target=target)
    return {"infidelity": float(infid.mean()), "sensitivity_max": float(sens.mean())}


def _forward(model: Any) -> Any:
    import torch

    module = forward_of(model)
    if module is not None:
        return module

    def forward(inp: torch.Tensor) -> torch.Tensor:
        return torch.as_tensor(model.predict_proba(inp.detach().numpy()), dtype=torch.float32)

    return forward
