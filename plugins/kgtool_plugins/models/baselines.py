"""Reference models every learned MoA model should beat.

* ``majority``: the training label prior for every input (no torch module; state
  ``{"prior": [...]}``);
* ``nearest_centroid``: CMap-style class centroids. Each class's centroid is the mean of its
  labelled training signatures (a multi-label row counts with its soft-target share); a query's
  class logits are its Pearson correlation with each centroid divided by a temperature, picked
  from ``TEMPERATURE_GRID`` by validation log loss (the predicted class does not depend on it;
  ``DEFAULT_TEMPERATURE`` without validation rows, or ``params["temperature"]``). Classes without
  training samples are never predicted. Its torch module computes exactly those logits;
* ``logistic``: multinomial logistic regression fitted with scikit-learn (L-BFGS, full batch, to
  convergence) on the soft targets (a multi-label row counts once, split over its labels). The L2
  strength ``C`` is picked from ``C_GRID`` by validation COMPOUND macro-F1
  (:func:`toolkit.train.metrics.compound_macro_f1`, ties: the lower validation log loss), or fixed
  by ``params["C"]``. Log loss alone rewarded predicting the prior on noisy data (it picked the
  strongest penalty, C = 0.001, and every compound got the majority class).
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

from typing import Any, Mapping, Optional, Sequence

import numpy as np

from toolkit.hookspecs import hookimpl
from toolkit.models import GraphContext, ModelPlugin, TaskData, TrainConfig
from toolkit.train.loop import class_weights, predict_logits, soft_targets, softmax
from toolkit.train.metrics import compound_macro_f1, log_loss

C_GRID = (0.001, 0.01, 0.1, 1.0, 10.0)  # inverse L2 strengths tried on the validation rows
MAX_ITER = 1000
ABSENT_BIAS = -30.0
TEMPERATURE_GRID = (0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0)  # nearest_centroid softmax temperatures
DEFAULT_TEMPERATURE = 0.1  # nearest_centroid without validation rows


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

    def predict_proba(self, x: np.ndarray, *, compounds: Optional[Sequence[str]] = None,
                      context: Optional[GraphContext] = None) -> np.ndarray:
        return np.tile(self.prior, (len(x), 1))

    def state_dict(self) -> dict[str, Any]:
        return {"prior": [float(p) for p in self.prior]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.prior = np.asarray(state["prior"], dtype=np.float64)


def labelled_part(data: Optional[TaskData]) -> Optional[TaskData]:
    """The labelled rows of ``data`` (None when there are none)."""
    if data is None or not data.labelled.any():
        return None
    return data.subset(np.flatnonzero(data.labelled))


def validation_scores(proba: np.ndarray, valid: TaskData) -> tuple[float, float]:
    """(compound macro-F1, signature log loss) of ``proba`` on labelled rows ``valid``."""
    return compound_macro_f1(proba, valid.y, valid.compound_ids), log_loss(proba, valid.y)


def _label_rows(data: TaskData) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One row per (signature, label) with weight = that label's share of the signature: weighted
    multinomial likelihood on these rows is the soft-target cross-entropy of the shared loop."""
    rows, labels = np.nonzero(data.y > 0)
    weights = soft_targets(data.y)[rows, labels]
    return data.x[rows], labels, weights


