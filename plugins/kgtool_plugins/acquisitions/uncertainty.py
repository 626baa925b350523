"""Uncertainty acquisitions (AnchorDrug's drug-level adaptations): the model predicts every
candidate in the new cell line, each gene gets an uncertainty, and a compound's score is the mean
over its genes (:func:`toolkit.anchors.strategy.per_drug`); the ``k`` highest scores are bought.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Optional

import numpy as np

from toolkit.anchors.strategy import (AcquisitionStrategy, ActiveModel, Pool, candidate_conditions, entropy,
                                      least_confidence, margin, mutual_information, per_drug, top_k)


class _PerGene(AcquisitionStrategy):
    """Score = mean over genes of :meth:`per_gene` on the model's (n, G, 3) probabilities."""

    needs_model = True

    @abstractmethod
    def per_gene(self, probs: np.ndarray) -> np.ndarray:
        """(n, G, 3) -> (n, G) uncertainty, higher = more uncertain."""

    def choose(self, pool: Pool, model: Optional[ActiveModel], k: int, rng: np.random.Generator
               ) -> list[tuple[str, float]]:
        assert model is not None
        probs = model.predict_classes(candidate_conditions(pool.cell, pool.candidates), context=pool.context)
        return top_k(pool.candidates, per_drug(self.per_gene(probs)), k)


class LeastConfidence(_PerGene):
    """Score: mean over genes of 1 - max class probability."""

    name = "least_confidence"
    description = "uncertainty: mean over genes of 1 - top class probability"

    def per_gene(self, probs: np.ndarray) -> np.ndarray:
        return least_confidence(probs)


class Margin(_PerGene):
    """Score: 1 - mean over genes of (top - runner-up probability): the smallest mean margin first."""

    name = "margin"
    description = "uncertainty: smallest mean margin between the two likeliest classes"

    def per_gene(self, probs: np.ndarray) -> np.ndarray:
        return 1.0 - margin(probs)


class Entropy(_PerGene):
    """Score: mean over genes of the predictive entropy (nats)."""

    name = "entropy"
    description = "uncertainty: mean predictive entropy over genes"

    def per_gene(self, probs: np.ndarray) -> np.ndarray:
        return entropy(probs)


class BALD(AcquisitionStrategy):
    """BALD with MC dropout (Gal et al.): score = mean over genes of the mutual information between
    the prediction and the weights, H(mean_t p_t) - mean_t H(p_t), from ``params["samples"]``
    (default 10) dropout passes; the dropout seed is drawn from ``rng``."""

    name = "bald"
    description = "uncertainty: MC-dropout mutual information (params: samples=10)"
    needs_model = True

    def choose(self, pool: Pool, model: Optional[ActiveModel], k: int, rng: np.random.Generator
               ) -> list[tuple[str, float]]:
        assert model is not None
        samples = int(self.params.get("samples", 10))
        mc = model.mc_predict_classes(candidate_conditions(pool.cell, pool.candidates), context=pool.context,
                                      samples=samples, seed=int(rng.integers(2**31 - 1)))
        return top_k(pool.candidates, per_drug(mutual_information(mc)), k)
