"""Structure-using models (:class:`toolkit.explain.contracts.StructureModel`) in the explain pipeline.

* :class:`BoundStructureModel` holds one compound's fingerprint fixed, so that every gene
  explainer (which sees ``torch_module(genes)``) explains the multimodal model unchanged.
* :func:`fingerprint_attributions` attributes the fingerprint bits with Captum Integrated
  Gradients (all-bits-off baseline), genes held at the signature values.
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from toolkit.explain.contracts import StructureModel
from toolkit.models import ModelPlugin, TaskData, TrainConfig


def _bound_module(model: StructureModel, fingerprint: np.ndarray) -> Any:
    import torch

    class Bound(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = model.structure_module()
            self.register_buffer("fp", torch.as_tensor(fingerprint, dtype=torch.float32).reshape(1, -1))

        def forward(self, genes: Any) -> Any:
            return self.inner(genes, self.fp.expand(genes.shape[0], -1))

    return Bound()


class BoundStructureModel(ModelPlugin):
    """A multimodal model seen as a genes-only model for one compound (fingerprint fixed)."""

    name = "bound_structure"
    description = "adapter: a structure model with one compound's fingerprint held fixed"

    def __init__(self, model: ModelPlugin, fingerprint: np.ndarray) -> None:
        super().__init__(model.n_features, model.n_classes, model.params)
        self.model = model
        self.module = _bound_module(model, fingerprint)  # type: ignore[arg-type]
        self.module.eval()

    def fit(self, train: TaskData, config: TrainConfig, valid: Optional[TaskData] = None) -> dict[str, Any]:
        raise NotImplementedError("an explanation adapter is not trained")

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        from toolkit.train.loop import predict_logits, softmax

        return softmax(predict_logits(self.module, x), self.n_classes)

    def torch_module(self) -> Any:
        return self.module

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        raise NotImplementedError("an explanation adapter is not restored")


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
