"""The GO source: OBO via obonet, hierarchy checks, GAF and gene-to-GO tables, propagation."""

from __future__ import annotations

from pathlib import Path

import pytest

from kgtool_plugins.sources import gene_ontology as go_module
from kgtool_plugins.sources.gene_ontology import GeneOntologySource
from toolkit.errors import InputDataError
from toolkit.schema import NodeLabel, RelType

from ._util import counts, nodes, rels, run, truncated_gzip, tsv, write

SHARED = Path(__file__).parents[3] / "shared" / "data"
real = pytest.mark.shared_data
GO_DIR = SHARED / "gene_ontology"

OBO = """format-version: 1.2
data-version: test/2024-01-01
default-namespace: gene_ontology
ontology: go

[Term]
id: GO:9900001
name: root process
namespace: biological_process

[Term]
id: GO:9900002
name: signalling "with quotes" and `ticks` {braces} here
namespace: biological_process
alt_id: GO:9900099
is_a: GO:9900001 ! root process

[Term]
id: GO:9900003
name: kinase cascade
namespace: biological_process
is_a: GO:9900002
relationship: part_of GO:9900004

[Term]
id: GO:9900004
name: big process
namespace: biological_process
is_a: GO:9900001
relationship: regulates GO:9900002

[Term]
id: GO:9900005
name: old term
namespace: biological_process
is_obsolete: true
replaced_by: GO:9900003

[Term]
id: GO:9900006
name: dead term
namespace: molecular_function
is_obsolete: true

[Typedef]
id: part_of
name: part of
"""


HGNC_HEADER = ("hgnc_id", "symbol", "entrez_id", "uniprot_ids", "ensembl_gene_id", "prev_symbol", "alias_symbol")


def obo(tmp_path: Path, text: str = OBO, name: str = "go.obo") -> Path:
    return write(tmp_path / name, text)


def gaf(tmp_path: Path, *rows: tuple, name: str = "annotations.gaf", version: str = "2.2") -> Path:
    lines = [f"!gaf-version: {version}", "!generated-by: test"]
    for db, gene, symbol, qualifier, go_id, evidence in rows:
        lines.append("\t".join([db, str(gene), symbol, qualifier, go_id, "PMID:1", evidence, "", "P",
                                "name", "", "protein", "taxon:9606", "20240101", "TEST", "", ""]))
    return write(tmp_path / name, "\n".join(lines) + "\n")


# -- real files ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_go():
    return run(GeneOntologySource(), [
        GO_DIR / "go-basic_releases-2021-12-15.obo.gz",
        GO_DIR / "landmark978_gene2go_direct_expev.tsv",
    ])


@real
@pytest.mark.shared_data
@pytest.mark.slow
def test_real_go_basic(real_go):
    batches, report = real_go
    terms = nodes(batches, NodeLabel.GO_TERM)
    assert len(terms) == 47_261  # SOURCES.md: 47,261 [Term] stanzas, 3,472 obsolete
    assert sum(not t["obsolete"] for t in terms) == 43_789  # DESIGN.md §6
    c = counts(batches)
    assert c["IS_A"] > 60_000 and c["PART_OF"] > 5_000
    genes = nodes(batches, NodeLabel.GENE)
    assert 850 < len(genes) <= 907  # 907 landmark genes have an annotation; a few only to dead terms
    live = {t["go_id"] for t in terms if not t["obsolete"]}
    ann = rels(batches, RelType.ANNOTATED_WITH)
    assert {a["end"] for a in ann} <= live
    assert all(a["props"] == {"evidence": "unspecified"} for a in ann)
    # the landmark table uses 2018 ids: some resolve only through alt_id, some are obsolete
    assert any("is an alt_id of" in line for line in report.repaired)
    assert any("is obsolete and has no replaced_by" in line for line in report.dropped)
    by_id = {t["go_id"]: t for t in terms}
    assert by_id["GO:0000001"]["name"] == "mitochondrion inheritance"
    assert "GO:0019952" in by_id["GO:0000003"]["alt_ids"]


