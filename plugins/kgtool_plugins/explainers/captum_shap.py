"""Captum GradientShap on gene inputs, with seeded zero-centred noise signatures as baselines."""

from __future__ import annotations

from typing import Any

import numpy as np

from toolkit.explain.base import Explainer
from toolkit.hookspecs import hookimpl
from toolkit.models import Explained

from ._captum import attribute_rows, noise_baselines


class GradientShapExplainer(Explainer):
    name = "gradient_shap"
    description = "Captum GradientShap, 8 noise-signature baselines, 64 samples per input"
    deterministic = False

    def __init__(self, n_baselines: int = 8, n_samples: int = 64, scale: float = 1.0, batch_size: int = 64) -> None:
        self.n_baselines = n_baselines
        self.n_samples = n_samples
        self.scale = scale
        self.batch_size = batch_size

    def attribute(self, model: Explained, inputs: np.ndarray, targets: np.ndarray, seed: int = 0) -> np.ndarray:
        from captum.attr import GradientShap

        baselines = noise_baselines(inputs.shape[1], self.n_baselines, self.scale, seed)
        return attribute_rows(GradientShap, model, inputs, targets, batch_size=self.batch_size, seed=seed,
                              baselines=baselines, n_samples=self.n_samples)


@hookimpl
def kgtool_register_explainers(register: Any) -> None:
    register(GradientShapExplainer)
