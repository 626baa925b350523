"""The writer CREATEs the relationships of nodes it created and MERGEs the rest: the same graph as
MERGE everywhere, no duplicate relationship after an interrupted load is run again, and a second
identical load changes nothing."""

from tests.helpers import canonical_dump, counts
from tests.inline_cypher import raw_session
from toolkit.graph.batches import NodeBatch, RelBatch
from toolkit.graph.writer import GraphWriter, NewNodes
from toolkit.schema import NodeLabel, RelType

N_GENES = 12
N_SIGNATURES = 30
PER_CHUNK = 10


def _load():
    """Batches as the signatures source yields them: genes, then per chunk of signatures their
    nodes and UP/DOWN edges; gene interactions written twice (both orientations) and again later."""
    genes = NodeBatch(NodeLabel.GENE, tuple({"entrez_id": i, "symbol": f"G{i}"} for i in range(1, N_GENES + 1)))
    batches = [genes, RelBatch(RelType.INTERACTS_WITH, NodeLabel.GENE, NodeLabel.GENE, tuple(
        {"start": (i % N_GENES) + 1, "end": i, "props": {"score": 100 + i}} for i in range(1, N_GENES + 1)))]
    for first in range(0, N_SIGNATURES, PER_CHUNK):
        ids = [f"S{i:03d}" for i in range(first, first + PER_CHUNK)]
        batches.append(NodeBatch(NodeLabel.SIGNATURE, tuple({"sig_id": s, "dose": 1.0} for s in ids)))
        for rel, offset in ((RelType.UPREGULATES, 1), (RelType.DOWNREGULATES, 7)):
            batches.append(RelBatch(rel, NodeLabel.SIGNATURE, NodeLabel.GENE, tuple(
                {"start": s, "end": (n + offset + k) % N_GENES + 1, "props": {"z": float(k)}}
                for n, s in enumerate(ids) for k in range(3))))
    # a repeated pair in one batch (the later row's value wins) and pairs already written
    batches.append(RelBatch(RelType.UPREGULATES, NodeLabel.SIGNATURE, NodeLabel.GENE, (
        {"start": "S000", "end": 2, "props": {"z": 9.0}}, {"start": "S000", "end": 2, "props": {"z": 8.0}},
        {"start": "S001", "end": 3, "props": {"z": 7.0}})))
    batches.append(RelBatch(RelType.INTERACTS_WITH, NodeLabel.GENE, NodeLabel.GENE, (
        {"start": 2, "end": 1, "props": {"score": 5}},)))
    return batches


def _duplicates(graph) -> int:
    with raw_session(graph) as s:
        return s.run("MATCH (a)-[r]->(b) WITH a, type(r) AS t, b, count(*) AS n WHERE n > 1 "
                     "RETURN count(*) AS pairs").single()["pairs"]


def _merged_everywhere(graph):
    GraphWriter(graph, chunk_size=4, create_new=False).write_all(_load())
    return counts(graph), canonical_dump(graph)


def test_creating_new_nodes_relationships_gives_the_graph_of_merge(graph):
    expected = _merged_everywhere(graph)
    graph.delete_everything()
    writer = GraphWriter(graph, chunk_size=4)
    writer.write_all(_load())
    assert (counts(graph), canonical_dump(graph)) == expected
    assert _duplicates(graph) == 0
    assert writer.counts.relationship_rows_created > 0  # the CREATE path was taken
    assert sum(writer.counts.rows.values()) == sum(len(b.rows) for b in _load())
    with raw_session(graph) as s:
        z = s.run("MATCH (:Signature {sig_id: 'S000'})-[r:UPREGULATES]->(:Gene {entrez_id: 2}) RETURN r.z AS z")
        assert [r["z"] for r in z] == [8.0]


