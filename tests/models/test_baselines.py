"""nearest_centroid and logistic's model selection (kgtool_plugins.models.baselines)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from toolkit.models import TaskData

from .conftest import QUICK


def _task(x: np.ndarray, y: np.ndarray, compounds: list[str] | None = None) -> TaskData:
    n, g = x.shape
    return TaskData(x=x.astype(np.float32), y=y.astype(np.float32), sample_ids=tuple(f"s{i}" for i in range(n)),
                    compound_ids=tuple(compounds or [f"c{i}" for i in range(n)]), gene_ids=tuple(range(g)),
                    classes=tuple(f"moa{k}" for k in range(y.shape[1])))


def _pearson(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(len(a), len(b)) Pearson correlations, computed with numpy's corrcoef."""
    return np.corrcoef(np.vstack([a, b]))[: len(a), len(a):]


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.fixture(scope="module")
def patterns() -> tuple[np.ndarray, TaskData]:
    """Three class patterns over 40 genes; 6 noisy training copies of each (different scales and
    offsets), one row labelled with classes 0 and 1 at once; class 3 has no training rows."""
    rng = np.random.default_rng(7)
    base = rng.normal(size=(3, 40))
    rows, labels = [], []
    for k in range(3):
        for _ in range(6):
            rows.append(rng.uniform(0.5, 3.0) * base[k] + rng.normal(scale=0.3, size=40) + rng.normal())
            labels.append(np.eye(4)[k])
    rows.append(base[0] + base[1])
    labels.append(np.array([1.0, 1.0, 0.0, 0.0]))
    return base, _task(np.array(rows), np.array(labels))


def test_nearest_centroid_is_softmax_of_pearson_to_soft_target_centroids(patterns) -> None:
    from kgtool_plugins.models.baselines import NearestCentroidModel

    _, train = patterns
    model = NearestCentroidModel(40, 4, {"temperature": 0.2})
    history = model.fit(train, QUICK)
    assert history["temperature"] == 0.2 and history["centroids"] == 3
    # independent expectation: weighted means (the two-label row counts half in each class)
    weights = train.y / train.y.sum(axis=1, keepdims=True)
    centroids = (weights[:, :3].T @ train.x.astype(np.float64)) / weights[:, :3].sum(axis=0)[:, None]
    queries = np.random.default_rng(1).normal(size=(10, 40))
    expected = _softmax(_pearson(queries, centroids) / 0.2)
    proba = model.predict_proba(queries)
    np.testing.assert_allclose(proba[:, :3], expected, atol=1e-5)
    assert proba[:, 3].max() < 1e-12  # no training sample: never predicted


def test_nearest_centroid_predicts_the_most_correlated_centroid(patterns) -> None:
    from kgtool_plugins.models.baselines import NearestCentroidModel

    base, train = patterns
    model = NearestCentroidModel(40, 4)
    model.fit(train, QUICK)
    # mostly class j, a little of class i, rescaled and shifted: correlation still points at j
    queries = np.array([5.0 * (0.8 * base[j] + 0.2 * base[i]) - 2.0 for j in range(3) for i in range(3) if i != j])
    truth = [j for j in range(3) for i in range(3) if i != j]
    np.testing.assert_array_equal(model.predict_proba(queries).argmax(axis=1), truth)
    # Pearson correlation ignores scale and offset
    np.testing.assert_allclose(model.predict_proba(queries), model.predict_proba(3.0 * queries + 7.0), atol=1e-6)


def test_nearest_centroid_picks_the_temperature_by_validation_log_loss(patterns) -> None:
    from kgtool_plugins.models.baselines import TEMPERATURE_GRID, NearestCentroidModel
    from toolkit.train.metrics import log_loss

    base, train = patterns
    rng = np.random.default_rng(3)
    valid = _task(np.array([base[k] + rng.normal(scale=2.0, size=40) for k in (0, 1, 2, 0, 1, 2)]),
                  np.eye(4)[[0, 1, 2, 0, 1, 2]])
    picked = NearestCentroidModel(40, 4)
    history = picked.fit(train, QUICK, valid)
    losses, classes = {}, set()
    for t in TEMPERATURE_GRID:
        fixed = NearestCentroidModel(40, 4, {"temperature": t})
        fixed.fit(train, QUICK)
        proba = fixed.predict_proba(valid.x)
        losses[t] = log_loss(proba, valid.y)
        classes.add(tuple(proba.argmax(axis=1)))
    assert history["temperature"] == min(losses, key=losses.get)
    assert history["best_valid_loss"] == pytest.approx(losses[history["temperature"]])
    assert len(set(losses.values())) > 1 and len(classes) == 1  # the grid matters for loss, not for the class


