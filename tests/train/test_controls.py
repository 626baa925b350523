"""Knowledge controls (toolkit.train.controls): what each destroys and what it keeps. No server."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from tests.train.data import synthetic
from toolkit.models import GraphContext, TaskData
from toolkit.train.controls import CONTROLS, apply_control
from toolkit.train.export import string_edges
from toolkit.train.splits import make_split

N_GENES = 60


def _random_graph(seed: int = 0, p: float = 0.12) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    pairs = [(a, b, float(rng.integers(150, 1000))) for a in range(N_GENES) for b in range(a + 1, N_GENES)
             if rng.random() < p]
    return string_edges(tuple(range(N_GENES)), pairs)


def _data(seed: int = 0) -> TaskData:
    base = synthetic(n_genes=N_GENES, seed=seed)
    rng = np.random.default_rng(seed)
    edges, weight = _random_graph(seed)
    gene_go = (rng.random((N_GENES, 12)) < 0.2).astype(np.float32)
    context = replace(base.context, gene_edges=edges, edge_weight=weight,
                      go_ids=tuple(f"GO:{k:07d}" for k in range(12)), go_names=tuple(f"term {k}" for k in range(12)),
                      gene_go=gene_go,
                      go_edges=np.array([[1, 2], [0, 0]], dtype=np.int64))
    return replace(base, context=context)


def _pairs(edges: np.ndarray, weight: np.ndarray) -> dict[frozenset, float]:
    return {frozenset((int(a), int(b))): float(w) for a, b, w in zip(edges[0], edges[1], weight)}


def _degrees(edges: np.ndarray) -> np.ndarray:
    return np.bincount(edges[0], minlength=N_GENES)


def test_string_permuted_keeps_degrees_and_rewires_most_pairs():
    data = _data()
    ctx = data.context
    out = apply_control(data, "string_permuted", seed=3, train_index=np.arange(0)).context
    assert np.array_equal(_degrees(out.gene_edges), _degrees(ctx.gene_edges))
    assert out.gene_edges.shape == ctx.gene_edges.shape and out.gene_edges.dtype == np.int64
    assert out.edge_weight.dtype == np.float32
    assert not np.any(out.gene_edges[0] == out.gene_edges[1])  # no self-loops
    directed = {(int(a), int(b)) for a, b in out.gene_edges.T}
    assert len(directed) == out.gene_edges.shape[1]  # no multi-edges
    assert all((b, a) in directed for a, b in directed)  # both directions
    before, after = _pairs(ctx.gene_edges, ctx.edge_weight), _pairs(out.gene_edges, out.edge_weight)
    assert len(set(after) - set(before)) > 0.5 * len(before)
    # weights travel with the edges: the multiset of weights is unchanged, each pair one weight
    assert sorted(after.values()) == sorted(before.values())
    for (a, b), w in zip(out.gene_edges.T, out.edge_weight):
        assert after[frozenset((int(a), int(b)))] == w
    # sorted as the export sorts: by target, then source
    rebuilt, _ = string_edges(tuple(range(N_GENES)), [(*tuple(p), 1000.0) for p in after])
    assert np.array_equal(rebuilt, out.gene_edges)
    assert data.context is ctx and np.array_equal(ctx.gene_edges, _data().context.gene_edges)  # input untouched


def test_go_shuffled_moves_rows_and_keeps_term_sizes_and_hierarchy():
    data = _data()
    ctx = data.context
    out = apply_control(data, "go_shuffled", seed=1, train_index=np.arange(0)).context
    assert np.array_equal(out.gene_go.sum(axis=0), ctx.gene_go.sum(axis=0))
    assert not np.array_equal(out.gene_go, ctx.gene_go)
    assert sorted(map(tuple, out.gene_go.tolist())) == sorted(map(tuple, ctx.gene_go.tolist()))  # rows moved
    assert np.array_equal(out.go_edges, ctx.go_edges) and out.go_ids == ctx.go_ids
    assert np.array_equal(out.gene_edges, ctx.gene_edges)


def test_labels_shuffled_permutes_training_compounds_only():
    data = _data()
    split = make_split(data, "cold_compound", seed=0)
    out = apply_control(data, "labels_shuffled", seed=2, train_index=split.train)

    def sets(y: np.ndarray, rows) -> dict[str, tuple]:
        by: dict[str, set] = {}
        for i in rows:
            by.setdefault(data.compound_ids[i], set()).add(tuple(y[i].tolist()))
        return by

    before, after = sets(data.y, split.train), sets(out.y, split.train)
    assert all(len(s) == 1 for s in after.values())  # a compound's rows keep one label set
    assert sorted(next(iter(s)) for s in after.values()) == sorted(next(iter(s)) for s in before.values())
    assert sum(before[c] != after[c] for c in before) > len(before) // 3
    others = np.concatenate([split.valid, split.test, split.unlabelled])
    assert np.array_equal(out.y[others], data.y[others])
    assert np.array_equal(out.x, data.x) and out.compound_ids == data.compound_ids


@pytest.mark.parametrize("control", CONTROLS)
def test_controls_are_deterministic_by_seed(control):
    data = _data()
    train = make_split(data, "cold_compound", seed=0).train
    a, b = (apply_control(data, control, seed=5, train_index=train) for _ in range(2))
    c = apply_control(data, control, seed=6, train_index=train)
    for field in ("gene_edges", "edge_weight", "gene_go"):
        assert np.array_equal(getattr(a.context, field), getattr(b.context, field))
    assert np.array_equal(a.y, b.y)
    changed = {"string_permuted": lambda d: d.context.gene_edges, "go_shuffled": lambda d: d.context.gene_go,
               "labels_shuffled": lambda d: d.y}
    if control == "none":
        assert a is data
    else:
        assert not np.array_equal(changed[control](a), changed[control](c))


def test_controls_refuse_missing_context_and_unknown_names():
    data = _data()
    with pytest.raises(ValueError, match="unknown control 'nope'; known: none, string_permuted"):
        apply_control(data, "nope", seed=0, train_index=np.arange(0))
    bare = replace(data, context=None)
    for control in ("string_permuted", "go_shuffled"):
        with pytest.raises(ValueError, match=f"control '{control}' needs the graph context"):
            apply_control(bare, control, seed=0, train_index=np.arange(0))
    empty = synthetic(n_genes=N_GENES)  # context with no STRING edges and no GO terms
    assert isinstance(empty.context, GraphContext)
    with pytest.raises(ValueError, match="needs STRING interactions .* `kgtool load string"):
        apply_control(empty, "string_permuted", seed=0, train_index=np.arange(0))
    with pytest.raises(ValueError, match="needs GO annotations .* `kgtool load go"):
        apply_control(empty, "go_shuffled", seed=0, train_index=np.arange(0))
    with pytest.raises(ValueError, match="needs 2\\+ labelled training compounds"):
        apply_control(data, "labels_shuffled", seed=0, train_index=np.arange(0))
