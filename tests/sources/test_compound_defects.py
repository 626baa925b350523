"""Compound tables as users have them, loaded into the real graph: targets resolved against the
graph's genes, and the defects of issue 11 (header-only file, trailing spaces, conflicting SMILES,
no SMILES column) reported with the database unchanged by a failed load."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdkit import Chem

from tests.helpers import canonical_dump
from toolkit.errors import InputDataError
from toolkit.graph.batches import NodeBatch
from toolkit.graph.writer import GraphWriter
from toolkit.load import load
from toolkit.schema import NodeLabel
from toolkit.sources import LoadOptions

from ._util import tsv, write

pytestmark = pytest.mark.neo4j

CLUE_HEADER = ("pert_id", "cmap_name", "target", "moa", "canonical_smiles", "inchi_key")
ASPIRIN = "CC(=O)Oc1ccccc1C(=O)O"
IBUPROFEN = "CC(C)Cc1ccc(C(C)C(=O)O)cc1"


def clue(tmp_path: Path, *rows, header=CLUE_HEADER, name: str = "compoundinfo_beta.txt") -> Path:
    return write(tmp_path / name, tsv(header, *rows))


def _compounds(graph) -> dict[str, dict]:
    return {dict(n[2])["pert_id"]: dict(n[2]) for n in canonical_dump(graph) if n[0] == "node"
            and n[1] == ("Compound",)}


def _targets(graph) -> set[tuple[str, int]]:
    return {(r[2], r[5]) for r in canonical_dump(graph) if r[0] == "rel" and r[3] == "TARGETS"}


def _genes_in_graph(graph, *genes: dict) -> None:
    """Genes as a STRING load leaves them (symbol; alias symbols where that source stores them)."""
    GraphWriter(graph).write(NodeBatch(NodeLabel.GENE, tuple(genes)))


# -- targets ------------------------------------------------------------------------------------


def test_targets_resolve_against_the_graphs_genes_with_exact_counts(graph, settings, tmp_path):
    _genes_in_graph(
        graph,
        {"entrez_id": 1956, "symbol": "EGFR"},
        {"entrez_id": 1020, "symbol": "CDK5", "alias_symbols": ["PSSALRE"]},
        {"entrez_id": 3065, "symbol": "HDAC1", "alias_symbols": ["HD1", "SHARED"]},
        {"entrez_id": 1017, "symbol": "CDK2", "alias_symbols": ["SHARED"]},
    )
    unknown = [f"NOPE{i}" for i in range(130)]  # more than the report lists
    rows = [("BRD-K00000001", "one", "EGFR|CDK5", "", ASPIRIN, ""),
            ("BRD-K00000002", "two", "HD1", "", "", ""),  # an alias symbol of HDAC1
            ("BRD-K00000003", "three", "SHARED|HDAC2", "", "", ""),  # SHARED names two genes
            *[("BRD-K00000004", "four", u, "", "", "") for u in unknown]]
    geneinfo = write(tmp_path / "geneinfo_beta.txt", tsv(("gene_id", "gene_symbol", "feature_space"),
                                                         (3066, "HDAC2", "landmark")))
    report = load(graph, settings, "compounds", [clue(tmp_path, *rows), geneinfo], LoadOptions())
    assert report.status == "completed"
    assert _targets(graph) == {("BRD-K00000001", 1956), ("BRD-K00000001", 1020),  # the graph's symbols
                               ("BRD-K00000002", 3065),  # an alias symbol
                               ("BRD-K00000003", 3066)}  # the gene table passed
    assert report.dropped_by_reason["unresolved target"] == 130  # exact, beyond the listed lines
    assert report.dropped_by_reason["ambiguous target"] == 1
    assert report.repaired_by_reason["target via alias symbol"] == 1
    assert any("'SHARED' is ambiguous in the graph's alias symbols (Entrez ids 1017, 3065)" in line
               for line in report.dropped)
    assert sum("is not in the gene table or among the graph's genes" in line for line in report.dropped) == 100
    assert any("30 more rows dropped (unresolved target)" in line for line in report.dropped)
    # no gene node was made up for the graph-resolved targets: the same five genes
    assert sum(1 for n in canonical_dump(graph) if n[0] == "node" and n[1] == ("Gene",)) == 5


def test_without_graph_genes_or_gene_table_every_symbol_is_reported(graph, settings, tmp_path):
    report = load(graph, settings, "compounds", [clue(tmp_path, ("BRD-K00000001", "one", "EGFR|CDK5", "", "", ""))],
                  LoadOptions())
    assert _targets(graph) == set()
    assert report.dropped_by_reason == {"unresolved target": 2}
    assert all("(no gene table passed) or among the graph's genes" in line for line in report.dropped)


# -- compoundinfo defects -------------------------------------------------------------------------


def test_header_only_compoundinfo_is_an_error_naming_the_file_and_0_records(graph, settings, tmp_path):
    path = clue(tmp_path)
    with pytest.raises(InputDataError) as err:
        load(graph, settings, "compounds", [path], LoadOptions())
    assert str(path) in str(err.value) and "0 records" in str(err.value) and "\n" not in str(err.value)
    assert _compounds(graph) == {}

    report = load(graph, settings, "compounds", [path], LoadOptions(lenient=True))  # lenient: a report line
    assert report.status == "completed"
    assert report.dropped_by_reason == {"0 records": 1}
    assert report.dropped[0].startswith(f"{path}: file: ") and "0 records" in report.dropped[0]


def test_names_round_trip_byte_exact(graph, settings, tmp_path):
    names = {"BRD-K00000001": "aspirin ", "BRD-K00000002": " two  spaces", "BRD-K00000003": "tab\u00a0nbsp"}
    path = clue(tmp_path, *[(pid, name, "", "", "", "") for pid, name in names.items()])
    load(graph, settings, "compounds", [path], LoadOptions())
    assert {pid: c["name"] for pid, c in _compounds(graph).items()} == names


def test_one_pert_id_with_two_structures_is_a_conflict(graph, settings, tmp_path):
    path = clue(tmp_path, ("BRD-K00000001", "one", "", "", ASPIRIN, ""),
                ("BRD-K00000001", "one", "", "", "OC(=O)c1ccccc1OC(C)=O", ""),  # the same molecule: fine
                ("BRD-K00000001", "one", "", "", IBUPROFEN, ""))
    with pytest.raises(InputDataError) as err:
        load(graph, settings, "compounds", [path], LoadOptions())
    message = str(err.value)
    assert str(path) in message and "line 4" in message and "line 2" in message and "BRD-K00000001" in message
    assert _compounds(graph) == {}  # validated before the first write

    report = load(graph, settings, "compounds", [path], LoadOptions(lenient=True))
    assert report.dropped_by_reason == {"conflicting SMILES": 1}
    assert _compounds(graph)["BRD-K00000001"]["smiles"] == Chem.CanonSmiles(ASPIRIN)  # the first kept


def test_no_smiles_column_is_reported_and_never_mixes_two_records(graph, settings, tmp_path):
    first = clue(tmp_path, ("BRD-K00000001", "aspirin", "", "", ASPIRIN, ""), name="first.txt")
    load(graph, settings, "compounds", [first], LoadOptions())
    before = _compounds(graph)["BRD-K00000001"]
    assert before["inchikey"] == "BSYNRYMUTXBXSQ-UHFFFAOYSA-N" and before["smiles"] and before["scaffold"] == "c1ccccc1"

    # a table without canonical_smiles but with another InChIKey: reported; the structure fields stay together
    no_smiles = clue(tmp_path, ("BRD-K00000001", "aspirin", "", "", "HEFNNWSXXWATRW-UHFFFAOYSA-N"),
                     header=("pert_id", "cmap_name", "target", "moa", "inchi_key"), name="no_smiles.txt")
    report = load(graph, settings, "compounds", [no_smiles], LoadOptions())
    assert report.status == "completed"
    assert report.dropped_by_reason == {"no SMILES column": 1}
    assert "no SMILES column" in report.dropped[0] and "inchi_key column is not used" in report.dropped[0]
    after = _compounds(graph)["BRD-K00000001"]
    assert {k: after[k] for k in ("smiles", "inchikey", "scaffold")} == \
        {k: before[k] for k in ("smiles", "inchikey", "scaffold")}

    # a table with another structure replaces all three fields together
    other = clue(tmp_path, ("BRD-K00000001", "aspirin", "", "", IBUPROFEN, ""), name="other.txt")
    load(graph, settings, "compounds", [other], LoadOptions())
    now = _compounds(graph)["BRD-K00000001"]
    mol = Chem.MolFromSmiles(IBUPROFEN)
    assert (now["smiles"], now["inchikey"], now["scaffold"]) == (Chem.MolToSmiles(mol), Chem.MolToInchiKey(mol),
                                                                 "c1ccccc1")
