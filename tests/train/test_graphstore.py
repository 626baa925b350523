"""The Neo4j-backed PyG FeatureStore/GraphStore give NeighborLoader the same batches as the
in-memory ``Data`` built from the snapshot (same seed: same nodes, features and edges)."""

from __future__ import annotations

import pytest
import torch
import torch_geometric.typing as pyg_typing
from torch_geometric.data import FeatureStore, GraphStore
from torch_geometric.loader import NeighborLoader

from toolkit.train import graphstore
from toolkit.train.export import export_signatures  # noqa: E402

NATIVE = pyg_typing.WITH_PYG_LIB or pyg_typing.WITH_TORCH_SPARSE
pytestmark = pytest.mark.filterwarnings("ignore:Using 'NeighborSampler' without a 'pyg-lib'")


@pytest.fixture(scope="module")
def snapshot(demo_graph):
    return export_signatures(demo_graph.graph, with_context=True)


@pytest.fixture(scope="module")
def stores(demo_graph):
    return graphstore.stores(demo_graph.graph)


def test_stores_are_pyg_stores_and_read_from_the_graph(stores, snapshot):
    features, edges = stores
    assert isinstance(features, FeatureStore) and isinstance(edges, GraphStore)
    n, m = len(snapshot.gene_ids), len(snapshot.sample_ids)
    assert features.get_tensor_size(None, "x") == (n, m)
    index = torch.tensor([5, 0, 17])
    got = features.get_tensor(None, "x", index)
    assert torch.equal(got, torch.as_tensor(snapshot.x.T[[5, 0, 17]]))
    assert torch.equal(features.get_tensor(None, "x", 3), torch.as_tensor(snapshot.x[:, 3]))
    assert torch.equal(features.get_tensor(None, "x", slice(2, 4)), torch.as_tensor(snapshot.x.T[2:4]))
    row, col = edges.get_edge_index(edge_type=None, layout="coo", is_sorted=True, size=(n, n))
    assert torch.equal(torch.stack([row, col]), torch.as_tensor(snapshot.context.gene_edges))
    (attr,) = edges.get_all_edge_attrs()
    assert attr.size == (n, n) and attr.is_sorted
    # in-memory extras sit beside the graph-backed tensors; the graph-backed ones are read-only
    assert features.put_tensor(torch.arange(n), group_name=None, attr_name="y", index=None)
    assert torch.equal(features.get_tensor(None, "y", torch.tensor([2, 3])), torch.tensor([2, 3]))
    assert not features.put_tensor(torch.zeros(n, m), group_name=None, attr_name="x", index=None)
    assert features.remove_tensor(None, "y", None) and {a.attr_name for a in features.get_all_tensor_attrs()} == {"x"}


def _batches(data, seed: int, sampler_cls=None, **kwargs):
    if sampler_cls is None:
        sampler = graphstore.neighbor_sampler(data, [4, 3], **kwargs)  # PyG's own where it can sample
    else:
        sampler = sampler_cls(data, num_neighbors=[4, 3], **kwargs)
    loader = NeighborLoader(data, num_neighbors=[4, 3], input_nodes=torch.arange(0, 300, 5), batch_size=16,
                            shuffle=True, neighbor_sampler=sampler)
    torch.manual_seed(seed)
    return list(loader)


@pytest.mark.parametrize("sampler", ["auto", "torch"])
def test_neighbor_loader_batches_match_the_in_memory_graph(stores, snapshot, sampler):
    sampler_cls = graphstore.TorchNeighborSampler if sampler == "torch" else None
    memory = graphstore.snapshot_data(snapshot)
    features, _ = stores
    reads = features.reads
    ours = _batches(stores, seed=3, sampler_cls=sampler_cls)
    theirs = _batches(memory, seed=3, sampler_cls=sampler_cls, is_sorted=True)  # edges are sorted by target
    assert len(ours) == len(theirs) == 4
    for a, b in zip(ours, theirs):
        assert torch.equal(a.n_id, b.n_id)
        assert torch.equal(a.x, b.x)
        assert torch.equal(a.edge_index, b.edge_index)
        assert torch.equal(a.e_id, b.e_id)
        assert a.batch_size == b.batch_size
        assert a.edge_index.size(1) > 0
    assert features.reads == reads + len(ours)  # one feature query per batch, on demand
    other = _batches(stores, seed=4, sampler_cls=sampler_cls)
    assert any(not torch.equal(a.n_id, b.n_id) for a, b in zip(ours, other))  # the seed matters


def test_the_torch_sampler_samples_real_edges_within_fanout(snapshot):
    memory = graphstore.snapshot_data(snapshot)
    edges = {tuple(e) for e in snapshot.context.gene_edges.T.tolist()}
    for batch in _batches(memory, seed=0, sampler_cls=graphstore.TorchNeighborSampler, is_sorted=True):
        src, dst = batch.n_id[batch.edge_index[0]], batch.n_id[batch.edge_index[1]]
        assert {(int(a), int(b)) for a, b in zip(src, dst)} <= edges
        assert torch.equal(torch.as_tensor(snapshot.context.gene_edges)[:, batch.e_id], torch.stack([src, dst]))
        first_hop = batch.edge_index[1][: batch.num_sampled_edges[0]]
        assert torch.bincount(first_hop).max() <= 4 and int(first_hop.max()) < batch.batch_size


def test_pyg_needs_pyg_lib_or_torch_sparse_to_sample(snapshot):
    memory = graphstore.snapshot_data(snapshot)
    sampler = graphstore.neighbor_sampler(memory, [2])
    if NATIVE:
        assert not isinstance(sampler, graphstore.TorchNeighborSampler)
        return
    assert isinstance(sampler, graphstore.TorchNeighborSampler)
    loader = NeighborLoader(memory, num_neighbors=[2], input_nodes=torch.arange(4), batch_size=4)
    with pytest.raises(ImportError, match="pyg-lib"):
        next(iter(loader))
