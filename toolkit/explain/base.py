"""The explainer-plugin contract (Captum-shaped): attributions have the shape of the inputs."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

import numpy as np

from toolkit.models import ModelPlugin


class Explainer(ABC):
    """Attributes a model's class scores to input features (genes).

    ``attribute(model, inputs, targets)`` returns an array shaped like ``inputs``; a positive value
    means the feature pushed the prediction towards ``targets[i]``.
    """

    name: ClassVar[str]
    description: ClassVar[str]

    @classmethod
    def supports(cls, model: ModelPlugin) -> bool:
        """Whether this explainer can explain ``model`` (gradient methods need a torch module)."""
        return model.torch_module() is not None

    @abstractmethod
    def attribute(self, model: ModelPlugin, inputs: np.ndarray, targets: np.ndarray, seed: int = 0) -> np.ndarray:
        """Attributions, same shape as ``inputs`` (n_samples, n_features)."""