class ModuleBaseline(ModelPlugin):
    """A baseline whose fitted state is one torch module mapping signatures to logits: prediction,
    the explainers' module and the checkpoint's state all come from it."""

    predict_batch_size = 4096

    def __init__(self, n_features: int, n_classes: int, params: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(n_features, n_classes, params)
        self.module: Any = None

    def _fitted(self) -> Any:
        if self.module is None:
            raise RuntimeError(f"{self.name} is not fitted: call fit() or load a checkpoint first")
        return self.module

    def predict_proba(self, x: np.ndarray, *, compounds: Optional[Sequence[str]] = None,
                      context: Optional[GraphContext] = None) -> np.ndarray:
        x = np.asarray(x, dtype=np.float32)
        return softmax(predict_logits(self._fitted(), x, batch_size=self.predict_batch_size), self.n_classes)

    def torch_module(self) -> Any:
        return self.module

    def state_dict(self) -> dict[str, Any]:
        return {"module": dict(self._fitted().state_dict())}


class LogisticModel(ModuleBaseline):
    name = "logistic"
    description = "baseline: multinomial logistic regression, L2 strength picked on validation (params: C)"

    def __init__(self, n_features: int, n_classes: int, params: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(n_features, n_classes, params)

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
        """Fit at every C of the grid (or the given one) and keep the best on validation:
        highest compound macro-F1, then lowest log loss (the first C without validation rows)."""
        grid = [float(self.params["C"])] if "C" in self.params else list(C_GRID)
        train = train.subset(np.flatnonzero(train.labelled))
        if not len(train.sample_ids):
            raise ValueError("logistic needs labelled training signatures")
        valid = labelled_part(valid)
        best: Optional[tuple[tuple[float, float], float, Any]] = None
        for c in grid if valid is not None else grid[:1]:
            model = self._linear(*self._fit_c(train, c, config))
            key = (0.0, 0.0)
            if valid is not None:
                f1, loss = validation_scores(softmax(predict_logits(model, valid.x), self.n_classes), valid)
                key = (-f1, loss)
            if best is None or key < best[0]:
                best = (key, c, model)
        assert best is not None
        (neg_f1, loss), self.params["C"], self.module = best
        scored = valid is not None
        return {"epochs_run": 1, "C": self.params["C"], "valid_macro_f1": -neg_f1 if scored else None,
                "best_valid_loss": loss if scored else None}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.module = self._linear(state["module"]["weight"], state["module"]["bias"])


class NearestCentroidModel(ModuleBaseline):
    name = "nearest_centroid"
    description = ("baseline: Pearson correlation to per-MoA centroids of the training signatures, "
                   "softmax with a validation-picked temperature (params: temperature)")

    def __init__(self, n_features: int, n_classes: int, params: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(n_features, n_classes, params)
        if "temperature" in self.params and not float(self.params["temperature"]) > 0:
            raise ValueError(f"nearest_centroid: temperature={self.params['temperature']!r} must be > 0")

    def _module(self, centroids: Any, present: Any, temperature: Any) -> Any:
        from .nets.centroid import CentroidCorrelation

        return CentroidCorrelation(centroids, present, temperature).eval()

    def fit(self, train: TaskData, config: TrainConfig, valid: Optional[TaskData] = None) -> dict[str, Any]:
        """Centroids = soft-target-weighted means of the labelled training rows; the temperature
        with the lowest validation log loss (the given or default one without validation rows)."""
        import torch

        keep = train.labelled
        if not keep.any():
            raise ValueError("nearest_centroid needs labelled training signatures")
        weights = soft_targets(train.y[keep]).astype(np.float64)  # (n, n_classes)
        mass = weights.sum(axis=0)
        centroids = (weights.T @ train.x[keep].astype(np.float64)) / np.clip(mass, 1e-12, None)[:, None]
        return self._install(torch.as_tensor(centroids, dtype=torch.float32), torch.as_tensor(mass > 0), valid)

    def _install(self, centroids: Any, present: Any, valid: Optional[TaskData]) -> dict[str, Any]:
        """Use ``centroids`` (a float tensor, one row per class; ``present``: classes with training
        samples) with the temperature of lowest validation log loss (the given or default one
        without validation rows); the fit history."""
        valid = labelled_part(valid)
        if "temperature" in self.params or valid is None:
            grid = [float(self.params.get("temperature", DEFAULT_TEMPERATURE))]
        else:
            grid = list(TEMPERATURE_GRID)
        best: Optional[tuple[float, float]] = None
        for t in grid:
            module = self._module(centroids, present, t)
            loss = 0.0
            if valid is not None:
                loss = log_loss(softmax(predict_logits(module, valid.x), self.n_classes), valid.y)
            if best is None or loss < best[0]:
                best = (loss, t)
        assert best is not None
        self.module = self._module(centroids, present, best[1])
        history: dict[str, Any] = {"epochs_run": 0, "temperature": best[1], "best_valid_loss": None,
                                   "valid_macro_f1": None, "centroids": int(present.sum())}
        if valid is not None:
            f1, loss = validation_scores(self.predict_proba(valid.x), valid)
            history.update(best_valid_loss=loss, valid_macro_f1=f1)
        return history

    def load_state_dict(self, state: dict[str, Any]) -> None:
        s = state["module"]
        module = self._module(s["centroids"], s["present"], s["temperature"])
        module.load_state_dict(s)
        self.module = module.eval()


class CmapKNNModel(ModuleBaseline):
    name = "cmap_knn"
    description = "baseline: cosine nearest neighbours among labelled signatures, weighted vote (params: k=10)"
    predict_batch_size = 512  # a (batch, references) similarity matrix per batch

    def __init__(self, n_features: int, n_classes: int, params: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(n_features, n_classes, params)
        self.k = int(self.params.get("k", 10))
        if self.k < 1:
            raise ValueError(f"cmap_knn: k={self.k} must be >= 1")
        self.params["k"] = self.k

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

    def load_state_dict(self, state: dict[str, Any]) -> None:
        s = state["module"]
        self.module = self._module(s["reference"], s["labels"], s["prior"])


@hookimpl
def kgtool_register_models(register: Any) -> None:
    register(MajorityModel)
    register(LogisticModel)
    register(NearestCentroidModel)
    register(CmapKNNModel)
