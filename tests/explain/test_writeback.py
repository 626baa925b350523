"""Write-back against the real Neo4j: every level, idempotent per run, bounded, batched."""

import pytest

from tests.helpers import counts
from toolkit.explain.writeback import Level, group_rows, write_rows
from tests.inline_cypher import raw_session

pytestmark = pytest.mark.neo4j


def _setup(graph) -> None:
    with raw_session(graph) as s:
        s.run("UNWIND range(1, 6) AS i CREATE (:Gene {entrez_id: i, symbol: 'G' + i})").consume()
        s.run("UNWIND ['GO:1', 'GO:2'] AS id CREATE (:GOTerm {go_id: id})").consume()
        s.run("CREATE (:Substructure {smarts: 'C#N'})").consume()
        s.run("UNWIND ['p1', 'p2'] AS id CREATE (:Prediction {prediction_id: id, rank: 1})").consume()


def _count(graph, rel: str, run: str) -> int:
    with raw_session(graph) as s:
        return s.run(f"MATCH ()-[r:{rel}]->() WHERE r.run_id = $run RETURN count(r) AS n", run=run).single()["n"]


ROWS = {
    Level.GENE: [{"prediction_id": p, "entrez_id": g, "score": 1.0 / g, "rank": g} for p in ("p1", "p2") for g in (1, 2, 3)],
    Level.GO_TERM: [{"prediction_id": "p1", "go_id": "GO:1", "score": 0.5, "rank": 1, "p_value": 1e-4, "q_value": 1e-3,
                     "hits": 3}],
    Level.SUBSTRUCTURE: [{"prediction_id": "p2", "smarts": "C#N", "score": 0.2, "rank": 1}],
    Level.GENE_PAIR: [{"prediction_id": p, "entrez_a": 1, "entrez_b": 2, "score": -0.3, "joint": 1.2, "rank": 1}
                      for p in ("p1", "p2")],
    Level.EDGE: [{"prediction_id": "p1", "entrez_a": 2, "entrez_b": 5, "score": 0.9, "rank": 1}],
}
TYPES = {Level.GENE: "EXPLAINS", Level.GO_TERM: "EXPLAINS", Level.SUBSTRUCTURE: "EXPLAINS",
         Level.GENE_PAIR: "INTERACTS_IN_EXPLANATION", Level.EDGE: "EXPLAINS_EDGE"}


def test_every_level_is_written_once_per_run_and_rewriting_changes_nothing(graph):
    _setup(graph)
    for level, rows in ROWS.items():
        first = write_rows(graph, level, "explain-a", "m", rows, batch_size=2)
        assert first.rows == first.relationships_created == len(rows)
        before = counts(graph)
        write_rows(graph, level, "explain-a", "m", rows, batch_size=2)
        assert counts(graph) == before, level
    assert _count(graph, "EXPLAINS", "explain-a") == 6 + 1 + 1
    assert _count(graph, "INTERACTS_IN_EXPLANATION", "explain-a") == 2  # one per prediction
    assert _count(graph, "EXPLAINS_EDGE", "explain-a") == 1
    write_rows(graph, Level.GENE, "explain-b", "m", ROWS[Level.GENE])
    assert _count(graph, "EXPLAINS", "explain-b") == 6  # another run: its own edges


def test_properties_are_stored_and_updated(graph):
    _setup(graph)
    write_rows(graph, Level.GO_TERM, "explain-a", "ig", ROWS[Level.GO_TERM])
    changed = [dict(ROWS[Level.GO_TERM][0], score=0.9)]
    write_rows(graph, Level.GO_TERM, "explain-a", "ig", changed)
    with raw_session(graph) as s:
        e = s.run("MATCH (:GOTerm {go_id: 'GO:1'})-[e:EXPLAINS]->(:Prediction {prediction_id: 'p1'}) "
                  "RETURN properties(e) AS e").single()["e"]
    assert e == {"run_id": "explain-a", "method": "ig", "score": 0.9, "rank": 1, "p_value": 1e-4, "q_value": 1e-3,
                 "hits": 3}


def test_rows_for_missing_nodes_are_skipped(graph):
    _setup(graph)
    rows = [{"prediction_id": "p1", "entrez_id": 999, "score": 1.0, "rank": 1}]
    assert write_rows(graph, Level.GENE, "explain-a", "m", rows).relationships_created == 0


def test_levels_are_replaced_independently(graph):
    _setup(graph)
    write_rows(graph, Level.GENE, "explain-a", "m", ROWS[Level.GENE])
    write_rows(graph, Level.GO_TERM, "explain-a", "m", ROWS[Level.GO_TERM])
    write_rows(graph, Level.GENE, "explain-a", "m", ROWS[Level.GENE][:2])  # fewer genes now
    assert _count(graph, "EXPLAINS", "explain-a") == 2 + 1  # the GO term edge is untouched


def test_batches_follow_prediction_groups():
    rows = [{"prediction_id": p, "entrez_id": g, "score": 0.1, "rank": g} for p in ("b", "a") for g in (1, 2)]
    groups = group_rows(rows)
    assert groups == [{"prediction_id": "b", "entrez_id": [1, 2], "score": [0.1, 0.1], "rank": [1, 2]},
                      {"prediction_id": "a", "entrez_id": [1, 2], "score": [0.1, 0.1], "rank": [1, 2]}]
