"""The export: cell lines, and the graph context (STRING edges, propagated GO, scaffolds)."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.errors import RunError
from toolkit.train.export import export_signatures, go_matrix, string_edges
from tests.inline_cypher import raw_session


def test_string_edges_both_directions_sorted_by_target():
    edges, weight = string_edges([10, 20, 30], [(10, 20, 900), (20, 30, 500), (10, 99, 999), (30, 30, 100)])
    pairs = list(zip(*edges.tolist()))
    assert pairs == [(1, 0), (0, 1), (2, 1), (1, 2)]  # sorted by (target, source); 99 unknown, self-loop dropped
    assert weight.tolist() == pytest.approx([0.9, 0.9, 0.5, 0.5])
    assert edges.dtype == np.int64 and weight.dtype == np.float32


def test_go_propagation_thresholds_and_edges():
    # R <-is_a- A <-is_a- B ; R <-part_of- C ; B also is_a C (a DAG with two paths)
    hierarchy = [("A", "R"), ("B", "A"), ("C", "R"), ("B", "C")]
    annotations = [(1, "B"), (2, "B"), (3, "A"), (4, "C"), (5, "R"), (99, "B")]  # 99 is not a landmark gene
    go_ids, matrix, edges = go_matrix([1, 2, 3, 4, 5], annotations, hierarchy, min_genes=2, max_genes=4)
    genes = {t: {g for g, v in zip([1, 2, 3, 4, 5], matrix[:, k]) if v} for k, t in enumerate(go_ids)}
    # B {1,2}; A {1,2,3}; C {1,2,4}; R {1,2,3,4,5} has 5 > max: dropped
    assert genes == {"A": {1, 2, 3}, "B": {1, 2}, "C": {1, 2, 4}}
    named = {(go_ids[c], go_ids[p]) for c, p in edges.T.tolist()}
    assert named == {("B", "A"), ("B", "C")}  # edges to the dropped root are gone
    go_ids, _, _ = go_matrix([1, 2, 3, 4, 5], annotations, hierarchy, min_genes=3, max_genes=5)
    assert go_ids == ["A", "C", "R"]


def test_go_propagation_survives_a_cycle():
    go_ids, matrix, _ = go_matrix([1, 2], [(1, "A"), (2, "B")], [("A", "B"), ("B", "A")], 1, 10)
    assert go_ids == ["A", "B"] and matrix.sum() == 4


# --- against the real server ---------------------------------------------------------------


def _one(graph, query, **params):
    with raw_session(graph) as s:
        return s.run(query, params).single()


def test_export_fills_cell_ids_from_in_cell(demo_graph):
    data = export_signatures(demo_graph.graph)
    assert data.context is None
    assert len(data.cell_ids) == len(data.sample_ids)
    assert set(data.cell_ids) == {"DEMOCELL1", "DEMOCELL2"}
    sig = data.sample_ids[5]
    cell = _one(demo_graph.graph, "MATCH (:Signature {sig_id: $s})-[:IN_CELL]->(c) RETURN c.name AS name", s=sig)
    assert data.cell_ids[5] == cell["name"]


def test_export_with_context(demo_graph):
    graph = demo_graph.graph
    data = export_signatures(graph, with_context=True)
    ctx = data.context
    n = len(data.gene_ids)
    # STRING: both directions, weight = score / 1000
    stored = _one(graph, """MATCH (a:Gene)-[r:INTERACTS_WITH]->(b:Gene) WHERE a.is_landmark AND b.is_landmark
                             RETURN count(r) AS n, collect([a.entrez_id, b.entrez_id, r.score])[0] AS first""")
    assert ctx.gene_edges.shape == (2, 2 * stored["n"]) and ctx.edge_weight.shape == (2 * stored["n"],)
    assert ctx.gene_edges.min() >= 0 and ctx.gene_edges.max() < n
    pairs = {(a, b): w for (a, b), w in zip(ctx.gene_edges.T.tolist(), ctx.edge_weight.tolist())}
    assert all(pairs[(b, a)] == w for (a, b), w in pairs.items())
    a, b, score = stored["first"]
    assert pairs[(data.gene_ids.index(a), data.gene_ids.index(b))] == pytest.approx(score / 1000)
    # GO: propagated, within bounds, child genes within parent genes
    sizes = ctx.gene_go.sum(axis=0)
    assert ctx.gene_go.shape == (n, len(ctx.go_ids)) and len(ctx.go_ids) == len(ctx.go_names) > 0
    assert sizes.min() >= 3 and sizes.max() <= 300
    for child, parent in ctx.go_edges.T.tolist():
        assert np.all(ctx.gene_go[:, child] <= ctx.gene_go[:, parent])
    direct = _one(graph, """MATCH (g:Gene)-[:ANNOTATED_WITH]->(t:GOTerm {go_id: $t}) WHERE g.is_landmark
                            RETURN collect(g.entrez_id) AS genes""", t=ctx.go_ids[0])["genes"]
    column = {data.gene_ids[i] for i in np.flatnonzero(ctx.gene_go[:, 0])}
    assert set(direct) <= column
    assert ctx.go_names[0] == _one(graph, "MATCH (t:GOTerm {go_id: $t}) RETURN t.name AS n", t=ctx.go_ids[0])["n"]
    # structures of every compound
    assert set(ctx.compound_smiles) == set(data.compound_ids) == set(ctx.compound_scaffold)
    narrow = export_signatures(graph, with_context=True, go_min_genes=20, go_max_genes=40).context
    assert set(narrow.go_ids) < set(ctx.go_ids)
    assert narrow.gene_go.sum(axis=0).min() >= 20 and narrow.gene_go.sum(axis=0).max() <= 40
    with pytest.raises(RunError, match="bounds"):
        export_signatures(graph, with_context=True, go_min_genes=5, go_max_genes=2)
