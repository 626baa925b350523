"""Test support for the explain layer: plugin registration and small models of our own."""

from __future__ import annotations

import importlib
from typing import Any, Mapping, Optional, Sequence

import numpy as np

from toolkit import plugins
from toolkit.models import GraphContext, TaskData, TrainConfig
from toolkit.structure import FingerprintSpec, morgan_fingerprint
from toolkit.train.torch_model import TorchModel

EXPLAINER_MODULES = {
    "integrated_gradients": "kgtool_plugins.explainers.captum_ig",
    "deeplift": "kgtool_plugins.explainers.captum_deeplift",
    "gradient_shap": "kgtool_plugins.explainers.captum_shap",
    "feature_ablation": "kgtool_plugins.explainers.captum_ablation",
    "gnn_explainer": "kgtool_plugins.explainers.pyg_gnnexplainer",
}


def ensure_explainers() -> None:
    """Register the explainer plugins even where the editable install predates their entry points."""
    pm = plugins.plugin_manager()
    added = False
    for name, module_name in EXPLAINER_MODULES.items():
        module = importlib.import_module(module_name)
        if pm.is_registered(module) or pm.get_plugin(name) is not None:
            continue
        pm.register(module, name=name)
        added = True
    if added:
        plugins.registry.cache_clear()


def explainer(name: str) -> Any:
    ensure_explainers()
    return plugins.registry().get("explainers", name)()


def planted_task(n: int = 240, n_genes: int = 40, n_classes: int = 3, signal: int = 4, seed: int = 0,
                 effect: float = 2.5) -> tuple[TaskData, list[list[int]]]:
    """Gaussian signatures where class k shifts its own ``signal`` genes down (like the demo)."""
    rng = np.random.default_rng(seed)
    genes = [list(range(k * signal, (k + 1) * signal)) for k in range(n_classes)]
    y_idx = rng.integers(0, n_classes, size=n)
    x = rng.normal(0, 1, size=(n, n_genes)).astype(np.float32)
    for i, k in enumerate(y_idx):
        x[i, genes[k]] -= effect
    y = np.zeros((n, n_classes), dtype=np.float32)
    y[np.arange(n), y_idx] = 1
    data = TaskData(x=x, y=y, sample_ids=tuple(f"s{i}" for i in range(n)),
                    compound_ids=tuple(f"c{i // 4}" for i in range(n)), gene_ids=tuple(range(1000, 1000 + n_genes)),
                    classes=tuple(f"moa{k}" for k in range(n_classes)))
    return data, genes


def fit_module(module: Any, x: np.ndarray, y: np.ndarray, epochs: int = 200, lr: float = 0.05, seed: int = 0,
               forward: Any = None) -> Any:
    import torch

    torch.manual_seed(seed)
    xt = torch.as_tensor(x, dtype=torch.float32)
    yt = torch.as_tensor(y.argmax(axis=1), dtype=torch.long)
    opt = torch.optim.Adam(module.parameters(), lr=lr)
    fn = forward or module
    for _ in range(epochs):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(fn(xt), yt)
        loss.backward()
        opt.step()
    module.eval()
    return module


class TinyMLP(TorchModel):
    """A small torch MLP (fits in well under a second), trained full-batch by :func:`fit_module`."""

    name = "tiny_mlp"
    description = "test model"
    min_steps_per_epoch = 1

    def build(self, train: Optional[TaskData]) -> Any:
        import torch.nn as nn

        return nn.Sequential(nn.Linear(self.n_features, 32), nn.ReLU(), nn.Linear(32, self.n_classes))

    def rebuild(self, state: Mapping[str, Any]) -> Any:
        return self.build(None)

    def train_module(self, module: Any, train: TaskData, config: TrainConfig, valid: Optional[TaskData]) -> dict[str, Any]:
        fit_module(module, train.x, train.y, epochs=config.epochs, lr=config.lr, seed=config.seed)
        return {"epochs_run": config.epochs}


