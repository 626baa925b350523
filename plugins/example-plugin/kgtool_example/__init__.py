"""An example third-party kgtool plugin: a linear softmax model and one hypothesis query."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import numpy as np

from toolkit.hookspecs import hookimpl
from toolkit.models import ModelPlugin, TaskData, TrainConfig
from toolkit.train.loop import fit_classifier, predict_logits, softmax


class LinearSoftmax(ModelPlugin):
    """Multinomial logistic regression on landmark z-scores, trained with kgtool's shared loop."""

    name = "linear_softmax"
    description = "example third-party model: one linear layer + softmax"

    def __init__(self, n_features: int, n_classes: int, params: Optional[dict[str, Any]] = None) -> None:
        import torch.nn as nn

        super().__init__(n_features, n_classes, params)
        self.module = nn.Linear(n_features, n_classes)

    def fit(self, train: TaskData, config: TrainConfig, valid: Optional[TaskData] = None) -> dict[str, Any]:
        import torch
        import torch.nn as nn

        torch.manual_seed(config.seed)  # fresh weights: config.seed alone decides the result
        self.module = nn.Linear(self.n_features, self.n_classes)
        return fit_classifier(self.module, train, config, valid)

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        return softmax(predict_logits(self.module, x), self.n_classes)

    def torch_module(self) -> Any:
        return self.module

    def state_dict(self) -> dict[str, Any]:
        return dict(self.module.state_dict())

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.module.load_state_dict(state)


@hookimpl
def kgtool_register_models(register: Any) -> None:
    register(LinearSoftmax)


@hookimpl
def kgtool_register_cypher(register: Any) -> None:
    register(Path(__file__).parent / "queries")
