"""PyG ``GNNExplainer`` for graph models: a soft mask over genes (node features) and STRING edges.

Applies to models that follow :class:`toolkit.models.GraphModel`. Each signature is one
graph (genes as nodes, the z-score as the single node feature), explained by its own mask
optimisation by default. ``graphs_per_batch`` > 1 explains that many signatures together as
disjoint copies of the gene graph (the size penalties divided by the number of copies), but do not
rely on it: on the demo gnn, 12 signatures explained together got precision@20 0.0 on the planted
genes and a seed-to-seed top-20 overlap of 0.60, against 0.815 and 0.955 one by one, in the same
time (6 s vs 5 s). Node-mask values are in [0, 1] (importance, not signed).

Learning rate: 0.1, not PyG's default 0.01. With 0.01 the masks hardly leave their random
initialisation in 100 steps, so the ranking follows the seed: on the demo (978 genes, gnn) the
top-20 genes of two seeds overlapped 0.32 (50 epochs), against 0.91 with lr 0.1 and 100 epochs,
whose precision@20 on the planted genes also rose from 0.47 to 0.69 (6 signatures, 3 seeds).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from toolkit.explain.base import EdgeAttribution, EdgeExplainer
from toolkit.hookspecs import hookimpl
from toolkit.models import Explained, is_graph_model

# torch_geometric.explain.algorithm.GNNExplainer defaults
EDGE_SIZE = 0.005
NODE_FEAT_SIZE = 1.0


class GNNExplainerPlugin(EdgeExplainer):
    name = "gnn_explainer"
    description = "PyG GNNExplainer: learned node (gene) and edge (STRING) masks; graph models only"
    deterministic = False

    def __init__(self, epochs: int = 100, lr: float = 0.1, graphs_per_batch: int = 1) -> None:
        self.epochs = epochs
        self.lr = lr
        self.graphs_per_batch = graphs_per_batch

    @classmethod
    def supports(cls, model: Explained) -> bool:
        return is_graph_model(model)

    def attribute_edges(self, model: Explained, inputs: np.ndarray, targets: np.ndarray,
                        seed: int = 0) -> tuple[np.ndarray, EdgeAttribution]:
        import torch
        from torch_geometric.explain import Explainer as PygExplainer
        from torch_geometric.explain import GNNExplainer

        if not is_graph_model(model):
            raise ValueError(f"model {getattr(model, 'name', model)!r} is not a graph model (needs graph_module() and edge_index())")
        torch.manual_seed(seed)
        module = model.graph_module()  # type: ignore[attr-defined]
        module.eval()
        edges = np.asarray(model.edge_index(), dtype=np.int64)  # type: ignore[attr-defined]
        base = torch.as_tensor(edges)
        n, n_genes = inputs.shape
        nodes = np.zeros((n, n_genes), dtype=np.float32)
        edge_scores = np.zeros((n, edges.shape[1]), dtype=np.float32)
        for start in range(0, n, self.graphs_per_batch):
            stop = min(n, start + self.graphs_per_batch)
            b = stop - start
            x = torch.as_tensor(np.ascontiguousarray(inputs[start:stop]), dtype=torch.float32).reshape(-1, 1)
            edge_index = torch.cat([base + g * n_genes for g in range(b)], dim=1)
            batch = torch.arange(b).repeat_interleave(n_genes)
            algorithm = GNNExplainer(epochs=self.epochs, lr=self.lr, edge_size=EDGE_SIZE / b,
                                     node_feat_size=NODE_FEAT_SIZE / b)
            explainer = PygExplainer(
                model=module, algorithm=algorithm, explanation_type="phenomenon",
                node_mask_type="attributes", edge_mask_type="object",
                model_config=dict(mode="multiclass_classification", task_level="graph", return_type="raw"),
            )
            target = torch.as_tensor(np.asarray(targets[start:stop]), dtype=torch.long)
            with torch.enable_grad():  # the masks are learned, also when called under no_grad
                explanation = explainer(x, edge_index, target=target, batch=batch)
            nodes[start:stop] = explanation.node_mask.detach().reshape(b, n_genes).numpy()
            edge_scores[start:stop] = explanation.edge_mask.detach().reshape(b, -1).numpy()
        return nodes, EdgeAttribution(edge_index=edges, scores=edge_scores)


@hookimpl
def kgtool_register_explainers(register: Any) -> None:
    register(GNNExplainerPlugin)
