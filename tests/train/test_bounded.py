"""Training in bounded memory: a memory-mapped snapshot trains batch by batch, never held whole.

The same data gives the same model, in memory or memory-mapped (sample preparation, splits,
the training loop and prediction read and write a memory-mapped matrix in chunks); and on a
memory-mapped matrix the numpy allocations of the whole path stay far below the matrix's size.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from toolkit.models import TaskData, TrainConfig
from toolkit.train.samples import SampleOptions, prepare

N_CELLS = 40
TIMING = ("train_s", "epoch_s", "snapshot_s", "snapshot_cache_hit")


def _data(n: int, genes: int, seed: int = 0) -> TaskData:
    rng = np.random.default_rng(seed)
    classes = ("a", "b", "c", "d")
    y = np.zeros((n, len(classes)), dtype=np.float32)
    label = rng.integers(0, len(classes), n)
    y[np.arange(n), label] = 1
    y[rng.random(n) < 0.1] = 0  # some unlabelled rows
    x = (rng.normal(size=(n, genes)) + label[:, None] * 0.3).astype(np.float32)
    return TaskData(x=x, y=y, sample_ids=tuple(f"s{i}" for i in range(n)),
                    compound_ids=tuple(f"c{i // 4}" for i in range(n)), gene_ids=tuple(range(genes)),
                    classes=classes, cell_ids=tuple(f"cell{i % N_CELLS}" if i % 50 else "" for i in range(n)))


def _mapped(data: TaskData, folder: Path) -> TaskData:
    """``data`` with its matrix saved and opened memory-mapped, as the snapshot cache does."""
    from dataclasses import replace

    np.save(folder / "x.npy", data.x, allow_pickle=False)
    x = np.load(folder / "x.npy", mmap_mode="c", allow_pickle=False)
    assert isinstance(x, np.memmap)
    return replace(data, x=x)


def _fit_predict(data: TaskData, aggregate: str, predict_batch: int = 4096) -> tuple[np.ndarray, dict, bool]:
    """prepare -> split halves -> mlp fit -> predictions on every prepared row; also whether the
    prepared matrix was memory-mapped."""
    from kgtool_plugins.models.mlp import MLPModel

    prepared = prepare(data, SampleOptions(qc="none", center="cell", aggregate=aggregate)).data
    n = len(prepared.sample_ids)
    train, valid = prepared.subset(np.arange(0, n, 2)), prepared.subset(np.arange(1, n, 2))
    model = MLPModel(len(prepared.gene_ids), len(prepared.classes), {"hidden": 32})
    model.predict_batch_size = predict_batch
    history = model.fit(train, TrainConfig(epochs=2, batch_size=64, seed=3, device="cpu"), valid)
    proba = model.predict_proba(prepared.x, compounds=prepared.compound_ids)
    return proba, {k: v for k, v in history.items() if k not in TIMING}, isinstance(train.x, np.memmap)


@pytest.mark.parametrize("aggregate", ["none", "compound_cell"])
def test_a_memory_mapped_matrix_gives_the_same_model(tmp_path, monkeypatch, aggregate):
    import toolkit.models

    monkeypatch.setattr(toolkit.models, "ROW_CHUNK_BYTES", 8 * 1024)  # many chunks even on small data
    data = _data(1200, 40)
    proba, history, mapped = _fit_predict(data, aggregate)
    proba_mm, history_mm, mapped_mm = _fit_predict(_mapped(data, tmp_path), aggregate)
    assert not mapped and mapped_mm == (aggregate == "none")  # aggregated rows are few: in memory
    assert history_mm == history
    np.testing.assert_array_equal(proba_mm, proba)


def _peak_bytes(data: TaskData) -> int:
    tracemalloc.start()
    try:
        _fit_predict(data, "none", predict_batch=256)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_training_on_a_memory_mapped_matrix_never_materialises_it(tmp_path, monkeypatch):
    import toolkit.models

    monkeypatch.setattr(toolkit.models, "ROW_CHUNK_BYTES", 64 * 1024)
    data = _data(20_000, 300)  # a 24 MB matrix (what else the path allocates is about 3 MB)
    size = data.x.nbytes
    in_memory = _peak_bytes(data)
    mapped = _peak_bytes(_mapped(data, tmp_path))
    assert in_memory > size  # the measurement sees copies of the matrix when there are some
    assert mapped < size / 4, f"peak numpy allocations {mapped / 2**20:.1f} MB on a {size / 2**20:.1f} MB matrix"


def test_train_from_the_cli_path_on_a_memory_mapped_snapshot(demo_graph, monkeypatch):
    """``kgtool train mlp`` (the pipeline) on the snapshot read back memory-mapped gives the run
    it gives in memory, and the model is fitted on a memory-mapped matrix."""
    import toolkit.train.cache
    import toolkit.train.torch_model
    from toolkit.train.pipeline import train

    seen: list[bool] = []
    fit = toolkit.train.torch_model.fit_classifier

    def spy(module, train_data, config, valid=None, **kwargs):
        seen.append(isinstance(train_data.x, np.memmap))
        return fit(module, train_data, config, valid, **kwargs)

    monkeypatch.setattr(toolkit.train.torch_model, "fit_classifier", spy)
    config = TrainConfig(epochs=3, seed=5, device="cpu")
    runs = []
    for threshold in (2**62, 0):  # in memory, then every cached matrix memory-mapped
        monkeypatch.setattr(toolkit.train.cache, "MEMMAP_MIN_BYTES", threshold)
        runs.append(train(demo_graph.graph, demo_graph.settings, "mlp", config, aggregate="none"))
    assert seen == [False, True]
    in_memory, mapped = ({k: v for k, v in run.metrics.items() if k not in TIMING} for run in runs)
    assert mapped == in_memory
    assert runs[0].data_hash == runs[1].data_hash


@pytest.mark.parametrize("method", ["modz", "mean"])
def test_a_large_group_folds_in_chunks_to_the_direct_consensus(tmp_path, monkeypatch, method):
    """Groups over ``LARGE_GROUP`` rows (thousands of DMSO controls per cell line) are folded in
    chunks: the same consensus as the direct one, up to rounding, a constant replicate included."""
    import toolkit.models
    from toolkit.consensus import consensus
    from toolkit.train.aggregate import large_consensus

    monkeypatch.setattr(toolkit.models, "ROW_CHUNK_BYTES", 4 * 1024)
    rng = np.random.default_rng(1)
    x = (rng.normal(size=(300, 50)) + rng.normal(size=50)).astype(np.float32)
    x[7] = 1.5  # a constant replicate: correlated with nothing
    x[11] = -x[12]  # an anti-correlated pair
    rows = list(range(3, 290, 2)) + [7]
    mapped = _mapped(TaskData(x=x, y=np.zeros((300, 0), np.float32), sample_ids=tuple(map(str, range(300))),
                              compound_ids=("c",) * 300, gene_ids=tuple(range(50)), classes=()), tmp_path).x
    np.testing.assert_allclose(large_consensus(mapped, rows, method), consensus(x[rows], method), rtol=1e-9,
                               atol=1e-12)
