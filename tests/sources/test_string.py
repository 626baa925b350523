"""The STRING source: Entrez edge tables and STRING's own links + aliases + info files."""

from __future__ import annotations

from pathlib import Path

import pytest

from kgtool_plugins.sources import string as string_module
from kgtool_plugins.sources.string import StringSource
from toolkit.errors import InputDataError
from toolkit.schema import NodeLabel, RelType

from ._util import counts, nodes, rels, run, truncated_gzip, tsv, write

SHARED = Path(__file__).parents[3] / "shared" / "data"
real = pytest.mark.shared_data

HEADER = ("entrez_a", "symbol_a", "entrez_b", "symbol_b", "experiments", "combined_score")


def edge_table(tmp_path: Path, *rows, name: str = "edges.tsv", gz: bool = False) -> Path:
    return write(tmp_path / name, tsv(HEADER, *rows), gz=gz)


# -- real files ---------------------------------------------------------------------------------


@real
@pytest.mark.shared_data
def test_real_landmark_table():
    batches, report = run(StringSource(), [SHARED / "string" / "string_v12_landmark978_edges.tsv"])
    edges = rels(batches, RelType.INTERACTS_WITH)
    genes = nodes(batches, NodeLabel.GENE)
    assert len(edges) == 2102  # SOURCES.md: 2,102 landmark-landmark edges
    assert len(genes) == 731  # ... over 731 landmark genes
    assert report.rows_read == 2102 and report.dropped == []
    assert all(e["start"] < e["end"] and 0 <= e["props"]["score"] <= 1000 for e in edges)
    assert {g["entrez_id"] for g in genes} == {e["start"] for e in edges} | {e["end"] for e in edges}
    by_pair = {(e["start"], e["end"]): e["props"]["score"] for e in edges}
    assert by_pair[(1633, 4860)] == 901  # PNP-DCK, first data line of the file
    assert {"entrez_id": 4860, "symbol": "PNP"} in genes


@real
@pytest.mark.shared_data
def test_real_full_table_gz_and_min_score():
    path = SHARED / "string" / "string_v12_entrez_ntm700_400_k3_edges.tsv.gz"
    batches, _ = run(StringSource(), [path])
    assert counts(batches)[RelType.INTERACTS_WITH.value] == 174_962
    assert counts(batches)[NodeLabel.GENE.value] == 17_288
    strong, _ = run(StringSource(), [path], min_score=900)
    scores = [e["props"]["score"] for e in rels(strong, RelType.INTERACTS_WITH)]
    assert 0 < len(scores) < 174_962 and min(scores) >= 900


@real
@pytest.mark.shared_data
def test_real_file_read_twice_gives_same_batches():
    path = SHARED / "string" / "string_v12_landmark978_edges.tsv"
    assert run(StringSource(), [path])[0] == run(StringSource(), [path])[0]


# -- Entrez edge tables -------------------------------------------------------------------------


def test_one_edge_per_pair_with_max_score(tmp_path):
    path = edge_table(tmp_path, (20, "B", 10, "A", 0, 500), (10, "A", 20, "B", 0, 700), (10, "A", 30, "C", 0, 150))
    batches, report = run(StringSource(), [path])
    assert rels(batches, RelType.INTERACTS_WITH) == [
        {"start": 10, "end": 20, "props": {"score": 700}},
        {"start": 10, "end": 30, "props": {"score": 150}},
    ]
    assert nodes(batches, NodeLabel.GENE) == [
        {"entrez_id": 10, "symbol": "A"}, {"entrez_id": 20, "symbol": "B"}, {"entrez_id": 30, "symbol": "C"}]
    assert report.rows_read == 3


def test_min_score_drops_weak_pairs_and_their_lonely_genes(tmp_path):
    path = edge_table(tmp_path, (10, "A", 20, "B", 0, 700), (10, "A", 30, "C", 0, 150))
    batches, _ = run(StringSource(), [path], min_score=400)
    assert [(e["start"], e["end"]) for e in rels(batches, RelType.INTERACTS_WITH)] == [(10, 20)]
    assert [g["entrez_id"] for g in nodes(batches, NodeLabel.GENE)] == [10, 20]


def test_self_loop_dropped_with_report(tmp_path):
    path = edge_table(tmp_path, (10, "A", 10, "A", 0, 900), (10, "A", 20, "B", 0, 700))
    batches, report = run(StringSource(), [path])
    assert len(rels(batches, RelType.INTERACTS_WITH)) == 1
    assert report.dropped == [f"{path}: line 2: self-loop on gene 10"]


