"""Plumbing shared by the torch-backed model plugins: fit/predict/checkpoint around one module.

A :class:`TorchModel` subclass says how to *build* its module for a training set (graph models
read ``train.context`` there) and how to *rebuild* the same architecture from a saved module state
(structure such as edges or masks lives in buffers, so a checkpoint needs no context). Training
always goes through :func:`toolkit.train.loop.fit_classifier`.
"""

from __future__ import annotations

import logging
from abc import abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar, Mapping, Optional

import numpy as np

from toolkit.models import ModelPlugin, TaskData, TrainConfig
from toolkit.train.loop import Inputs, fit_classifier, predict_logits, softmax

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)




def tensors_with_prefix(state: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    """The entries of a module state under ``prefix`` (prefix stripped), e.g. one submodule's buffers."""
    return {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}


class TorchModel(ModelPlugin):
    """A model plugin whose classifier is a single torch module trained by the shared loop."""

    module: Optional["torch.nn.Module"]
    predict_batch_size: ClassVar[int] = 4096  # rows per forward pass when predicting

    def __init__(self, n_features: int, n_classes: int, params: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(n_features, n_classes, params)
        self.module = None

    @abstractmethod
    def build(self, train: TaskData) -> "torch.nn.Module":
        """A freshly initialised module for ``train`` (the global torch RNG is already seeded)."""

    @abstractmethod
    def rebuild(self, state: Mapping[str, "torch.Tensor"]) -> "torch.nn.Module":
        """An untrained module of the architecture that produced ``state`` (its state dict)."""

    def fit_inputs(self) -> Optional[Inputs]:
        """Module inputs for a TaskData, when they are more than the signature matrix."""
        return None

    def _check_context(self, train: TaskData) -> None:
        if self.requires_context and train.context is None:
            raise ValueError(f"model {self.name!r} needs the graph context (TaskData.context): export the "
                             "training data with its STRING edges and GO annotations")

    def fit(self, train: TaskData, config: TrainConfig, valid: Optional[TaskData] = None) -> dict[str, Any]:
        import torch

        self._check_context(train)
        if train.x.shape[1] != self.n_features:
            raise ValueError(f"{self.name}: built for {self.n_features} genes, the data has {train.x.shape[1]}")
        torch.manual_seed(config.seed)
        self.module = self.build(train)
        history = fit_classifier(self.module, train, config, valid, inputs=self.fit_inputs())
        logger.info("%s: %d epochs, best validation loss %s", self.name, history["epochs_run"],
                    history["best_valid_loss"])
        return history

    def fitted_module(self) -> "torch.nn.Module":
        if self.module is None:
            raise RuntimeError(f"model {self.name!r} is not trained: call fit() or load a checkpoint first")
        return self.module

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float32)
        return softmax(predict_logits(self.fitted_module(), x, self.predict_batch_size), self.n_classes)

    def torch_module(self) -> Optional["torch.nn.Module"]:
        return self.module

    def state_dict(self) -> dict[str, Any]:
        return {"module": dict(self.fitted_module().state_dict())}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        module_state = state["module"]
        self.module = self.rebuild(module_state)
        self.module.load_state_dict(module_state)
        self.module.eval()
