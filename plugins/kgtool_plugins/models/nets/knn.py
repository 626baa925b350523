"""A differentiable cosine nearest-neighbour vote (the ``cmap_knn`` baseline)."""

from __future__ import annotations

import torch
import torch.nn as nn


class CosineKNN(nn.Module):
    """Logits = log(similarity-weighted vote of the k nearest references + a little label prior).

    Softmax of these logits is the vote normalised to 1; a query with no positively similar
    reference gets the prior. Gradients flow through the selected similarities.
    """

    def __init__(self, reference: torch.Tensor, labels: torch.Tensor, prior: torch.Tensor, k: int,
                 prior_share: float = 1e-3) -> None:
        super().__init__()
        self.register_buffer("reference", reference)  # (n_ref, n_genes), rows L2-normalised
        self.register_buffer("labels", labels)  # (n_ref, n_classes) soft targets
        self.register_buffer("prior", prior)  # (n_classes,)
        self.k = k
        self.prior_share = prior_share

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        sims = nn.functional.normalize(x, dim=1) @ self.reference.T
        top, idx = sims.topk(min(self.k, sims.shape[1]), dim=1)
        votes = (top.clamp_min(0.0).unsqueeze(-1) * self.labels[idx]).sum(dim=1)
        return torch.log(votes + self.prior_share * self.prior)
