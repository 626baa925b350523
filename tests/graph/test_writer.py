"""The batched writer against the real server: idempotent MERGE, one edge per unordered pair."""

import pytest

from tests.helpers import canonical_dump, counts
from toolkit.graph.batches import NodeBatch, RelBatch
from toolkit.graph.writer import GraphWriter, _flat, rel_statement
from toolkit.schema import NodeLabel, RelType
from tests.inline_cypher import raw_session


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
    with raw_session(graph) as s:
        stored = s.run("MATCH (m:MoA) RETURN m.name AS name").single()["name"]
    assert stored == name


def test_batch_rejects_wrong_endpoints():
    with pytest.raises(ValueError, match="cannot connect"):
        RelBatch(RelType.TARGETS, NodeLabel.GENE, NodeLabel.COMPOUND, ())


def test_batch_rejects_rows_without_key():
    with pytest.raises(ValueError, match="without key"):
        NodeBatch(NodeLabel.GENE, ({"symbol": "X"},))


def _rels(*rows):
    return RelBatch(RelType.INTERACTS_WITH, NodeLabel.GENE, NodeLabel.GENE, tuple(
        {"start": a, "end": b, "props": props} for a, b, props in rows))


# rows with one set of property names go as flat lists, the rest as maps: the same graph either way
FIRST = ((1, 2, {"score": 900, "note": "it's {x}"}), (4, 3, {"score": 500, "note": None}),
         (2, 1, {"score": 700, "note": "later wins"}), (5, 6, {"score": 1, "note": "new endpoints"}))
SECOND = ((2, 1, {"score": None, "note": "score removed"}), (3, 4, {"score": 501, "note": "kept"}))


def _by_maps(graph, batch):
    """The map-row statement, a row at a time in order (what the writer must equal)."""
    for row in batch.rows:
        start, end = sorted((row["start"], row["end"]))
        graph.write(rel_statement(batch), rows=[{"start": start, "end": end, "props": row["props"]}])


def test_flat_rows_give_the_graph_of_map_rows(graph):
    for rows in (FIRST, SECOND):
        GraphWriter(graph, chunk_size=3).write(_rels(*rows))
    flat = canonical_dump(graph)
    graph.delete_everything()
    for rows in (FIRST, SECOND):
        _by_maps(graph, _rels(*rows))
    assert canonical_dump(graph) == flat
    with raw_session(graph) as s:
        edge = s.run("MATCH (:Gene {entrez_id: 1})-[r:INTERACTS_WITH]-(:Gene {entrez_id: 2}) "
                     "RETURN properties(r) AS p").single()["p"]
    assert edge == {"note": "score removed"}  # a later null removed score; the later note won


def test_rows_with_different_property_names_go_as_maps(graph):
    mixed = FIRST + ((7, 8, {"score": 3}), (8, 9, {}))
    GraphWriter(graph).write(_rels(*mixed))
    written = canonical_dump(graph)
    graph.delete_everything()
    _by_maps(graph, _rels(*mixed))
    assert canonical_dump(graph) == written
    assert counts(graph)[("rel", "INTERACTS_WITH")] == 5  # (1, 2) and (2, 1) are one pair


def test_only_rows_with_one_set_of_property_names_are_flattened():
    rows = [{"start": 3, "end": 2, "props": {"a": 1, "b": None}}, {"start": 1, "end": 2, "props": {"a": 2, "b": 3}},
            {"start": 2, "end": 3, "props": {"a": 4, "b": 5}}]
    assert _flat(rows, undirected=True) == (["a", "b"], [[1, 2, 2, 3], [2, 3, 1, None], [2, 3, 4, 5]])
    assert _flat(rows, undirected=False) == (["a", "b"], [[1, 2, 2, 3], [2, 3, 4, 5], [3, 2, 1, None]])
    assert _flat([{"start": 1, "end": 2, "props": {"a": 1}}, {"start": 2, "end": 3, "props": {}}], True) is None
    assert _flat([{"start": 1, "end": 2, "props": {"a": 1, "b": 2}},
                  {"start": 2, "end": 3, "props": {"b": 2, "a": 1}}], True) is None
    assert _flat([{"start": 1, "end": 2}, {"start": 2, "end": 3, "props": {}}], True) == ([], [[1, 2], [2, 3]])