def test_batch_size_and_order(tmp_path):
    rows = [(i, f"G{i}", i + 1, f"G{i + 1}", 0, 400 + i % 600) for i in range(1, 251)]
    batches, _ = run(StringSource(), [edge_table(tmp_path, *rows)], batch_size=40)
    assert counts(batches) == {"Gene": 251, "INTERACTS_WITH": 250}
    assert max(len(b.rows) for b in batches) == 40  # run() also checks nodes come before rels


def test_symbols_with_quotes_backticks_braces_verbatim(tmp_path):
    odd = ['"Q"', "`B`", "{x: 1}", "a'b\\c", "MATCH (n) DETACH DELETE n"]
    rows = [(i + 1, s, i + 100, "OK", 0, 500) for i, s in enumerate(odd)]
    batches, _ = run(StringSource(), [edge_table(tmp_path, *rows)])
    symbols = {g["entrez_id"]: g["symbol"] for g in nodes(batches, NodeLabel.GENE)}
    assert [symbols[i + 1] for i in range(len(odd))] == odd


def test_gzip_table(tmp_path):
    path = edge_table(tmp_path, (10, "A", 20, "B", 0, 700), name="edges.tsv.gz", gz=True)
    assert rels(run(StringSource(), [path])[0], RelType.INTERACTS_WITH) == [
        {"start": 10, "end": 20, "props": {"score": 700}}]


# -- STRING's own files ------------------------------------------------------------------------

LINKS = """protein1 protein2 combined_score
9606.ENSP0001 9606.ENSP0002 800
9606.ENSP0002 9606.ENSP0001 810
9606.ENSP0001 9606.ENSP0003 300
9606.ENSP0001 9606.ENSP0009 999
9606.ENSP0003 9606.ENSP0004 500
"""
ALIASES = tsv(
    ("#string_protein_id", "alias", "source"),
    ("9606.ENSP0001", "7157", "Ensembl_HGNC_entrez_id"),
    ("9606.ENSP0001", "TP53", "Ensembl_HGNC_symbol"),
    ("9606.ENSP0002", "4193", "Ensembl_EntrezGene"),
    ("9606.ENSP0003", "1956", "Ensembl_HGNC_Entrez_Gene_ID"),
    ("9606.ENSP0004", "1956", "Ensembl_EntrezGene"),  # maps onto the same gene as ENSP0003
)
INFO = tsv(
    ("#string_protein_id", "preferred_name", "protein_size", "annotation"),
    ("9606.ENSP0001", "TP53", 393, "Cellular tumor antigen p53"),
    ("9606.ENSP0002", "MDM2", 491, "E3 ubiquitin-protein ligase"),
    ("9606.ENSP0003", "EGFR", 1210, "Epidermal growth factor receptor"),
)


def test_string_links_with_aliases_and_info(tmp_path):
    links = write(tmp_path / "9606.protein.links.v12.0.txt.gz", LINKS, gz=True)
    aliases = write(tmp_path / "9606.protein.aliases.v12.0.txt.gz", ALIASES, gz=True)
    info = write(tmp_path / "9606.protein.info.v12.0.txt", INFO)
    batches, report = run(StringSource(), [links, aliases, info])  # links first: order does not matter
    assert rels(batches, RelType.INTERACTS_WITH) == [
        {"start": 1956, "end": 7157, "props": {"score": 300}},
        {"start": 4193, "end": 7157, "props": {"score": 810}},
    ]
    assert nodes(batches, NodeLabel.GENE) == [
        {"entrez_id": 1956, "symbol": "EGFR", "string_id": "9606.ENSP0003"},
        {"entrez_id": 4193, "symbol": "MDM2", "string_id": "9606.ENSP0002"},
        {"entrez_id": 7157, "symbol": "TP53", "string_id": "9606.ENSP0001"},
    ]
    assert f"{links}: line 5: STRING protein 9606.ENSP0009 has no Entrez id in the aliases file" in report.dropped
    assert any("line 6: self-loop on gene 1956" in line for line in report.dropped)


def test_string_detailed_links(tmp_path):
    detailed = ("protein1 protein2 neighborhood fusion cooccurence coexpression experimental database "
                "textmining combined_score\n9606.ENSP0001 9606.ENSP0002 0 0 0 62 900 0 400 950\n")
    links = write(tmp_path / "9606.protein.links.detailed.v12.0.txt", detailed)
    aliases = write(tmp_path / "aliases.txt", ALIASES)
    batches, _ = run(StringSource(), [links, aliases])
    assert rels(batches, RelType.INTERACTS_WITH) == [{"start": 4193, "end": 7157, "props": {"score": 950}}]


def test_string_links_without_aliases(tmp_path):
    links = write(tmp_path / "links.txt", LINKS)
    with pytest.raises(InputDataError) as err:
        run(StringSource(), [links])
    assert str(err.value).startswith(f"{links}: header: STRING protein ids")
    assert "protein.aliases" in str(err.value)


