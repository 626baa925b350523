"""Reference models every learned MoA model should beat.

* ``majority``: the training label prior for every input (no torch module);
* ``logistic``: multinomial logistic regression fitted with scikit-learn (L-BFGS, full batch, to
  convergence) on the soft targets (a multi-label row counts once, split over its labels). The L2
  strength ``C`` is picked from a small grid by validation log-loss (or ``params["C"]``);
  ``class_weight="balanced"`` in the config params weighs classes as the shared loop does. An
  honest baseline must be converged: the same linear model trained by the shared AdamW loop
  stops far from the optimum (see ``linear_softmax``). Its torch module is an ``nn.Linear`` holding
  the fitted coefficients, so ``softmax(module(x))`` is ``predict_proba(x)`` and gradient
  explainers apply;
* ``cmap_knn``: Connectivity-Map-style nearest neighbours. Each query is compared with every
  labelled training signature by cosine similarity; class scores are the similarity-weighted vote
  of the ``k`` most similar ones (negative similarities count 0) plus a tiny share of the label
  prior, so a query unlike anything gets the prior. Not trained; its torch module is
  differentiable (the logits are the log of the scores), so Integrated Gradients explains it too.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

import numpy as np

from toolkit.hookspecs import hookimpl
from toolkit.models import ModelPlugin, TaskData, TrainConfig
from toolkit.train.loop import class_weights, predict_logits, soft_targets, softmax

C_GRID = (0.001, 0.01, 0.1, 1.0, 10.0)  # inverse L2 strengths tried on the validation rows
MAX_ITER = 1000
ABSENT_BIAS = -30.0


def label_prior(train: TaskData) -> np.ndarray:
    """Mean soft target over the labelled training rows (uniform when there are none)."""
    y = train.y[train.labelled]
    if len(y) == 0:
        return np.full(train.y.shape[1], 1.0 / train.y.shape[1])
    prior = soft_targets(y).mean(axis=0)
    return prior / prior.sum()


class MajorityModel(ModelPlugin):
    name = "majority"
    description = "baseline: the training label prior for every signature"

    def __init__(self, n_features: int, n_classes: int, params: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(n_features, n_classes, params)
        self.prior = np.full(n_classes, 1.0 / n_classes)

    def fit(self, train: TaskData, config: TrainConfig, valid: Optional[TaskData] = None) -> dict[str, Any]:
        self.prior = label_prior(train)
        return {"epochs_run": 0, "best_valid_loss": None}

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        return np.tile(self.prior, (len(x), 1))

    def state_dict(self) -> dict[str, Any]:
        return {"prior": [float(p) for p in self.prior]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.prior = np.asarray(state["prior"], dtype=np.float64)


def _label_rows(data: TaskData) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One row per (signature, label) with weight = that label's share of the signature: weighted
    multinomial likelihood on these rows is the soft-target cross-entropy of the shared loop."""
    rows, labels = np.nonzero(data.y > 0)
    weights = soft_targets(data.y)[rows, labels]
    return data.x[rows], labels, weights