def _prefixes(batches):
    """What interrupted loads left: after a node chunk, after some of its edges, a relationship batch
    cut after one committed chunk (4 rows), a node batch cut mid-way."""
    up, sigs = batches[3], batches[5]
    return [batches[:3], batches[:4], [*batches[:3], RelBatch(up.rel_type, up.start, up.end, up.rows[:4])],
            [*batches[:5], NodeBatch(sigs.label, sigs.rows[:4])]]


def test_rerunning_an_interrupted_load_duplicates_nothing(graph):
    expected = _merged_everywhere(graph)
    batches = _load()
    for n, prefix in enumerate(_prefixes(batches)):
        graph.delete_everything()
        GraphWriter(graph, chunk_size=4).write_all(prefix)
        GraphWriter(graph, chunk_size=4).write_all(batches)
        assert (counts(graph), canonical_dump(graph)) == expected, n
        assert _duplicates(graph) == 0, n


def test_a_second_identical_load_changes_nothing(graph):
    GraphWriter(graph, chunk_size=4).write_all(_load())
    first, dump = counts(graph), canonical_dump(graph)
    writer = GraphWriter(graph, chunk_size=4)
    writer.write_all(_load())
    assert counts(graph) == first and canonical_dump(graph) == dump
    assert writer.counts.nodes_created == 0 and writer.counts.relationships_created == 0
    assert writer.counts.relationship_rows_created == 0


def test_new_nodes_tell_which_pairs_cannot_exist():
    up, genes, sigs = RelType.UPREGULATES, NodeLabel.GENE, NodeLabel.SIGNATURE
    new = NewNodes(limit=3)
    new.add(sigs, ["a", "b", "c", "d"])
    assert not new.all_fresh(up, sigs, genes, [("a", 1)])  # forgotten (over the limit): MERGEd
    assert new.all_fresh(up, sigs, genes, [("b", 1), ("b", 2), ("c", 1)])
    new.touch(up, sigs, genes, [("b", 1), ("b", 2), ("c", 1)])
    assert not new.all_fresh(up, sigs, genes, [("c", 1)])  # written by the latest batch
    assert new.all_fresh(up, sigs, genes, [("c", 2), ("d", 1)])  # c's rows run on into the next batch
    assert new.all_fresh(RelType.DOWNREGULATES, sigs, genes, [("b", 1)])  # another type
    new.touch(up, sigs, genes, [("c", 2), ("d", 1)])
    assert not new.all_fresh(up, sigs, genes, [("c", 3)])  # c touched by two batches: closed
    assert not new.all_fresh(up, sigs, genes, [("b", 3)])  # b: the batch after its own closed it
    assert new.all_fresh(up, sigs, genes, [("d", 2)])
    assert not new.all_fresh(up, sigs, genes, [("d", 2), ("e", 1)])  # e is not new: the batch MERGEs


def test_a_nodes_rows_running_on_into_later_batches_are_written_once(graph):
    genes = NodeBatch(NodeLabel.GENE, tuple({"entrez_id": i} for i in range(1, 7)))
    sigs = NodeBatch(NodeLabel.SIGNATURE, tuple({"sig_id": s} for s in "abc"))
    rows = [{"start": s, "end": g, "props": {"z": float(g)}} for s in "abc" for g in range(1, 7)]
    batches = [genes, sigs] + [RelBatch(RelType.UPREGULATES, NodeLabel.SIGNATURE, NodeLabel.GENE, tuple(rows[i:i + 4]))
                               for i in range(0, len(rows), 4)]
    batches.append(RelBatch(RelType.UPREGULATES, NodeLabel.SIGNATURE, NodeLabel.GENE, tuple(rows[:2])))  # again
    writer = GraphWriter(graph)
    writer.write_all(batches)
    assert counts(graph)[("rel", "UPREGULATES")] == len(rows) and _duplicates(graph) == 0
    assert writer.counts.relationship_rows_created == len(rows)  # every first write CREATEd; the repeat MERGEd
    assert writer.counts.rows["UPREGULATES"] == len(rows) + 2
