"""Captum FeatureAblation per gene (set to the 0 baseline), many perturbations per forward pass."""

from __future__ import annotations

from typing import Any

import numpy as np

from kgtool_plugins.explainers._captum import batched, module_of
from toolkit.explain.base import Explainer
from toolkit.hookspecs import hookimpl
from toolkit.models import ModelPlugin


class FeatureAblationExplainer(Explainer):
    name = "feature_ablation"
    description = "Captum FeatureAblation: each gene set to 0 alone; logit drop of the target class"

    def __init__(self, perturbations_per_eval: int = 256, batch_size: int = 16) -> None:
        self.perturbations_per_eval = perturbations_per_eval
        self.batch_size = batch_size

    def attribute(self, model: ModelPlugin, inputs: np.ndarray, targets: np.ndarray, seed: int = 0) -> np.ndarray:
        import torch
        from captum.attr import FeatureAblation

        torch.manual_seed(seed)
        method = FeatureAblation(module_of(model))
        with torch.no_grad():
            return batched(lambda x, t: method.attribute(x, baselines=0.0, target=t,
                                                         perturbations_per_eval=self.perturbations_per_eval),
                           inputs, targets, self.batch_size)


@hookimpl
def kgtool_register_explainers(register: Any) -> None:
    register(FeatureAblationExplainer)
