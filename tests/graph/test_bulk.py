"""Bulk import against a REAL Neo4j: the same graph as the writer, refusal, and a failing import.

Bulk import replaces the whole database, so this module runs its own managed server in a tmp home
on free ports (never the shared test server).
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.helpers import counts, freeze
from toolkit import cypher
from toolkit.errors import InputDataError, ServerError
from toolkit.load import bulk
from toolkit.graph.batches import NodeBatch, RelBatch
from toolkit.load.bulk import bulk_import, importer
from toolkit.graph.writer import GraphWriter
from toolkit.schema import NodeLabel, RelType

pytestmark = [pytest.mark.neo4j, pytest.mark.slow]

TRICKY = [
    "it's a `weird` {name} \"quoted\" } RETURN 1 //",
    'comma, "quote" and ""double"" quotes',
    "semi;colon|pipe",
    "new\nline and\r\nCRLF and lone\rCR",
    "  padded  ",
    "",
    "back\\slash \\\" and trailing \\",
    "unicode: é ß 漢字 😀",
    "tab\there",
]


def _batches():
    genes = NodeBatch(NodeLabel.GENE, (
        {"entrez_id": 1, "symbol": TRICKY[0], "is_landmark": True, "score": 3, "tags": ["a;b", "c,d", 'e"f'],
         "dropped": "removed later"},
        {"entrez_id": 2, "symbol": TRICKY[1], "is_landmark": False, "score": 2.5, "z": [0.5, -1.25, 1e-300, 2.0]},
        {"entrez_id": 3, "symbol": TRICKY[2], "counts": [1, 2, 3], "mixed": [1, 2.5], "flags": [True, False]},
        {"entrez_id": 4, "symbol": TRICKY[3], "empty": [], "just_blank": [""], "two_blank": ["", ""]},
        {"entrez_id": 5, "symbol": TRICKY[4], "when": dt.date(2024, 2, 29), "big": 2**62, "neg": -7,
         "odd name:x": "a property name a CSV header cannot hold", "inf": float("inf")},
        # duplicates: later rows win property by property, None removes a property
        {"entrez_id": 1, "score": 4, "dropped": None, "tags": ["x;y", "z"]},
        {"entrez_id": 2, "symbol": TRICKY[5]},
    ))
    go_terms = NodeBatch(NodeLabel.GO_TERM, (
        {"go_id": "GO:0000001", "name": TRICKY[6]},
        {"go_id": 'GO:"quoted", id', "name": TRICKY[7]},
        {"go_id": "GO:multi\nline", "name": TRICKY[8]},
    ))
    moas = NodeBatch(NodeLabel.MOA, tuple({"name": text} for text in TRICKY if text))
    interactions = RelBatch(RelType.INTERACTS_WITH, NodeLabel.GENE, NodeLabel.GENE, (
        {"start": 2, "end": 1, "props": {"score": 900, "source": "a"}},
        {"start": 1, "end": 2, "props": {"score": 950}},  # the same unordered pair: merged, score 950
        {"start": 3, "end": 4, "props": {"score": 0.5, "evidence": ["x", "y"]}},
        {"start": 4, "end": 3, "props": {"evidence": None}},
        {"start": 99, "end": 5, "props": {"score": 1}},  # gene 99 has no node row
        {"start": 5, "end": 5, "props": {}},
    ))
    annotations = RelBatch(RelType.ANNOTATED_WITH, NodeLabel.GENE, NodeLabel.GO_TERM, (
        {"start": 1, "end": "GO:0000001", "props": {"note": TRICKY[3]}},
        {"start": 1, "end": "GO:0000001", "props": {"note": TRICKY[0], "empty": []}},
        {"start": 2, "end": 'GO:"quoted", id', "props": {}},
        {"start": 100, "end": "GO:no node row", "props": {"ok": True}},
    ))
    for_compound = RelBatch(RelType.FOR, NodeLabel.PREDICTION, NodeLabel.COMPOUND, (
        {"start": "p1", "end": "BRD-1", "props": {"rank": 1}},
    ))
    for_signature = RelBatch(RelType.FOR, NodeLabel.PREDICTION, NodeLabel.SIGNATURE, (
        {"start": "p1", "end": "sig,1", "props": {"rank": 2}},
    ))
    return [genes, go_terms, moas, interactions, annotations, for_compound, for_signature]


def _dump(graph) -> list[tuple]:
    """Every node (labels, properties) and relationship (start, type, end, properties), sorted."""
    keys = {label.value: label.key for label in NodeLabel}
    rows = graph.read(cypher.load("export/dump"), keys=keys)
    out = []
    for r in rows:
        if r["kind"] == "node":
            out.append(("node", tuple(sorted(r["labels"])), freeze(r["props"])))
        else:
            out.append(("rel", r["start_label"], r["start"], r["type"], r["end_label"], r["end"], freeze(r["props"])))
    return sorted(out, key=repr)


def test_bulk_import_gives_the_same_graph_as_the_writer(own_server, own_graph, tmp_path):
    with own_graph() as graph:
        GraphWriter(graph, chunk_size=2).write_all(_batches())
        written = _dump(graph)
        written_counts = counts(graph)
    assert written_counts[("node", "Gene")] == 7  # 1-5, 99, 100
    assert written_counts[("rel", "INTERACTS_WITH")] == 4

    report = bulk_import(own_server, _batches(), tmp_path / "work", force=True)

    with own_graph() as graph:
        imported = _dump(graph)
        assert counts(graph) == written_counts
        assert imported == written
        # the schema is back and MERGE finds every node and relationship: writing again creates nothing
        again = GraphWriter(graph).write_all(_batches())
        assert again.nodes_created == 0 and again.relationships_created == 0
        assert _dump(graph) == written
    assert report.nodes == sum(n for (kind, _), n in written_counts.items() if kind == "node")
    assert report.relationships == sum(n for (kind, _), n in written_counts.items() if kind == "rel")
    assert report.seconds_total >= report.seconds_import > 0
    # one CSV file per label / relationship endpoint pair (Gene twice: its score is an int and a float)
    assert sorted(p.name for p in (tmp_path / "work").glob("nodes-Gene-*.csv")) == ["nodes-Gene-0.csv",
                                                                                   "nodes-Gene-1.csv"]
    header = (tmp_path / "work" / "nodes-Gene-0.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("entrez_id:ID(Gene){id-type:long},")


def test_refuses_a_database_that_holds_nodes(own_server, own_graph, tmp_path):
    with own_graph() as graph:
        GraphWriter(graph).write(NodeBatch(NodeLabel.MOA, ({"name": "kept"},)))
        before = _dump(graph)
    with pytest.raises(ServerError, match="already holds 1 nodes") as info:
        bulk_import(own_server, _batches(), tmp_path / "work")
    assert "\n" not in str(info.value) and "force" in str(info.value)
    assert own_server.status().running
    with own_graph() as graph:
        assert _dump(graph) == before


def _small_graph(own_graph):
    """Write the genes and interactions of ``_batches`` with the writer; return the dump."""
    with own_graph() as graph:
        GraphWriter(graph).write_all(_batches()[:2])
        return _dump(graph)


def test_a_failing_import_restarts_the_server_and_keeps_the_database(own_server, own_graph, tmp_path, monkeypatch):
    before = _small_graph(own_graph)
    real_write_csv = bulk.write_csv

    def corrupting_write_csv(plan, work_dir):
        files = real_write_csv(plan, work_dir)
        path = next(p for label, p in files.nodes if label == "Gene")
        header = path.read_text(encoding="utf-8").splitlines()[0]
        assert ":long" in header  # a long column to put a non-number into
        columns = header.split(",")
        bad = ["12345"] + ["not-a-number" if c.endswith(":long") else "" for c in columns[1:]]
        with open(path, "a", encoding="utf-8") as out:
            out.write(",".join(bad) + "\n")
        return files

    monkeypatch.setattr(importer, "write_csv", corrupting_write_csv)
    with pytest.raises(ServerError, match="neo4j-admin import failed") as info:
        bulk_import(own_server, _batches(), tmp_path / "work", force=True)
    message = str(info.value)
    assert "\n" not in message
    assert "not-a-number" in message and "nodes-Gene-" in message  # neo4j-admin's own words, file and line
    assert "graph writer" in message  # and the fix
    assert own_server.status().running
    with own_graph() as graph:
        assert _dump(graph) == before  # the failed import was never swapped in


def test_keys_of_one_label_must_have_one_type():
    plan = bulk.Plan()
    plan.add(NodeBatch(NodeLabel.GENE, ({"entrez_id": 1},)))
    with pytest.raises(InputDataError, match="mixes int and str"):
        plan.add(RelBatch(RelType.INTERACTS_WITH, NodeLabel.GENE, NodeLabel.GENE, ({"start": "1", "end": 2},)))


def test_values_neo4j_cannot_store_are_refused_before_anything_is_touched(tmp_path):
    plan = bulk.Plan()
    plan.add(NodeBatch(NodeLabel.GENE, ({"entrez_id": 1, "bad": [1, "a"]},)))
    with pytest.raises(InputDataError, match="mixes types"):
        bulk.write_csv(plan, tmp_path)


def test_admin_error_picks_the_bad_field():
    output = (
        "IMPORT FAILED in 39ms.\nWARNING Import failed. The store files ... are left as they are\n"
        "org.neo4j.cli.CommandFailedException: Error importing csv file.\n"
        "Caused by: org.neo4j.internal.batchimport.input.InputException: ERROR in input\n"
        "  data source: BufferedCharSeeker[source:/w/nodes-Gene-0.csv, position:17, line:2]\n"
        "  in field: n:long:2\n  raw field value: oops\n  original error: Not an integer: \"oops\"\n"
        "\tat org.neo4j.Foo.bar(Foo.java:1)\n"
        "Caused by: java.lang.NumberFormatException: Not an integer: \"oops\"\n"
    )
    assert bulk.admin_error(output) == 'nodes-Gene-0.csv, neo4j-admin line 2: Not an integer: "oops"'


def test_numpy_and_enum_values_are_written_as_the_driver_would_send_them(tmp_path):
    import numpy as np

    plan = bulk.Plan()
    plan.add(NodeBatch(NodeLabel.GENE, (
        {"entrez_id": np.int64(7), "score": np.float64(0.25), "z": np.array([1.5, 2.0]), "ok": np.bool_(True),
         "label": NodeLabel.GENE},
    )))
    plan.add(RelBatch(RelType.INTERACTS_WITH, NodeLabel.GENE, NodeLabel.GENE, ({"start": np.int64(7), "end": 7},)))
    files = bulk.write_csv(plan, tmp_path)
    assert plan.key_types[NodeLabel.GENE] is int and list(plan.nodes[NodeLabel.GENE]) == [7]
    lines = files.nodes[0][1].read_text(encoding="utf-8").splitlines()
    assert lines == ["entrez_id:ID(Gene){id-type:long},label:string,ok:boolean,score:double,z:double[]",
                     '7,"Gene",true,0.25,1.5;2.0']
    assert files.rels[0][1].read_text(encoding="utf-8").splitlines() == [":START_ID(Gene),:END_ID(Gene)", "7,7"]


def test_string_lists_holding_every_delimiter_are_left_to_cypher(tmp_path):
    every = "".join(bulk.ARRAY_DELIMITERS)
    plan = bulk.Plan()
    plan.add(NodeBatch(NodeLabel.GENE, (
        {"entrez_id": 1, "tags": [every, "b"]},
        {"entrez_id": 2, "tags": ["plain", "b"]},
    )))
    files = bulk.write_csv(plan, tmp_path)
    assert files.array_delimiter == ";"
    assert files.node_fixups[NodeLabel.GENE] == [{"key": 1, "props": {"tags": [every, "b"]}}]
    lines = files.nodes[0][1].read_text(encoding="utf-8").splitlines()
    assert lines == ["entrez_id:ID(Gene){id-type:long},tags:string[]", "1,", '2,"plain;b"']


def test_a_failure_while_writing_the_csv_files_starts_the_server_again(own_server, own_graph, tmp_path, monkeypatch):
    import time

    before = _small_graph(own_graph)
    real_write_csv = bulk.write_csv

    def failing_write_csv(plan, work_dir):
        real_write_csv(plan, work_dir)
        deadline = time.monotonic() + 120  # the server stops meanwhile: wait until it has
        while own_server.status().running and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not own_server.status().running
        raise InputDataError("bulk import", "a test", "writing the CSV files failed", "nothing to fix")

    monkeypatch.setattr(importer, "write_csv", failing_write_csv)
    with pytest.raises(InputDataError, match="writing the CSV files failed"):
        bulk_import(own_server, _batches(), tmp_path / "work", force=True)
    assert own_server.status().running  # started again before the error reached the caller
    with own_graph() as graph:
        assert _dump(graph) == before


def test_the_plan_leaves_the_batches_as_they_were(tmp_path):
    import copy

    import numpy as np

    batches = _batches() + [NodeBatch(NodeLabel.GENE, ({"entrez_id": 1, "score": np.float64(0.5), "x": None},))]
    before = copy.deepcopy(batches)
    plan = bulk.Plan()
    for batch in batches:
        plan.add(batch)
    bulk.write_csv(plan, tmp_path)
    assert repr(batches) == repr(before)
