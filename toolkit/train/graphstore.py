"""A PyG ``FeatureStore``/``GraphStore`` pair backed by Neo4j: the STRING graph among the landmark
genes, with signature-derived gene features, read through stored Cypher on demand.

Nodes are the landmark genes in ascending Entrez order (``TaskData.gene_ids``). Gene ``i``'s
feature vector (attribute ``x``, group ``None``) is its z-score in every compound signature, in
``sig_id`` order (a column of ``TaskData.x``), so ``x`` is ``TaskData.x.T``; a batch of genes is
one query that slices ``Signature.z``. Edges are the STRING interactions in both directions (one
homogeneous COO edge type, sorted by target then source, like
:func:`toolkit.train.export.string_edges`), read by one query whenever they are asked for.
:func:`snapshot_data` builds the same graph in memory from a context snapshot.

Neighbour sampling in PyG needs ``pyg-lib`` or ``torch-sparse``; without either,
:func:`neighbor_sampler` returns :class:`TorchNeighborSampler`, a plain-torch sampler for
homogeneous graphs that PyG's ``NeighborLoader`` takes as ``neighbor_sampler=``.

torch and torch_geometric are imported on first use of a class of this module (module
``__getattr__``), so importing it stays cheap.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Optional, Sequence

import numpy as np

from toolkit import cypher
from toolkit.errors import RunError
from toolkit.graph.db import Graph
from toolkit.models import TaskData
from toolkit.train.export import string_edges

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)

FEATURES = "x"
GENE_EDGE_TYPE = ("Gene", "INTERACTS_WITH", "Gene")  # how callers may name the one edge type
_EXPORTS = ("Neo4jFeatureStore", "Neo4jGraphStore", "TorchNeighborSampler")


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return _classes()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _positions(index: Any, size: int) -> tuple[list[int], bool]:
    """Row positions for a TensorAttr index (None, slice, int, tensor, array, list) and whether
    the caller asked for a single row."""
    if index is None:
        return list(range(size)), False
    if isinstance(index, slice):
        return list(range(size))[index], False
    if isinstance(index, (int, np.integer)):
        return [int(index) % size if size else int(index)], True
    values = index.tolist() if hasattr(index, "tolist") else list(index)
    if isinstance(values, int):  # a 0-d tensor
        return [values], True
    positions = [int(v) for v in values]
    bad = [p for p in positions if not 0 <= p < size]
    if bad:
        raise IndexError(f"gene positions {bad[:5]} are outside 0..{size - 1}")
    return positions, False


def landmark_genes(graph: Graph) -> tuple[int, ...]:
    return tuple(int(r["entrez_id"]) for r in graph.read(cypher.load("export/landmark_genes")))


def gene_edge_index(graph: Graph, gene_ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """The STRING edges among ``gene_ids`` (both directions) and their weights, from the graph."""
    rows = graph.read(cypher.load("export/landmark_edges"))
    return string_edges(gene_ids, [(r["a"], r["b"], r["score"]) for r in rows])


def snapshot_data(data: TaskData) -> Any:
    """The same gene graph in memory, from a snapshot exported with context:
    ``Data(x=TaskData.x.T, edge_index=context.gene_edges, edge_weight=context.edge_weight)``."""
    import torch
    from torch_geometric.data import Data

    if data.context is None:
        raise RunError("the in-memory gene graph needs a snapshot exported with context")
    return Data(x=torch.as_tensor(np.ascontiguousarray(data.x.T), dtype=torch.float32),
                edge_index=torch.as_tensor(data.context.gene_edges, dtype=torch.long),
                edge_weight=torch.as_tensor(data.context.edge_weight, dtype=torch.float32),
                num_nodes=len(data.gene_ids))


def neighbor_sampler(data: Any, num_neighbors: Sequence[int], **kwargs: Any) -> Any:
    """PyG's own ``NeighborSampler`` where ``pyg-lib`` or ``torch-sparse`` is installed, else
    :class:`TorchNeighborSampler`; pass it to ``NeighborLoader(..., neighbor_sampler=...)``."""
    import torch_geometric.typing as pyg_typing
    from torch_geometric.sampler import NeighborSampler

    if pyg_typing.WITH_PYG_LIB or pyg_typing.WITH_TORCH_SPARSE:
        return NeighborSampler(data, num_neighbors=list(num_neighbors), **kwargs)
    return _classes()["TorchNeighborSampler"](data, num_neighbors=list(num_neighbors), **kwargs)


@lru_cache(maxsize=1)
def _classes() -> dict[str, type]:
    import warnings

    import torch
    from torch_geometric.data import EdgeAttr, FeatureStore, GraphStore, TensorAttr
    from torch_geometric.data.graph_store import EdgeLayout
    from torch_geometric.index import index2ptr
    from torch_geometric.sampler import NeighborSampler, SamplerOutput

    class Neo4jFeatureStore(FeatureStore):
        """Gene features read from ``Signature.z`` on demand; other tensors may be put in memory.

        ``sig_ids`` picks the signatures (columns) to use; default every compound signature with a
        z-vector (the rows of the training snapshot).
        """

        def __init__(self, graph: Graph, sig_ids: Optional[Sequence[str]] = None) -> None:
            super().__init__()
            self.graph = graph
            self.sig_ids = None if sig_ids is None else sorted(set(sig_ids))
            self.num_genes = len(landmark_genes(graph))
            self.num_signatures = int(graph.read(cypher.load("export/feature_signature_count"),
                                                 sig_ids=self.sig_ids)[0]["signatures"])
            self.reads = 0  # queries sent for features (for tests and logging)
            self._local: dict[tuple[Any, str], torch.Tensor] = {}

        @staticmethod
        def _key(attr: TensorAttr) -> tuple[Any, str]:
            return (attr.group_name, attr.attr_name)

        def _is_graph_backed(self, attr: TensorAttr) -> bool:
            return attr.group_name is None and attr.attr_name == FEATURES

        def _put_tensor(self, tensor: Any, attr: TensorAttr) -> bool:
            if self._is_graph_backed(attr):
                return False  # read-only: gene features come from the graph
            if attr.index is not None and not (isinstance(attr.index, slice) and attr.index == slice(None)):
                return False  # only whole tensors are kept in memory
            self._local[self._key(attr)] = torch.as_tensor(tensor)
            return True

        def _get_tensor(self, attr: TensorAttr) -> Optional[torch.Tensor]:
            key = self._key(attr)
            if key in self._local:
                tensor = self._local[key]
                return tensor if attr.index is None else tensor[attr.index]
            if not self._is_graph_backed(attr):
                return None
            positions, single = _positions(attr.index, self.num_genes)
            if not positions:
                return torch.zeros((0, self.num_signatures), dtype=torch.float32)
            rows = self.graph.read(cypher.load("export/gene_features"), index=positions, sig_ids=self.sig_ids)
            self.reads += 1
            values = np.asarray([r["values"] for r in rows], dtype=np.float32).reshape(len(rows), len(positions))
            out = torch.from_numpy(np.ascontiguousarray(values.T))
            return out[0] if single else out

        def _remove_tensor(self, attr: TensorAttr) -> bool:
            return self._local.pop(self._key(attr), None) is not None

        def _get_tensor_size(self, attr: TensorAttr) -> Optional[tuple[int, ...]]:
            key = self._key(attr)
            if key in self._local:
                return tuple(self._local[key].size())
            if self._is_graph_backed(attr):
                return (self.num_genes, self.num_signatures)
            return None

        def get_all_tensor_attrs(self) -> list[TensorAttr]:
            attrs = [TensorAttr(group_name=None, attr_name=FEATURES)]
            attrs += [TensorAttr(group_name=g, attr_name=a) for g, a in self._local]
            return attrs

    class Neo4jGraphStore(GraphStore):
        """The STRING edges among the landmark genes as one homogeneous edge type (COO, sorted by
        target), read from the graph whenever asked for; other edge indices may be put in memory."""

        def __init__(self, graph: Graph) -> None:
            super().__init__()
            self.graph = graph
            self.gene_ids = landmark_genes(graph)
            self.reads = 0
            self._local: dict[tuple[Any, EdgeLayout], tuple[Any, EdgeAttr]] = {}

        @property
        def num_nodes(self) -> int:
            return len(self.gene_ids)

        def _graph_attr(self) -> EdgeAttr:
            n = self.num_nodes
            return EdgeAttr(edge_type=None, layout=EdgeLayout.COO, is_sorted=True, size=(n, n))

        @staticmethod
        def _is_graph_backed(edge_attr: EdgeAttr) -> bool:
            return edge_attr.edge_type in (None, GENE_EDGE_TYPE)

        def _put_edge_index(self, edge_index: Any, edge_attr: EdgeAttr) -> bool:
            if self._is_graph_backed(edge_attr):
                return False  # read-only: the STRING edges come from the graph
            self._local[(edge_attr.edge_type, edge_attr.layout)] = (edge_index, edge_attr)
            return True

        def _get_edge_index(self, edge_attr: EdgeAttr) -> Optional[tuple[torch.Tensor, torch.Tensor]]:
            local = self._local.get((edge_attr.edge_type, edge_attr.layout))
            if local is not None:
                return local[0]
            if not self._is_graph_backed(edge_attr):
                return None
            edges, _ = gene_edge_index(self.graph, self.gene_ids)
            self.reads += 1
            row = torch.as_tensor(edges[0], dtype=torch.long)
            col = torch.as_tensor(edges[1], dtype=torch.long)
            n = self.num_nodes
            if edge_attr.layout == EdgeLayout.CSC:  # already sorted by target
                return row, index2ptr(col, n)
            if edge_attr.layout == EdgeLayout.CSR:
                order = torch.argsort(row * n + col)
                return index2ptr(row[order], n), col[order]
            return row, col

        def _remove_edge_index(self, edge_attr: EdgeAttr) -> bool:
            return self._local.pop((edge_attr.edge_type, edge_attr.layout), None) is not None

        def get_all_edge_attrs(self) -> list[EdgeAttr]:
            return [self._graph_attr(), *(attr for _, attr in self._local.values())]

    class TorchNeighborSampler(NeighborSampler):
        """``NeighborSampler`` with a plain-torch sampling step (homogeneous graphs, directional,
        not disjoint, not temporal), for machines without ``pyg-lib``/``torch-sparse``. Draws
        from torch's global generator, so ``torch.manual_seed`` makes it repeatable."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            with warnings.catch_warnings():  # "install pyg-lib": that is what this class stands in for
                warnings.filterwarnings("ignore", message=".*pyg-lib.*")
                super().__init__(*args, **kwargs)
            if self.is_hetero or self.disjoint or self.subgraph_type.value != "directional":
                raise NotImplementedError("TorchNeighborSampler samples homogeneous graphs only "
                                          "(directional, not disjoint, not temporal); install pyg-lib")

        def _sample(self, seed: Any, seed_time: Any = None, **kwargs: Any) -> Any:
            if isinstance(seed, dict) or seed_time is not None:
                raise NotImplementedError("TorchNeighborSampler samples homogeneous graphs only")
            colptr, row = self.colptr, self.row
            nodes: list[int] = []
            local: dict[int, int] = {}
            for n in seed.tolist():
                if n not in local:
                    local[n] = len(nodes)
                    nodes.append(n)
            rows: list[int] = []
            cols: list[int] = []
            edges: list[int] = []
            sampled_nodes, sampled_edges = [len(nodes)], []
            frontier = list(nodes)
            for k in self.num_neighbors.get_mapped_values():
                new: list[int] = []
                before = len(rows)
                for dst in frontier:
                    start, end = int(colptr[dst]), int(colptr[dst + 1])
                    degree = end - start
                    if degree == 0 or k == 0:
                        continue
                    if k < 0 or (degree <= k and not self.replace):
                        picks = list(range(degree))
                    elif self.replace:
                        picks = torch.randint(degree, (k,)).tolist()
                    else:
                        picks = torch.randperm(degree)[:k].tolist()
                    for p in picks:
                        e = start + p
                        src = int(row[e])
                        if src not in local:
                            local[src] = len(nodes)
                            nodes.append(src)
                            new.append(src)
                        rows.append(local[src])
                        cols.append(local[dst])
                        edges.append(e)
                sampled_nodes.append(len(new))
                sampled_edges.append(len(rows) - before)
                frontier = new
            return SamplerOutput(
                node=torch.tensor(nodes, dtype=torch.long), row=torch.tensor(rows, dtype=torch.long),
                col=torch.tensor(cols, dtype=torch.long), edge=torch.tensor(edges, dtype=torch.long),
                batch=None, num_sampled_nodes=sampled_nodes, num_sampled_edges=sampled_edges,
            )

    return {"Neo4jFeatureStore": Neo4jFeatureStore, "Neo4jGraphStore": Neo4jGraphStore,
            "TorchNeighborSampler": TorchNeighborSampler}


def stores(graph: Graph, sig_ids: Optional[Sequence[str]] = None) -> tuple[Any, Any]:
    """``(feature_store, graph_store)`` for ``NeighborLoader``."""
    classes = _classes()
    return classes["Neo4jFeatureStore"](graph, sig_ids), classes["Neo4jGraphStore"](graph)
