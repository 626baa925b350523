"""What the expression model plugins share: remembered compounds and cell lines, row featurisation,
and the torch model base.

:class:`StructureMemory` keeps the SMILES of the training compounds (so a loaded model predicts
them without a context) and the training cell lines (index 0 = the unknown cell line; cold-cell
rows get it), and featurises rows of :class:`toolkit.tasks.Conditions`: Morgan bits from the
model's SMILES plus the context's (unseen compounds), cell indices, dose/time encoding.

:class:`TorchExpressionModel` is the base of the torch models: ``build``/``rebuild`` a module whose
positional inputs are ``(fingerprint, cell, dose_time[, tokens])``, trains it with
:func:`~kgtool_plugins.models.expression.training.fit_module` (MSE and validation mean per-sample
Pearson; the 3-class subclass overrides ``loss``/``score``/``targets``), predicts in batches and
gives :meth:`fingerprint_forward` (the fingerprint input varies, the other inputs are held fixed).
State: ``{"module": <state dict>, "smiles": {id: SMILES}, "cells": [...], ...}``.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, Mapping, Optional

import numpy as np

from toolkit.expression.features import dose_time_features, ecfp_matrix
from toolkit.models import GraphContext, TrainConfig
from toolkit.structure import FingerprintSpec
from toolkit.tasks import Conditions, ExpressionData, ExpressionModelPlugin, FingerprintForward

from .training import PREDICT_BATCH, fit_module, predict_outputs, regression_score


def gene_go_of(data: ExpressionData, n_genes: int) -> np.ndarray:
    """The (n_genes, n_terms) GO fingerprint of the genes from the data's context; (n_genes, 0)
    when no GO is loaded (models then rely on their learned gene embeddings)."""
    go = getattr(data.context, "gene_go", None)
    if go is None or np.ndim(go) != 2 or np.shape(go)[0] != n_genes:
        return np.zeros((n_genes, 0), dtype=np.float32)
    return np.asarray(go, dtype=np.float32)


def fixed_forward(module: Any, fixed: list[np.ndarray]) -> FingerprintForward:
    """``fp -> module(fp, *fixed)`` where ``fixed`` (n rows each) is tiled to ``fp``'s k * n rows."""
    from .training import to_tensors

    tensors = to_tensors(fixed)

    def forward(fp: Any) -> Any:
        n = len(tensors[0]) if tensors else len(fp)
        if n == 0 or len(fp) % n:
            raise ValueError(f"fingerprint forward: {len(fp)} rows for {n} conditions (need a multiple)")
        reps = len(fp) // n
        return module(fp, *[t.to(fp.device).repeat(reps, *([1] * (t.dim() - 1))) for t in tensors])

    return forward