@real
@pytest.mark.shared_data
def test_real_slim_wide_table_and_propagation():
    paths = [GO_DIR / "goslim_generic_goatools-tests.obo", GO_DIR / "GO_annotations-9606-direct-expev.tsv"]
    direct, report = run(GeneOntologySource(), paths)
    assert counts(direct)["GOTerm"] == 149
    ann = rels(direct, RelType.ANNOTATED_WITH)
    assert ann and all(a["props"]["evidence"] == "direct" for a in ann)
    assert any("is not defined in goslim_generic_goatools-tests.obo" in line for line in report.dropped)
    propagated, _ = run(GeneOntologySource(), paths, propagate=True)
    more = rels(propagated, RelType.ANNOTATED_WITH)
    assert len(more) > len(ann)
    assert {(a["start"], a["end"]) for a in ann} <= {(a["start"], a["end"]) for a in more}
    assert any(a["props"]["evidence"] == "propagated" for a in more)


@real
@pytest.mark.shared_data
def test_real_files_read_twice_give_same_batches():
    paths = [GO_DIR / "goslim_generic_goatools-tests.obo", GO_DIR / "landmark978_gene2go_direct_expev.tsv"]
    assert run(GeneOntologySource(), paths)[0] == run(GeneOntologySource(), paths)[0]


# -- ontology -----------------------------------------------------------------------------------


def test_terms_and_hierarchy(tmp_path):
    batches, report = run(GeneOntologySource(), [obo(tmp_path)])
    terms = {t["go_id"]: t for t in nodes(batches, NodeLabel.GO_TERM)}
    assert sorted(terms) == [f"GO:990000{i}" for i in range(1, 7)]
    assert terms["GO:9900002"] == {
        "go_id": "GO:9900002", "name": 'signalling "with quotes" and `ticks` {braces} here',
        "namespace": "biological_process", "obsolete": False, "alt_ids": ["GO:9900099"]}
    assert terms["GO:9900005"]["obsolete"] is True and terms["GO:9900001"]["alt_ids"] == []
    assert [(r["start"], r["end"]) for r in rels(batches, RelType.IS_A)] == [
        ("GO:9900002", "GO:9900001"), ("GO:9900003", "GO:9900002"), ("GO:9900004", "GO:9900001")]
    assert [(r["start"], r["end"]) for r in rels(batches, RelType.PART_OF)] == [("GO:9900003", "GO:9900004")]
    assert report.dropped == [] and report.rows_read == 6


def test_cycle_is_an_error_naming_the_term(tmp_path):
    text = OBO.replace("id: GO:9900001\nname: root process\n", "id: GO:9900001\nname: root process\nis_a: GO:9900003\n")
    path = obo(tmp_path, text)
    with pytest.raises(InputDataError) as err:
        run(GeneOntologySource(), [path])
    msg = str(err.value)
    assert msg.startswith(f"{path}: term GO:99000") and "closes a cycle in is_a/part_of" in msg
    assert "GO:9900001" in msg and "GO:9900003" in msg and "fix: remove one is_a/part_of line" in msg
    batches, report = run(GeneOntologySource(), [path], lenient=True)
    # 1 -> 3 closes two cycles (1-3-2-1 and 1-3-4-1): one edge of each is dropped
    assert len(report.dropped) == 2
    assert all("closes a cycle" in line and line.endswith("skipped (lenient)") for line in report.dropped)
    edges = rels(batches, RelType.IS_A) + rels(batches, RelType.PART_OF)
    assert len(edges) == 3


def test_self_cycle(tmp_path):
    text = OBO.replace("name: big process\n", "name: big process\nrelationship: part_of GO:9900004\n")
    with pytest.raises(InputDataError, match=r"term GO:9900004: 'part_of GO:9900004' closes a cycle"):
        run(GeneOntologySource(), [obo(tmp_path, text)])


def test_dangling_parent(tmp_path):
    text = OBO.replace("name: kinase cascade\n", "name: kinase cascade\nis_a: GO:9912345\n")
    path = obo(tmp_path, text)
    with pytest.raises(InputDataError) as err:
        run(GeneOntologySource(), [path])
    assert str(err.value) == (
        f"{path}: term GO:9900003: is_a parent GO:9912345 is not defined in the ontology; "
        "fix: add a [Term] stanza for GO:9912345 or remove the 'is_a' line of GO:9900003")
    batches, report = run(GeneOntologySource(), [path], lenient=True)
    assert report.dropped == [
        f"{path}: term GO:9900003: is_a parent GO:9912345 is not defined in the ontology; skipped (lenient)"]
    assert len(rels(batches, RelType.IS_A)) == 3


