"""The paged export: the same snapshot as the single-query export it replaced, page by page into a
preallocated (or memory-mapped) float32 array, and one clear line when the server fails."""

from __future__ import annotations

import math

import neo4j
import numpy as np
import pytest
from neo4j import exceptions

from toolkit import cypher
from toolkit.errors import GraphConnectionError, KgtoolError, RunError, ServerError
from toolkit.graph.db import read_failure, translated_read_errors
from toolkit.train import export
from toolkit.train.export import (data_hash, export_snapshot, export_snapshot_unpaged, read_vectors)
from tests.inline_cypher import raw_session


def _identical(a, qa, b, qb) -> None:
    assert a.x.dtype == b.x.dtype == np.float32 and a.x.shape == b.x.shape
    assert a.x.tobytes() == b.x.tobytes()  # byte-identical values, same row order
    assert a.y.tobytes() == b.y.tobytes() and a.y.shape == b.y.shape
    assert (a.sample_ids, a.compound_ids, a.gene_ids, a.classes, a.cell_ids) == \
           (b.sample_ids, b.compound_ids, b.gene_ids, b.classes, b.cell_ids)
    assert np.array_equal(qa.qc_pass, qb.qc_pass) and np.array_equal(qa.cc_q75, qb.cc_q75, equal_nan=True)
    assert data_hash(a, qa) == data_hash(b, qb)


@pytest.mark.parametrize("page_size", [1, 7, 2000])
def test_paged_export_equals_the_single_query_export(demo_graph, page_size, monkeypatch):
    graph = demo_graph.graph
    old, old_q = export_snapshot_unpaged(graph, with_context=True)
    pages = []
    real_page = export.vector_page

    def recorded(session, statement, sig_ids):  # the real query, recording each page's size
        records = real_page(session, statement, sig_ids)
        pages.append(len(records))
        return records

    monkeypatch.setattr(export, "vector_page", recorded)
    new, new_q = export_snapshot(graph, with_context=True, page_size=page_size)
    _identical(new, new_q, old, old_q)
    assert len(new.sample_ids) == 96 and new.context is not None
    assert data_hash(new, new_q) == data_hash(old, old_q)
    assert len(pages) == math.ceil(96 / page_size) and max(pages) <= page_size and sum(pages) == 96


def test_paged_export_into_a_memory_mapped_file(demo_graph, tmp_path):
    old, old_q = export_snapshot_unpaged(demo_graph.graph)
    path = tmp_path / "x.npy"
    new, new_q = export_snapshot(demo_graph.graph, x_path=path, page_size=10)
    assert isinstance(new.x, np.memmap)
    _identical(new, new_q, old, old_q)
    assert np.load(path, allow_pickle=False).tobytes() == old.x.tobytes()


def test_levels_select_before_the_vectors_are_read(demo_graph):
    graph = demo_graph.graph
    for level in ("auto", "signature"):
        new, new_q = export_snapshot(graph, level=level, page_size=5)
        old, old_q = export_snapshot_unpaged(graph, level=level)
        _identical(new, new_q, old, old_q)
    with pytest.raises(RunError, match="no consensus signatures"):
        export_snapshot(graph, level="consensus")


def test_a_signature_of_two_compounds_fills_both_rows_and_a_short_vector_is_an_error(demo_graph):
    graph = demo_graph.graph
    sig = export_snapshot(graph)[0].sample_ids[3]
    with raw_session(graph) as s:
        pair = s.run("MATCH (s:Signature {sig_id: $sig})-[:OF_COMPOUND]->(c) MATCH (d:Compound) WHERE d <> c "
                     "RETURN c.pert_id AS c, d.pert_id AS d ORDER BY d LIMIT 1", sig=sig).single()
        own, other = pair["c"], pair["d"]
        s.run("MATCH (s:Signature {sig_id: $sig}), (d:Compound {pert_id: $d}) CREATE (s)-[:OF_COMPOUND]->(d)",
              sig=sig, d=other).consume()
    try:
        new, new_q = export_snapshot(graph, page_size=4)
        old, old_q = export_snapshot_unpaged(graph)
        rows = [i for i, s in enumerate(new.sample_ids) if s == sig]
        assert len(rows) == 2 and {new.compound_ids[i] for i in rows} == {own, other}
        assert np.array_equal(new.x[rows[0]], new.x[rows[1]])
        # which of the two tied rows comes first is the server's choice in both paths: compare per compound
        key = lambda d, i: (d.sample_ids[i], d.compound_ids[i])  # noqa: E731
        order_new = sorted(range(len(new.sample_ids)), key=lambda i: key(new, i))
        order_old = sorted(range(len(old.sample_ids)), key=lambda i: key(old, i))
        assert new.x[order_new].tobytes() == old.x[order_old].tobytes()
        assert new.y[order_new].tobytes() == old.y[order_old].tobytes()
    finally:
        with raw_session(graph) as s:
            s.run("MATCH (:Signature {sig_id: $sig})-[r:OF_COMPOUND]->(:Compound {pert_id: $d}) DELETE r",
                  sig=sig, d=other).consume()
    with raw_session(graph) as s:
        z = s.run("MATCH (s:Signature {sig_id: $sig}) RETURN s.z AS z", sig=sig).single()["z"]
        s.run("MATCH (s:Signature {sig_id: $sig}) SET s.z = $z", sig=sig, z=z[:-1]).consume()
    try:
        with pytest.raises(RunError, match=f"lengths \\[{len(z) - 1}, {len(z)}\\] but the graph has {len(z)}"):
            export_snapshot(graph, page_size=200)
    finally:
        with raw_session(graph) as s:
            s.run("MATCH (s:Signature {sig_id: $sig}) SET s.z = $z", sig=sig, z=z).consume()
    assert export_snapshot(graph)[0].x.tobytes() == export_snapshot_unpaged(graph)[0].x.tobytes()


