"""Loading the four real sources in any order gives the same graph (real Neo4j, real files).

STRING, GO, the Repurposing Hub (cut to the compounds of the L1000 matrix plus a few hundred
others, in tmp_path) and the cmapR Level 5 signatures share Gene and Compound nodes and disagree
on some of their properties (23 landmark genes have another symbol in STRING than in CMap's
tables, vemurafenib is named by both the Hub and the signature metadata). The canonical dump of
the graph, Run nodes left out, must not depend on the order of the loads or on loading twice.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.helpers import SHARED_DATA, canonical_dump
from toolkit.load import load
from toolkit.sources import LoadOptions

pytestmark = [
    pytest.mark.neo4j,
    pytest.mark.shared_data,
    pytest.mark.slow,
]

HUB = SHARED_DATA / "drug_repurposing_hub"
GCT = SHARED_DATA / "l1000_signatures" / "cmapR_ds_level5_modz_n272x978.gct"
OTHER_COMPOUNDS_EVERY = 40  # besides the matrix's compounds, every 40th Hub sample (~340)
OPTIONS = LoadOptions.from_values(top_k=20, batch_size=2000)
ORDER = ("string", "go", "compounds", "signatures")


def _gct_meta(field: str) -> list[str]:
    with GCT.open(encoding="utf-8") as fh:
        for line in fh:
            if line.startswith(field + "\t"):
                return line.rstrip("\n").split("\t")[1:]
    raise AssertionError(f"{GCT.name} has no {field} row")


def _hub_subset(tmp_path: Path) -> list[Path]:
    """The Hub samples of the matrix's compounds plus every 40th other, and the drugs rows they name.

    Lines are cut as bytes, so the files keep their '!' header lines, quoting and encoding.
    """
    pert_ids = {p[:13] for p in _gct_meta("pert_id") if p.startswith("BRD-")}
    names = {n.lower() for n in _gct_meta("pert_iname")}
    kept_names: set[bytes] = set()
    out_samples, header_seen = [], False
    for i, line in enumerate((HUB / "repurposing_samples_20200324.txt").read_bytes().splitlines(keepends=True)):
        fields = line.split(b"\t")
        if line.startswith(b"!") or not header_seen:
            header_seen = header_seen or not line.startswith(b"!")
            out_samples.append(line)
            continue
        wanted = fields[0][:13].decode() in pert_ids or fields[1].decode("latin-1").lower() in names
        if wanted or i % OTHER_COMPOUNDS_EVERY == 0:
            out_samples.append(line)
            kept_names.add(fields[1].lower())
    out_drugs, header_seen = [], False
    for line in (HUB / "repurposing_drugs_20200324.txt").read_bytes().splitlines(keepends=True):
        if line.startswith(b"!") or not header_seen:
            header_seen = header_seen or not line.startswith(b"!")
            out_drugs.append(line)
        elif line.split(b"\t")[0].lower() in kept_names:
            out_drugs.append(line)
    samples, drugs = tmp_path / "repurposing_samples.txt", tmp_path / "repurposing_drugs.txt"
    samples.write_bytes(b"".join(out_samples))
    drugs.write_bytes(b"".join(out_drugs))
    assert len(out_samples) > 300 and len(out_drugs) > 200
    return [samples, drugs]


def _paths(tmp_path: Path) -> dict[str, list[Path]]:
    go = SHARED_DATA / "gene_ontology"
    return {
        "string": [SHARED_DATA / "string" / "string_v12_landmark978_edges.tsv"],
        "go": [go / "goslim_generic_goatools-tests.obo", go / "landmark978_gene2go_direct_expev.tsv"],
        # the landmark table maps Hub target symbols to Entrez ids: TARGETS join the landmark genes
        "compounds": _hub_subset(tmp_path) + [SHARED_DATA / "l1000_landmarks" / "landmark_genes_978.tsv"],
        "signatures": [GCT],
    }


def _load_in_order(graph, settings, paths, order) -> set[tuple]:
    graph.delete_everything()
    for name in order:
        report = load(graph, settings, name, paths[name], OPTIONS)
        assert report.status == "completed"
    return canonical_dump(graph)


def _differences(a: set[tuple], b: set[tuple]) -> str:
    only_a, only_b = sorted(a - b, key=repr)[:5], sorted(b - a, key=repr)[:5]
    return f"{len(a - b)} only in the first, e.g. {only_a}; {len(b - a)} only in the second, e.g. {only_b}"


def test_loading_the_four_sources_in_any_order_gives_the_same_graph(graph, settings, tmp_path):
    paths = _paths(tmp_path)
    started = time.monotonic()
    forward = _load_in_order(graph, settings, paths, ORDER)
    backward = _load_in_order(graph, settings, paths, ORDER[::-1])
    assert backward == forward, _differences(forward, backward)
    twice = ("signatures", "go", "compounds", "string", "go", "signatures", "string", "compounds")
    shuffled_twice = _load_in_order(graph, settings, paths, twice)
    assert shuffled_twice == forward, _differences(forward, shuffled_twice)
    assert time.monotonic() - started < 180

    # the graph is the full one, and the contested properties follow the documented rule
    labels = {n[1] for n in forward if n[0] == "node"}
    rel_types = {r[3] for r in forward if r[0] == "rel"}
    assert {("Gene",), ("GOTerm",), ("Compound",), ("MoA",), ("Signature",), ("CellLine",)} <= labels
    assert {"INTERACTS_WITH", "ANNOTATED_WITH", "HAS_MOA", "TARGETS", "OF_COMPOUND", "UPREGULATES"} <= rel_types
    genes = {dict(n[2])["entrez_id"]: dict(n[2]) for n in forward if n[1] == ("Gene",)}
    # STRING (NCBI 2023) says H2BC21, CMap's landmark table HIST2H2BE, GO (2018) HIST2H2BE: STRING wins
    assert genes[8349]["symbol"] == "H2BC21" and genes[8349]["symbol_source"] == "string"
    assert genes[8349]["is_landmark"] is True  # only the signatures give it; kept whoever came last
    assert all(g.get("symbol_source") in ("string", "go", "signatures", "compounds") for g in genes.values())
    compounds = {dict(n[2])["pert_id"]: dict(n[2]) for n in forward if n[1] == ("Compound",)}
    vemurafenib = compounds["BRD-K56343971"]
    assert vemurafenib["name_source"] == "compounds" and vemurafenib["smiles"] and vemurafenib["scaffold"]
