"""The snapshot cache: numpy + JSON round trip (no pickle), damaged entries, and against the real
server: hit vs miss, train runs keep it, a new load invalidates it."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from tests.train.data import synthetic
from toolkit.models import TrainConfig
from toolkit.train import cache
from toolkit.train.export import data_hash


def _same(a, b) -> None:
    assert np.array_equal(a.x, b.x) and np.array_equal(a.y, b.y)
    assert (a.sample_ids, a.compound_ids, a.gene_ids, a.classes, a.cell_ids) == \
           (b.sample_ids, b.compound_ids, b.gene_ids, b.classes, b.cell_ids)
    if a.context is None:
        assert b.context is None
        return
    for name in ("gene_edges", "edge_weight", "gene_go", "go_edges"):
        assert np.array_equal(getattr(a.context, name), getattr(b.context, name)), name
        assert getattr(a.context, name).dtype == getattr(b.context, name).dtype
    for name in ("go_ids", "go_names"):
        assert getattr(a.context, name) == getattr(b.context, name)
    assert dict(a.context.compound_scaffold) == dict(b.context.compound_scaffold)
    assert dict(a.context.compound_smiles) == dict(b.context.compound_smiles)


@pytest.mark.parametrize("with_context", [False, True])
def test_entry_round_trip_is_exact_and_pickle_free(tmp_path, with_context):
    data = synthetic()
    data = data if with_context else replace(data, context=None)
    entry = tmp_path / "e1"
    cache.write_entry(entry, data, data_hash(data), {"fingerprint": "f"})
    assert sorted(p.name for p in entry.iterdir()) == sorted([cache.ARRAYS, cache.META, cache.X])
    with np.load(entry / cache.ARRAYS, allow_pickle=False) as arrays:  # raises on any object array
        assert all(arrays[k].dtype != object for k in arrays.files)
        assert "x" not in arrays.files  # the matrix is stored once, in x.npy
    x = np.load(entry / cache.X, allow_pickle=False)
    assert x.dtype == np.float32 and x.tobytes() == data.x.tobytes()
    json.loads((entry / cache.META).read_text())
    back, digest = cache.read_entry(entry)
    _same(data, back)
    assert digest == data_hash(data)


def test_data_hash_covers_cells_and_context():
    data = synthetic()
    assert data_hash(data) != data_hash(replace(data, cell_ids=tuple("X" for _ in data.cell_ids)))
    assert data_hash(data) != data_hash(replace(data, context=None))
    scaffolds = dict(data.context.compound_scaffold, **{data.compound_ids[0]: "other"})
    assert data_hash(data) != data_hash(replace(data, context=replace(data.context, compound_scaffold=scaffolds)))


def test_a_damaged_entry_is_a_miss_and_removed(tmp_path):
    data = synthetic()
    entry = tmp_path / "e2"
    cache.write_entry(entry, data, data_hash(data), {})
    meta = json.loads((entry / cache.META).read_text())
    meta["classes"] = list(reversed(meta["classes"]))  # content no longer matches its hash
    (entry / cache.META).write_text(json.dumps(meta))
    assert cache.read_entry(entry) is None
    assert not entry.exists()
    cache.write_entry(entry, data, data_hash(data), {})
    (entry / cache.ARRAYS).write_bytes(b"not numpy")
    assert cache.read_entry(entry) is None and not entry.exists()
    cache.write_entry(entry, data, data_hash(data), {})
    (entry / cache.X).write_bytes(b"not numpy")
    assert cache.read_entry(entry) is None and not entry.exists()
    cache.write_entry(entry, data, data_hash(data), {})
    np.save(entry / cache.X, np.asarray(data.x)[:-1])  # a row short
    assert cache.read_entry(entry) is None and not entry.exists()
    cache.write_entry(entry, data, data_hash(data), {})
    changed = np.array(data.x)
    changed[0, 0] += 1
    np.save(entry / cache.X, changed)  # same shape, other values: the hash tells
    assert cache.read_entry(entry) is None and not entry.exists()


def test_an_entry_of_an_older_format_is_a_miss_and_removed(tmp_path):
    data = synthetic()
    entry = tmp_path / "old"
    cache.write_entry(entry, data, data_hash(data), {})
    meta = json.loads((entry / cache.META).read_text())
    assert meta["format"] == cache.FORMAT == "kgtool-snapshot/3"
    meta["format"] = "kgtool-snapshot/2"
    (entry / cache.META).write_text(json.dumps(meta))
    assert cache.read_entry(entry) is None and not entry.exists()


def test_a_large_matrix_is_read_back_memory_mapped_copy_on_write(tmp_path, monkeypatch):
    data = synthetic()
    entry = tmp_path / "big"
    cache.write_entry(entry, data, data_hash(data), {})
    small, _ = cache.read_entry(entry)
    assert type(small.x) is np.ndarray  # under MEMMAP_MIN_BYTES: in memory
    monkeypatch.setattr(cache, "MEMMAP_MIN_BYTES", 0)
    back, digest = cache.read_entry(entry)
    assert isinstance(back.x, np.memmap) and back.x.tobytes() == data.x.tobytes() and digest == data_hash(data)
    back.x[0, 0] += 100.0  # a model centring in place must not reach the cache file
    assert np.load(entry / cache.X, allow_pickle=False).tobytes() == data.x.tobytes()
    assert cache.read_entry(entry) is not None


def test_prune_keeps_the_newest(tmp_path):
    data = replace(synthetic(n_compounds=6), context=None)
    for i in range(4):
        cache.write_entry(tmp_path / f"e{i}", data, data_hash(data), {})
        time.sleep(0.01)
    cache.prune(tmp_path, 2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e2", "e3"]


def test_cache_key_depends_on_options():
    keys = {cache.cache_key("f", cache.ExportOptions()), cache.cache_key("f", cache.ExportOptions(with_context=True)),
            cache.cache_key("f", cache.ExportOptions(with_context=True, go_min_genes=5)),
            cache.cache_key("g", cache.ExportOptions())}
    assert len(keys) == 4


# --- against the real server ---------------------------------------------------------------


def test_fingerprint_counts_every_data_label_and_type(demo_graph):
    from toolkit import cypher
    from toolkit.schema import DERIVED_LABELS, DERIVED_RELS, NodeLabel, RelType

    rows = demo_graph.graph.read(cypher.load("export/fingerprint_counts"))
    derived = {x.value for x in (*DERIVED_LABELS, *DERIVED_RELS)}
    data_names = {x.value for x in (*NodeLabel, *RelType)} - derived
    assert {r["name"] for r in rows} == data_names  # a new schema label must be added to the query
    assert all(r["count"] > 0 for r in rows if r["name"] in {"Gene", "Signature", "INTERACTS_WITH"})


def test_hit_miss_and_invalidation_by_a_new_load(demo_graph, tmp_path, monkeypatch):
    from toolkit.demo.workflow import demo_loads
    from toolkit.load import load
    from toolkit.train.pipeline import train

    graph, settings = demo_graph.graph, demo_graph.settings
    options = cache.ExportOptions(with_context=True)
    first = cache.snapshot(graph, tmp_path, options)
    assert not first.cache_hit and first.path.is_dir()
    assert first.data.context is not None and first.data.cell_ids

    def no_export(*args, **kwargs):
        raise AssertionError("a cache hit must not query the signatures")

    with monkeypatch.context() as m:
        m.setattr(cache, "export_snapshot", no_export)  # the cache's export (signatures and their QC)
        second = cache.snapshot(graph, tmp_path, options)
        assert second.cache_hit and second.data_hash == first.data_hash and second.path == first.path
        _same(first.data, second.data)
        assert np.array_equal(first.quality.qc_pass, second.quality.qc_pass)
        assert np.array_equal(first.quality.cc_q75, second.quality.cc_q75, equal_nan=True)
        # training and predicting add Run/Prediction nodes only: the cache still holds
        train(graph, replace(settings, home=tmp_path / "home"), "mlp", TrainConfig(epochs=2, seed=0),
              data=second.data)
        assert cache.snapshot(graph, tmp_path, options).cache_hit
    assert not cache.snapshot(graph, tmp_path, cache.ExportOptions()).cache_hit  # other options, other entry

    source, paths = demo_loads(demo_graph.data_dir)[2]  # the compounds again: same data, a new load run
    load(graph, settings, source, paths)
    third = cache.snapshot(graph, tmp_path, options)
    assert not third.cache_hit and third.fingerprint != first.fingerprint
    assert third.data_hash == first.data_hash  # the load changed nothing, but the cache cannot know that
    assert cache.snapshot(graph, tmp_path, options).cache_hit


def test_a_miss_exports_into_the_entry_and_equals_the_single_query_export(demo_graph, tmp_path, monkeypatch):
    from toolkit.train.export import export_snapshot_unpaged

    monkeypatch.setattr(cache, "MEMMAP_MIN_BYTES", 0)  # hand out the stored matrix memory-mapped
    graph = demo_graph.graph
    first = cache.snapshot(graph, tmp_path, cache.ExportOptions(with_context=True))
    assert not first.cache_hit
    old, old_q = export_snapshot_unpaged(graph, with_context=True)
    _same(old, first.data)
    assert first.data.x.tobytes() == old.x.tobytes() and first.data_hash == data_hash(old, old_q)
    assert isinstance(first.data.x, np.memmap) and Path(first.data.x.filename) == (first.path / cache.X).resolve()
    assert first.data.x.mode == "c"  # copy-on-write: not the export's writable map
    assert not [p for p in first.path.parent.iterdir() if p.name.startswith(".")]  # no staging folder left
    second = cache.snapshot(graph, tmp_path, cache.ExportOptions(with_context=True))
    assert second.cache_hit and second.data_hash == first.data_hash


def test_refresh_and_off(demo_graph, tmp_path):
    graph = demo_graph.graph
    assert not cache.snapshot(graph, tmp_path).cache_hit
    assert not cache.snapshot(graph, tmp_path, refresh=True).cache_hit
    off = cache.snapshot(graph, None)
    assert not off.cache_hit and off.path is None and off.data_hash == cache.snapshot(graph, tmp_path).data_hash
