"""Captum Integrated Gradients on gene inputs, with the all-zero (no change) signature as baseline."""

from __future__ import annotations

from typing import Any

import numpy as np

from toolkit.explain.base import Explainer
from toolkit.hookspecs import hookimpl
from toolkit.models import ModelPlugin


class IntegratedGradientsExplainer(Explainer):
    name = "integrated_gradients"
    description = "Captum IntegratedGradients, zero baseline, 50 steps"

    def __init__(self, n_steps: int = 50, batch_size: int = 64) -> None:
        self.n_steps = n_steps
        self.batch_size = batch_size

    def attribute(self, model: ModelPlugin, inputs: np.ndarray, targets: np.ndarray, seed: int = 0) -> np.ndarray:
        import torch
        from captum.attr import IntegratedGradients

        torch.manual_seed(seed)
        module = model.torch_module()
        if module is None:
            raise ValueError(f"model {model.name!r} exposes no torch module; pick a non-gradient explainer")
        module.eval()
        ig = IntegratedGradients(module)
        out = []
        for start in range(0, len(inputs), self.batch_size):
            x = torch.as_tensor(inputs[start : start + self.batch_size], dtype=torch.float32)
            t = torch.as_tensor(targets[start : start + self.batch_size], dtype=torch.long)
            attr = ig.attribute(x, baselines=torch.zeros_like(x), target=t, n_steps=self.n_steps)
            out.append(attr.detach().numpy())
        return np.concatenate(out) if out else np.zeros_like(inputs)


@hookimpl
def kgtool_register_explainers(register: Any) -> None:
    register(IntegratedGradientsExplainer)
