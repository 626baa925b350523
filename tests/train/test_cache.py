"""The snapshot cache: numpy + JSON round trip (no pickle), damaged entries, and against the real
server: hit vs miss, train runs keep it, a new load invalidates it."""

from __future__ import annotations

import json
import time
from dataclasses import replace

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
    assert sorted(p.name for p in entry.iterdir()) == [cache.ARRAYS, cache.META]
    with np.load(entry / cache.ARRAYS, allow_pickle=False) as arrays:  # raises on any object array
        assert all(arrays[k].dtype != object for k in arrays.files)
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


def test_refresh_and_off(demo_graph, tmp_path):
    graph = demo_graph.graph
    assert not cache.snapshot(graph, tmp_path).cache_hit
    assert not cache.snapshot(graph, tmp_path, refresh=True).cache_hit
    off = cache.snapshot(graph, None)
    assert not off.cache_hit and off.path is None and off.data_hash == cache.snapshot(graph, tmp_path).data_hash
