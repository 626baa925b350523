"""Shrunken class centroids: ``shrunken_centroid`` (a baseline) and ``network_centroid`` (STRING-guided).

Both classify like ``nearest_centroid`` (Pearson correlation to one centroid per MoA, softmax with
a validation-picked temperature; the same torch module, so Integrated Gradients explains them),
but each centroid keeps only the genes where its class stands out:

* ``shrunken_centroid`` — nearest shrunken centroids (Tibshirani et al., PNAS 2002, "PAM"): a
  class's standardised deviation from the overall centroid, ``d = (mean_class - mean_all) / sd``
  per gene (``sd``: the gene's within-class pooled standard deviation plus its median over genes),
  is soft-thresholded, ``sign(d) * max(|d| - delta, 0)``, and the centroid is
  ``mean_all + shrunk d * sd``. With a handful of compounds per MoA most of a raw centroid is the
  training compounds' own noise; shrinkage keeps the genes the class moves consistently. ``delta``
  is picked from :data:`DELTA_GRID` by validation COMPOUND macro-F1 (ties: the larger delta), or
  fixed by ``params["delta"]``. No graph knowledge.
* ``network_centroid`` — the same, but a gene's threshold also depends on the STRING graph: per
  class, the :data:`SEEDS` genes with the largest ``|d|`` seed a random walk with restart
  (restart probability :data:`RESTART`) over the STRING edges among the genes in use, and the
  :data:`NEIGHBOURHOOD` best-scored genes keep ``|d|`` unshrunk (threshold 0). It encodes
  "a mechanism spreads from its most affected genes through the interaction network" (the
  network-propagation view of drug response). The ``string_permuted`` control (degree-preserving
  rewiring) measures whether the network contributes anything beyond the shrinkage; see the
  README's table for what it does on the realistic preset.

The constants were chosen on the realistic preset generated with seed 1 (validation and test
compounds of that data set), never on the seed-0 data the benchmark reports.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

import numpy as np

from toolkit.hookspecs import hookimpl
from toolkit.models import TaskData, TrainConfig
from toolkit.train.loop import soft_targets

from .baselines import NearestCentroidModel, labelled_part, validation_scores
from .gnn import gene_graph

DELTA_GRID = (0.0, 0.1, 0.2, 0.3, 0.4, 0.6, 0.8, 1.0, 1.5, 2.0, 3.0)  # soft thresholds tried on the validation rows
RESTART = 0.3  # network_centroid: random walk with restart, probability of returning to the seeds
SEEDS = 3  # network_centroid: genes per class that seed the walk
NEIGHBOURHOOD = 160  # network_centroid: best-scored genes per class that are not shrunk
DEFAULT_DELTA = 0.3  # without validation rows


def class_statistics(x: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(overall mean (g,), class means (k, g), standardised deviations d (k, g), sd (g,)) of rows
    ``x`` (n, g) with soft class weights ``weights`` (n, k); absent classes get d = 0."""
    x = np.asarray(x, dtype=np.float64)
    mass = weights.sum(axis=0)
    overall = x.mean(axis=0)
    means = (weights.T @ x) / np.clip(mass, 1e-12, None)[:, None]
    within = np.zeros(x.shape[1])
    for k in np.flatnonzero(mass > 0):
        within += weights[:, k] @ np.square(x - means[k])
    dof = max(float(mass.sum()) - float((mass > 0).sum()), 1.0)
    sd = np.sqrt(within / dof)
    sd = sd + np.median(sd)  # PAM's s0: no gene gets a huge d from a tiny spread
    d = np.where(mass[:, None] > 0, (means - overall) / np.clip(sd, 1e-12, None), 0.0)
    return overall, means, d, sd


def shrink(d: np.ndarray, delta: float, keep: Optional[np.ndarray] = None) -> np.ndarray:
    """Soft threshold ``sign(d) * max(|d| - delta, 0)``; entries where ``keep`` is True pass unshrunk."""
    out = np.sign(d) * np.maximum(np.abs(d) - delta, 0.0)
    return out if keep is None else np.where(keep, d, out)


def walk_operator(edges: np.ndarray, weight: np.ndarray, n_genes: int, restart: float = RESTART) -> np.ndarray:
    """(g, g) random walk with restart over the weighted gene graph: column s holds the stationary
    visit probabilities of a walk restarting at gene s."""
    w = np.zeros((n_genes, n_genes))
    np.add.at(w, (edges[0], edges[1]), weight.astype(np.float64))
    degree = w.sum(axis=0)
    transition = w / np.where(degree > 0, degree, 1.0)  # column-stochastic (isolated genes: zero column)
    return restart * np.linalg.inv(np.eye(n_genes) - (1.0 - restart) * transition)


