"""The batched writer against the real server: idempotent MERGE, one edge per unordered pair."""

import pytest

from tests.helpers import counts
from toolkit.graph.batches import NodeBatch, RelBatch
from toolkit.graph.writer import GraphWriter
from toolkit.schema import NodeLabel, RelType


def _batches():
    genes = NodeBatch(NodeLabel.GENE, tuple({"entrez_id": i, "symbol": f"G{i}"} for i in range(1, 6)))
    # (2,1) and (1,2) are the same unordered pair
    edges = RelBatch(RelType.INTERACTS_WITH, NodeLabel.GENE, NodeLabel.GENE, (
        {"start": 1, "end": 2, "props": {"score": 900}},
        {"start": 2, "end": 1, "props": {"score": 900}},
        {"start": 3, "end": 4, "props": {"score": 500}},
    ))
    return [genes, edges]


def test_writing_twice_changes_nothing(graph):
    GraphWriter(graph, chunk_size=2).write_all(_batches())
    first = counts(graph)
    writer = GraphWriter(graph, chunk_size=2)
    writer.write_all(_batches())
    assert counts(graph) == first
    assert first[("node", "Gene")] == 5
    assert first[("rel", "INTERACTS_WITH")] == 2
    assert writer.counts.nodes_created == 0 and writer.counts.relationships_created == 0


def test_strings_with_quotes_backticks_and_braces_are_stored_verbatim(graph):
    name = "it's a `weird` {name} \"quoted\" } RETURN 1 //"
    GraphWriter(graph).write(NodeBatch(NodeLabel.MOA, ({"name": name},)))
    with graph.session() as s:
        stored = s.run("MATCH (m:MoA) RETURN m.name AS name").single()["name"]
    assert stored == name


def test_batch_rejects_wrong_endpoints():
    with pytest.raises(ValueError, match="cannot connect"):
        RelBatch(RelType.TARGETS, NodeLabel.GENE, NodeLabel.COMPOUND, ())


def test_batch_rejects_rows_without_key():
    with pytest.raises(ValueError, match="without key"):
        NodeBatch(NodeLabel.GENE, ({"symbol": "X"},))
