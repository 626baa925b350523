"""A GNN over the STRING gene graph where each signature is one graph (one node per gene).

:class:`GeneGraphNet` owns PyG convolutions (``GCNConv``, ``SAGEConv``, ``GATConv``) and runs them
two ways that compute the same function:

* ``forward(x, edge_index, batch)``: PyG message passing over a batch of disjoint gene graphs
  (the :class:`toolkit.models.GraphModel` form, which GNNExplainer masks);
* ``forward_static(z)``: (B, n_genes) signatures, all sharing one graph. For ``gcn`` and ``sage``
  the aggregation is one sparse (n_genes x n_genes) product over a (n_genes, B * channels) matrix,
  with the convolutions' own weights, which is many times faster on CPU than per-edge messages
  for B tiled copies. ``gat`` (attention differs per signature) always uses PyG message passing.
"""

from __future__ import annotations

import warnings
from typing import Any, Optional

import torch
import torch.nn as nn
from torch_geometric.nn import GATConv, GCNConv, SAGEConv, global_max_pool, global_mean_pool
from torch_geometric.nn.conv.gcn_conv import gcn_norm
from torch_geometric.utils import degree

CONVS = ("gcn", "gat", "sage")
GAT_HEADS = 4
EMB_GAIN = 30.0  # gene embeddings are stored / EMB_GAIN: Adam moves them EMB_GAIN x faster (they learn slowly)