def test_exactly_one_ontology(tmp_path):
    ann = gaf(tmp_path, ("NCBIGene", 1, "A", "involved_in", "GO:9900001", "IDA"))
    with pytest.raises(InputDataError, match="0 ontology files given"):
        run(GeneOntologySource(), [ann])
    with pytest.raises(InputDataError, match="2 ontology files given"):
        run(GeneOntologySource(), [obo(tmp_path), obo(tmp_path, name="other.obo"), ann])


def test_gzipped_obo_and_truncated_obo(tmp_path):
    packed = write(tmp_path / "go.obo.gz", OBO, gz=True)
    assert counts(run(GeneOntologySource(), [packed])[0])["GOTerm"] == 6
    terms = "[Term]" + OBO.split("[Term]", 1)[1].split("[Typedef]")[0]
    many = OBO + "".join(terms.replace("GO:99", f"GO:{i:02d}") for i in range(200))  # 1,200 distinct terms
    broken = truncated_gzip(tmp_path / "broken.obo.gz", many)
    with pytest.raises(InputDataError) as err:
        run(GeneOntologySource(), [broken])
    assert str(err.value).startswith(f"{broken}: line ") and "truncated or corrupt" in str(err.value)


def test_non_utf8_obo(tmp_path):
    path = tmp_path / "go.obo"
    path.write_bytes(OBO.replace("kinase cascade", "kinase \xe9cascade").encode("latin-1"))
    with pytest.raises(InputDataError) as err:
        run(GeneOntologySource(), [path])
    assert str(err.value).startswith(f"{path}: line 20: byte 0xe9 at column 14 is not valid UTF-8")


# -- annotations --------------------------------------------------------------------------------


def test_gaf_annotations(tmp_path):
    ann = gaf(
        tmp_path,
        ("NCBIGene", 7157, "TP53", "involved_in", "GO:9900003", "IDA"),
        ("NCBIGene", 7157, "TP53", "involved_in", "GO:9900003", "IMP"),
        ("NCBIGene", 4193, "MDM2", "NOT|involved_in", "GO:9900003", "IDA"),
        ("UniProtKB", "P04637", "TP53", "involved_in", "GO:9900001", "IDA"),
        ("NCBIGene", 4193, "MDM2", "involved_in", "GO:9900099", "IDA"),  # alt_id
        ("NCBIGene", 1956, "EGFR", "enables", "GO:9900005", "IPI"),  # obsolete, replaced
        ("NCBIGene", 1956, "EGFR", "enables", "GO:9900006", "IDA"),  # obsolete, no replacement
        ("NCBIGene", 1956, "EGFR", "enables", "GO:9999999", "IDA"),  # unknown
    )
    hgnc = write(tmp_path / "hgnc_complete_set.txt", tsv(HGNC_HEADER, ("HGNC:11998", "TP53", 7157, "P04637", "", "", "")))
    batches, report = run(GeneOntologySource(), [ann, obo(tmp_path), hgnc])
    assert nodes(batches, NodeLabel.GENE) == [
        {"entrez_id": 1956, "symbol": "EGFR"},
        {"entrez_id": 4193, "symbol": "MDM2"},
        {"entrez_id": 7157, "symbol": "TP53"}]
    assert rels(batches, RelType.ANNOTATED_WITH) == [
        {"start": 1956, "end": "GO:9900003", "props": {"evidence": "IPI"}},
        {"start": 4193, "end": "GO:9900002", "props": {"evidence": "IDA"}},
        {"start": 7157, "end": "GO:9900001", "props": {"evidence": "IDA"}},  # UniProtKB P04637 through HGNC
        {"start": 7157, "end": "GO:9900003", "props": {"evidence": "IDA|IMP"}},
    ]
    assert report.repaired == [
        f"{ann}: line 7: annotation of gene 4193: GO:9900099 is an alt_id of GO:9900002; mapped to GO:9900002",
        f"{ann}: line 8: annotation of gene 1956: GO:9900005 is obsolete, replaced_by GO:9900003; mapped to GO:9900003",
        f"{ann}: gene ids: 8 rows read: 7 on Entrez ids, 1 mapped to Entrez ids (1 by id, 0 by symbol), "
        "0 unmapped, 0 ambiguous, 0 of databases without a mapping, 0 invalid",
    ]
    assert report.dropped == [
        f"{ann}: line 5: qualifier 'NOT|involved_in' negates the annotation",
        f"{ann}: line 9: annotation of gene 1956: GO:9900006 is obsolete and has no replaced_by",
        f"{ann}: line 10: annotation of gene 1956: GO:9999999 is not defined in go.obo",
    ]