def test_unknown_table(tmp_path):
    path = write(tmp_path / "x.tsv", tsv(("a", "b"), (1, 2)))
    with pytest.raises(InputDataError, match="not a STRING table"):
        run(StringSource(), [path])


# -- malformed input ------------------------------------------------------------------------------


def test_missing_required_column(tmp_path):
    path = write(tmp_path / "e.tsv", tsv(("entrez_a", "entrez_b", "score"), (1, 2, 500)))
    with pytest.raises(InputDataError) as err:
        run(StringSource(), [path])
    assert str(err.value).startswith(f"{path}: header: missing required column 'combined_score'")


def test_wrong_column_count(tmp_path):
    path = write(tmp_path / "e.tsv", tsv(HEADER, (10, "A", 20, "B", 0, 700)) + "10\tA\t30\t900\n")
    with pytest.raises(InputDataError) as err:
        run(StringSource(), [path])
    assert str(err.value).startswith(f"{path}: line 3: 4 tab-separated columns where the header has 6; fix:")
    batches, report = run(StringSource(), [path], lenient=True)
    assert len(rels(batches, RelType.INTERACTS_WITH)) == 1
    assert report.dropped == [f"{path}: line 3: 4 tab-separated columns where the header has 6; skipped (lenient)"]


@pytest.mark.parametrize(
    ("score", "problem"),
    [("high", "combined_score 'high' is not an integer"),
     ("0.9x", "combined_score '0.9x' is not an integer"),
     ("1001", "combined_score 1001 is outside 0..1000"),
     ("-5", "combined_score -5 is outside 0..1000")],
)
def test_bad_scores(tmp_path, score, problem):
    path = edge_table(tmp_path, (10, "A", 20, "B", 0, 700), (10, "A", 30, "C", 0, score))
    with pytest.raises(InputDataError) as err:
        run(StringSource(), [path])
    assert str(err.value).startswith(f"{path}: line 3: {problem}; fix: ")
    batches, report = run(StringSource(), [path], lenient=True)
    assert len(rels(batches, RelType.INTERACTS_WITH)) == 1
    assert report.dropped == [f"{path}: line 3: {problem}; skipped (lenient)"]


def test_bad_gene_id(tmp_path):
    path = edge_table(tmp_path, ("NA", "A", 20, "B", 0, 700))
    with pytest.raises(InputDataError, match=r"line 2: gene id 'NA' is not an Entrez id"):
        run(StringSource(), [path])


def test_truncated_gzip(tmp_path):
    rows = [(i, "A", i + 1, "B", 0, 500) for i in range(1, 20001)]
    path = truncated_gzip(tmp_path / "edges.tsv.gz", tsv(HEADER, *rows))
    with pytest.raises(InputDataError) as err:
        run(StringSource(), [path])
    assert str(err.value).startswith(f"{path}: line ") and "truncated or corrupt" in str(err.value)


def test_non_utf8_bytes(tmp_path):
    path = tmp_path / "e.tsv"
    path.write_bytes(tsv(HEADER).encode() + b"10\tA\xff\t20\tB\t0\t700\n")
    with pytest.raises(InputDataError) as err:
        run(StringSource(), [path])
    assert str(err.value).startswith(f"{path}: line 2: byte 0xff at column 5 is not valid UTF-8")


def test_registers_itself():
    registered = []
    string_module.kgtool_register_sources(register=registered.append)
    assert [s.name for s in registered] == ["string"]


# -- aliases: the ids other files name genes by ----------------------------------------------------


