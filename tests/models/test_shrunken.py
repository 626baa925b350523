"""shrunken_centroid and network_centroid (kgtool_plugins.models.shrunken)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from toolkit.models import GraphContext, TaskData

from .conftest import QUICK

N_GENES = 30


def _task(x: np.ndarray, y: np.ndarray, compounds: list[str] | None = None,
          context: GraphContext | None = None) -> TaskData:
    n, g = x.shape
    return TaskData(x=x.astype(np.float32), y=y.astype(np.float32), sample_ids=tuple(f"s{i}" for i in range(n)),
                    compound_ids=tuple(compounds or [f"c{i}" for i in range(n)]), gene_ids=tuple(range(g)),
                    classes=tuple(f"moa{k}" for k in range(y.shape[1])), context=context)


def _context(pairs: list[tuple[int, int]]) -> GraphContext:
    src = [a for a, b in pairs] + [b for a, b in pairs]
    dst = [b for a, b in pairs] + [a for a, b in pairs]
    return GraphContext(gene_edges=np.array([src, dst], dtype=np.int64),
                        edge_weight=np.full(len(src), 0.9, dtype=np.float32), go_ids=(), go_names=(),
                        gene_go=np.zeros((N_GENES, 0), dtype=np.float32), go_edges=np.zeros((2, 0), dtype=np.int64))


def _pam_centroids(x: np.ndarray, y: np.ndarray, delta: float) -> np.ndarray:
    """Nearest shrunken centroids written out independently (single-label rows)."""
    labels = y.argmax(axis=1)
    overall = x.mean(axis=0)
    means = np.stack([x[labels == k].mean(axis=0) for k in range(y.shape[1])])
    resid = x - means[labels]
    sd = np.sqrt((resid ** 2).sum(axis=0) / (len(x) - y.shape[1]))
    sd = sd + np.median(sd)
    d = (means - overall) / sd
    return overall + np.sign(d) * np.maximum(np.abs(d) - delta, 0.0) * sd


def _pearson(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.corrcoef(np.vstack([a, b]))[: len(a), len(a):]


@pytest.fixture(scope="module")
def classes() -> tuple[np.ndarray, TaskData]:
    """Three sparse class patterns (genes 0-3, 10-13, 20-23) with noise everywhere, 8 rows each."""
    rng = np.random.default_rng(11)
    base = np.zeros((3, N_GENES))
    for k in range(3):
        base[k, 10 * k: 10 * k + 4] = rng.choice([-2.0, 2.0], size=4)
    rows, labels = [], []
    for k in range(3):
        for _ in range(8):
            rows.append(base[k] + rng.normal(scale=0.8, size=N_GENES))
            labels.append(np.eye(3)[k])
    return base, _task(np.array(rows), np.array(labels))


def test_shrunken_centroid_is_pam_with_pearson(classes) -> None:
    from kgtool_plugins.models.shrunken import ShrunkenCentroidModel

    _, train = classes
    queries = np.random.default_rng(1).normal(size=(7, N_GENES))
    for delta in (0.0, 0.5, 1.5):
        model = ShrunkenCentroidModel(N_GENES, 3, {"delta": delta, "temperature": 0.1})
        history = model.fit(train, QUICK)
        expected = _pearson(queries, _pam_centroids(train.x.astype(np.float64), train.y, delta)) / 0.1
        expected = np.exp(expected - expected.max(axis=1, keepdims=True))
        np.testing.assert_allclose(model.predict_proba(queries), expected / expected.sum(axis=1, keepdims=True),
                                   atol=1e-5)
        assert history["delta"] == delta
    # delta 0 leaves the class means: the same predictions as nearest_centroid
    from kgtool_plugins.models.baselines import NearestCentroidModel

    plain = NearestCentroidModel(N_GENES, 3, {"temperature": 0.1})
    plain.fit(train, QUICK)
    zero = ShrunkenCentroidModel(N_GENES, 3, {"delta": 0.0, "temperature": 0.1})
    zero.fit(train, QUICK)
    np.testing.assert_allclose(zero.predict_proba(queries), plain.predict_proba(queries), atol=1e-5)


def test_shrinkage_keeps_the_genes_a_class_moves(classes) -> None:
    from kgtool_plugins.models.shrunken import ShrunkenCentroidModel

    _, train = classes
    model = ShrunkenCentroidModel(N_GENES, 3, {"delta": 0.5})
    history = model.fit(train, QUICK)
    x = train.x.astype(np.float64)
    moved = np.abs(_pam_centroids(x, train.y, 0.5) - x.mean(axis=0)) > 1e-9
    for k in range(3):  # a class's own genes survive; most noise genes do not
        assert set(range(10 * k, 10 * k + 4)) <= set(np.flatnonzero(moved[k])), k
        assert moved[k].sum() <= 10, k
    assert history["genes_per_centroid"] == pytest.approx(moved.sum(axis=1).mean())
    unshrunk = ShrunkenCentroidModel(N_GENES, 3, {"delta": 0.0}).fit(train, QUICK)
    assert unshrunk["genes_per_centroid"] == N_GENES


def test_delta_is_picked_by_validation_compound_macro_f1(classes) -> None:
    from kgtool_plugins.models.shrunken import DELTA_GRID, ShrunkenCentroidModel
    from toolkit.train.metrics import compound_macro_f1

    base, train = classes
    rng = np.random.default_rng(5)
    labels = [0, 1, 2] * 4
    valid = _task(np.array([base[k] + rng.normal(scale=2.5, size=N_GENES) for k in labels]), np.eye(3)[labels])
    history = ShrunkenCentroidModel(N_GENES, 3).fit(train, QUICK, valid)
    scores = {}
    for delta in DELTA_GRID:
        fixed = ShrunkenCentroidModel(N_GENES, 3, {"delta": delta})
        fixed.fit(train, QUICK)
        scores[delta] = compound_macro_f1(fixed.predict_proba(valid.x), valid.y, valid.compound_ids)
    best = max(scores.values())
    assert history["delta"] == max(d for d, s in scores.items() if s == best)  # ties: the larger delta
    assert history["valid_macro_f1"] == pytest.approx(best)


def test_network_centroid_spares_the_network_neighbours_of_a_class(classes) -> None:
    from kgtool_plugins.models.shrunken import NetworkCentroidModel, ShrunkenCentroidModel

    _, train = classes
    # gene 5 moves weakly with class 0 and is STRING-linked to class 0's genes; gene 25 moves as
    # weakly with class 0 but sits alone in the network
    rows = np.flatnonzero(train.y[:, 0] > 0)
    x = train.x.copy()
    x[rows, 5] += 0.6
    x[rows, 25] += 0.6
    pairs = [(0, 5), (1, 5), (2, 5), (3, 5), (10, 11), (20, 21)]
    data = replace(train, x=x, context=_context(pairs))
    params = {"delta": 3.0, "seeds": 2, "neighbourhood": 6, "temperature": 0.1}
    network = NetworkCentroidModel(N_GENES, 3, params)
    network.fit(data, QUICK)
    shrunken = ShrunkenCentroidModel(N_GENES, 3, params)
    shrunken.fit(data, QUICK)
    net_c = network.torch_module().centroids.numpy()
    shr_c = shrunken.torch_module().centroids.numpy()
    assert abs(net_c[0, 5] - net_c[0].mean()) > 1e-3  # kept: a network neighbour of class 0's strongest genes
    assert not np.allclose(net_c[0], shr_c[0])
    # without the edges to gene 5 it is shrunk like gene 25
    cut = NetworkCentroidModel(N_GENES, 3, params)
    cut.fit(replace(data, context=_context([(10, 11), (20, 21), (6, 7)])), QUICK)
    assert not np.allclose(cut.torch_module().centroids.numpy()[0], net_c[0])


def test_network_centroid_needs_string_edges_and_round_trips(classes, tmp_path: Path) -> None:
    from kgtool_plugins.models.shrunken import NetworkCentroidModel

    _, train = classes
    model = NetworkCentroidModel(N_GENES, 3)
    assert model.context_needs == ("string",) and model.requires_context
    with pytest.raises(ValueError, match="string|STRING"):
        model.fit(train, QUICK)  # no graph context
    with pytest.raises(ValueError, match="delta"):
        NetworkCentroidModel(N_GENES, 3, {"delta": -1})
    model.fit(replace(train, context=_context([(0, 1), (10, 12)])), QUICK)
    x = np.random.default_rng(2).normal(size=(4, N_GENES)).astype(np.float32)
    model.save(tmp_path / "nc.pt")
    np.testing.assert_array_equal(NetworkCentroidModel.load(tmp_path / "nc.pt").predict_proba(x),
                                  model.predict_proba(x))
