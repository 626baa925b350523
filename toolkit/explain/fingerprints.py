"""Structure models (:class:`toolkit.models.StructureModel`) in the explain pipeline.

* :func:`gene_view` holds one compound's fingerprint fixed: the structure model as a forward
  function of the signature alone, which every gene explainer attributes unchanged (it is a torch
  module, so Captum's DeepLift applies too).
* :func:`fingerprint_attributions` attributes the fingerprint bits with Captum Integrated
  Gradients (all-bits-off baseline), genes held at the signature values.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from toolkit.models import StructureModel


def gene_view(model: StructureModel, fingerprint: np.ndarray) -> Any:
    """``forward(genes (n, n_genes)) -> logits`` of ``model`` with ``fingerprint`` (n_bits,) bound
    in for every row (a torch module in eval mode)."""
    import torch

    class BoundFingerprint(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = model.structure_module()
            self.register_buffer("fp", torch.as_tensor(fingerprint, dtype=torch.float32).reshape(1, -1))

        def forward(self, genes: Any) -> Any:
            return self.inner(genes, self.fp.expand(genes.shape[0], -1))

    return BoundFingerprint().eval()


def fingerprint_attributions(model: StructureModel, genes: np.ndarray, fingerprint: np.ndarray, target: int,
                             n_steps: int = 32) -> np.ndarray:
    """Integrated Gradients of the target logit on the fingerprint bits, mean over the signatures."""
    import torch
    from captum.attr import IntegratedGradients

    module = model.structure_module()
    module.eval()
    g = torch.as_tensor(np.atleast_2d(genes), dtype=torch.float32)
    fp = torch.as_tensor(fingerprint, dtype=torch.float32).reshape(1, -1).expand(len(g), -1).contiguous()

    def forward(fp_in: Any, genes_in: Any) -> Any:
        return module(genes_in, fp_in)

    ig = IntegratedGradients(forward)
    attr = ig.attribute(fp, baselines=torch.zeros_like(fp), target=int(target), additional_forward_args=(g,),
                        n_steps=n_steps)
    return attr.detach().double().mean(dim=0).numpy()
