"""UniProtKB-keyed GO annotations load through the STRING aliases in the graph, on the real server.

The fixture (also used by ``bench/load_ids.py``) is built from the real annotations and genes in
``../shared/data``: the 10,050 landmark gene→GO pairs of dhimmel/gene-ontology become a GAF 2.2
with ``UniProtKB`` in column 1 (as EBI's ``goa_human.gaf.gz``), and their 907 genes a STRING
``9606.protein.aliases.v12.0.txt.gz`` with ``Ensembl_HGNC_entrez_id``, ``Ensembl_HGNC_symbol``,
``UniProt_AC`` and ``UniProt_ID`` rows. The shared data hold no UniProt accessions, so each gene
gets a made-up accession in UniProt's format (``Q9nnn0``) and a made-up STRING protein id; Entrez
ids, symbols, GO ids, aspects and the ontology are the real ones. Every 20th gene is left out of
the aliases file (its rows cannot map), and one accession is given to two genes (its rows are
ambiguous); every other row is mappable and must load.
"""

from __future__ import annotations

import csv
import gzip
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.helpers import SHARED_DATA, counts, server_env
from toolkit import cypher
from toolkit.cli import cli
from toolkit.load import load

ANNOTATIONS = SHARED_DATA / "gene_ontology" / "landmark978_gene2go_direct_expev.tsv"
OBO = SHARED_DATA / "gene_ontology" / "go-basic_releases-2021-12-15.obo.gz"
ASPECT = {"biological_process": ("P", "involved_in"), "molecular_function": ("F", "enables"),
          "cellular_component": ("C", "located_in")}
HELD_OUT_EVERY = 20  # every 20th gene has no aliases row: its annotation rows cannot map


@dataclass
class UniProtFixture:
    aliases: Path
    gaf: Path
    obo: Path
    rows: int = 0
    mappable: list[tuple[int, str]] = field(default_factory=list)  # (entrez, GO id as written) per row
    unmapped: int = 0
    ambiguous: int = 0


def accession(i: int) -> str:
    return f"Q9{i:03d}0"  # [OPQ][0-9][A-Z0-9]{3}[0-9]


def build_uniprot_fixture(out: Path) -> UniProtFixture:
    """Write the aliases file and the GAF (see the module doc) into ``out``."""
    if not ANNOTATIONS.exists() or not OBO.exists():
        pytest.fail(f"the real GO files are missing under {SHARED_DATA} (see SOURCES.md)", pytrace=False)
    with ANNOTATIONS.open() as fh:
        pairs = [(int(r["entrez_gene_id"]), r["gene_symbol"], r["go_id"], r["go_domain"])
                 for r in csv.DictReader(fh, delimiter="\t")]
    genes = sorted({(e, s) for e, s, _, _ in pairs})
    acc = {e: accession(i) for i, (e, _) in enumerate(genes)}
    held_out = {e for i, (e, _) in enumerate(genes) if i % HELD_OUT_EVERY == HELD_OUT_EVERY - 1}
    # the first kept gene also lists the second's accession: that accession names two genes
    kept = [e for e, _ in genes if e not in held_out]
    sharer, shared_with = kept[0], kept[1]

    alias_lines = ["#string_protein_id\talias\tsource"]
    for entrez, symbol in genes:
        if entrez in held_out:
            continue
        protein = f"9606.ENSP{entrez:011d}"
        alias_lines += [f"{protein}\t{entrez}\tEnsembl_HGNC_entrez_id", f"{protein}\t{symbol}\tEnsembl_HGNC_symbol",
                        f"{protein}\t{acc[entrez]}\tUniProt_AC", f"{protein}\t{symbol}_HUMAN\tUniProt_ID"]
        if entrez == sharer:
            alias_lines.append(f"{protein}\t{acc[shared_with]}\tUniProt_AC")
    aliases = out / "9606.protein.aliases.v12.0.txt.gz"
    aliases.write_bytes(gzip.compress(("\n".join(alias_lines) + "\n").encode()))

    fixture = UniProtFixture(aliases=aliases, gaf=out / "goa_human.gaf.gz", obo=OBO)
    gaf_lines = ["!gaf-version: 2.2", "!generated-by: kgtool test fixture (dhimmel/gene-ontology, 2018-11-08)"]
    for entrez, symbol, go_id, domain in pairs:
        aspect, relation = ASPECT[domain]
        gaf_lines.append("\t".join(["UniProtKB", acc[entrez], symbol, relation, go_id, "GO_REF:0000033", "EXP", "",
                                    aspect, f"{symbol} protein", "", "protein", "taxon:9606", "20181108",
                                    "dhimmel", "", ""]))
        fixture.rows += 1
        if entrez in held_out:
            fixture.unmapped += 1
        elif entrez == shared_with:
            fixture.ambiguous += 1
        else:
            fixture.mappable.append((entrez, go_id))
    fixture.gaf.write_bytes(gzip.compress(("\n".join(gaf_lines) + "\n").encode()))
    return fixture


