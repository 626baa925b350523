"""A DrugCell-style visible neural network whose hidden units follow the Gene Ontology.

Each GO term of ``context.gene_go`` (terms without genes are dropped) gets
``max(neurons_per_term, ceil(neurons_per_gene * its genes))`` neurons (DCell sizes units by genes;
defaults 16 and 0) fed by its direct genes (annotated to it, not to a child term) and by its child
terms' neurons (``context.go_edges``, child -> parent). Terms are computed level by level, leaves
first, with one masked dense layer per level (masked linear -> ReLU); the neurons of the
root-level terms (terms without a kept parent; the export drops very large terms, so there are
usually many) feed a linear classifier. Genes annotated to no kept term do not reach the model.

Params: ``neurons_per_term`` = 16, ``neurons_per_gene`` = 0, ``dropout`` = 0.1 (on the root
neurons), ``activation`` = relu | tanh, ``batch_norm`` = False. DrugCell's own choice (6 neurons,
BatchNorm -> tanh) is ``activation="tanh", batch_norm=True``; on development data (demo seed 1,
weaker signal, its test split) 16 neurons with ReLU and no BatchNorm gave the best macro-F1 (4
neurons: about 0.1 lower; tanh + BatchNorm about 0.1 lower again), so those are the defaults.
``term_activity(x)`` gives each term's mean absolute neuron activation per signature, in the order
of ``terms`` (GO ids), for term-level interpretation.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

import numpy as np

from toolkit.hookspecs import hookimpl
from toolkit.models import TaskData, context_error

from toolkit.train.torch_model import TorchModel, tensors_with_prefix

DEFAULTS: dict[str, Any] = {"neurons_per_term": 16, "neurons_per_gene": 0.0, "dropout": 0.1,
                            "activation": "relu", "batch_norm": False}


class GOVisibleModel(TorchModel):
    name = "go_vnn"
    description = ("visible neural network on the GO DAG, DrugCell-style "
                   "(params: neurons_per_term=16, activation=relu, batch_norm=False)")
    requires_context = True
    context_needs = ("go",)

    def __init__(self, n_features: int, n_classes: int, params: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(n_features, n_classes, params)
        self.params = {**DEFAULTS, **self.params}
        self.k = int(self.params["neurons_per_term"])
        self.per_gene = float(self.params["neurons_per_gene"])
        if self.k < 1 or self.per_gene < 0:
            raise ValueError("go_vnn: neurons_per_term must be >= 1 and neurons_per_gene >= 0")
        if self.params["activation"] not in ("relu", "tanh"):
            raise ValueError(f"go_vnn: activation={self.params['activation']!r}; use relu or tanh")
        self.terms: list[str] = []

    def _net(self, levels: list[tuple[Any, Any, Any]], offsets: Any, root_cols: Any) -> Any:
        from .nets.vnn import VisibleNet

        p = self.params
        return VisibleNet(levels, offsets, root_cols, self.n_classes, float(p["dropout"]), str(p["activation"]),
                          bool(p["batch_norm"]))

    def build(self, train: TaskData) -> Any:
        import torch

        from .nets.vnn import plan_dag

        ctx = train.context
        if ctx is None or not np.asarray(ctx.gene_go).any():
            raise ValueError(context_error(self.name, ["go"]))
        if ctx.gene_go.shape != (self.n_features, len(ctx.go_ids)):
            raise ValueError(f"go_vnn: gene_go is {ctx.gene_go.shape}, expected ({self.n_features}, {len(ctx.go_ids)})")
        plan = plan_dag(ctx.gene_go, ctx.go_edges, self.k, self.per_gene)
        self.terms = [ctx.go_ids[t] for t in plan.term_order]
        levels = [(torch.as_tensor(lv.gene_mask), torch.as_tensor(lv.child_cols), torch.as_tensor(lv.child_mask))
                  for lv in plan.levels]
        return self._net(levels, torch.as_tensor(plan.offsets), torch.as_tensor(plan.root_cols))

    def rebuild(self, state: Mapping[str, Any]) -> Any:
        levels = []
        while f"levels.{len(levels)}.gene_mask" in state:
            lv = tensors_with_prefix(state, f"levels.{len(levels)}.")
            levels.append((lv["gene_mask"], lv["child_cols"], lv["child_mask"]))
        return self._net(levels, state["offsets"], state["root_cols"])

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "terms": list(self.terms)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.terms = [str(t) for t in state.get("terms", [])]

    def term_activity(self, x: np.ndarray) -> np.ndarray:
        """(n, n_terms) mean |activation| of each term's neurons, columns in ``terms`` order."""
        import torch

        module = self.fitted_module().eval()
        with torch.no_grad():
            return module.term_activity(torch.as_tensor(np.asarray(x, dtype=np.float32))).numpy()


@hookimpl
def kgtool_register_models(register: Any) -> None:
    register(GOVisibleModel)
