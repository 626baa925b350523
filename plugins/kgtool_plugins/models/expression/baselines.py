"""Plain numpy baselines of the expression task: what a learned model must beat.

* ``gene_mean`` — the per-gene training mean for every row (drug-free); state ``{"mean": tensor}``;
* ``cell_mean`` — the per-cell-line per-gene training mean; ``gene_mean`` for unseen cell lines
  (drug-free); state ``{"cells": [...], "means": (cells, genes), "mean": (genes,)}``;
* ``tanimoto_knn`` — the ``k`` (param, 5) most Tanimoto-similar training compounds (ECFP) among those
  measured in the row's cell line, their samples there averaged with similarity weights (a cell
  line not seen in training: the ``k`` most similar compounds, each by the mean of all its samples);
  state: the training rows (compound, cell, z-scores) and SMILES;
* ``ridge_ecfp`` — ridge regression from [ECFP bits, one-hot cell line] to the z-scores (solved in
  the dual, n << features); the L2 strength ``alpha`` is the param or the best of
  :data:`ALPHA_GRID` on the validation rows by mean per-sample Pearson (recorded in the history);
  an unseen cell line gets the average cell (centred one-hot 0). Its ``fingerprint_forward`` is the
  linear map of the bits;
* ``gene_majority`` (3-class) — each gene's training class frequencies (down / none / up), so its
  argmax is the gene's majority class; state ``{"freq": (genes, 3)}``.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

import numpy as np

from toolkit.models import GraphContext, TrainConfig
from toolkit.structure import FingerprintSpec
from toolkit.tasks import Conditions, ExpressionData, ExpressionModelPlugin, FingerprintForward, three_class

from .base import StructureMemory
from .training import regression_score

ALPHA_GRID = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0)
DEFAULT_ALPHA = 30.0  # ridge_ecfp without validation rows


def _tensor(x: np.ndarray) -> Any:
    import torch

    return torch.as_tensor(np.ascontiguousarray(x, dtype=np.float32))


def _array(x: Any) -> np.ndarray:
    return np.asarray(x.numpy() if hasattr(x, "numpy") else x, dtype=np.float32)


class GeneMeanModel(ExpressionModelPlugin):
    name = "gene_mean"
    description = "baseline: each gene's training mean z-score for every row (drug-free)"
    requires_context = False

    def __init__(self, n_genes: int, params: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(n_genes, params)
        self.mean = np.zeros(n_genes, dtype=np.float32)

    def fit(self, train: ExpressionData, config: TrainConfig, valid: Optional[ExpressionData] = None
            ) -> dict[str, Any]:
        self.mean = train.y.mean(axis=0).astype(np.float32)
        return {"epochs_run": 0}

    def predict_expression(self, conditions: Conditions, *, context: Optional[GraphContext] = None) -> np.ndarray:
        return np.tile(self.mean, (len(conditions), 1))

    def state_dict(self) -> dict[str, Any]:
        return {"mean": _tensor(self.mean)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.mean = _array(state["mean"])


class CellMeanModel(GeneMeanModel):
    name = "cell_mean"
    description = "baseline: the per-cell-line mean z-scores (the gene mean for unseen cell lines; drug-free)"

    def __init__(self, n_genes: int, params: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(n_genes, params)
        self.cells: list[str] = []
        self.means = np.zeros((0, n_genes), dtype=np.float32)

    def fit(self, train: ExpressionData, config: TrainConfig, valid: Optional[ExpressionData] = None
            ) -> dict[str, Any]:
        super().fit(train, config, valid)
        cells = np.asarray(train.cell_ids)
        self.cells = sorted(set(train.cell_ids))
        self.means = np.stack([train.y[cells == c].mean(axis=0) for c in self.cells]).astype(np.float32) \
            if self.cells else np.zeros((0, self.n_genes), dtype=np.float32)
        return {"epochs_run": 0, "cells": len(self.cells)}

    def predict_expression(self, conditions: Conditions, *, context: Optional[GraphContext] = None) -> np.ndarray:
        index = {c: i for i, c in enumerate(self.cells)}
        out = np.tile(self.mean, (len(conditions), 1))
        for row, cell in enumerate(conditions.cell_ids):
            if cell in index:
                out[row] = self.means[index[cell]]
        return out

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "cells": list(self.cells), "means": _tensor(self.means)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.cells, self.means = list(state["cells"]), _array(state["means"])


class TanimotoKNNModel(StructureMemory):
    name = "tanimoto_knn"
    description = "baseline: similarity-weighted mean of the k most Tanimoto-similar training compounds (params: k=5)"

    def __init__(self, n_genes: int, params: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(n_genes, params)
        self.k = int(self.params.get("k", 5))
        if self.k < 1:
            raise ValueError(f"tanimoto_knn: k={self.k} must be >= 1")
        self.params["k"] = self.k
        self.rows: tuple[list[str], list[str], np.ndarray] = ([], [], np.zeros((0, n_genes), dtype=np.float32))

    def fit(self, train: ExpressionData, config: TrainConfig, valid: Optional[ExpressionData] = None
            ) -> dict[str, Any]:
        self.remember(train)
        self.rows = (list(train.compound_ids), list(train.cell_ids), np.asarray(train.y, dtype=np.float32))
        return {"epochs_run": 0, "compounds": len(set(train.compound_ids))}

    def predict_expression(self, conditions: Conditions, *, context: Optional[GraphContext] = None) -> np.ndarray:
        compounds, cells, y = self.rows
        if not compounds:
            raise RuntimeError("tanimoto_knn is not fitted: call fit() or load a checkpoint first")
        known = sorted(set(compounds))
        position = {c: i for i, c in enumerate(known)}
        by_cell: dict[str, dict[int, int]] = {}
        for row, (compound, cell) in enumerate(zip(compounds, cells)):
            by_cell.setdefault(cell, {})[position[compound]] = row
        owner = np.array([position[c] for c in compounds])
        compound_mean = np.stack([y[owner == i].mean(axis=0) for i in range(len(known))])
        sims = self._similarities(conditions, context, known)
        out = np.zeros((len(conditions), self.n_genes), dtype=np.float32)
        for row, cell in enumerate(conditions.cell_ids):
            there = by_cell.get(cell)
            candidates = np.array(sorted(there)) if there else np.arange(len(known))
            top = candidates[np.argsort(-sims[row, candidates], kind="stable")[: self.k]]
            weights = sims[row, top] + 1e-3  # no similarity at all: a plain mean of the neighbours
            profiles = y[[there[i] for i in top]] if there else compound_mean[top]
            out[row] = weights @ profiles / weights.sum()
        return out

    def _similarities(self, conditions: Conditions, context: Optional[GraphContext], known: list[str]
                      ) -> np.ndarray:
        from toolkit.expression.features import tanimoto

        return tanimoto(self.fingerprints(conditions.compound_ids, context), self.fingerprints(known, None))

    def state_dict(self) -> dict[str, Any]:
        compounds, cells, y = self.rows
        return {**self.memory_state(), "compounds": list(compounds), "row_cells": list(cells), "y": _tensor(y)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.load_memory(state)
        self.rows = (list(state["compounds"]), list(state["row_cells"]), _array(state["y"]))


class RidgeECFPModel(StructureMemory):
    name = "ridge_ecfp"
    description = "baseline: ridge from [ECFP bits, one-hot cell line] (params: alpha, else picked on validation)"

    def __init__(self, n_genes: int, params: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(n_genes, params)
        self.coef: Optional[np.ndarray] = None  # (n_bits + cells, genes)
        self.x_mean = np.zeros(0, dtype=np.float32)
        self.y_mean = np.zeros(n_genes, dtype=np.float32)

    def design(self, conditions: Conditions, context: Optional[GraphContext]) -> np.ndarray:
        """[ECFP bits, one-hot cell line]; an unseen cell line gets the training share of each cell."""
        cells = np.zeros((len(conditions), len(self.cells)), dtype=np.float32)
        index = self.cell_index(conditions.cell_ids)
        cells[index > 0, index[index > 0] - 1] = 1.0
        if len(self.x_mean):
            cells[index == 0] = self.x_mean[self.spec.n_bits:]
        return np.hstack([self.fingerprints(conditions.compound_ids, context), cells])

    def fit(self, train: ExpressionData, config: TrainConfig, valid: Optional[ExpressionData] = None
            ) -> dict[str, Any]:
        self.remember(train)
        self.x_mean = np.zeros(0, dtype=np.float32)
        x = self.design(train.conditions, train.context).astype(np.float64)
        self.x_mean = x.mean(axis=0).astype(np.float32)
        self.y_mean = train.y.mean(axis=0).astype(np.float32)
        xc, yc = x - self.x_mean, train.y.astype(np.float64) - self.y_mean
        eigval, eigvec = np.linalg.eigh(xc @ xc.T)  # dual: (X X^T + alpha I)^-1 from one decomposition
        projected = eigvec.T @ yc
        scored = valid is not None and len(valid.sample_ids) > 0
        grid = [float(self.params["alpha"])] if "alpha" in self.params else \
            (list(ALPHA_GRID) if scored else [DEFAULT_ALPHA])
        scores: dict[float, float] = {}
        best: Optional[tuple[float, float, np.ndarray]] = None
        for alpha in grid:
            self.coef = (xc.T @ (eigvec @ (projected / (np.clip(eigval, 0, None) + alpha)[:, None]))).astype(np.float32)
            value = regression_score(self.predict_expression(valid.conditions, context=valid.context or train.context),
                                     valid.y) if scored and valid is not None else 0.0
            scores[alpha] = value
            if best is None or value > best[0]:
                best = (value, alpha, self.coef)
        assert best is not None
        self.coef, self.params["alpha"] = best[2], best[1]
        return {"epochs_run": 0, "alpha": best[1], "best_valid_score": best[0] if scored else None,
                "alpha_scores": {str(a): s for a, s in scores.items()} if scored else {}}

    def _fitted(self) -> np.ndarray:
        if self.coef is None:
            raise RuntimeError("ridge_ecfp is not fitted: call fit() or load a checkpoint first")
        return self.coef

    def predict_expression(self, conditions: Conditions, *, context: Optional[GraphContext] = None) -> np.ndarray:
        return ((self.design(conditions, context) - self.x_mean) @ self._fitted() + self.y_mean).astype(np.float32)

    def fingerprint_forward(self, conditions: Conditions, *, context: Optional[GraphContext] = None
                            ) -> tuple[FingerprintSpec, FingerprintForward]:
        """fp -> (fp - mean) @ W_bits + the rows' (fixed) cell-line part + mean; k * n rows tile the
        cell part (as Captum batches IG steps)."""
        coef, bits = self._fitted(), self.spec.n_bits
        fixed = _tensor((self.design(conditions, context)[:, bits:] - self.x_mean[bits:]) @ coef[bits:] + self.y_mean)
        w, centre = _tensor(coef[:bits]), _tensor(self.x_mean[:bits])

        def forward(fp: Any) -> Any:
            reps = len(fp) // max(len(fixed), 1)
            return (fp - centre.to(fp.device)) @ w.to(fp.device) + fixed.to(fp.device).repeat(reps, 1)

        return self.spec, forward

    def state_dict(self) -> dict[str, Any]:
        return {**self.memory_state(), "coef": _tensor(self._fitted()), "x_mean": _tensor(self.x_mean),
                "y_mean": _tensor(self.y_mean)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.load_memory(state)
        self.coef, self.x_mean, self.y_mean = _array(state["coef"]), _array(state["x_mean"]), _array(state["y_mean"])


class GeneMajorityModel(ExpressionModelPlugin):
    name = "gene_majority"
    description = "3-class baseline: each gene's training frequencies of down / none / up (argmax: the majority)"
    three_class = True
    requires_context = False

    def __init__(self, n_genes: int, params: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(n_genes, params)
        self.freq = np.tile(np.array([0.0, 1.0, 0.0], dtype=np.float32), (n_genes, 1))

    def fit(self, train: ExpressionData, config: TrainConfig, valid: Optional[ExpressionData] = None
            ) -> dict[str, Any]:
        labels = three_class(train.y)
        self.freq = np.stack([(labels == k).mean(axis=0) for k in range(3)], axis=1).astype(np.float32)
        return {"epochs_run": 0}

    def predict_classes(self, conditions: Conditions, *, context: Optional[GraphContext] = None) -> np.ndarray:
        return np.tile(self.freq, (len(conditions), 1, 1))

    def predict_expression(self, conditions: Conditions, *, context: Optional[GraphContext] = None) -> np.ndarray:
        return np.tile(self.freq[:, 2] - self.freq[:, 0], (len(conditions), 1))

    def state_dict(self) -> dict[str, Any]:
        return {"freq": _tensor(self.freq)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.freq = _array(state["freq"])


BASELINES = (GeneMeanModel, CellMeanModel, TanimotoKNNModel, RidgeECFPModel, GeneMajorityModel)