def expected_pairs(fixture: UniProtFixture) -> tuple[set[tuple[int, str]], int]:
    """(entrez, live GO id) of every mappable row whose GO id the ontology resolves, and the number
    of such rows."""
    from kgtool_plugins.sources.tables import Problems
    from kgtool_plugins.sources.gene_ontology import load_ontology
    from toolkit.graph.batches import SourceReport

    onto = load_ontology(fixture.obo, Problems(SourceReport("go"), lenient=False))
    pairs, rows = set(), 0
    for entrez, go_id in fixture.mappable:
        primary, _ = onto.resolve(go_id)
        if primary is not None:
            pairs.add((entrez, primary))
            rows += 1
    return pairs, rows


def annotated_pairs(graph) -> set[tuple[int, str]]:
    from toolkit.schema import NodeLabel, RelType

    rows = graph.read(cypher.load("export/dump"), keys={label.value: label.key for label in NodeLabel})
    return {(r["start"], r["end"]) for r in rows
            if r["kind"] == "rel" and r["type"] == RelType.ANNOTATED_WITH.value}


def kgtool(*args: object):
    return CliRunner().invoke(cli, [str(a) for a in args], env=server_env())


@pytest.fixture(scope="module")
def fixture(tmp_path_factory) -> UniProtFixture:
    return build_uniprot_fixture(tmp_path_factory.mktemp("uniprot"))


# -- the real-format fixture through `kgtool load` -------------------------------------------------


@pytest.mark.neo4j
@pytest.mark.shared_data
@pytest.mark.slow
def test_every_mappable_uniprot_row_loads(graph, settings, fixture):
    result = kgtool("load", "string", fixture.aliases)
    assert result.exit_code == 0, result.output
    genes = graph.read(cypher.load("export/gene_ids"))
    by_entrez = {g["entrez_id"]: g for g in genes}
    first = fixture.mappable[0][0]
    assert by_entrez[first]["uniprot_ids"][0].startswith("Q9") and by_entrez[first]["symbol"]

    report = load(graph, settings, "go", [fixture.obo, fixture.gaf])  # what `kgtool load go` runs
    assert report.status == "completed"
    want, mappable_rows = expected_pairs(fixture)
    assert mappable_rows > 9_000 and len(want) > 8_000
    assert want <= annotated_pairs(graph)  # every mappable row loaded
    # the counts are exact: rows read, mapped, unmapped (held-out genes) and ambiguous
    assert (f"{fixture.gaf}: gene ids: {fixture.rows} rows read: 0 on Entrez ids, {len(fixture.mappable)} mapped "
            f"to Entrez ids ({len(fixture.mappable)} by id, 0 by symbol), {fixture.unmapped} unmapped, "
            f"{fixture.ambiguous} ambiguous, 0 of databases without a mapping, 0 invalid") in report.repaired
    assert report.dropped_by_reason["unmapped id"] == fixture.unmapped > 100  # more than the capped lines
    assert report.dropped_by_reason["ambiguous id"] == fixture.ambiguous
    assert report.repaired_by_reason["gene ids mapped"] == len(fixture.mappable)


