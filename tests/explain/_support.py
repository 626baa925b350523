"""Test support for the explain layer: plugin registration and small models of our own."""

from __future__ import annotations

import importlib
from typing import Any, Optional

import numpy as np

from toolkit import plugins
from toolkit.models import ModelPlugin, TaskData, TrainConfig

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


class TinyMLP(ModelPlugin):
    """A small torch MLP (fits in well under a second)."""

    name = "tiny_mlp"
    description = "test model"

    def __init__(self, n_features: int, n_classes: int, params: Optional[dict[str, Any]] = None) -> None:
        super().__init__(n_features, n_classes, params)
        import torch.nn as nn

        self.module = nn.Sequential(nn.Linear(n_features, 32), nn.ReLU(), nn.Linear(32, n_classes))

    def fit(self, train: TaskData, config: TrainConfig, valid: Optional[TaskData] = None) -> dict[str, Any]:
        import torch
        import torch.nn as nn

        torch.manual_seed(config.seed)
        self.module = nn.Sequential(nn.Linear(self.n_features, 32), nn.ReLU(), nn.Linear(32, self.n_classes))
        fit_module(self.module, train.x, train.y, epochs=config.epochs, lr=config.lr, seed=config.seed)
        return {"epochs_run": config.epochs}

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        from toolkit.train.loop import predict_logits, softmax

        return softmax(predict_logits(self.module, x), self.n_classes)

    def torch_module(self) -> Any:
        return self.module

    def state_dict(self) -> dict[str, Any]:
        return dict(self.module.state_dict())

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.module.load_state_dict(state)


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


class TinyGraphModel(ModelPlugin):
    name = "tiny_gcn"
    description = "test graph model (GraphModel contract)"

    def __init__(self, n_features: int, n_classes: int, params: Optional[dict[str, Any]] = None) -> None:
        super().__init__(n_features, n_classes, params)
        self.edges = np.asarray(self.params["edges"], dtype=np.int64)
        self.net = GeneGCN.build(n_features, n_classes)
        self._tiles: dict[int, tuple[Any, Any]] = {}

    def _tiled(self, n: int) -> tuple[Any, Any]:
        import torch

        if n not in self._tiles:
            base = torch.as_tensor(self.edges)
            edge_index = torch.cat([base + g * self.n_features for g in range(n)], dim=1)
            self._tiles = {n: (edge_index, torch.arange(n).repeat_interleave(self.n_features))}
        return self._tiles[n]

    def torch_module(self) -> Any:
        import torch

        model = self

        class Flat(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.net = model.net

            def forward(self, x: Any) -> Any:
                edge_index, batch = model._tiled(x.shape[0])
                return self.net(x.reshape(-1, 1), edge_index, batch)

        return Flat()

    def graph_module(self) -> Any:
        return self.net

    def edge_index(self) -> np.ndarray:
        return self.edges.copy()

    def fit(self, train: TaskData, config: TrainConfig, valid: Optional[TaskData] = None) -> dict[str, Any]:
        fit_module(self.net, train.x, train.y, epochs=config.epochs, lr=config.lr, seed=config.seed,
                   forward=self.torch_module())
        return {}

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        from toolkit.explain.scoring import _logits

        z = _logits(self.torch_module(), x)
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return p / p.sum(axis=1, keepdims=True)

    def state_dict(self) -> dict[str, Any]:
        return dict(self.net.state_dict())

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.net.load_state_dict(state)


class TinyFusion(ModelPlugin):
    """Our own structure model following the StructureModel contract: logits = genes·W + fp·V."""

    name = "tiny_fusion"
    description = "test structure model (StructureModel contract)"

    def __init__(self, n_features: int, n_classes: int, params: Optional[dict[str, Any]] = None) -> None:
        super().__init__(n_features, n_classes, params)
        from toolkit.explain.contracts import FingerprintSpec

        self.spec = FingerprintSpec(radius=int(self.params.get("radius", 2)), n_bits=int(self.params.get("n_bits", 512)))
        self.net = self._build()

    def _build(self) -> Any:
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

    def fingerprint_spec(self) -> Any:
        return self.spec

    def structure_module(self) -> Any:
        return self.net

    def fit(self, train: TaskData, config: TrainConfig, valid: Optional[TaskData] = None) -> dict[str, Any]:
        raise NotImplementedError("fit with fit_structure() in tests")

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError("a structure model predicts per compound (BoundStructureModel)")

    def state_dict(self) -> dict[str, Any]:
        return dict(self.net.state_dict())

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.net.load_state_dict(state)
