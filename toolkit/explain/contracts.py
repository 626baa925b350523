"""What a model plugin exposes so that graph- and structure-level explanations apply to it.

Both are structural (duck-typed) protocols: a model opts in by having the methods, nothing to
inherit. The explain pipeline checks them with :func:`is_graph_model` / :func:`is_structure_model`.

**GraphModel** (for ``gnn_explainer``, PyG ``GNNExplainer``; writes ``EXPLAINS_EDGE``)::

    graph_module() -> torch.nn.Module
        forward(x, edge_index, batch) -> (n_graphs, n_classes) logits, where one signature is one
        graph: x is (n_graphs * n_genes, 1) float (the z-scores, genes in TaskData.gene_ids order,
        graph after graph), edge_index is (2, n_graphs * E) long (the model's edge_index() shifted
        by g * n_genes for graph g) and batch is (n_graphs * n_genes,) long (the graph of each node).
    edge_index() -> np.ndarray
        (2, E) int64 gene indices (both directions of each STRING edge), the same edges the
        module uses in training.

``torch_module()(x)`` should equal ``graph_module()(x.reshape(-1, 1), tiled edges, batch)``, so the
gene-level Captum explainers explain the same function.

**StructureModel** (multimodal models on Morgan fingerprints; writes Substructure ``EXPLAINS``)::

    fingerprint_spec() -> FingerprintSpec
        the Morgan radius and bit count used in training. Featurise with
        :func:`toolkit.explain.structure.morgan_fingerprint` (RDKit rdFingerprintGenerator on the
        Compound's canonical SMILES) so that bits map back to atoms.
    structure_module() -> torch.nn.Module
        forward(genes, fingerprint) -> (n, n_classes) logits; genes (n, n_genes) float z-scores,
        fingerprint (n, n_bits) float 0/1.

Gene explainers on a StructureModel see a per-compound adapter (its fingerprint held fixed);
fingerprint bits are attributed with Integrated Gradients (all-bits-off baseline), spread over
their atoms (RDKit bitInfo) and summed into the SMARTS matches of the compound's
``HAS_SUBSTRUCTURE`` nodes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class FingerprintSpec:
    """Morgan fingerprint settings (RDKit ``GetMorganGenerator(radius, fpSize)``)."""

    radius: int = 2
    n_bits: int = 2048


@runtime_checkable
class GraphModel(Protocol):
    def graph_module(self) -> "torch.nn.Module": ...

    def edge_index(self) -> np.ndarray: ...


@runtime_checkable
class StructureModel(Protocol):
    def fingerprint_spec(self) -> FingerprintSpec: ...

    def structure_module(self) -> "torch.nn.Module": ...


def is_graph_model(model: Any) -> bool:
    return callable(getattr(model, "graph_module", None)) and callable(getattr(model, "edge_index", None))


def is_structure_model(model: Any) -> bool:
    return callable(getattr(model, "fingerprint_spec", None)) and callable(getattr(model, "structure_module", None))
