"""Expression-task models (drug -> landmark z-scores; see :mod:`toolkit.tasks`): numpy baselines,
the recurrent/attention sequence family, DeepCE-style gene-wise attention and the AnchorDrug 3-class
model, registered with kgtool through one ``kgtool_register_models`` hook."""

from __future__ import annotations

from typing import Any

from toolkit.hookspecs import hookimpl

from .anchordrug import AnchorDrugModel
from .baselines import BASELINES
from .deepce import DeepCEModel
from .sequence import SEQUENCE_MODELS

MODELS = (*BASELINES, *SEQUENCE_MODELS, DeepCEModel, AnchorDrugModel)


@hookimpl
def kgtool_register_models(register: Any) -> None:
    for model in MODELS:
        register(model)