@pytest.mark.neo4j
@pytest.mark.shared_data
def test_go_before_any_id_mapping_stops_with_one_line_and_writes_nothing(graph, fixture, tmp_path):
    obo = tmp_path / "go.obo"
    obo.write_text("format-version: 1.2\n\n[Term]\nid: GO:0000027\nname: ribosomal large subunit assembly\n"
                   "namespace: biological_process\n")
    result = kgtool("load", "go", obo, fixture.gaf)
    assert result.exit_code != 0
    message = result.output.strip().splitlines()[-1]
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert str(fixture.gaf) in message and "line 3" in message
    assert "load STRING with its aliases file first" in message and "HGNC" in message
    assert counts(graph).get(("node", "GOTerm"), 0) == 0 and counts(graph).get(("node", "Gene"), 0) == 0


@pytest.mark.neo4j
def test_graph_ids_ambiguous_and_symbol_fallback(graph, tmp_path):
    aliases = tmp_path / "9606.protein.aliases.v12.0.txt"
    aliases.write_text(
        "#string_protein_id\talias\tsource\n"
        "9606.ENSP01\t7157\tEnsembl_HGNC_entrez_id\n9606.ENSP01\tP04637\tUniProt_AC\n"
        "9606.ENSP01\tTP53\tEnsembl_HGNC_symbol\n9606.ENSP01\tENSG00000141510\tEnsembl_gene\n"
        "9606.ENSP02\t4193\tEnsembl_HGNC_entrez_id\n9606.ENSP02\tQ00987\tUniProt_AC\n"
        "9606.ENSP02\tMDM2\tEnsembl_HGNC_symbol\n9606.ENSP02\tHDMX\tEnsembl_HGNC_alias_symbol\n"
        "9606.ENSP03\t4194\tEnsembl_HGNC_entrez_id\n9606.ENSP03\tQ00987\tUniProt_AC\n")  # Q00987: two genes
    assert kgtool("load", "string", aliases).exit_code == 0
    tp53 = [g for g in graph.read(cypher.load("export/gene_ids")) if g["entrez_id"] == 7157][0]
    assert tp53 == {"entrez_id": 7157, "symbol": "TP53", "uniprot_ids": ["P04637"],
                    "ensembl_ids": ["ENSG00000141510"], "alias_symbols": None}
    obo = tmp_path / "go.obo"
    obo.write_text("format-version: 1.2\n\n[Term]\nid: GO:0000001\nname: a process\nnamespace: biological_process\n")
    gaf = tmp_path / "a.gaf"
    row = "UniProtKB\t{}\t{}\tinvolved_in\tGO:0000001\tPMID:1\tIDA\t\tP\tx\t\tprotein\ttaxon:9606\t20240101\tUniProt\t\t\n"
    gaf.write_text("!gaf-version: 2.2\n" + row.format("P04637", "TP53") + row.format("Q00987", "MDM2")
                   + row.format("A0A000", "HDMX") + row.format("A0A001", "NOPE"))
    result = kgtool("load", "go", obo, gaf)
    assert result.exit_code == 0, result.output
    assert annotated_pairs(graph) == {(7157, "GO:0000001"), (4193, "GO:0000001")}  # by id; by alias symbol
    assert "UniProtKB:Q00987 (symbol 'MDM2') maps to 2 Entrez ids (4193, 4194); ambiguous, not guessed" in result.output
    assert "4 rows read: 0 on Entrez ids, 2 mapped to Entrez ids (1 by id, 1 by symbol), 1 unmapped, 1 ambiguous" \
        in result.output
