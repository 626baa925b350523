"""A DrugCell-style visible neural network: hidden units follow the GO DAG.

Every GO term owns a block of neurons (at least ``per_term``, more for terms with many genes as in
DCell) fed by its *direct* genes (annotated to it but to none of its children: the children pass
those genes up) and by its child terms' neurons. Terms are processed by depth level (leaves
first); each level is one masked dense layer followed by ReLU (DrugCell's BatchNorm -> tanh is
available: ``activation="tanh", batch_norm=True``). The neurons of the root-level terms (no
parent) feed a linear classifier. Masks and the index of each level's child neurons are buffers,
so the DAG travels with the state dict.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn

ACTIVATIONS = {"relu": torch.relu, "tanh": torch.tanh}


@dataclass(frozen=True)
class LevelPlan:
    gene_mask: np.ndarray  # (units, n_genes) 0/1
    child_cols: np.ndarray  # (m,) int64 positions of the children's neurons in the hidden vector
    child_mask: np.ndarray  # (units, m) 0/1


@dataclass(frozen=True)
class DagPlan:
    levels: list[LevelPlan]
    term_order: list[int]  # term index (into go_ids) of each hidden block, in hidden order
    offsets: np.ndarray  # (n_kept + 1,) where each term's neurons start in the hidden vector
    root_cols: np.ndarray  # positions of the root terms' neurons in the hidden vector


def term_sizes(gene_counts: np.ndarray, per_term: int, per_gene: float) -> np.ndarray:
    """Neurons per term: at least ``per_term``, more for big terms (DCell: proportional to genes)."""
    return np.maximum(per_term, np.ceil(per_gene * gene_counts)).astype(np.int64)


def term_levels(n_terms: int, edges: list[tuple[int, int]]) -> np.ndarray:
    """Depth level of each term: 0 without children, else 1 + its deepest child (Kahn's order from
    the leaves). Terms on a cycle (not expected in GO) go one level above everything else."""
    parents: list[list[int]] = [[] for _ in range(n_terms)]
    n_children = np.zeros(n_terms, dtype=np.int64)
    for child, parent in edges:
        parents[child].append(parent)
        n_children[parent] += 1
    level = np.zeros(n_terms, dtype=np.int64)
    todo = [t for t in range(n_terms) if n_children[t] == 0]
    done = np.zeros(n_terms, dtype=bool)
    while todo:
        term = todo.pop()
        done[term] = True
        for parent in parents[term]:
            level[parent] = max(level[parent], level[term] + 1)
            n_children[parent] -= 1
            if n_children[parent] == 0:
                todo.append(parent)
    level[~done] = level.max(initial=0) + 1
    return level


def plan_dag(gene_go: np.ndarray, go_edges: np.ndarray, per_term: int, per_gene: float = 0.0) -> DagPlan:
    """Masked layers per level from the propagated gene x term matrix and child -> parent edges;
    term ``t`` gets :func:`term_sizes` neurons. ValueError when no term has a gene (nothing to build)."""
    gene_go = np.asarray(gene_go) > 0
    if gene_go.ndim != 2:
        raise ValueError(f"gene_go must be a (genes, terms) matrix, got shape {gene_go.shape}")
    n_genes, n_terms = gene_go.shape
    keep = gene_go.any(axis=0)
    if not keep.any():
        raise ValueError(f"no GO term annotates any of the {n_genes} genes ({n_terms} terms given): the visible "
                         "network has no neurons; load GO annotations for these genes")
    edges = [(c, p) for c, p in np.asarray(go_edges, dtype=np.int64).reshape(2, -1).T.tolist()
             if c != p and keep[c] and keep[p]]
    level = term_levels(n_terms, edges)
    edges = [(c, p) for c, p in edges if level[c] < level[p]]  # drops cycle edges, if any
    children: dict[int, list[int]] = {}
    has_parent = np.zeros(n_terms, dtype=bool)
    for c, p in edges:
        children.setdefault(p, []).append(c)
        has_parent[c] = True
    order = sorted((t for t in range(n_terms) if keep[t]), key=lambda t: (level[t], t))
    sizes = term_sizes(gene_go.sum(axis=0)[order], per_term, per_gene)
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    block = {t: np.arange(offsets[i], offsets[i + 1]) for i, t in enumerate(order)}
    levels = []
    for lv in sorted({int(level[t]) for t in order}):
        terms = [t for t in order if level[t] == lv]
        kids = sorted({c for t in terms for c in children.get(t, [])}, key=lambda c: block[c][0])
        cols = np.concatenate([block[c] for c in kids]).astype(np.int64) if kids else np.zeros(0, np.int64)
        col_of = {int(pos): j for j, pos in enumerate(cols)}
        rows = np.concatenate([[0], np.cumsum([len(block[t]) for t in terms])])
        gene_mask = np.zeros((rows[-1], n_genes), dtype=np.float32)
        child_mask = np.zeros((rows[-1], len(cols)), dtype=np.float32)
        for i, t in enumerate(terms):
            direct = gene_go[:, t].copy()
            for c in children.get(t, []):
                direct &= ~gene_go[:, c]
                child_mask[rows[i] : rows[i + 1], [col_of[int(pos)] for pos in block[c]]] = 1.0
            gene_mask[rows[i] : rows[i + 1], direct] = 1.0
        levels.append(LevelPlan(gene_mask, cols, child_mask))
    roots = [block[t] for t in order if not has_parent[t]]
    return DagPlan(levels, order, offsets, np.concatenate(roots).astype(np.int64))


class MaskedLevel(nn.Module):
    """One DAG level: masked gene weights + masked child-neuron weights (-> BatchNorm) -> activation."""

    def __init__(self, gene_mask: torch.Tensor, child_cols: torch.Tensor, child_mask: torch.Tensor,
                 activation: str = "relu", batch_norm: bool = False) -> None:
        super().__init__()
        self.register_buffer("gene_mask", gene_mask.float())
        self.register_buffer("child_cols", child_cols.long())
        self.register_buffer("child_mask", child_mask.float())
        units = gene_mask.shape[0]
        fan_in = (gene_mask.sum(1) + child_mask.sum(1)).clamp_min(1.0).unsqueeze(1)
        self.gene_weight = nn.Parameter(torch.randn(gene_mask.shape) / fan_in.sqrt() * gene_mask)
        self.child_weight = nn.Parameter(torch.randn(child_mask.shape) / fan_in.sqrt() * child_mask)
        self.bias = nn.Parameter(torch.zeros(units))
        self.norm = nn.BatchNorm1d(units) if batch_norm else nn.Identity()
        self.activation = ACTIVATIONS[activation]

    def forward(self, x: torch.Tensor, hidden: torch.Tensor) -> torch.Tensor:
        out = x @ (self.gene_weight * self.gene_mask).T + self.bias
        if self.child_cols.numel():
            out = out + hidden[:, self.child_cols] @ (self.child_weight * self.child_mask).T
        return self.activation(self.norm(out))


class VisibleNet(nn.Module):
    def __init__(self, levels: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]], offsets: torch.Tensor,
                 root_cols: torch.Tensor, n_classes: int, dropout: float = 0.0, activation: str = "relu",
                 batch_norm: bool = False) -> None:
        super().__init__()
        self.levels = nn.ModuleList(MaskedLevel(*lv, activation=activation, batch_norm=batch_norm) for lv in levels)
        self.register_buffer("offsets", offsets.long())  # term i owns hidden[offsets[i]:offsets[i+1]]
        self.register_buffer("root_cols", root_cols.long())
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(int(root_cols.numel()), n_classes)

    def hidden(self, x: torch.Tensor) -> torch.Tensor:
        """All term neurons, (n, offsets[-1]), blocks in plan order."""
        h = x.new_zeros((x.shape[0], 0))
        for level in self.levels:
            h = torch.cat([h, level(x, h)], dim=1)
        return h

    def term_activity(self, x: torch.Tensor) -> torch.Tensor:
        """(n, n_terms) mean absolute activation of each term's neurons."""
        h = self.hidden(x).abs()
        sizes = self.offsets[1:] - self.offsets[:-1]
        term = torch.repeat_interleave(torch.arange(len(sizes), device=x.device), sizes)
        total = h.new_zeros((h.shape[0], len(sizes))).index_add(1, term, h)
        return total / sizes.to(h.dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.dropout(self.hidden(x)[:, self.root_cols]))
