"""Graph's ways of running stored statements against the real server (and no raw session)."""

import pytest

from tests.helpers import counts
from toolkit import cypher
from toolkit.errors import QueryError
from toolkit.graph.db import Graph


def _per_row():
    return cypher.render("write/create_rel_per_row", start="Gene", start_key="entrez_id", end="Gene",
                         end_key="entrez_id", rel="INTERACTS_WITH")


def test_graph_has_no_raw_session():
    assert not hasattr(Graph, "session")


def test_run_each_runs_a_stored_statement_once_per_row(graph):
    rows = [{"start": 1, "end": 2, "props": {"score": 500}}, {"start": 2, "end": 3, "props": {"score": 700}}]
    assert graph.run_each(_per_row(), rows) == 2
    found = counts(graph)
    assert found[("node", "Gene")] == 3 and found[("rel", "INTERACTS_WITH")] == 2
    with pytest.raises(QueryError, match="missing parameters"):  # checked before anything runs
        graph.run_each(_per_row(), [{"start": 4, "end": 5, "props": {}}, {"start": 6}])
    assert counts(graph)[("node", "Gene")] == 3


def test_reads_without_record_data_give_the_same_values(graph):
    graph.run_each(_per_row(), [{"start": 1, "end": 2, "props": {"score": 500}}])
    statement = cypher.load("export/counts")
    expected = graph.read(statement)
    assert graph.read_plain(statement) == expected
    with graph.reading() as reader:
        assert reader.plain(statement) == expected
        assert reader.values(statement) == [tuple(row.values()) for row in expected]


def test_write_records_returns_the_records_of_a_write(graph):
    assert graph.write_records(cypher.load("write/link_unresolved_targets")) == [{"linked": 0, "compounds": 0}]