def test_gaf_wrong_column_count(tmp_path):
    good = gaf(tmp_path, ("NCBIGene", 7157, "TP53", "involved_in", "GO:9900003", "IDA")).read_text()
    path = write(tmp_path / "a.gaf", good.replace("!generated-by: test", "NCBIGene\t7157\tTP53\tinvolved_in\tGO:9900003"))
    with pytest.raises(InputDataError) as err:
        run(GeneOntologySource(), [obo(tmp_path), path])
    assert str(err.value).startswith(f"{path}: line 2: 5 tab-separated columns where the header has 17")
    _, report = run(GeneOntologySource(), [obo(tmp_path), path], lenient=True)
    assert report.dropped[0].endswith("skipped (lenient)")


def test_gaf_bad_gene_id(tmp_path):
    path = gaf(tmp_path, ("NCBIGene", "TP53", "TP53", "involved_in", "GO:9900003", "IDA"))
    with pytest.raises(InputDataError, match=r"line 3: DB object id 'TP53' is not an Entrez id"):
        run(GeneOntologySource(), [obo(tmp_path), path])


def test_long_table_with_odd_symbols(tmp_path):
    odd = 'A"b`c{d}'
    table = write(tmp_path / "gene2go.tsv", tsv(
        ("entrez_gene_id", "gene_symbol", "go_id", "go_name", "go_domain"),
        (10, odd, "GO:9900003", "kinase cascade", "biological_process"),
        (20, "B", "GO:9900004", "big process", "biological_process")))
    batches, _ = run(GeneOntologySource(), [obo(tmp_path), table])
    assert nodes(batches, NodeLabel.GENE)[0] == {"entrez_id": 10, "symbol": odd}
    assert rels(batches, RelType.ANNOTATED_WITH)[0] == {
        "start": 10, "end": "GO:9900003", "props": {"evidence": "unspecified"}}


def test_ncbi_gene2go_layout(tmp_path):
    table = write(tmp_path / "gene2go", tsv(
        ("#tax_id", "GeneID", "GO_ID", "Evidence", "Qualifier", "GO_term", "PubMed", "Category"),
        (9606, 10, "GO:9900003", "IDA", "involved_in", "x", "-", "Process"),
        (9606, 20, "GO:9900003", "IDA", "NOT involved_in", "x", "-", "Process")))
    batches, report = run(GeneOntologySource(), [obo(tmp_path), table])
    assert rels(batches, RelType.ANNOTATED_WITH) == [{"start": 10, "end": "GO:9900003", "props": {"evidence": "IDA"}}]
    assert report.dropped == [f"{table}: line 3: qualifier 'NOT involved_in' negates the annotation"]


def test_long_table_missing_required_column(tmp_path):
    table = write(tmp_path / "t.tsv", tsv(("entrez_gene_id", "GO_ID", "x"), (1, "GO:9900001", 2)))
    table2 = write(tmp_path / "t2.tsv", tsv(("entrez_gene_id", "go_term"), (1, "GO:9900001")))
    batches, _ = run(GeneOntologySource(), [obo(tmp_path), table])
    assert len(rels(batches, RelType.ANNOTATED_WITH)) == 1
    with pytest.raises(InputDataError, match="not an OBO, GAF or gene-to-GO table"):
        run(GeneOntologySource(), [obo(tmp_path), table2])


