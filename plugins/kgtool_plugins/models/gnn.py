"""A graph neural network over the STRING gene graph: each signature is one graph, one node per
landmark gene, node feature = the gene's z-score times a learned per-gene embedding plus a learned
per-gene offset (so one channel can read genes that move in opposite directions).

Params: ``conv`` = gcn | gat | sage (PyG ``GCNConv`` with STRING scores / 1000 as edge weights and
self-loops, ``GATConv`` with 4 heads, ``SAGEConv`` mean), ``hidden`` = 16, ``layers`` = 2,
``emb`` = 16, ``dropout`` = 0.1 (on the pooled features). Readout: mean and max pooling over the
genes, then a two-layer classifier. The STRING edges are module buffers, so a checkpoint restores
the model without the graph context.

Batching: for gcn and sage the B signatures of a batch share one graph, and each convolution's
aggregation is a single sparse (n_genes x n_genes) product over a (n_genes, B * channels) matrix,
computed with the PyG layers' own weights and normalisation; gat (attention differs per signature)
runs PyG message passing on B disjoint copies of the graph. Both forms compute the same function
(tested), and the disjoint form is what graph explainers see.

Explanations: ``torch_module()`` maps (n, n_genes) signatures to logits (Captum); the model is
also a :class:`toolkit.models.GraphModel` — ``graph_module()`` takes
``(x (n*n_genes, 1), tiled edge_index, batch)`` and ``edge_index()`` gives the (2, E) gene edges —
so PyG's GNNExplainer can mask the STRING edges the convolutions use.

Training notes: the gene embeddings are stored scaled down (``EMB_GAIN`` = 30) so that Adam moves
them faster than the other weights; without it the model sat on its initial plateau for tens of
epochs on development data (demo seed 1). The z-scores are multiplied by a fixed ``input_scale`` =
1 / their RMS over the training rows, so compound consensus signatures (``--aggregate compound``,
about 3x smaller than single signatures) reach the same regime. On ~50 compound-level training
rows (realistic demo, seed 1) the model used to collapse to one or two classes (validation
compound macro-F1 ~0.01-0.07): one optimiser step an epoch. With at least 8 steps an epoch
(:mod:`toolkit.train.torch_model`) and the input scale it reached 0.37-0.60.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

import numpy as np

from toolkit.hookspecs import hookimpl
from toolkit.models import TaskData, context_error

from toolkit.train.torch_model import TorchModel

DEFAULTS: dict[str, Any] = {"conv": "gcn", "hidden": 16, "layers": 2, "emb": 16, "dropout": 0.1}


def gene_graph(train: TaskData, model: str, n_genes: int) -> tuple[np.ndarray, np.ndarray]:
    """The STRING edges (2, E) int64 and their weights (E,) float32 of ``train.context``, checked:
    a clear error when there are none or when they index genes the model does not have."""
    ctx = train.context
    if ctx is None or np.asarray(ctx.gene_edges).size == 0:
        raise ValueError(context_error(model, ["string"]))
    edges = np.asarray(ctx.gene_edges, dtype=np.int64).reshape(2, -1)
    weight = np.asarray(ctx.edge_weight, dtype=np.float32)
    if edges.min() < 0 or edges.max() >= n_genes:
        raise ValueError(f"{model}: gene_edges index genes outside 0..{n_genes - 1}")
    if weight.shape != (edges.shape[1],):
        raise ValueError(f"{model}: {edges.shape[1]} STRING edges but {weight.shape[0]} edge weights")
    return edges, weight


def input_scale(x: np.ndarray) -> float:
    """1 / the root mean square of the training z-scores (1 when there are none or all are 0)."""
    rms = float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if np.asarray(x).size else 0.0
    return 1.0 / rms if rms > 0 else 1.0


class GNNModel(TorchModel):
    name = "gnn"
    description = ("GNN on the STRING gene graph, one graph per signature "
                   "(params: conv=gcn|gat|sage, hidden=16, layers=2, emb=16)")
    requires_context = True
    context_needs = ("string",)
    predict_batch_size = 256  # node tensors are (n_genes, batch, hidden)

    def __init__(self, n_features: int, n_classes: int, params: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(n_features, n_classes, params)
        self.params = {**DEFAULTS, **self.params}
        if self.params["conv"] not in ("gcn", "gat", "sage"):
            raise ValueError(f"gnn: conv={self.params['conv']!r}; use gcn, gat or sage")
        if int(self.params["layers"]) < 1 or int(self.params["hidden"]) < 1:
            raise ValueError("gnn: layers and hidden must be >= 1")

    def _net(self, edge_index: Any, edge_weight: Any, scale: float = 1.0) -> Any:
        from .nets.gene_graph import GeneGraphNet, SignatureGraphView

        p = self.params
        net = GeneGraphNet(edge_index, edge_weight, self.n_features, self.n_classes, conv=str(p["conv"]),
                           hidden=int(p["hidden"]), layers=int(p["layers"]), emb=int(p["emb"]),
                           dropout=float(p["dropout"]), input_scale=scale)
        return SignatureGraphView(net)

    def build(self, train: TaskData) -> Any:
        import torch

        edges, weight = gene_graph(train, self.name, self.n_features)
        return self._net(torch.as_tensor(edges), torch.as_tensor(weight), input_scale(train.x[train.labelled]))

    def rebuild(self, state: Mapping[str, Any]) -> Any:
        return self._net(state["net.edges"], state["net.edge_weight"])

    def load_state_dict(self, state: dict[str, Any]) -> None:
        import torch

        module = state["module"]
        if "net.input_scale" not in module:  # checkpoints from before the input scale: unscaled
            state = {**state, "module": {**module, "net.input_scale": torch.tensor(1.0)}}
        super().load_state_dict(state)

    def graph_module(self) -> Any:
        """forward(x (n*n_genes, 1), edge_index (2, n*E) tiled, batch (n*n_genes,)) -> logits."""
        return self.fitted_module().net

    def edge_index(self) -> np.ndarray:
        """The (2, E) STRING gene edges (both directions) the convolutions use."""
        return self.fitted_module().net.edges.numpy().copy()


@hookimpl
def kgtool_register_models(register: Any) -> None:
    register(GNNModel)