def test_aliases_give_genes_their_uniprot_ensembl_and_alias_ids(tmp_path):
    aliases = write(tmp_path / "9606.protein.aliases.v12.0.txt", tsv(
        ("#string_protein_id", "alias", "source"),
        ("9606.ENSP0001", "7157", "Ensembl_HGNC_entrez_id"),
        ("9606.ENSP0001", "TP53", "Ensembl_EntrezGene"),  # a name in an Entrez-named source: not an id, no report
        ("9606.ENSP0001", "P04637", "UniProt_AC"),
        ("9606.ENSP0001", "P04637", "Ensembl_HGNC_uniprot_ids"),
        ("9606.ENSP0001", "P53_HUMAN", "UniProt_ID"),
        ("9606.ENSP0001", "ENSG00000141510", "Ensembl_gene"),
        ("9606.ENSP0001", "TP53", "Ensembl_HGNC_symbol"),
        ("9606.ENSP0001", "LFS1", "Ensembl_HGNC_alias_symbol"),
        ("9606.ENSP0002", "4193", "Ensembl_HGNC_entrez_id"),
        ("9606.ENSP0002", "Q00987", "UniProt_AC"),
        ("9606.ENSP0002", "SHARED_HUMAN", "UniProt_ID"),
        ("9606.ENSP0002", "not-an-accession", "UniProt_AC"),
        ("9606.ENSP0003", "4194", "Ensembl_HGNC_entrez_id"),
        ("9606.ENSP0003", "Q00987", "UniProt_AC"),  # one accession, two genes: kept on both, reported
        ("9606.ENSP0003", "SHARED_HUMAN", "UniProt_ID"),  # one entry name, two genes: not stored
    ))
    batches, report = run(StringSource(), [aliases])
    assert nodes(batches, NodeLabel.GENE) == [
        {"entrez_id": 4193, "string_id": "9606.ENSP0002", "uniprot_ids": ["Q00987"]},
        {"entrez_id": 4194, "string_id": "9606.ENSP0003", "uniprot_ids": ["Q00987"]},
        {"entrez_id": 7157, "symbol": "TP53", "string_id": "9606.ENSP0001",
         "uniprot_ids": ["P04637", "P53_HUMAN"], "ensembl_ids": ["ENSG00000141510"], "alias_symbols": ["LFS1"]},
    ]
    assert report.dropped == [f"{aliases}: line 13: UniProt_AC alias 'not-an-accession' of 9606.ENSP0002 "
                              "is not a UniProt accession"]
    assert any("1 UniProt accessions name proteins of several genes" in line for line in report.repaired)
    assert any("1 UniProt entry names name proteins of several genes; not stored" in line for line in report.repaired)


# -- corpus defects: conflicting pairs, tabs in space-separated files --------------------------------


def test_pair_listed_twice_with_different_scores_is_reported(tmp_path):
    path = edge_table(tmp_path, (10, "A", 20, "B", 0, 640), (10, "A", 30, "C", 0, 500), (20, "B", 10, "A", 0, 320))
    batches, report = run(StringSource(), [path])
    assert rels(batches, RelType.INTERACTS_WITH)[0] == {"start": 10, "end": 20, "props": {"score": 640}}
    assert report.repaired == [f"{path}: line 2: genes 10 and 20 are listed with combined_score 640 (line 2) "
                               "and 320 (line 4); kept the larger, 640"]
    links = write(tmp_path / "links.txt", "protein1 protein2 combined_score\n9606.ENSP0001 9606.ENSP0002 640\n"
                  "9606.ENSP0002 9606.ENSP0001 640\n9606.ENSP0001 9606.ENSP0002 320\n")
    _, report = run(StringSource(), [links, write(tmp_path / "aliases.txt", ALIASES)])
    assert [line for line in report.repaired if "listed" in line] == [
        f"{links}: line 2: STRING proteins 9606.ENSP0001 and 9606.ENSP0002 are listed with combined_score 640 "
        "(line 2) and 320 (line 4); kept the larger, 640"]


@pytest.mark.neo4j
def test_tab_line_in_space_separated_links_is_an_error_and_writes_nothing(graph, settings, tmp_path):
    from tests.helpers import counts as graph_counts
    from toolkit.load import load
    from toolkit.sources import LoadOptions

    links = write(tmp_path / "9606.protein.links.v12.0.txt", "protein1 protein2 combined_score\n"
                  "9606.ENSP0001 9606.ENSP0002 800\n9606.ENSP0001\t9606.ENSP0003\t300\n")
    aliases = write(tmp_path / "aliases.txt", ALIASES)
    with pytest.raises(InputDataError) as err:
        load(graph, settings, "string", [links, aliases])
    assert str(err.value).startswith(f"{links}: line 3: tab-separated values in a space-separated file; fix: ")
    assert graph_counts(graph).get(("node", "Gene"), 0) == 0
    report = load(graph, settings, "string", [links, aliases], LoadOptions(lenient=True))
    assert report.dropped_by_reason["tab in a space-separated file"] == 1
    assert graph_counts(graph)[("rel", "INTERACTS_WITH")] == 1


def test_string_links_cut_in_their_last_line_are_an_error(tmp_path):
    cut = write(tmp_path / "9606.protein.links.v12.0.txt", "protein1 protein2 combined_score\n"
                "9606.ENSP0001 9606.ENSP0002 800\n9606.ENSP0001 9606.ENSP0003 30")  # 300 cut to "30"
    aliases = write(tmp_path / "9606.protein.aliases.v12.0.txt", ALIASES)
    with pytest.raises(InputDataError, match=f"{cut}: line 3: the file ends in the middle of this line"):
        run(StringSource(), [cut, aliases])
    batches, report = run(StringSource(), [cut, aliases], lenient=True)
    assert report.dropped_by_reason["cut last line"] == 1
    assert rels(batches, RelType.INTERACTS_WITH) == [{"start": 4193, "end": 7157, "props": {"score": 800}}]
