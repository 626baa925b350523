"""Prediction tasks a model plugin declares with its ``task`` class attribute.

* ``moa`` — MoA classification from signatures (:class:`toolkit.models.ModelPlugin`); trained by
  ``kgtool train``, per signature or per compound (``--aggregate``).
* ``expression`` — drug → expression change: from a compound (its structure in
  ``context.compound_smiles``), a cell line, a dose and a time, predict the landmark z-scores
  (:class:`ExpressionModelPlugin`; trained by ``kgtool train`` through
  :mod:`toolkit.expression.pipeline`). A model of this task may also be a 3-class model
  (``three_class = True``: up / none / down per gene at ``|z| > THREE_CLASS_Z``, AnchorDrug-style).
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Mapping, Optional, Sequence

import numpy as np

from toolkit.models import GraphContext, ModelBase, TaskData, TrainConfig
from toolkit.structure import FingerprintSpec

if TYPE_CHECKING:
    import torch


class Task(str, Enum):
    MOA = "moa"
    EXPRESSION = "expression"


def task_of(model_cls: Any) -> Task:
    """The task a registered model class declares (``moa`` when it says nothing)."""
    return Task(getattr(model_cls, "task", Task.MOA.value))


THREE_CLASS_Z = 1.5  # AnchorDrug: a gene is up (down) in a sample when its z-score is above 1.5 (below -1.5)
CLASS_NAMES = ("down", "none", "up")  # class index 0, 1, 2 of the 3-class task


def three_class(y: np.ndarray, threshold: float = THREE_CLASS_Z) -> np.ndarray:
    """The 3-class labels of z-scores ``y``: 0 down (z < -threshold), 1 none, 2 up (z > threshold), int64."""
    y = np.asarray(y)
    out = np.ones(y.shape, dtype=np.int64)
    out[y > threshold] = 2
    out[y < -threshold] = 0
    return out


@dataclass(frozen=True)
class ExpressionData:
    """Perturbation conditions (rows) and the expression change they caused (targets).

    A row is one sample of the expression task: by default the consensus of a compound's
    signatures in one cell line (``compound_cell``), so ``dose_um``/``time_h`` are NaN there."""

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

    def subset(self, index: Sequence[int] | np.ndarray) -> "ExpressionData":
        index = np.asarray(index, dtype=np.int64)
        return replace(self, compound_ids=tuple(self.compound_ids[i] for i in index),
                       cell_ids=tuple(self.cell_ids[i] for i in index), dose_um=self.dose_um[index],
                       time_h=self.time_h[index], y=np.asarray(self.y[index], dtype=np.float32),
                       sample_ids=tuple(self.sample_ids[i] for i in index))

    @property
    def conditions(self) -> "Conditions":
        return Conditions(self.compound_ids, self.cell_ids, self.dose_um, self.time_h)

    @classmethod
    def from_signatures(cls, data: TaskData, dose_um: Optional[Sequence[float]] = None,
                        time_h: Optional[Sequence[float]] = None) -> "ExpressionData":
        """The samples of a MoA snapshot turned round: conditions in, z-scores out."""
        if not data.cell_ids:
            raise ValueError("expression targets need each sample's cell line; the snapshot has none "
                             "(aggregate per compound and cell line, not per compound)")
        n = len(data.sample_ids)
        unknown = np.full(n, np.nan)
        return cls(compound_ids=data.compound_ids, cell_ids=data.cell_ids,
                   dose_um=np.asarray(dose_um, dtype=float) if dose_um is not None else unknown,
                   time_h=np.asarray(time_h, dtype=float) if time_h is not None else unknown.copy(),
                   y=np.asarray(data.x, dtype=np.float32), gene_ids=data.gene_ids, sample_ids=data.sample_ids,
                   context=data.context)


@dataclass(frozen=True)
class Conditions:
    """What an expression model predicts from: one row per (compound, cell line, dose, time)."""

    compound_ids: Sequence[str]
    cell_ids: Sequence[str]
    dose_um: np.ndarray
    time_h: np.ndarray

    def __len__(self) -> int:
        return len(self.compound_ids)

    def subset(self, index: Sequence[int] | np.ndarray) -> "Conditions":
        index = np.asarray(index, dtype=np.int64)
        return Conditions([self.compound_ids[i] for i in index], [self.cell_ids[i] for i in index],
                          np.asarray(self.dose_um)[index], np.asarray(self.time_h)[index])


# (n, n_bits) fingerprint tensor -> (n, n_genes) predicted z-scores (or 3-class scores), for explainers
FingerprintForward = Callable[["torch.Tensor"], "torch.Tensor"]


class ExpressionModelPlugin(ModelBase):
    """A model of the ``expression`` task: conditions → (n, n_genes) predicted z-scores.

    The same :class:`toolkit.models.ModelBase` contract as a MoA model (``fit(train, config,
    valid=None)``, one state format, ``check_context``); only the prediction differs:

    * ``predict_expression(conditions, *, context=None)``: (n, n_genes) float32 predicted z-scores.
      ``context.compound_smiles`` gives structures of compounds not seen in training (a model
      keeps the SMILES of its training compounds in its state); a compound with no structure is
      predicted as the model's drug-free guess (a model that cannot raises a one-line ValueError).
    * 3-class models (``three_class = True``) also give ``predict_classes(conditions, *,
      context=None)``: (n, n_genes, 3) probabilities of :data:`CLASS_NAMES`; their
      ``predict_expression`` returns ``p_up - p_down`` (a signed score, not a z-score).
    * structure models give ``fingerprint_forward(conditions)``: the fingerprint spec and a torch
      function from the (n, n_bits) Morgan bits of the rows' compounds to their predictions, the
      rows' cell line, dose and time held fixed (what IG attributes to substructures).
    """

    task: ClassVar[str] = Task.EXPRESSION.value
    three_class: ClassVar[bool] = False
    requires_context: ClassVar[bool] = True  # the compound structures come from the graph context

    def __init__(self, n_genes: int, params: Optional[Mapping[str, Any]] = None) -> None:
        self.n_genes = n_genes
        self.params = dict(params or {})

    @abstractmethod
    def fit(self, train: ExpressionData, config: TrainConfig, valid: Optional[ExpressionData] = None
            ) -> dict[str, Any]:
        """Train; return a small history dict."""

    @abstractmethod
    def predict_expression(self, conditions: Conditions, *, context: Optional[GraphContext] = None) -> np.ndarray:
        """Predicted landmark z-scores, shape (n, n_genes), float32."""

    def predict_classes(self, conditions: Conditions, *, context: Optional[GraphContext] = None) -> np.ndarray:
        """(n, n_genes, 3) probabilities of down / none / up (3-class models only)."""
        raise NotImplementedError(f"model {self.name!r} is not a 3-class model")

    def fingerprint_forward(self, conditions: Conditions, *, context: Optional[GraphContext] = None
                            ) -> Optional[tuple[FingerprintSpec, FingerprintForward]]:
        """See the class doc; None for models that do not read fingerprints."""
        return None

    def save(self, path: Path) -> None:
        import torch

        torch.save({"name": self.name, "n_genes": self.n_genes, "params": self.params,
                    "state": self.state_dict()}, path)

    @classmethod
    def load(cls, path: Path) -> "ExpressionModelPlugin":
        """Load a checkpoint safely (``weights_only=True``: no arbitrary code runs)."""
        import torch

        blob = torch.load(path, map_location="cpu", weights_only=True)
        if blob["name"] != cls.name:
            raise ValueError(f"{path} holds a {blob['name']!r} model, not {cls.name!r}")
        model = cls(blob["n_genes"], blob["params"])
        model.load_state_dict(blob["state"])
        return model
