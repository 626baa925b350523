"""Captum Integrated Gradients on gene inputs, with the all-zero (no change) signature as baseline."""

from __future__ import annotations

from typing import Any

import numpy as np

from toolkit.explain.base import Explainer
from toolkit.hookspecs import hookimpl
from toolkit.models import Explained

from ._captum import attribute_rows


class IntegratedGradientsExplainer(Explainer):
    name = "integrated_gradients"
    description = "Captum IntegratedGradients, zero baseline, 50 steps"

    def __init__(self, n_steps: int = 50, batch_size: int = 64) -> None:
        self.n_steps = n_steps
        self.batch_size = batch_size

    def attribute(self, model: Explained, inputs: np.ndarray, targets: np.ndarray, seed: int = 0) -> np.ndarray:
        import torch
        from captum.attr import IntegratedGradients

        return attribute_rows(IntegratedGradients, model, inputs, targets, batch_size=self.batch_size, seed=seed,
                              baselines=torch.zeros_like, n_steps=self.n_steps)


@hookimpl
def kgtool_register_explainers(register: Any) -> None:
    register(IntegratedGradientsExplainer)