class LogisticModel(ModelPlugin):
    name = "logistic"
    description = "baseline: multinomial logistic regression, L2 strength picked on validation (params: C)"

    def __init__(self, n_features: int, n_classes: int, params: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(n_features, n_classes, params)
        self.module: Any = None

    def _linear(self, weight: Any, bias: Any) -> Any:
        import torch

        module = torch.nn.Linear(self.n_features, self.n_classes)
        with torch.no_grad():
            module.weight.copy_(torch.as_tensor(weight, dtype=torch.float32))
            module.bias.copy_(torch.as_tensor(bias, dtype=torch.float32))
        return module.eval()

    def _fit_c(self, train: TaskData, c: float, config: TrainConfig) -> tuple[np.ndarray, np.ndarray]:
        """(n_classes, n_features) weights and biases of a full-batch L-BFGS fit at strength ``c``."""
        import warnings

        from sklearn.exceptions import ConvergenceWarning
        from sklearn.linear_model import LogisticRegression

        x, labels, weights = _label_rows(train)
        present = np.unique(labels)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            if config.params.get("class_weight") == "balanced":  # as the shared loop weighs classes
                weights = weights * class_weights(train.y)[labels]
            fitted = LogisticRegression(C=c, max_iter=MAX_ITER, random_state=config.seed).fit(
                x, labels, sample_weight=weights)
        weight = np.zeros((self.n_classes, self.n_features))
        bias = np.full(self.n_classes, ABSENT_BIAS)  # classes never seen in training: never predicted
        if len(present) == 1:  # sklearn keeps no coefficients then
            bias[present] = 0.0
        elif len(present) == 2:  # sklearn's binary form: one logit for the second class
            weight[present[1]], bias[present[1]] = fitted.coef_[0], fitted.intercept_[0]
            bias[present[0]] = 0.0
        else:
            weight[present], bias[present] = fitted.coef_, fitted.intercept_
        return weight, bias

    def fit(self, train: TaskData, config: TrainConfig, valid: Optional[TaskData] = None) -> dict[str, Any]:
        grid = [float(self.params["C"])] if "C" in self.params else list(C_GRID)
        train = train.subset(np.flatnonzero(train.labelled))
        if not len(train.sample_ids):
            raise ValueError("logistic needs labelled training signatures")
        usable = valid is not None and valid.labelled.any() and len(grid) > 1
        best: tuple[float, float, Any] = (float("inf"), grid[0], None)
        for c in grid if usable else grid[:1]:
            model = self._linear(*self._fit_c(train, c, config))
            loss = self._loss(model, valid) if usable else 0.0
            if loss < best[0]:
                best = (loss, c, model)
        self.module, self.params["C"] = best[2], best[1]
        return {"epochs_run": 1, "best_valid_loss": best[0] if usable else None, "C": best[1]}

    def _loss(self, module: Any, valid: Any) -> float:
        keep = valid.labelled
        proba = softmax(predict_logits(module, valid.x[keep]), self.n_classes)
        return float(-(soft_targets(valid.y[keep]) * np.log(np.clip(proba, 1e-12, None))).sum(axis=1).mean())

    def _fitted(self) -> Any:
        if self.module is None:
            raise RuntimeError("logistic is not fitted: call fit() or load a checkpoint first")
        return self.module

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        return softmax(predict_logits(self._fitted(), np.asarray(x, dtype=np.float32)), self.n_classes)

    def torch_module(self) -> Any:
        return self.module

    def state_dict(self) -> dict[str, Any]:
        return {"module": dict(self._fitted().state_dict())}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.module = self._linear(state["module"]["weight"], state["module"]["bias"])


class CmapKNNModel(ModelPlugin):
    name = "cmap_knn"
    description = "baseline: cosine nearest neighbours among labelled signatures, weighted vote (params: k=10)"

    def __init__(self, n_features: int, n_classes: int, params: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(n_features, n_classes, params)
        self.k = int(self.params.get("k", 10))
        if self.k < 1:
            raise ValueError(f"cmap_knn: k={self.k} must be >= 1")
        self.params["k"] = self.k
        self.module: Any = None

    def _module(self, reference: Any, labels: Any, prior: Any) -> Any:
        from .nets.knn import CosineKNN

        return CosineKNN(reference, labels, prior, self.k).eval()

    def fit(self, train: TaskData, config: TrainConfig, valid: Optional[TaskData] = None) -> dict[str, Any]:
        import torch

        keep = train.labelled
        if not keep.any():
            raise ValueError("cmap_knn needs labelled training signatures")
        reference = torch.nn.functional.normalize(torch.as_tensor(train.x[keep], dtype=torch.float32), dim=1)
        labels = torch.as_tensor(soft_targets(train.y[keep]), dtype=torch.float32)
        self.module = self._module(reference, labels, torch.as_tensor(label_prior(train), dtype=torch.float32))
        return {"epochs_run": 0, "best_valid_loss": None, "references": int(keep.sum())}

    def _fitted(self) -> Any:
        if self.module is None:
            raise RuntimeError("cmap_knn is not fitted: call fit() or load a checkpoint first")
        return self.module

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        logits = predict_logits(self._fitted(), np.asarray(x, dtype=np.float32), batch_size=512)
        return softmax(logits, self.n_classes)

    def torch_module(self) -> Any:
        return self.module

    def state_dict(self) -> dict[str, Any]:
        return {"module": dict(self._fitted().state_dict())}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        s = state["module"]
        self.module = self._module(s["reference"], s["labels"], s["prior"])


@hookimpl
def kgtool_register_models(register: Any) -> None:
    register(MajorityModel)
    register(LogisticModel)
    register(CmapKNNModel)