def test_wide_table(tmp_path):
    table = write(tmp_path / "wide.tsv", tsv(
        ("go_id", "go_name", "go_domain", "tax_id", "annotation_type", "size", "gene_ids", "gene_symbols"),
        ("GO:9900002", "x", "bp", 9606, "direct", 2, "10|20", "A|B"),
        ("GO:9900004", "y", "bp", 9606, "direct", 2, "10|30", "A"),
        ("GO:9900001", "z", "bp", 9606, "direct", 1, "x7", "C")))
    with pytest.raises(InputDataError) as err:
        run(GeneOntologySource(), [obo(tmp_path), table])
    assert str(err.value).startswith(f"{table}: line 3 (GO:9900004): 2 gene_ids but 1 gene_symbols; fix:")
    batches, report = run(GeneOntologySource(), [obo(tmp_path), table], lenient=True)
    assert rels(batches, RelType.ANNOTATED_WITH) == [
        {"start": 10, "end": "GO:9900002", "props": {"evidence": "direct"}},
        {"start": 20, "end": "GO:9900002", "props": {"evidence": "direct"}}]
    assert len(report.dropped) == 2 and "gene id 'x7' is not an Entrez id" in report.dropped[1]


def test_propagation(tmp_path):
    ann = gaf(tmp_path, ("NCBIGene", 10, "A", "involved_in", "GO:9900003", "IDA"),
              ("NCBIGene", 10, "A", "involved_in", "GO:9900004", "IMP"))
    plain, _ = run(GeneOntologySource(), [obo(tmp_path), ann])
    assert len(rels(plain, RelType.ANNOTATED_WITH)) == 2
    batches, _ = run(GeneOntologySource(), [obo(tmp_path), ann], propagate=True)
    assert rels(batches, RelType.ANNOTATED_WITH) == [
        {"start": 10, "end": "GO:9900001", "props": {"evidence": "propagated"}},
        {"start": 10, "end": "GO:9900002", "props": {"evidence": "propagated"}},
        {"start": 10, "end": "GO:9900003", "props": {"evidence": "IDA"}},
        {"start": 10, "end": "GO:9900004", "props": {"evidence": "IMP"}},  # direct wins over propagated
    ]


def test_same_files_twice_same_batches(tmp_path):
    paths = [obo(tmp_path), gaf(tmp_path, ("NCBIGene", 10, "A", "involved_in", "GO:9900003", "IDA"))]
    assert run(GeneOntologySource(), paths, propagate=True)[0] == run(GeneOntologySource(), paths, propagate=True)[0]


def test_registers_itself():
    registered = []
    go_module.kgtool_register_sources(register=registered.append)
    assert [s.name for s in registered] == ["go"]


# -- corpus defects: cut and repeated stanzas, GAF header and evidence codes -------------------------


@pytest.mark.neo4j
def test_obo_cut_mid_stanza_is_an_error_naming_the_line(graph, settings, tmp_path):
    from tests.helpers import counts as graph_counts
    from toolkit.load import load
    from toolkit.sources import LoadOptions

    cut = obo(tmp_path, OBO.split("[Typedef]")[0] + "[Term]\nid: GO:9900007\nnamesp", name="cut.obo")
    with pytest.raises(InputDataError) as err:
        load(graph, settings, "go", [cut])
    assert str(err.value).startswith(f"{cut}: line 45: the [Term] stanza GO:9900007 has no name: line and ends "
                                     "the file: the file is cut mid-stanza; fix: ")
    assert graph_counts(graph).get(("node", "GOTerm"), 0) == 0
    report = load(graph, settings, "go", [cut], LoadOptions(lenient=True))
    assert report.dropped_by_reason == {"incomplete stanza": 1}
    assert graph_counts(graph)[("node", "GOTerm")] == 6