def neighbourhoods(d: np.ndarray, walk: np.ndarray, seeds: int = SEEDS, size: int = NEIGHBOURHOOD) -> np.ndarray:
    """(k, g) bool: per class, the ``size`` genes the walk from its ``seeds`` largest-|d| genes visits most."""
    keep = np.zeros(d.shape, dtype=bool)
    for k in range(d.shape[0]):
        if not d[k].any():
            continue
        top = np.argsort(-np.abs(d[k]), kind="stable")[:seeds]
        visits = walk[:, top].sum(axis=1)
        best = np.argsort(-visits, kind="stable")[:size]
        keep[k, best[visits[best] > 0]] = True  # a gene the walk never reaches is not a neighbour
    return keep


class ShrunkenCentroidModel(NearestCentroidModel):
    name = "shrunken_centroid"
    description = ("baseline: nearest shrunken centroids (PAM), Pearson correlation, threshold picked on "
                   "validation compound macro-F1 (params: delta, temperature)")

    def __init__(self, n_features: int, n_classes: int, params: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(n_features, n_classes, params)
        if "delta" in self.params and not float(self.params["delta"]) >= 0:
            raise ValueError(f"{self.name}: delta={self.params['delta']!r} must be >= 0")

    def _keep(self, train: TaskData, d: np.ndarray) -> Optional[np.ndarray]:
        """Genes exempt from shrinkage per class (none here)."""
        return None

    def fit(self, train: TaskData, config: TrainConfig, valid: Optional[TaskData] = None) -> dict[str, Any]:
        import torch

        keep_rows = train.labelled
        if not keep_rows.any():
            raise ValueError(f"{self.name} needs labelled training signatures")
        weights = soft_targets(train.y[keep_rows]).astype(np.float64)
        overall, _, d, sd = class_statistics(train.x[keep_rows], weights)
        exempt = self._keep(train, d)
        present = torch.as_tensor(weights.sum(axis=0) > 0)
        valid = labelled_part(valid)
        if "delta" in self.params:
            grid = [float(self.params["delta"])]
        else:
            grid = list(DELTA_GRID) if valid is not None else [DEFAULT_DELTA]
        best: Optional[tuple[float, float]] = None  # (validation compound macro-F1, delta)
        for delta in grid:
            self._install(self._centroids(overall, d, sd, delta, exempt), present, valid)
            f1 = validation_scores(self.predict_proba(valid.x), valid)[0] if valid is not None else 0.0
            if best is None or (f1, delta) >= best:
                best = (f1, delta)
        assert best is not None
        history = self._install(self._centroids(overall, d, sd, best[1], exempt), present, valid)
        kept = shrink(d, best[1], exempt)[present.numpy()] != 0
        history.update(delta=best[1], genes_per_centroid=float(kept.sum(axis=1).mean()))
        return history

    @staticmethod
    def _centroids(overall: np.ndarray, d: np.ndarray, sd: np.ndarray, delta: float,
                   exempt: Optional[np.ndarray]) -> Any:
        import torch

        return torch.as_tensor(overall + shrink(d, delta, exempt) * sd, dtype=torch.float32)


class NetworkCentroidModel(ShrunkenCentroidModel):
    name = "network_centroid"
    description = ("knowledge: shrunken centroids whose genes near each class's strongest genes in the "
                   "STRING graph (random walk with restart) are not shrunk (params: delta, temperature, seeds, "
                   "neighbourhood, restart)")
    requires_context = True
    context_needs = ("string",)

    def _keep(self, train: TaskData, d: np.ndarray) -> np.ndarray:
        self.check_context(train)
        edges, weight = gene_graph(train, self.name, self.n_features)
        walk = walk_operator(edges, weight, self.n_features, float(self.params.get("restart", RESTART)))
        return neighbourhoods(d, walk, int(self.params.get("seeds", SEEDS)),
                              int(self.params.get("neighbourhood", NEIGHBOURHOOD)))


@hookimpl
def kgtool_register_models(register: Any) -> None:
    register(ShrunkenCentroidModel)
    register(NetworkCentroidModel)
