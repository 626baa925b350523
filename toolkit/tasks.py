"""Prediction tasks a model plugin declares with its ``task`` class attribute.

* ``moa`` — MoA classification from signatures (:class:`toolkit.models.ModelPlugin`); trained by
  ``kgtool train``, per signature or per compound (``--aggregate``).
* ``expression`` — signature prediction, drug → expression change (DeepCE-style): from a compound
  (its structure in ``context.compound_smiles``), a cell line, a dose and a time, predict the
  landmark z-scores. This module is the slot and contract: the data class the trainer will hand
  over and the model interface. Models of this task register through the same
  ``kgtool_register_models`` hook and are listed by ``kgtool plugins``; ``kgtool train`` refuses
  them with a clear message until the expression trainer exists (a later issue).
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from enum import Enum
from typing import Any, ClassVar, Mapping, Optional, Sequence

import numpy as np

from toolkit.models import GraphContext, ModelBase, TaskData, TrainConfig


class Task(str, Enum):
    MOA = "moa"
    EXPRESSION = "expression"


def task_of(model_cls: Any) -> Task:
    """The task a registered model class declares (``moa`` when it says nothing)."""
    return Task(getattr(model_cls, "task", Task.MOA.value))


@dataclass(frozen=True)
class ExpressionData:
    """Perturbation conditions (rows) and the expression change they caused (targets)."""

    compound_ids: tuple[str, ...]
    cell_ids: tuple[str, ...]
    dose_um: np.ndarray  # (n,) float; NaN where unknown
    time_h: np.ndarray  # (n,) float; NaN where unknown
    y: np.ndarray  # (n, n_genes) float32 landmark z-scores
    gene_ids: tuple[int, ...]
    sample_ids: tuple[str, ...]
    context: Optional[GraphContext] = None  # compound SMILES, STRING, GO

    def __post_init__(self) -> None:
        n = len(self.sample_ids)
        sizes = (len(self.compound_ids), len(self.cell_ids), len(self.dose_um), len(self.time_h), len(self.y))
        if any(size != n for size in sizes) or self.y.shape[1:] != (len(self.gene_ids),):
            raise ValueError(f"inconsistent ExpressionData: {n} samples, sizes {sizes}, y {self.y.shape}")

    @classmethod
    def from_signatures(cls, data: TaskData, dose_um: Optional[Sequence[float]] = None,
                        time_h: Optional[Sequence[float]] = None) -> "ExpressionData":
        """The signatures of a MoA snapshot turned round: conditions in, z-scores out."""
        if not data.cell_ids:
            raise ValueError("expression targets need each signature's cell line; the snapshot has none")
        n = len(data.sample_ids)
        unknown = np.full(n, np.nan)
        return cls(compound_ids=data.compound_ids, cell_ids=data.cell_ids,
                   dose_um=np.asarray(dose_um, dtype=float) if dose_um is not None else unknown,
                   time_h=np.asarray(time_h, dtype=float) if time_h is not None else unknown.copy(),
                   y=data.x, gene_ids=data.gene_ids, sample_ids=data.sample_ids, context=data.context)


class ExpressionModelPlugin(ModelBase):
    """A model of the ``expression`` task: conditions → (n, n_genes) predicted z-scores.

    The same :class:`toolkit.models.ModelBase` contract as a MoA model (``fit(train, config,
    valid=None)``, one state format, ``check_context``); only the prediction differs."""

    task: ClassVar[str] = Task.EXPRESSION.value
    requires_context: ClassVar[bool] = True  # the compound structures come from the graph context

    def __init__(self, n_genes: int, params: Optional[Mapping[str, Any]] = None) -> None:
        self.n_genes = n_genes
        self.params = dict(params or {})

    @abstractmethod
    def fit(self, train: ExpressionData, config: TrainConfig, valid: Optional[ExpressionData] = None
            ) -> dict[str, Any]:
        """Train; return a small history dict."""

    @abstractmethod
    def predict_expression(self, compound_ids: Sequence[str], cell_ids: Sequence[str], dose_um: np.ndarray,
                           time_h: np.ndarray) -> np.ndarray:
        """Predicted landmark z-scores, shape (n, n_genes)."""
