"""Pearson correlation to per-class centroids as logits (the ``nearest_centroid`` baseline)."""

from __future__ import annotations

import torch
import torch.nn as nn

EPS = 1e-12
ABSENT_MARGIN = 30.0  # absent classes sit this far below the lowest possible present logit


def centred_unit_rows(x: torch.Tensor) -> torch.Tensor:
    """Rows minus their mean, scaled to unit L2 norm (an all-constant row stays all zero), so that
    the dot product of two such rows is their Pearson correlation."""
    centred = x - x.mean(dim=1, keepdim=True)
    return centred / centred.norm(dim=1, keepdim=True).clamp_min(EPS)


class CentroidCorrelation(nn.Module):
    """Logits = Pearson correlation of a signature with each class centroid / ``temperature``.

    ``centroids`` are stored row-centred and unit-norm; classes with ``present`` False (no training
    sample) get a constant logit below every present class's, so they are never predicted.
    Differentiable in the signature (Integrated Gradients applies).
    """

    def __init__(self, centroids: torch.Tensor, present: torch.Tensor, temperature: float | torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("centroids", centred_unit_rows(centroids.float()))  # (n_classes, n_genes)
        self.register_buffer("present", present.bool())  # (n_classes,)
        self.register_buffer("temperature", torch.as_tensor(temperature, dtype=torch.float32).reshape(()))

    def correlation(self, x: torch.Tensor) -> torch.Tensor:
        """(n, n_classes) Pearson correlation of each row of ``x`` with each centroid."""
        return centred_unit_rows(x) @ self.centroids.T

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits = self.correlation(x) / self.temperature
        floor = -1.0 / self.temperature - ABSENT_MARGIN
        return torch.where(self.present, logits, floor.to(logits.dtype))
