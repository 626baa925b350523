"""Captum FeatureAblation per gene (set to the 0 baseline), many perturbations per forward pass."""

from __future__ import annotations

from typing import Any

import numpy as np

from toolkit.explain.base import Explainer
from toolkit.hookspecs import hookimpl
from toolkit.models import Explained

from ._captum import attribute_rows


class FeatureAblationExplainer(Explainer):
    name = "feature_ablation"
    description = "Captum FeatureAblation: each gene set to 0 alone; logit drop of the target class"

    def __init__(self, perturbations_per_eval: int = 256, batch_size: int = 16) -> None:
        self.perturbations_per_eval = perturbations_per_eval
        self.batch_size = batch_size

    def attribute(self, model: Explained, inputs: np.ndarray, targets: np.ndarray, seed: int = 0) -> np.ndarray:
        from captum.attr import FeatureAblation

        return attribute_rows(FeatureAblation, model, inputs, targets, batch_size=self.batch_size, seed=seed,
                              baselines=0.0, no_grad=True, perturbations_per_eval=self.perturbations_per_eval)


@hookimpl
def kgtool_register_explainers(register: Any) -> None:
    register(FeatureAblationExplainer)
