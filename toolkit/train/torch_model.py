"""The torch base for model authors: fit/predict/checkpoint around one module.

A :class:`TorchModel` subclass says how to *build* its module for a training set (graph models
read ``train.context`` there) and how to *rebuild* the same architecture from a saved module state
(structure such as edges or masks lives in buffers, so a checkpoint needs no context). Everything
else is shared: seeding, the one ``predict_proba(x, *, compounds=None, context=None)``, the state
format ``{"module": <module state dict>, ...}``, ``torch_module()`` for explainers. A minimal model::

    class Linear(TorchModel):
        name, description = "linear", "one linear layer"
        min_steps_per_epoch = 1  # train on the batches the config asks for

        def build(self, train):
            return torch.nn.Linear(self.n_features, self.n_classes)

        def rebuild(self, state):
            return torch.nn.Linear(self.n_features, self.n_classes)

Training goes through :func:`toolkit.train.loop.fit_classifier` (override :meth:`TorchModel.train_module`
for another loop), which, like prediction, copies one mini-batch of rows at a time into tensors:
a memory-mapped ``TaskData.x`` (a large cached snapshot) is never held whole. Modules with inputs beyond the signature name them in :meth:`TorchModel.fit_inputs`
(training) and :meth:`TorchModel.predict_inputs` (prediction, from the compounds and context).

Small training sets: the loop takes one optimiser step per batch, so ~70 compound-level rows with
the default batch of 64 give ONE step an epoch, and a 60-epoch run stops after 60 steps, still on
the initial plateau (the ``gnn`` predicted one or two classes; macro-F1 0.02). ``fit`` therefore
shrinks the batch so that every epoch takes at least ``min_steps`` (param, default
:data:`MIN_STEPS_PER_EPOCH`) steps; training sets of ``min_steps * batch_size`` rows or more are
unaffected (a model sets ``min_steps_per_epoch = 1`` to keep the configured batch). ``fit`` also refuses a context that lacks a part the model's ``context_needs`` names
(:meth:`toolkit.models.ModelPlugin.check_context`: one line naming what to load).
"""

from __future__ import annotations

import logging
import math
from abc import abstractmethod
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar, Mapping, Optional, Sequence

import numpy as np

from toolkit.models import GraphContext, ModelPlugin, TaskData, TrainConfig
from toolkit.train.loop import Inputs, fit_classifier, predict_logits, softmax

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)

MIN_STEPS_PER_EPOCH = 8  # optimiser steps an epoch at least (smaller batches on small training sets)


def small_data_config(config: TrainConfig, n_rows: int, min_steps: int) -> TrainConfig:
    """``config`` with a batch small enough for ``min_steps`` optimiser steps an epoch over
    ``n_rows`` training rows (unchanged when the batch already gives that many)."""
    if min_steps < 1:
        raise ValueError(f"min_steps={min_steps} must be >= 1")
    if math.ceil(n_rows / config.batch_size) >= min_steps:
        return config
    return replace(config, batch_size=max(1, math.ceil(n_rows / min_steps)))


def tensors_with_prefix(state: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    """The entries of a module state under ``prefix`` (prefix stripped), e.g. one submodule's buffers."""
    return {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}


class TorchModel(ModelPlugin):
    """A model plugin whose classifier is a single torch module trained by the shared loop."""

    module: Optional["torch.nn.Module"]
    predict_batch_size: ClassVar[int] = 4096  # rows per forward pass when predicting
    min_steps_per_epoch: ClassVar[int] = MIN_STEPS_PER_EPOCH  # default of the ``min_steps`` param

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

    def predict_inputs(self, x: np.ndarray, compounds: Optional[Sequence[str]],
                       context: Optional[GraphContext]) -> tuple[np.ndarray, ...]:
        """Module inputs after the signatures ``x`` when predicting (rows aligned with ``x``)."""
        return ()

    def train_module(self, module: "torch.nn.Module", train: TaskData, config: TrainConfig,
                     valid: Optional[TaskData]) -> dict[str, Any]:
        """Train ``module`` in place; the history. The shared seeded loop by default."""
        return fit_classifier(module, train, config, valid, inputs=self.fit_inputs())

    def fit(self, train: TaskData, config: TrainConfig, valid: Optional[TaskData] = None) -> dict[str, Any]:
        import torch

        self.check_context(train)
        if train.x.shape[1] != self.n_features:
            raise ValueError(f"{self.name}: built for {self.n_features} genes, the data has {train.x.shape[1]}")
        torch.manual_seed(config.seed)
        self.module = self.build(train)
        n_rows, min_steps = int(train.labelled.sum()), int(self.params.get("min_steps", self.min_steps_per_epoch))
        run = small_data_config(config, n_rows, min_steps)
        if run.batch_size != config.batch_size:
            logger.info("%s: %d labelled training rows: batch %d instead of %d (at least %d steps an epoch)",
                        self.name, n_rows, run.batch_size, config.batch_size, min_steps)
        history = self.train_module(self.module, train, run, valid)
        logger.info("%s: %s epochs, best validation loss %s", self.name, history.get("epochs_run"),
                    history.get("best_valid_loss"))
        return {**history, "batch_size": run.batch_size}

    def fitted_module(self) -> "torch.nn.Module":
        if self.module is None:
            raise RuntimeError(f"model {self.name!r} is not trained: call fit() or load a checkpoint first")
        return self.module

    def predict_proba(self, x: np.ndarray, *, compounds: Optional[Sequence[str]] = None,
                      context: Optional[GraphContext] = None) -> np.ndarray:
        if not (isinstance(x, np.memmap) and x.dtype == np.float32):  # a memory-mapped matrix is read batch by batch
            x = np.asarray(x, dtype=np.float32)
        logits = predict_logits(self.fitted_module(), x, self.predict_batch_size,
                                extra=self.predict_inputs(x, compounds, context))
        return softmax(logits, self.n_classes)

    def torch_module(self) -> Optional["torch.nn.Module"]:
        return self.module

    def state_dict(self) -> dict[str, Any]:
        return {"module": dict(self.fitted_module().state_dict())}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        module_state = state["module"]
        self.module = self.rebuild(module_state)
        self.module.load_state_dict(module_state)
        self.module.eval()
