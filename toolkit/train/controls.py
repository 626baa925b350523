"""Knowledge controls: the same training data with one kind of knowledge destroyed, seeded.

A knowledge-infused model that scores as well on a control as on the real graph does not use
that knowledge. :func:`apply_control` returns a new :class:`TaskData` (the input stays as it is):

* ``none``: the data unchanged;
* ``string_permuted``: the STRING gene graph rewired by degree-preserving double-edge swaps
  (about ten swaps per edge; no self-loops or multi-edges; each edge keeps its weight);
* ``go_shuffled``: the genes' GO annotation rows permuted among the genes (term sizes and the GO
  hierarchy kept, which gene sits in which term lost);
* ``labels_shuffled``: the MoA label sets permuted among the training compounds (every training
  row of a compound gets that compound's new set; valid and test rows keep the truth, so the
  evaluation still scores against it).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from toolkit.models import GraphContext, TaskData

__all__ = ["CONTROLS", "SWAPS_PER_EDGE", "apply_control", "permute_edges"]

CONTROLS = ("none", "string_permuted", "go_shuffled", "labels_shuffled")
SWAPS_PER_EDGE = 10


def _rng(seed: int, control: str) -> np.random.Generator:
    return np.random.default_rng([int(seed), CONTROLS.index(control)])


def _pairs(edges: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The unique undirected pairs (i < j) of a both-directions edge index, with their weights."""
    src, dst = edges
    keep = src < dst
    return np.stack([src[keep], dst[keep]], axis=1), weight[keep]


def _both_directions(pairs: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs as a (2, E) index in both directions, sorted by (target, source) like
    :func:`toolkit.train.export.string_edges`."""
    src = np.concatenate([pairs[:, 0], pairs[:, 1]])
    dst = np.concatenate([pairs[:, 1], pairs[:, 0]])
    w = np.concatenate([weight, weight])
    order = np.lexsort((src, dst))
    return np.stack([src[order], dst[order]]).astype(np.int64), w[order].astype(np.float32)


def permute_edges(pairs: np.ndarray, rng: np.random.Generator, swaps_per_edge: int = SWAPS_PER_EDGE) -> np.ndarray:
    """Degree-preserving rewiring of undirected ``pairs`` (E, 2): ``swaps_per_edge`` x E attempted
    double-edge swaps (a-b, c-d -> a-d, c-b or a-c, b-d), refusing self-loops and multi-edges.
    Row k of the result is row k's edge after its swaps, so per-edge values can follow the rows."""
    out = [tuple(int(v) for v in p) for p in pairs]
    present = {frozenset(p) for p in out}
    n = len(out)
    if n < 2:
        return np.array(out, dtype=np.int64).reshape(-1, 2)
    attempts = swaps_per_edge * n
    picks = rng.integers(0, n, size=(attempts, 2))
    flips = rng.random(attempts) < 0.5
    for (k, m), flip in zip(picks, flips):
        if k == m:
            continue
        a, b = out[k]
        c, d = out[m]
        if flip:
            c, d = d, c
        new1, new2 = frozenset((a, d)), frozenset((c, b))
        if a == d or c == b or new1 == new2 or new1 in present or new2 in present:
            continue
        present -= {frozenset((a, b)), frozenset((c, d))}
        present |= {new1, new2}
        out[k], out[m] = (a, d), (c, b)
    return np.array(out, dtype=np.int64).reshape(-1, 2)


def _context(data: TaskData, control: str) -> GraphContext:
    if data.context is None:
        raise ValueError(f"control {control!r} needs the graph context, and this snapshot has none: export it "
                         "with context (a knowledge-infused model or --split scaffold)")
    return data.context


def _string_permuted(data: TaskData, rng: np.random.Generator) -> TaskData:
    context = _context(data, "string_permuted")
    pairs, weight = _pairs(context.gene_edges, context.edge_weight)
    if len(pairs) < 2:
        raise ValueError("control 'string_permuted' needs STRING interactions among the genes, and the graph "
                         f"has {len(pairs)}: load them with `kgtool load string …`")
    # shuffle first so which edge keeps which weight does not depend on the sort order
    order = rng.permutation(len(pairs))
    pairs, weight = permute_edges(pairs[order], rng), weight[order]
    lo, hi = pairs.min(axis=1), pairs.max(axis=1)
    edges, w = _both_directions(np.stack([lo, hi], axis=1), weight)
    return replace(data, context=replace(context, gene_edges=edges, edge_weight=w))


def _go_shuffled(data: TaskData, rng: np.random.Generator) -> TaskData:
    context = _context(data, "go_shuffled")
    if not context.gene_go.size or not context.gene_go.any():
        raise ValueError("control 'go_shuffled' needs GO annotations on the genes, and the graph has none: load "
                         "them with `kgtool load go …`")
    rows = rng.permutation(context.gene_go.shape[0])
    return replace(data, context=replace(context, gene_go=np.ascontiguousarray(context.gene_go[rows])))


def _labels_shuffled(data: TaskData, rng: np.random.Generator, train_index: np.ndarray) -> TaskData:
    index = np.asarray(train_index, dtype=int)
    labelled = index[data.y[index].sum(axis=1) > 0]
    compounds = sorted({data.compound_ids[i] for i in labelled})
    if len(compounds) < 2:
        raise ValueError(f"control 'labels_shuffled' needs 2+ labelled training compounds; the split has "
                         f"{len(compounds)}")
    first = {}
    for i in labelled:
        first.setdefault(data.compound_ids[i], i)
    sets = np.stack([data.y[first[c]] for c in compounds])
    new = dict(zip(compounds, sets[rng.permutation(len(compounds))]))
    y = data.y.copy()
    for i in labelled:
        y[i] = new[data.compound_ids[i]]
    return replace(data, y=y)


def apply_control(data: TaskData, control: str, seed: int, train_index: np.ndarray) -> TaskData:
    """``data`` under ``control`` (one of :data:`CONTROLS`), seeded by ``seed``; ``train_index``
    (rows of the training side) limits ``labels_shuffled`` to the training compounds."""
    if control not in CONTROLS:
        raise ValueError(f"unknown control {control!r}; known: {', '.join(CONTROLS)}")
    if control == "none":
        return data
    rng = _rng(seed, control)
    if control == "string_permuted":
        return _string_permuted(data, rng)
    if control == "go_shuffled":
        return _go_shuffled(data, rng)
    return _labels_shuffled(data, rng, train_index)
