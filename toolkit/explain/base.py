"""The explainer-plugin contract (Captum-shaped): attributions have the shape of the inputs.

Explainers receive a model and arrays, never the graph. Gradient explainers attribute the model's
forward function (:meth:`toolkit.models.ModelPlugin.forward_fn`, via :func:`toolkit.models.forward_of`);
``model`` may also be such a function itself (a structure model with one compound's fingerprint
bound in, :func:`toolkit.explain.fingerprints.gene_view`). Two optional extensions:

* :class:`EdgeExplainer` also scores network edges (for graph models, see
  :class:`toolkit.models.GraphModel`); the pipeline writes those scores as
  ``EXPLAINS_EDGE`` relationships between genes.
* ``deterministic = False`` marks explainers whose output depends on ``seed`` (sampled baselines,
  learned masks); the quality step then measures seed-to-seed stability for them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from toolkit.models import Explained, forward_of


class Explainer(ABC):
    """Attributes a model's class scores to input features (genes).

    ``attribute(model, inputs, targets)`` returns an array shaped like ``inputs``; a positive value
    means the feature pushed the prediction towards ``targets[i]``.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    deterministic: ClassVar[bool] = True  # False: the result depends on ``seed``

    @classmethod
    def supports(cls, model: Explained) -> bool:
        """Whether this explainer can explain ``model`` (gradient methods need a forward function)."""
        return forward_of(model) is not None

    @abstractmethod
    def attribute(self, model: Explained, inputs: np.ndarray, targets: np.ndarray, seed: int = 0) -> np.ndarray:
        """Attributions, same shape as ``inputs`` (n_samples, n_features)."""


@dataclass(frozen=True)
class EdgeAttribution:
    """Per-sample scores of network edges; ``edge_index`` holds gene (feature) indices."""

    edge_index: np.ndarray  # (2, E) int64, indices into the model's genes
    scores: np.ndarray  # (n_samples, E) float, higher = more important for the target class

    def __post_init__(self) -> None:
        if self.edge_index.ndim != 2 or self.edge_index.shape[0] != 2:
            raise ValueError(f"edge_index must be (2, E), got {self.edge_index.shape}")
        if self.scores.ndim != 2 or self.scores.shape[1] != self.edge_index.shape[1]:
            raise ValueError(f"scores must be (n, {self.edge_index.shape[1]}), got {self.scores.shape}")


class EdgeExplainer(Explainer):
    """An explainer that scores network edges as well as genes (graph models)."""

    @abstractmethod
    def attribute_edges(self, model: Explained, inputs: np.ndarray, targets: np.ndarray,
                        seed: int = 0) -> tuple[np.ndarray, EdgeAttribution]:
        """Gene attributions (as :meth:`attribute`) and the edge scores of the same samples."""

    def attribute(self, model: Explained, inputs: np.ndarray, targets: np.ndarray, seed: int = 0) -> np.ndarray:
        return self.attribute_edges(model, inputs, targets, seed)[0]
