"""Captum DeepLift (zero baseline) and DeepLiftShap (noise-signature baselines) on gene inputs."""

from __future__ import annotations

from typing import Any

import numpy as np

from toolkit.explain.base import Explainer
from toolkit.hookspecs import hookimpl
from toolkit.models import Explained

from ._captum import attribute_rows, noise_baselines


class DeepLiftExplainer(Explainer):
    name = "deeplift"
    description = "Captum DeepLift (rescale rule), all-zero baseline"

    def __init__(self, batch_size: int = 256) -> None:
        self.batch_size = batch_size

    def attribute(self, model: Explained, inputs: np.ndarray, targets: np.ndarray, seed: int = 0) -> np.ndarray:
        import torch
        from captum.attr import DeepLift

        return attribute_rows(DeepLift, model, inputs, targets, batch_size=self.batch_size, seed=seed,
                              baselines=torch.zeros_like)


class DeepLiftShapExplainer(Explainer):
    name = "deeplift_shap"
    description = "Captum DeepLiftShap over 8 seeded zero-centred noise signatures as baselines"
    deterministic = False

    def __init__(self, n_baselines: int = 8, scale: float = 1.0, batch_size: int = 64) -> None:
        self.n_baselines = n_baselines
        self.scale = scale
        self.batch_size = batch_size

    def attribute(self, model: Explained, inputs: np.ndarray, targets: np.ndarray, seed: int = 0) -> np.ndarray:
        from captum.attr import DeepLiftShap

        baselines = noise_baselines(inputs.shape[1], self.n_baselines, self.scale, seed)
        return attribute_rows(DeepLiftShap, model, inputs, targets, batch_size=self.batch_size, seed=seed,
                              baselines=baselines)


@hookimpl
def kgtool_register_explainers(register: Any) -> None:
    register(DeepLiftExplainer)
    register(DeepLiftShapExplainer)
