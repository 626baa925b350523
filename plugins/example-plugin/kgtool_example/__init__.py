"""An example third-party kgtool plugin: a linear softmax model and one hypothesis query."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from toolkit.hookspecs import hookimpl
from toolkit.train.torch_model import TorchModel


class LinearSoftmax(TorchModel):
    """Multinomial logistic regression on landmark z-scores, trained with kgtool's shared loop.

    :class:`toolkit.train.torch_model.TorchModel` does the rest: seeding (``config.seed`` alone
    decides the result), ``predict_proba``, the checkpoint state and ``torch_module()`` for the
    gradient explainers."""

    name = "linear_softmax"
    description = "example third-party model: one linear layer + softmax"
    min_steps_per_epoch = 1  # train on the configured batches

    def build(self, train: Any) -> Any:
        import torch.nn as nn

        return nn.Linear(self.n_features, self.n_classes)

    def rebuild(self, state: Mapping[str, Any]) -> Any:
        return self.build(None)


@hookimpl
def kgtool_register_models(register: Any) -> None:
    register(LinearSoftmax)


@hookimpl
def kgtool_register_sources(register: Any) -> None:
    from kgtool_example.source import GeneTagsSource

    register(GeneTagsSource())


@hookimpl
def kgtool_register_cypher(register: Any) -> None:
    register(Path(__file__).parent / "queries")
