"""A multilayer perceptron on landmark-gene signatures: the simplest learned MoA model.

Trained on the configured batches (``min_steps_per_epoch = 1``: no batch shrinking on small
training sets, unlike the graph models). Checkpoints hold ``{"module": ...}`` like every
:class:`~toolkit.train.torch_model.TorchModel`; a flat module state (the format before that) is
still read.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

from toolkit.hookspecs import hookimpl
from toolkit.models import TaskData
from toolkit.train.torch_model import TorchModel


class MLPModel(TorchModel):
    name = "mlp"
    description = "MLP on landmark z-scores (params: hidden=256, dropout=0.2)"
    min_steps_per_epoch = 1

    def __init__(self, n_features: int, n_classes: int, params: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(n_features, n_classes, params)
        self.hidden = int(self.params.get("hidden", 256))
        self.dropout = float(self.params.get("dropout", 0.2))
        self.params.update(hidden=self.hidden, dropout=self.dropout)

    def _net(self) -> Any:
        import torch.nn as nn

        hidden, dropout = self.hidden, self.dropout
        return nn.Sequential(
            nn.Linear(self.n_features, hidden), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(hidden, hidden // 2), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(hidden // 2, self.n_classes),
        )

    def build(self, train: TaskData) -> Any:
        return self._net()

    def rebuild(self, state: Mapping[str, Any]) -> Any:
        return self._net()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state if "module" in state else {"module": state})  # flat: older checkpoints


@hookimpl
def kgtool_register_models(register: Any) -> None:
    register(MLPModel)