@pytest.mark.neo4j
def test_term_defined_twice_is_a_conflict_not_a_merge(graph, settings, tmp_path):
    from tests.helpers import canonical_dump
    from tests.helpers import counts as graph_counts
    from toolkit.load import load
    from toolkit.sources import LoadOptions

    twice = obo(tmp_path, OBO + "\n[Term]\nid: GO:9900003\nname: kinase cascade DUPLICATE\n"
                "namespace: biological_process\nis_a: GO:9900004\n", name="twice.obo")
    with pytest.raises(InputDataError) as err:
        load(graph, settings, "go", [twice])
    assert str(err.value).startswith(f"{twice}: line 49: GO:9900003 is defined twice (the [Term] stanzas at lines "
                                     "18 and 49); the definitions are not merged; fix: ")
    assert graph_counts(graph).get(("node", "GOTerm"), 0) == 0
    report = load(graph, settings, "go", [twice], LoadOptions(lenient=True))
    assert report.dropped_by_reason == {"duplicate term": 1}
    dump = canonical_dump(graph)
    names = {dict(d[2])["go_id"]: dict(d[2])["name"] for d in dump if d[0] == "node" and d[1] == ("GOTerm",)}
    assert names["GO:9900003"] == "kinase cascade"  # the first definition, not merged with the second
    is_a = {(d[2], d[5]) for d in dump if d[0] == "rel" and d[3] == "IS_A"}
    assert ("GO:9900003", "GO:9900002") in is_a and ("GO:9900003", "GO:9900004") not in is_a


def test_gaf_without_header_is_read_with_a_warning(tmp_path):
    with_header = gaf(tmp_path, ("NCBIGene", 7157, "TP53", "involved_in", "GO:9900003", "IDA"))
    bare = write(tmp_path / "bare.gaf", "".join(line + "\n" for line in with_header.read_text().splitlines()
                                                 if not line.startswith("!")))
    batches, report = run(GeneOntologySource(), [obo(tmp_path), bare])
    assert rels(batches, RelType.ANNOTATED_WITH) == [{"start": 7157, "end": "GO:9900003", "props": {"evidence": "IDA"}}]
    assert report.repaired == [f"{bare}: line 1: no '!gaf-version' header line; read as GAF 2.2 (17 columns)"]


@pytest.mark.neo4j
def test_unknown_evidence_code_is_an_error(graph, settings, tmp_path):
    from tests.helpers import counts as graph_counts
    from toolkit.load import load
    from toolkit.sources import LoadOptions

    path = gaf(tmp_path, ("NCBIGene", 7157, "TP53", "involved_in", "GO:9900003", "IDA"),
               ("NCBIGene", 4193, "MDM2", "involved_in", "GO:9900003", "XYZ"))
    with pytest.raises(InputDataError) as err:
        load(graph, settings, "go", [obo(tmp_path), path])
    assert str(err.value).startswith(f"{path}: line 4: evidence code 'XYZ' is not a GO evidence code; fix: use one of")
    assert graph_counts(graph).get(("node", "GOTerm"), 0) == 0
    report = load(graph, settings, "go", [obo(tmp_path), path], LoadOptions(lenient=True))
    assert report.dropped_by_reason == {"unknown evidence code": 1}
    assert graph_counts(graph)[("rel", "ANNOTATED_WITH")] == 1


# -- mapping files -----------------------------------------------------------------------------------


def test_mapping_files_hgnc_gene_info_and_uniprot_idmapping(tmp_path):
    hgnc = write(tmp_path / "hgnc_complete_set.txt", tsv(
        HGNC_HEADER, ("HGNC:11998", "TP53", 7157, "P04637", "ENSG00000141510", "", '"LFS1|TRP53"'),
        ("HGNC:6973", "MDM2", 4193, "Q00987", "", '"HDMX2"', ""),
        ("HGNC:1", "X1", 1, "", "", "", '"SHARED"'), ("HGNC:2", "X2", 2, "", "", "", '"SHARED"')))
    gene_info = write(tmp_path / "Homo_sapiens.gene_info", tsv(
        ("#tax_id", "GeneID", "Symbol", "LocusTag", "Synonyms", "dbXrefs"),
        (9606, 1956, "EGFR", "-", "ERBB|ERBB1", "MIM:131550|HGNC:HGNC:3236|Ensembl:ENSG00000146648"),
        (10090, 13649, "Egfr", "-", "-", "-")))
    idmapping = write(tmp_path / "HUMAN_9606_idmapping.dat", tsv(
        ("P00533", "UniProtKB-ID", "EGFR_HUMAN"), ("P00533", "GeneID", 1956),
        ("P99999", "GeneID", 1), ("P99999", "GeneID", 2)))  # one accession, two genes
    rows = [("UniProtKB", "P04637", "TP53"), ("UniProtKB", "Q00987", "x"), ("UniProtKB", "P00533", "EGFR"),
            ("UniProtKB", "EGFR_HUMAN", ""), ("UniProtKB", "A0A0A0", "HDMX2"), ("UniProtKB", "A0A0A1", "ERBB1"),
            ("UniProtKB", "P99999", "X1"), ("UniProtKB", "A0A0A2", "SHARED"), ("Ensembl", "ENSG00000146648", ""),
            ("HGNC", "HGNC:11998", ""), ("ComplexPortal", "CPX-1", "")]
    path = gaf(tmp_path, *[(db, gene, sym, "involved_in", "GO:9900003", "IDA") for db, gene, sym in rows])
    batches, report = run(GeneOntologySource(), [obo(tmp_path), path, hgnc, gene_info, idmapping])
    genes = sorted(r["start"] for r in rels(batches, RelType.ANNOTATED_WITH))
    assert genes == [1956, 4193, 7157]
    assert f"{path}: gene ids: 11 rows read: 0 on Entrez ids, 8 mapped to Entrez ids (6 by id, 2 by symbol), " \
           "0 unmapped, 2 ambiguous, 1 of databases without a mapping, 0 invalid" in report.repaired
    assert report.dropped_by_reason["ambiguous id"] == 2
    assert any("UniProtKB:P99999 (symbol 'X1') maps to 2 Entrez ids (1, 2)" in line for line in report.dropped)