def test_nearest_centroid_module_round_trips(patterns, tmp_path: Path) -> None:
    import torch

    from kgtool_plugins.models.baselines import NearestCentroidModel

    _, train = patterns
    model = NearestCentroidModel(40, 4)
    model.fit(train, QUICK)
    x = np.random.default_rng(2).normal(size=(5, 40)).astype(np.float32)
    with torch.no_grad():
        logits = model.torch_module()(torch.as_tensor(x))
    np.testing.assert_allclose(torch.softmax(logits.double(), dim=1).numpy(), model.predict_proba(x), atol=1e-7)
    model.save(tmp_path / "nc.pt")
    loaded = NearestCentroidModel.load(tmp_path / "nc.pt")  # weights_only=True inside
    np.testing.assert_array_equal(loaded.predict_proba(x), model.predict_proba(x))
    with pytest.raises(ValueError, match="temperature"):
        NearestCentroidModel(40, 4, {"temperature": 0})
    with pytest.raises(ValueError, match="labelled"):
        NearestCentroidModel(40, 4).fit(_task(x, np.zeros((5, 4))), QUICK)


def test_logistic_picks_c_by_validation_compound_macro_f1(train_part: TaskData, valid_part: TaskData) -> None:
    from kgtool_plugins.models.baselines import C_GRID, LogisticModel
    from toolkit.train.metrics import compound_macro_f1, log_loss

    picked = LogisticModel(train_part.x.shape[1], len(train_part.classes))
    history = picked.fit(train_part, QUICK, valid_part)
    keep = np.flatnonzero(valid_part.labelled)
    y, compounds = valid_part.y[keep], [valid_part.compound_ids[i] for i in keep]
    scores = {}
    for c in C_GRID:  # each C fitted on its own, scored here
        fixed = LogisticModel(train_part.x.shape[1], len(train_part.classes), {"C": c})
        fixed.fit(train_part, QUICK)
        proba = fixed.predict_proba(valid_part.x[keep])
        scores[c] = (compound_macro_f1(proba, y, compounds), log_loss(proba, y))
    best_f1 = max(f1 for f1, _ in scores.values())
    expected = min((c for c in C_GRID if scores[c][0] == best_f1), key=lambda c: scores[c][1])
    assert history["C"] == expected and picked.params["C"] == expected
    assert history["valid_macro_f1"] == pytest.approx(best_f1)
    assert history["best_valid_loss"] == pytest.approx(scores[expected][1])


def test_logistic_prefers_macro_f1_over_log_loss() -> None:
    """Weak signal, one class three times as common: the C with the lowest validation log loss
    leans on the prior, another C separates the classes better; the pick is the latter."""
    from kgtool_plugins.models.baselines import C_GRID, LogisticModel
    from toolkit.train.metrics import compound_macro_f1, log_loss

    rng = np.random.default_rng(1)
    counts, genes = (20, 6, 6, 6), 60
    signal = rng.normal(size=(len(counts), genes))

    def draw(share: int, tag: str) -> TaskData:
        rows = [(k, c) for k, n in enumerate(counts) for c in range(n // share)]
        x = np.array([0.15 * signal[k] + rng.normal(size=genes) for k, _ in rows])
        return _task(x, np.eye(len(counts))[[k for k, _ in rows]], [f"{tag}{k}-{c}" for k, c in rows])

    train, valid = draw(1, "t"), draw(2, "v")
    scores = {}
    for c in C_GRID:
        fixed = LogisticModel(genes, len(counts), {"C": c})
        fixed.fit(train, QUICK)
        proba = fixed.predict_proba(valid.x)
        scores[c] = (compound_macro_f1(proba, valid.y, valid.compound_ids), log_loss(proba, valid.y))
    by_loss = min(C_GRID, key=lambda c: scores[c][1])
    picked = LogisticModel(genes, len(counts)).fit(train, QUICK, valid)["C"]
    assert picked != by_loss and scores[picked][0] > scores[by_loss][0]
    assert scores[picked][0] == max(f1 for f1, _ in scores.values())


def test_logistic_without_validation_reports_no_scores(train_part: TaskData) -> None:
    from kgtool_plugins.models.baselines import C_GRID, LogisticModel

    model = LogisticModel(train_part.x.shape[1], len(train_part.classes))
    history = model.fit(train_part, QUICK)
    assert history["C"] == C_GRID[0] and history["valid_macro_f1"] is None and history["best_valid_loss"] is None