def make_conv(kind: str, in_dim: int, out_dim: int) -> nn.Module:
    if kind == "gcn":
        return GCNConv(in_dim, out_dim, add_self_loops=True, normalize=True)
    if kind == "sage":
        return SAGEConv(in_dim, out_dim, aggr="mean")
    if kind == "gat":
        heads = GAT_HEADS if out_dim % GAT_HEADS == 0 else 1
        return GATConv(in_dim, out_dim // heads, heads=heads, concat=True, add_self_loops=True)
    raise ValueError(f"gnn: conv={kind!r} is not one of {', '.join(CONVS)}")


class _SharedGraphProduct(torch.autograd.Function):
    """``P @ h`` for h of shape (n_genes, m) with a fixed sparse P; backward uses a stored P^T."""

    @staticmethod
    def forward(ctx: Any, h: torch.Tensor, p: torch.Tensor, p_t: torch.Tensor) -> torch.Tensor:
        ctx.p_t = p_t
        return torch.sparse.mm(p, h)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[Optional[torch.Tensor], None, None]:
        return torch.sparse.mm(ctx.p_t, grad.contiguous()), None, None


def _sparse(rows: torch.Tensor, cols: torch.Tensor, values: torch.Tensor, n: int) -> torch.Tensor:
    return torch.sparse_coo_tensor(torch.stack([rows, cols]), values, (n, n)).coalesce()


class GeneGraphNet(nn.Module):
    """Node input = z-score (times the fixed ``input_scale``) times a learned per-gene vector plus a
    learned per-gene offset (``emb`` channels: the embedding lets one channel read genes that move
    in opposite directions), then ``layers`` convolutions with ReLU, mean+max pooling per graph and
    a two-layer classifier. Edges, STRING weights and the input scale are buffers; weights are used
    by ``gcn`` only. ``input_scale`` (set from the training data by the model: 1 / the RMS z-score)
    puts consensus signatures, about three times smaller than single ones, on the same footing.
    """

    def __init__(self, edge_index: torch.Tensor, edge_weight: torch.Tensor, n_genes: int, n_classes: int,
                 conv: str = "gcn", hidden: int = 16, layers: int = 2, emb: int = 16, dropout: float = 0.1,
                 input_scale: float = 1.0) -> None:
        super().__init__()
        self.register_buffer("edges", edge_index.long())
        self.register_buffer("edge_weight", edge_weight.float())
        self.register_buffer("input_scale", torch.tensor(float(input_scale)))
        self.n_genes = n_genes
        self.conv_kind = conv
        self.gene_scale = nn.Parameter(torch.randn(n_genes, emb) / (emb**0.5 * EMB_GAIN))
        self.gene_shift = nn.Parameter(torch.zeros(n_genes, emb))
        dims = [emb] + [hidden] * layers
        self.convs = nn.ModuleList(make_conv(conv, a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(2 * hidden, hidden), nn.ReLU(),
                                        nn.Dropout(dropout), nn.Linear(hidden, n_classes))
        self._products: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}

    # -- PyG form: disjoint graphs ------------------------------------------------------------
    def tiled_weight(self, n_edges: int) -> Optional[torch.Tensor]:
        """The stored weights repeated for ``n_edges`` tiled edges (None if they do not tile)."""
        per_graph = self.edges.shape[1]
        if per_graph == 0 or n_edges % per_graph:
            return None
        return self.edge_weight.repeat(n_edges // per_graph)

    def node_input(self, z: torch.Tensor, scale: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
        return (z * self.input_scale).unsqueeze(-1) * (scale * EMB_GAIN) + shift * EMB_GAIN

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor, batch: torch.Tensor,
                edge_weight: Optional[torch.Tensor] = None) -> torch.Tensor:
        gene = torch.arange(x.shape[0], device=x.device) % self.n_genes
        h = self.node_input(x.reshape(-1), self.gene_scale[gene], self.gene_shift[gene])
        if self.conv_kind == "gcn" and edge_weight is None:
            edge_weight = self.tiled_weight(edge_index.shape[1])
        for conv in self.convs:
            h = torch.relu(conv(h, edge_index, edge_weight) if self.conv_kind == "gcn" else conv(h, edge_index))
        n_graphs = x.shape[0] // self.n_genes
        pooled = torch.cat([global_mean_pool(h, batch, n_graphs), global_max_pool(h, batch, n_graphs)], dim=1)
        return self.classifier(pooled)

    # -- static form: one shared graph ----------------------------------------------------------
    def products(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Sparse aggregation matrix P (row = target gene) and P^T, as the conv normalises."""
        key = str(self.edges.device)
        if key not in self._products:
            n, src, dst = self.n_genes, self.edges[0], self.edges[1]
            if self.conv_kind == "gcn":
                (src, dst), values = gcn_norm(self.edges, self.edge_weight, n, add_self_loops=True)
            else:  # sage: mean over incoming neighbours
                values = 1.0 / degree(dst, n).clamp_min(1.0)[dst]
            with warnings.catch_warnings():  # "sparse CSR support is in beta"
                warnings.simplefilter("ignore", UserWarning)
                self._products = {key: (_sparse(dst, src, values, n).to_sparse_csr(),
                                        _sparse(src, dst, values, n).to_sparse_csr())}
        return self._products[key]

    def propagate_static(self, h: torch.Tensor) -> torch.Tensor:
        """Aggregate (n_genes, B, c) node features over the shared graph."""
        p, p_t = self.products()
        n, b, c = h.shape
        return _SharedGraphProduct.apply(h.reshape(n, b * c), p, p_t).reshape(n, b, c)

    def conv_static(self, conv: nn.Module, h: torch.Tensor) -> torch.Tensor:
        if isinstance(conv, GCNConv):  # P (h W^T) + b, propagating the narrower side
            weight = conv.lin.weight
            if weight.shape[1] <= weight.shape[0]:
                out = self.propagate_static(h) @ weight.T
            else:
                out = self.propagate_static(h @ weight.T)
            return out + conv.bias if conv.bias is not None else out
        assert isinstance(conv, SAGEConv)
        return conv.lin_l(self.propagate_static(h)) + conv.lin_r(h)

    def forward_static(self, z: torch.Tensor) -> torch.Tensor:
        if self.conv_kind == "gat":
            raise ValueError("gat has no shared-graph form; use forward() on tiled graphs")
        h = self.node_input(z.T, self.gene_scale.unsqueeze(1), self.gene_shift.unsqueeze(1))  # (n_genes, B, emb)
        for conv in self.convs:
            h = torch.relu(self.conv_static(conv, h))
        return self.classifier(torch.cat([h.mean(dim=0), h.amax(dim=0)], dim=1))

    def _apply(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        self._products = {}  # device or dtype moves invalidate the cached sparse products
        return super()._apply(fn, *args, **kwargs)


class SignatureGraphView(nn.Module):
    """(n, n_genes) signatures -> logits through :class:`GeneGraphNet`: the shared-graph form for
    gcn/sage, the tiled PyG form for gat."""

    def __init__(self, net: GeneGraphNet) -> None:
        super().__init__()
        self.net = net

    def tiles(self, n_graphs: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Edge index, edge weight and batch vector of ``n_graphs`` disjoint copies of the graph."""
        edges, n = self.net.edges.to(device), self.net.n_genes
        offsets = torch.arange(n_graphs, device=device).repeat_interleave(edges.shape[1]) * n
        tiled = edges.repeat(1, n_graphs) + offsets
        return tiled, self.net.edge_weight.to(device).repeat(n_graphs), torch.arange(
            n_graphs, device=device).repeat_interleave(n)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.net.conv_kind != "gat":
            return self.net.forward_static(x)
        edge_index, weight, batch = self.tiles(x.shape[0], x.device)
        return self.net(x.reshape(-1, 1), edge_index, batch, weight)
