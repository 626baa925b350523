"""Built-in anchor-drug acquisition strategies (issue 15, AnchorDrug), registered through
``kgtool_register_acquisitions``: AnchorDrug's seven acquisition functions (``least_confidence``,
``margin``, ``bald``, ``kmeans``, ``coreset``, ``badge``, ``adversarial_bim``), ``entropy``, and the
knowledge-based baselines (``random``, ``structure_clustering``, ``moa_stratified``). Random is
registered once though issue 15 counts it twice (an acquisition function and the baseline)."""

from __future__ import annotations

from typing import Any

from toolkit.hookspecs import hookimpl

from .adversarial import AdversarialBIM
from .embedding import BADGE, CoreSet, KMeansSampling
from .model_free import MoaStratified, RandomSampling, StructureClustering
from .uncertainty import BALD, Entropy, LeastConfidence, Margin

BUILTIN = (RandomSampling, LeastConfidence, Margin, Entropy, BALD, KMeansSampling, CoreSet, BADGE, AdversarialBIM,
           StructureClustering, MoaStratified)


@hookimpl
def kgtool_register_acquisitions(register: Any) -> None:
    for strategy in BUILTIN:
        register(strategy)