def test_uniprot_rows_without_any_mapping_stop_with_what_to_load(tmp_path):
    path = gaf(tmp_path, ("UniProtKB", "P04637", "TP53", "involved_in", "GO:9900003", "IDA"))
    with pytest.raises(InputDataError) as err:
        run(GeneOntologySource(), [obo(tmp_path), path], lenient=True)
    message = str(err.value)
    assert message.startswith(f"{path}: line 3 (UniProtKB:P04637): nothing maps UniProtKB ids to Entrez ids")
    assert "load STRING with its aliases file first" in message and "\n" not in message


def test_obo_cut_mid_line_is_an_error_though_the_last_stanza_looks_complete(tmp_path):
    text = OBO.split("[Term]\nid: GO:9900005")[0].rstrip("\n")  # ends "relationship: regulates GO:9900002"
    cut = obo(tmp_path, text[: text.index("name: big process") + len("name: big pro")], name="cut.obo")
    with pytest.raises(InputDataError) as err:
        run(GeneOntologySource(), [cut])
    assert str(err.value).startswith(f"{cut}: line 25: the [Term] stanza GO:9900004 ends the file at line 27 "
                                     "without a line break: the file is cut mid-stanza; fix: ")
    batches, report = run(GeneOntologySource(), [cut], lenient=True)
    # the dropped term was GO:9900003's part_of parent: that edge goes too
    assert report.dropped_by_reason == {"incomplete stanza": 1, "undefined parent": 1}
    assert sorted(n["go_id"] for n in nodes(batches, NodeLabel.GO_TERM)) == ["GO:9900001", "GO:9900002", "GO:9900003"]
    complete = obo(tmp_path, text + "\n", name="complete.obo")  # the same stanzas, ended: fine
    assert "GO:9900004" in {n["go_id"] for n in nodes(run(GeneOntologySource(), [complete])[0], NodeLabel.GO_TERM)}


def test_gaf_cut_in_its_last_line_is_an_error(tmp_path):
    onto = obo(tmp_path)
    full = gaf(tmp_path, ("NCBIGene", 7157, "TP53", "involved_in", "GO:9900003", "IDA"),
               ("NCBIGene", 4193, "MDM2", "involved_in", "GO:9900004", "IDA"))
    cut = write(tmp_path / "cut.gaf", full.read_text().rstrip("\n")[:-1])  # the last column's last byte is gone
    with pytest.raises(InputDataError, match=f"{cut}: line 4: the file ends in the middle of this line"):
        run(GeneOntologySource(), [onto, cut])
    batches, report = run(GeneOntologySource(), [onto, cut], lenient=True)
    assert report.dropped_by_reason["cut last line"] == 1
    assert [r["start"] for r in rels(batches, RelType.ANNOTATED_WITH)] == [7157]
