"""A multilayer perceptron on landmark-gene signatures: the simplest learned MoA model."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from toolkit.hookspecs import hookimpl
from toolkit.models import ModelPlugin, TaskData, TrainConfig
from toolkit.train.loop import fit_classifier, predict_logits, softmax


def _build(n_features: int, n_classes: int, hidden: int, dropout: float) -> Any:
    import torch.nn as nn

    return nn.Sequential(
        nn.Linear(n_features, hidden), nn.ReLU(), nn.Dropout(dropout),
        nn.Linear(hidden, hidden // 2), nn.ReLU(), nn.Dropout(dropout),
        nn.Linear(hidden // 2, n_classes),
    )


class MLPModel(ModelPlugin):
    name = "mlp"
    description = "MLP on landmark z-scores (params: hidden=256, dropout=0.2)"

    def __init__(self, n_features: int, n_classes: int, params: Optional[dict[str, Any]] = None) -> None:
        super().__init__(n_features, n_classes, params)
        self.hidden = int(self.params.get("hidden", 256))
        self.dropout = float(self.params.get("dropout", 0.2))
        self.params.update(hidden=self.hidden, dropout=self.dropout)
        self.module = _build(n_features, n_classes, self.hidden, self.dropout)

    def fit(self, train: TaskData, config: TrainConfig, valid: Optional[TaskData] = None) -> dict[str, Any]:
        import torch

        torch.manual_seed(config.seed)
        self.module = _build(self.n_features, self.n_classes, self.hidden, self.dropout)
        return fit_classifier(self.module, train, config, valid)

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        return softmax(predict_logits(self.module, x), self.n_classes)

    def torch_module(self) -> Any:
        return self.module

    def state_dict(self) -> dict[str, Any]:
        return dict(self.module.state_dict())

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.module.load_state_dict(state)
        self.module.eval()


@hookimpl
def kgtool_register_models(register: Any) -> None:
    register(MLPModel)