class StructureMemory(ExpressionModelPlugin):
    """An expression model that reads compound structure and cell lines (see the module doc)."""

    def __init__(self, n_genes: int, params: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(n_genes, params)
        self.spec = FingerprintSpec(int(self.params.get("radius", 2)), int(self.params.get("n_bits", 2048)))
        self.params.update(radius=self.spec.radius, n_bits=self.spec.n_bits)
        self.smiles: dict[str, str] = {}
        self.cells: list[str] = []

    def remember(self, train: ExpressionData) -> None:
        """Keep the training compounds' SMILES and the training cell lines."""
        if train.y.shape[1] != self.n_genes:
            raise ValueError(f"{self.name}: built for {self.n_genes} genes, the data has {train.y.shape[1]}")
        known = dict(getattr(train.context, "compound_smiles", None) or {})
        self.smiles = {c: known[c] for c in sorted(set(train.compound_ids)) if known.get(c)}
        self.cells = sorted(set(train.cell_ids))

    def smiles_map(self, context: Optional[GraphContext]) -> dict[str, str]:
        """The context's SMILES (unseen compounds) overlaid with the model's own."""
        return {**dict(getattr(context, "compound_smiles", None) or {}), **self.smiles}

    def smiles_of(self, compounds: Any, context: Optional[GraphContext]) -> list[Optional[str]]:
        known = self.smiles_map(context)
        return [known.get(c) for c in compounds]

    def fingerprints(self, compounds: Any, context: Optional[GraphContext]) -> np.ndarray:
        return ecfp_matrix(list(compounds), self.smiles_map(context), self.spec)

    def cell_index(self, cells: Any) -> np.ndarray:
        """1-based index of each training cell line, 0 for a cell line not seen in training."""
        index = {c: i + 1 for i, c in enumerate(self.cells)}
        return np.array([index.get(c, 0) for c in cells], dtype=np.int64)

    def memory_state(self) -> dict[str, Any]:
        return {"smiles": dict(self.smiles), "cells": list(self.cells)}

    def load_memory(self, state: Mapping[str, Any]) -> None:
        self.smiles = dict(state["smiles"])
        self.cells = list(state["cells"])


class TorchExpressionModel(StructureMemory):
    """A torch expression model (see the module doc); subclasses give ``build`` and ``rebuild``."""

    uses_tokens = False  # the sequence models add SMILES tokens as a fourth input
    cell_dropout_default = 0.1

    def __init__(self, n_genes: int, params: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(n_genes, params)
        self.module: Any = None

    @abstractmethod
    def build(self, train: ExpressionData, config: TrainConfig) -> Any:
        """A freshly initialised module (the torch RNG is seeded)."""

    @abstractmethod
    def rebuild(self, state: Mapping[str, Any]) -> Any:
        """An untrained module of the architecture that produced ``state`` (the model's state)."""

    def inputs(self, conditions: Conditions, context: Optional[GraphContext]) -> list[np.ndarray]:
        """The module's inputs for ``conditions``: fingerprint, cell index, dose/time (fingerprint first)."""
        return [self.fingerprints(conditions.compound_ids, context), self.cell_index(conditions.cell_ids),
                dose_time_features(conditions.dose_um, conditions.time_h)]

    def targets(self, y: np.ndarray) -> np.ndarray:
        return np.asarray(y, dtype=np.float32)

    def loss(self, train: ExpressionData) -> Any:
        import torch.nn.functional as F

        return F.mse_loss

    score = staticmethod(regression_score)

    def train_module(self, train: ExpressionData, config: TrainConfig, valid: Optional[ExpressionData]
                     ) -> dict[str, Any]:
        """Train ``self.module`` (already built) on ``train``; the loop's history."""
        context = train.context
        held = None
        if valid is not None and len(valid.sample_ids):
            held = (self.inputs(valid.conditions, valid.context or context), valid.y)
        dropout = float(self.params.get("cell_dropout", self.cell_dropout_default))
        return fit_module(self.module, self.inputs(train.conditions, context), self.targets(train.y), config,
                          loss_fn=self.loss(train), score=self.score, valid=held, cell_slot=1, cell_dropout=dropout)

    def fit(self, train: ExpressionData, config: TrainConfig, valid: Optional[ExpressionData] = None
            ) -> dict[str, Any]:
        import torch

        self.check_context(train)
        self.remember(train)
        torch.manual_seed(config.seed)
        self.module = self.build(train, config)
        return self.train_module(train, config, valid)

    def fitted(self) -> Any:
        if self.module is None:
            raise RuntimeError(f"model {self.name!r} is not trained: call fit() or load a checkpoint first")
        return self.module

    def outputs(self, conditions: Conditions, context: Optional[GraphContext]) -> np.ndarray:
        return predict_outputs(self.fitted(), self.inputs(conditions, context), PREDICT_BATCH)

    def predict_expression(self, conditions: Conditions, *, context: Optional[GraphContext] = None) -> np.ndarray:
        return self.outputs(conditions, context).astype(np.float32)

    def fingerprint_forward(self, conditions: Conditions, *, context: Optional[GraphContext] = None
                            ) -> tuple[FingerprintSpec, FingerprintForward]:
        """The rows' fingerprints -> predictions, cell line, dose, time (and SMILES tokens) fixed.
        ``fn`` also takes k * n rows (k stacked copies of the n rows, as Captum batches IG steps):
        the fixed inputs are tiled to match."""
        module = self.fitted().eval()
        return self.spec, fixed_forward(module, self.inputs(conditions, context)[1:])

    def state_dict(self) -> dict[str, Any]:
        return {"module": dict(self.fitted().state_dict()), **self.memory_state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.load_memory(state)
        module = self.rebuild(state)
        module.load_state_dict(state["module"])
        self.module = module.eval()