class GeneGCN:
    """Our own tiny graph model following the GraphModel contract: per-gene embedding of the
    z-score, one GCNConv over the gene graph, gene-wise readout (keeps gene identity)."""

    @staticmethod
    def build(n_genes: int, n_classes: int, hidden: int = 4) -> Any:
        import torch
        from torch_geometric.nn import GCNConv

        class Net(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.n_genes = n_genes
                self.scale = torch.nn.Parameter(torch.randn(n_genes, hidden) * 0.5)
                self.conv = GCNConv(hidden, hidden)
                self.readout = torch.nn.Linear(n_genes * hidden, n_classes)

            def forward(self, x: Any, edge_index: Any, batch: Any = None) -> Any:
                gene = torch.arange(x.shape[0]) % self.n_genes
                h = x.reshape(-1, 1) * self.scale[gene]
                h = torch.relu(self.conv(h, edge_index)) + h
                return self.readout(h.reshape(-1, self.n_genes * h.shape[1]))

        return Net()

    @staticmethod
    def flat(net: Any, edges: np.ndarray, n_genes: int) -> Any:
        """``forward(x (n, n_genes)) -> logits``: ``net`` on n disjoint copies of the gene graph."""
        import torch

        class Flat(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.net = net
                self.base = torch.as_tensor(edges)
                self._tiles: dict[int, tuple[Any, Any]] = {}

            def _tiled(self, n: int) -> tuple[Any, Any]:
                if n not in self._tiles:
                    edge_index = torch.cat([self.base + g * n_genes for g in range(n)], dim=1)
                    self._tiles = {n: (edge_index, torch.arange(n).repeat_interleave(n_genes))}
                return self._tiles[n]

            def forward(self, x: Any) -> Any:
                edge_index, batch = self._tiled(x.shape[0])
                return self.net(x.reshape(-1, 1), edge_index, batch)

        return Flat()


class TinyGraphModel(TinyMLP):
    """A graph model (GraphModel contract) on the gene edges in ``params["edges"]``."""

    name = "tiny_gcn"
    description = "test graph model (GraphModel contract)"

    def __init__(self, n_features: int, n_classes: int, params: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(n_features, n_classes, params)
        self.edges = np.asarray(self.params["edges"], dtype=np.int64)

    def build(self, train: Optional[TaskData]) -> Any:
        return GeneGCN.flat(GeneGCN.build(self.n_features, self.n_classes), self.edges, self.n_features)

    def graph_module(self) -> Any:
        return self.fitted_module().net

    def edge_index(self) -> np.ndarray:
        return self.edges.copy()


class TinyFusion(TinyMLP):
    """Our own structure model following the StructureModel contract: logits = genes·W + fp·V.

    Its module needs fingerprints besides the genes, so it has no genes-only forward function
    (``torch_module()`` is None: gene explainers see it per compound, fingerprint bound in), and
    ``predict_proba`` needs the compounds' SMILES in ``context`` when ``compounds`` are given."""

    name = "tiny_fusion"
    description = "test structure model (StructureModel contract)"

    def __init__(self, n_features: int, n_classes: int, params: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(n_features, n_classes, params)
        self.spec = FingerprintSpec(radius=int(self.params.get("radius", 2)), n_bits=int(self.params.get("n_bits", 512)))
        self.module = self.build(None)  # trained directly in the tests: fit_module(model.net, ...)

    @property
    def net(self) -> Any:
        return self.fitted_module()

    def build(self, train: Optional[TaskData]) -> Any:
        import torch

        spec = self.spec
        n_features, n_classes = self.n_features, self.n_classes

        class Net(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.genes = torch.nn.Linear(n_features, n_classes)
                self.fp = torch.nn.Linear(spec.n_bits, n_classes, bias=False)

            def forward(self, genes: Any, fp: Any) -> Any:
                return self.genes(genes) + self.fp(fp)

        return Net()

    def fingerprint_spec(self) -> FingerprintSpec:
        return self.spec

    def structure_module(self) -> Any:
        return self.net

    def torch_module(self) -> Any:
        return None

    def fingerprints(self, compounds: Optional[Sequence[str]], n: int, context: Optional[GraphContext]) -> np.ndarray:
        if compounds is None:
            return np.zeros((n, self.spec.n_bits), dtype=np.float32)
        smiles = context.compound_smiles if context is not None else {}
        missing = sorted(set(compounds) - set(smiles))
        if missing:
            raise ValueError(f"tiny_fusion needs the SMILES of its compounds (context.compound_smiles); "
                             f"missing for {len(missing)}, e.g. {missing[0]}")
        return np.stack([morgan_fingerprint(smiles[c], self.spec)[0] for c in compounds])

    def train_module(self, module: Any, train: TaskData, config: TrainConfig, valid: Optional[TaskData]) -> dict[str, Any]:
        import torch

        fps = self.fingerprints(train.compound_ids, len(train.x), train.context)
        fit_module(module, train.x, train.y, epochs=config.epochs, lr=config.lr, seed=config.seed,
                   forward=lambda g: module(g, torch.as_tensor(fps)))
        return {"epochs_run": config.epochs}

    def predict_inputs(self, x: np.ndarray, compounds: Optional[Sequence[str]],
                       context: Optional[GraphContext]) -> tuple[np.ndarray]:
        return (self.fingerprints(compounds, len(x), context),)