def test_read_vectors_reports_signatures_that_vanished(demo_graph):
    data = export_snapshot(demo_graph.graph)[0]
    x = np.zeros((2, len(data.gene_ids)), dtype=np.float32)
    with pytest.raises(RunError, match="1 of 2 signatures lost their z-vectors"):
        read_vectors(demo_graph.graph, [data.sample_ids[0], "NO-SUCH-SIG"], x)
    read_vectors(demo_graph.graph, [data.sample_ids[1], data.sample_ids[0]], x, page_size=1)
    assert x.tobytes() == data.x[[1, 0]].tobytes()


# --- server-side failures end in one line ----------------------------------------------------------


def test_out_of_memory_is_one_line_naming_the_fix(settings):
    # the instance the driver builds from the server's FAILURE message
    oom = exceptions.Neo4jError._hydrate_neo4j(code="Neo.TransientError.General.OutOfMemoryError",
                                               message="There is not enough memory to perform the current task.")
    assert isinstance(oom, exceptions.TransientError)
    error = read_failure(oom, settings, "exporting the training snapshot")
    assert isinstance(error, ServerError)
    text = str(error)
    assert "\n" not in text and "ran out of memory while exporting the training snapshot" in text
    assert "Neo.TransientError.General.OutOfMemoryError" in text and "KGTOOL_HEAP" in text
    pool = exceptions.Neo4jError._hydrate_neo4j(code="Neo.TransientError.General.MemoryPoolOutOfMemoryError",
                                                message="The allocation of an extra 2.0 MiB would use more than the limit")
    assert isinstance(read_failure(pool, settings, "x"), ServerError)
    with pytest.raises(ServerError) as caught:
        with translated_read_errors(settings, "exporting the training snapshot"):
            raise oom
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_a_lost_connection_is_one_line(settings):
    driver = neo4j.GraphDatabase.driver("bolt://127.0.0.1:9", auth=("neo4j", "x"))  # nothing listens on port 9
    try:
        with pytest.raises(exceptions.ServiceUnavailable) as caught:
            driver.verify_connectivity()
    finally:
        driver.close()
    error = read_failure(caught.value, settings, "exporting the training snapshot")
    assert isinstance(error, GraphConnectionError)
    assert "\n" not in str(error) and "lost the connection to Neo4j" in str(error)
    assert "ServiceUnavailable" in str(error) and "kgtool db start" in str(error)
    defunct = exceptions.ServiceUnavailable("Failed to read from defunct connection IPv4Address(('127.0.0.1', 7687))")
    assert isinstance(read_failure(defunct, settings, "x"), GraphConnectionError)
    assert isinstance(read_failure(exceptions.SessionExpired("gone"), settings, "x"), GraphConnectionError)


def test_other_errors_pass_through(session_graph, settings):
    with pytest.raises(exceptions.CypherSyntaxError) as caught:  # a real error from the real server
        with raw_session(session_graph) as s:
            s.run("RETURN nonsense(").consume()
    assert read_failure(caught.value, settings, "x") is None
    assert read_failure(ValueError("bad"), settings, "x") is None
    with pytest.raises(exceptions.CypherSyntaxError):
        with translated_read_errors(settings, "x"):
            raise caught.value
    with pytest.raises(RunError):  # kgtool's own errors are left alone
        with translated_read_errors(settings, "x"):
            raise RunError("no signatures")
    assert issubclass(ServerError, KgtoolError) and issubclass(GraphConnectionError, KgtoolError)
    assert cypher.load("export/task_signature_vectors").text  # the stored page query exists
