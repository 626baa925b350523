"""The compounds source: CLUE/LINCS/Hub tables, RDKit structures, MoA, targets, substructures."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdkit import Chem

from kgtool_plugins.sources import compounds as compounds_module
from kgtool_plugins.sources.compounds import FUNCTIONAL_GROUPS, CompoundsSource, analyse_smiles
from tests.helpers import SHARED_DATA
from toolkit.errors import InputDataError
from toolkit.schema import NodeLabel, RelType

from ._util import counts, nodes, rels, run, truncated_gzip, tsv, write

SHARED = SHARED_DATA
real = pytest.mark.shared_data
HUB = SHARED / "drug_repurposing_hub"

CLUE_HEADER = ("pert_id", "cmap_name", "target", "moa", "canonical_smiles", "inchi_key", "compound_aliases")
VORINOSTAT = "ONC(=O)CCCCCCC(=O)Nc1ccccc1"
CELECOXIB = "Cc1ccc(-c2cc(C(F)(F)F)nn2-c2ccc(S(N)(=O)=O)cc2)cc1"
GEFITINIB = "COc1cc2ncnc(Nc3ccc(F)c(Cl)c3)c2cc1OCCCN1CCOCC1"


def clue(tmp_path: Path, *rows, name: str = "compoundinfo_beta.txt") -> Path:
    return write(tmp_path / name, tsv(CLUE_HEADER, *rows))


def geneinfo(tmp_path: Path) -> Path:
    return write(tmp_path / "geneinfo_beta.txt", tsv(
        ("gene_id", "gene_symbol", "ensembl_id", "gene_title", "gene_type", "src", "feature_space"),
        (3065, "HDAC1", "ENSG1", "histone deacetylase 1", "protein-coding", "NCBI", "landmark"),
        (3066, "HDAC2", "ENSG2", "histone deacetylase 2", "protein-coding", "NCBI", "landmark"),
        (1956, "EGFR", "ENSG3", "egf receptor", "protein-coding", "NCBI", "landmark")))


# -- real files ---------------------------------------------------------------------------------


@real
@pytest.mark.shared_data
def test_real_hub_2020_with_landmark_genes():
    paths = [HUB / "repurposing_samples_20200324.txt", HUB / "repurposing_drugs_20200324.txt",
             SHARED / "l1000_landmarks" / "landmark_genes_978.tsv"]
    batches, report = run(CompoundsSource(), paths)
    compounds = {c["pert_id"]: c for c in nodes(batches, NodeLabel.COMPOUND)}
    assert len(compounds) == 6806
    vem = compounds["BRD-K56343971"]
    assert vem["name"] == "vemurafenib" and vem["inchikey"] == "GPXBXXGIAQBQNI-UHFFFAOYSA-N"
    assert Chem.MolToSmiles(Chem.MolFromSmiles(vem["smiles"])) == vem["smiles"] and vem["scaffold"]
    moa = rels(batches, RelType.HAS_MOA)
    assert {"start": "BRD-K56343971", "end": "RAF inhibitor", "props": {}} in moa
    targets = {(r["start"], r["end"]) for r in rels(batches, RelType.TARGETS)}
    atorvastatin = [p for p, c in compounds.items() if c.get("name") == "atorvastatin"]
    assert atorvastatin and all((p, 3156) in targets for p in atorvastatin)  # HMGCR is a landmark
    # quoted CXSMILES are unquoted and read; none is invalid
    assert not any("is not valid" in line for line in report.dropped)
    assert any("CXSMILES extension" in line for line in report.repaired)
    # names quoted because they hold a comma are unquoted and match between the two files
    assert any(c.get("name") == "[sar9,met(o2)11]-substance-p" for c in compounds.values())
    # most Hub targets are not landmarks: listed up to the cap, then summarised
    assert any("is not in the gene table or among the graph's genes; TARGETS not loaded" in line
               for line in report.dropped)
    assert any("more rows dropped (unresolved target)" in line for line in report.dropped)


HUB_2018 = [HUB / "repurposing_samples_20180907.txt", HUB / "repurposing_drugs_20180907.txt"]


@pytest.fixture(scope="module")
def hub_2018():
    return run(CompoundsSource(), HUB_2018)


@real
@pytest.mark.shared_data
def test_real_hub_2018_is_mac_roman(hub_2018):
    batches, report = hub_2018
    moas = {m["name"] for m in nodes(batches, NodeLabel.MOA)}
    assert "serotonin\u2013norepinephrine reuptake inhibitor (SNRI)" in moas
    assert "kr\u00fcppel-like factor expression enhancer" in moas
    assert sum("decoded as mac_roman" in line for line in report.repaired) == 9
    assert any("(no gene table passed) or among the graph's genes" in line for line in report.dropped)
    assert rels(batches, RelType.TARGETS) == []


@real
@pytest.mark.shared_data
@pytest.mark.slow
def test_real_signature_search_pert_info():
    batches, report = run(CompoundsSource(), [SHARED / "lincs_compounds" / "signatureSearch_lincs_pert_info.tsv.gz"])
    assert counts(batches)["Compound"] == 8140
    moas = {m["name"] for m in nodes(batches, NodeLabel.MOA)}
    assert "HDAC inhibitor" in moas and not any(";" in m for m in moas)
    assert not any("restricted" in line for line in report.dropped)  # placeholder, not a SMILES


@real
@pytest.mark.shared_data
def test_real_files_read_twice_give_same_batches(hub_2018):
    again, report = run(CompoundsSource(), HUB_2018)
    assert again == hub_2018[0] and report == hub_2018[1]


# -- CLUE compoundinfo ----------------------------------------------------------------------------


def test_clue_rows_are_merged_per_compound(tmp_path):
    path = clue(
        tmp_path,
        ("BRD-K81418486", "vorinostat", "HDAC1", "HDAC inhibitor", VORINOSTAT, "WRONG-KEY-IN-FILE", "SAHA"),
        ("BRD-K81418486", "vorinostat", "HDAC2", "HDAC inhibitor", VORINOSTAT, "WRONG-KEY-IN-FILE", "SAHA"),
        ("BRD-K81418486", "vorinostat", "HDAC9X", "HDAC inhibitor", VORINOSTAT, "", ""),
        ("BRD-K95435023-001-01-1", "gefitinib", "EGFR", "EGFR inhibitor", GEFITINIB, "", ""),
        ("BRD-K90000001", "mystery", "", "", "", "", ""),
    )
    batches, report = run(CompoundsSource(), [path, geneinfo(tmp_path)])
    compounds = {c["pert_id"]: c for c in nodes(batches, NodeLabel.COMPOUND)}
    assert sorted(compounds) == ["BRD-K81418486", "BRD-K90000001", "BRD-K95435023"]
    assert compounds["BRD-K90000001"] == {"pert_id": "BRD-K90000001", "name": "mystery"}
    vor = compounds["BRD-K81418486"]
    assert vor["smiles"] == Chem.MolToSmiles(Chem.MolFromSmiles(VORINOSTAT))
    assert vor["inchikey"] == "WAEXFXRVDQXREF-UHFFFAOYSA-N" and vor["scaffold"] == "c1ccccc1"  # computed
    assert nodes(batches, NodeLabel.MOA) == [{"name": "EGFR inhibitor"}, {"name": "HDAC inhibitor"}]
    assert rels(batches, RelType.HAS_MOA) == [
        {"start": "BRD-K81418486", "end": "HDAC inhibitor", "props": {}},
        {"start": "BRD-K95435023", "end": "EGFR inhibitor", "props": {}}]
    assert rels(batches, RelType.TARGETS) == [
        {"start": "BRD-K81418486", "end": 3065, "props": {}},
        {"start": "BRD-K81418486", "end": 3066, "props": {}},
        {"start": "BRD-K95435023", "end": 1956, "props": {}}]
    assert nodes(batches, NodeLabel.GENE) == [
        {"entrez_id": 1956, "symbol": "EGFR"},
        {"entrez_id": 3065, "symbol": "HDAC1"},
        {"entrez_id": 3066, "symbol": "HDAC2"}]
    assert report.dropped == [f"{path}: line 4: target symbol 'HDAC9X' is not in the gene table or among the "
                              "graph's genes; TARGETS not loaded (kept in Compound.unresolved_targets: linked "
                              "when a later load brings the gene)"]
    assert vor["unresolved_targets"] == ["HDAC9X"]  # linked by a later load that brings the gene


def test_functional_groups_and_scaffolds(tmp_path):
    path = clue(
        tmp_path,
        ("BRD-K00000001", "vorinostat", "", "", VORINOSTAT, "", ""),
        ("BRD-K00000002", "celecoxib", "", "", CELECOXIB, "", ""),
        ("BRD-K00000003", "gefitinib", "", "", GEFITINIB, "", ""),
        ("BRD-K00000004", "acid nitrile", "", "", "N#Cc1ccc(C(=O)O)cc1", "", ""),
        ("BRD-K00000005", "butane", "", "", "CCCC", "", ""),
    )
    batches, _ = run(CompoundsSource(), [path])
    subs = {s["smarts"]: s for s in nodes(batches, NodeLabel.SUBSTRUCTURE)}
    groups = {g.smarts: g.name for g in FUNCTIONAL_GROUPS}
    assert all(subs[s]["kind"] == "functional_group" and subs[s]["name"] == n for s, n in groups.items())
    scaffolds = {s["smarts"] for s in subs.values() if s["kind"] == "scaffold"}
    gefitinib_scaffold = nodes(batches, NodeLabel.COMPOUND)[2]["scaffold"]
    assert gefitinib_scaffold in scaffolds and all(s["name"] == s["smarts"] for s in subs.values()
                                                   if s["kind"] == "scaffold")
    assert subs["c1ccccc1"]["kind"] == "functional_group"  # vorinostat's scaffold is the benzene group
    has = {}
    for r in rels(batches, RelType.HAS_SUBSTRUCTURE):
        has.setdefault(r["start"], {})[subs[r["end"]]["name"]] = r["props"]
    assert "hydroxamic acid" in has["BRD-K00000001"] and "amide" in has["BRD-K00000001"]
    assert {"sulfonamide", "trifluoromethyl"} <= set(has["BRD-K00000002"])
    assert has["BRD-K00000002"]["trifluoromethyl"] == {"count": 1}
    assert {"morpholine", "aryl halide"} <= set(has["BRD-K00000003"])
    assert {"nitrile", "carboxylic acid"} <= set(has["BRD-K00000004"])
    assert "BRD-K00000005" not in has  # acyclic, no listed group
    assert nodes(batches, NodeLabel.COMPOUND)[4]["scaffold"] == ""  # acyclic: "", written with the structure


def test_functional_group_table_is_valid():
    names = [g.name for g in FUNCTIONAL_GROUPS]
    assert len(names) == len(set(names)) and 60 <= len(names) <= 150
    assert len({g.smarts for g in FUNCTIONAL_GROUPS}) == len(names)
    for g in FUNCTIONAL_GROUPS:
        assert Chem.MolFromSmarts(g.smarts) is not None, g
        assert "*" not in g.smarts, g  # "*" marks mined BRICS fragments: the kinds never share a key
    for needed in ("hydroxamic acid", "sulfonamide", "nitrile", "trifluoromethyl", "carboxylic acid", "amide",
                   "ester", "urea", "phenol", "aniline", "nitro", "aryl halide", "pyridine", "morpholine"):
        assert needed in names


@pytest.mark.parametrize(("smiles", "groups"), [
    ("Cc1cc(NS(=O)(=O)c2ccc(N)cc2)no1", {"sulfonamide", "aniline", "isoxazole", "benzene"}),  # sulfamethoxazole
    ("OC(Cn1cncn1)(Cn1cncn1)c1ccc(F)cc1F", {"alcohol", "1,2,4-triazole", "aryl fluoride"}),  # fluconazole
    ("CC(=O)CC(c1ccccc1)c1c(O)c2ccccc2oc1=O", {"ketone", "coumarin", "phenol"}),  # warfarin
    ("CN(C)C(=N)NC(=N)N", {"guanidine"}),  # metformin
    ("C=CC(=O)N1CCCC(n2nc(-c3ccc(Oc4ccccc4)cc3)c3c(N)ncnc32)C1", {"acrylamide", "michael acceptor", "ether"}),
])
def test_functional_groups_of_known_drugs(smiles, groups):
    struct = analyse_smiles(smiles)
    assert struct is not None
    assert groups <= {FUNCTIONAL_GROUPS[i].name for i, _ in struct.groups}


def test_the_fixed_groups_are_a_medchem_list_not_the_demo_plants():
    """The list stands on its own: most of its groups are never planted by the demo generator. A
    planted fragment that is also an ordinary listed group keeps the same SMARTS, so the demo's
    ground truth names that node."""
    from toolkit.demo.molecules import FRAGMENTS

    planted_names = {f.name for f in FRAGMENTS}
    planted_smarts = {f.smarts for f in FRAGMENTS}
    never_planted = [g for g in FUNCTIONAL_GROUPS if g.name not in planted_names and g.smarts not in planted_smarts]
    assert len(never_planted) >= 3 * len(FRAGMENTS)
    assert {"amide", "ester", "phenol", "aniline", "pyridine", "ketone", "alcohol", "thiazole"} <= {
        g.name for g in never_planted}
    listed = {g.name: g.smarts for g in FUNCTIONAL_GROUPS}
    for frag in FRAGMENTS:
        if frag.name in listed:
            assert listed[frag.name] == frag.smarts, frag


def test_scaffold_equal_to_a_group_smarts_is_that_group(tmp_path):
    path = clue(tmp_path, ("BRD-K00000001", "thiophene", "", "", "c1ccsc1", "", ""))
    batches, _ = run(CompoundsSource(), [path])
    subs = nodes(batches, NodeLabel.SUBSTRUCTURE)
    assert [s for s in subs if s["smarts"] == "c1ccsc1"] == [
        {"smarts": "c1ccsc1", "name": "thiophene", "kind": "functional_group"}]
    assert rels(batches, RelType.HAS_SUBSTRUCTURE) == [
        {"start": "BRD-K00000001", "end": "c1ccsc1", "props": {"count": 1}}]


def test_invalid_smiles_is_reported_not_fatal(tmp_path):
    path = clue(tmp_path, ("BRD-K00000001", "broken", "", "HDAC inhibitor", "C1CC(", "KEY-FROM-FILE", ""),
                ("BRD-K00000002", "fine", "", "", "CCO", "", ""))
    batches, report = run(CompoundsSource(), [path])  # strict mode
    # no structure fields at all: the file's InChIKey is not stored without the structure it belongs to
    assert nodes(batches, NodeLabel.COMPOUND)[0] == {"pert_id": "BRD-K00000001", "name": "broken"}
    assert report.dropped == [
        f"{path}: line 2: SMILES 'C1CC(' of BRD-K00000001 is not valid; compound loaded without structure"]
    assert len(rels(batches, RelType.HAS_MOA)) == 1


def test_analyse_smiles_cxsmiles():
    plain = analyse_smiles("C[C@H](N)C(=O)O")
    ext = analyse_smiles("C[C@H](N)C(=O)O |&1:1,THB:1:2:3|")
    assert plain is not None and ext is not None and ext.smiles == plain.smiles and ext.cut_extension
    assert analyse_smiles("not a smiles") is None


# -- LINCS and Hub layouts ------------------------------------------------------------------------


def test_lincs_pert_info_keeps_compounds_only(tmp_path):
    path = write(tmp_path / "pert_info.txt.gz", tsv(
        ("pert_id", "pert_iname", "pert_type", "canonical_smiles", "inchi_key"),
        ("BRD-K81418486", "vorinostat", "trt_cp", VORINOSTAT, "-666"),
        ("DMSO", "DMSO", "ctl_vehicle", "CS(C)=O", "-666"),
        ("TRCN0000000001", "TP53", "trt_sh", "-666", "-666"),
        ("BRD-U00000001", "secret", "trt_cp", "restricted", "-666")), gz=True)
    batches, report = run(CompoundsSource(), [path])
    assert [c["pert_id"] for c in nodes(batches, NodeLabel.COMPOUND)] == ["BRD-K81418486", "BRD-U00000001", "DMSO"]
    assert nodes(batches, NodeLabel.COMPOUND)[1] == {"pert_id": "BRD-U00000001", "name": "secret"}
    assert report.dropped == [f"{path}: pert_type: 1 rows are not compounds (trt_sh 1)"]


def test_hub_pair_by_name(tmp_path):
    bang = "!Source\t\"The Drug Repurposing Hub, Broad Institute\"\t\t\t\t\n!Restrictions\tnon-commercial\t\t\t\t\n"
    drugs = write(tmp_path / "repurposing_drugs.txt", bang + tsv(
        ("pert_iname", "clinical_phase", "moa", "target", "disease_area", "indication"),
        ("vorinostat", "Launched", "HDAC inhibitor", "HDAC1|HDAC2", "oncology", "CTCL"),
        ('"1,10-phenanthroline"', "Preclinical", "metalloproteinase inhibitor|chelator", "", "", ""),
        ("nobody", "Phase 1", "thing inhibitor", "", "", "")))
    samples = write(tmp_path / "repurposing_samples.txt", bang.replace("\t\t\t\t\n", "\t\t\t\t\t\t\t\t\t\t\n") + tsv(
        ("broad_id", "pert_iname", "qc_incompatible", "purity", "vendor", "catalog_no", "vendor_name",
         "expected_mass", "smiles", "InChIKey", "pubchem_cid", "deprecated_broad_id"),
        ("BRD-K81418486-001-01-1", "Vorinostat", 0, 99, "V", "1", "SAHA", 264.1, VORINOSTAT,
         "WAEXFXRVDQXREF-UHFFFAOYSA-N", 5311, ""),
        ("BRD-K81418486-001-02-9", "vorinostat", 0, 98, "V", "2", "SAHA", 264.1, "CCO", "", 5311, ""),
        ("BRD-K00000007-001-01-1", '"1,10-phenanthroline"', 0, 98, "V", "3", '"x, y"', 180.1,
         "c1cnc2c(c1)ccc1cccnc12", "", 1, "")))
    batches, report = run(CompoundsSource(), [drugs, samples, geneinfo(tmp_path)])
    compounds = {c["pert_id"]: c for c in nodes(batches, NodeLabel.COMPOUND)}
    assert compounds["BRD-K81418486"]["name"] == "Vorinostat"  # first row wins
    assert compounds["BRD-K81418486"]["smiles"] == Chem.MolToSmiles(Chem.MolFromSmiles(VORINOSTAT))
    assert compounds["BRD-K00000007"]["name"] == "1,10-phenanthroline"
    assert rels(batches, RelType.HAS_MOA) == [
        {"start": "BRD-K00000007", "end": "chelator", "props": {}},
        {"start": "BRD-K00000007", "end": "metalloproteinase inhibitor", "props": {}},
        {"start": "BRD-K81418486", "end": "HDAC inhibitor", "props": {}}]
    assert [(r["start"], r["end"]) for r in rels(batches, RelType.TARGETS)] == [
        ("BRD-K81418486", 3065), ("BRD-K81418486", 3066)]
    assert report.dropped == [  # another sample's structure is reported, not an error
        f"{samples}: line 5: sample BRD-K81418486-001-02-9 of BRD-K81418486 has another structure 'CCO' than "
        "sample BRD-K81418486-001-01-1 (repurposing_samples.txt line 4); the compound keeps the first",
        f"{drugs}: line 6: no compound named 'nobody' in the compound tables; its MoA/targets are not loaded"]


def test_names_with_quotes_backticks_braces_verbatim(tmp_path):
    odd = ['say "hi"', "`rm -rf`", "{name: 'x'}", "a\\b", "'); MATCH (n) DETACH DELETE n //"]
    rows = [(f"BRD-K0000000{i}", name, "", f"{name} inhibitor", "CCO", "", "") for i, name in enumerate(odd)]
    batches, _ = run(CompoundsSource(), [clue(tmp_path, *rows)])
    assert [c["name"] for c in nodes(batches, NodeLabel.COMPOUND)] == odd
    assert [m["name"] for m in nodes(batches, NodeLabel.MOA)] == sorted(f"{n} inhibitor" for n in odd)


# -- malformed input ------------------------------------------------------------------------------


def test_unknown_table(tmp_path):
    path = write(tmp_path / "x.tsv", tsv(("pert_iname", "smiles"), ("a", "CCO")))
    with pytest.raises(InputDataError) as err:
        run(CompoundsSource(), [path])
    assert str(err.value).startswith(f"{path}: header: not a compound, annotation or gene table")


def test_gene_table_missing_symbol_column(tmp_path):
    path = write(tmp_path / "genes.tsv", tsv(("gene_id", "gene_symbol"), (1, "A")))
    broken = write(tmp_path / "g2.tsv", tsv(("gene_id", "name"), (1, "A")))
    assert run(CompoundsSource(), [path])[0] == []
    with pytest.raises(InputDataError, match="not a compound, annotation or gene table"):
        run(CompoundsSource(), [broken])


def test_wrong_column_count(tmp_path):
    path = clue(tmp_path, ("BRD-K00000001", "a", "", "", "CCO", "", ""))
    with open(path, "a") as fh:
        fh.write("BRD-K00000002\tb\n")
    with pytest.raises(InputDataError) as err:
        run(CompoundsSource(), [path])
    assert str(err.value).startswith(f"{path}: line 3: 2 tab-separated columns where the header has 7")
    batches, report = run(CompoundsSource(), [path], lenient=True)
    assert counts(batches)["Compound"] == 1 and report.dropped[0].endswith("skipped (lenient)")


def test_empty_pert_id(tmp_path):
    path = clue(tmp_path, ("", "a", "", "", "CCO", "", ""))
    with pytest.raises(InputDataError, match=r"line 2: empty pert_id; fix: give every row a pert_id"):
        run(CompoundsSource(), [path])


def test_truncated_gzip(tmp_path):
    rows = [(f"BRD-K{i:08d}", f"c{i}", "", "", "", "", "") for i in range(20000)]
    path = truncated_gzip(tmp_path / "compoundinfo_beta.txt.gz", tsv(CLUE_HEADER, *rows))
    with pytest.raises(InputDataError) as err:
        run(CompoundsSource(), [path])
    assert str(err.value).startswith(f"{path}: line ") and "truncated or corrupt" in str(err.value)


def test_non_utf8_bytes_outside_hub_files(tmp_path):
    path = tmp_path / "compoundinfo_beta.txt"
    path.write_bytes(tsv(CLUE_HEADER).encode() + b"BRD-K00000001\tkr\x9fppel\t\t\tCCO\t\t\n")
    with pytest.raises(InputDataError) as err:
        run(CompoundsSource(), [path])
    assert str(err.value).startswith(f"{path}: line 2: byte 0x9f at column 17 is not valid UTF-8")


def test_same_files_twice_same_batches(tmp_path):
    paths = [clue(tmp_path, ("BRD-K81418486", "vorinostat", "HDAC1", "HDAC inhibitor", VORINOSTAT, "", "")),
             geneinfo(tmp_path)]
    assert run(CompoundsSource(), paths)[0] == run(CompoundsSource(), paths)[0]


def test_registers_itself():
    registered = []
    compounds_module.kgtool_register_sources(register=registered.append)
    assert [s.name for s in registered] == ["compounds"]


# -- one MoA node per mechanism across CLUE, LINCS and the Hub --------------------------------------


@real
@pytest.mark.shared_data
def test_moa_spellings_of_clue_lincs_and_the_hub_are_one_node(tmp_path):
    from toolkit.names import label_key

    clue_table = clue(
        tmp_path,  # CLUE compoundinfo_beta spelling: capitalised words, odd spaces, an ASCII hyphen
        ("BRD-K99999901", "kgtool-egfr-a", "EGFR", "EGFR Inhibitor ", "CCO", "", ""),
        ("BRD-K99999902", "kgtool-ssri", "", "Selective Serotonin  Reuptake Inhibitor (SSRI)|EGFR inhibitor",
         "CCN", "", ""),
        ("BRD-K99999903", "kgtool-snri", "", "Serotonin-norepinephrine reuptake inhibitor (SNRI)", "CCC", "", ""),
    )
    lincs = write(tmp_path / "pert_info.txt", tsv(  # LINCS / signatureSearch pert_info: "; "-separated MOA
        ("pert_id", "pert_iname", "pert_type", "canonical_smiles", "inchi_key", "MOA"),
        ("BRD-K99999904", "kgtool-egfr-b", "trt_cp", "CCCC", "-666", "egfr  inhibitor; Melatonin receptor agonist")))
    paths = [HUB / "repurposing_samples_20200324.txt", HUB / "repurposing_drugs_20200324.txt",
             SHARED / "lincs_compounds" / "signatureSearch_clue_moa_list.tsv", clue_table, lincs]
    batches, _ = run(CompoundsSource(), paths)
    names = [m["name"] for m in nodes(batches, NodeLabel.MOA)]
    assert len({label_key(n) for n in names}) == len(names)  # one node per normalised name
    # the Hub's spelling is the one displayed (fewest Capitalised words, acronyms kept)
    for hub_style in ("EGFR inhibitor", "selective serotonin reuptake inhibitor (SSRI)",
                      "melatonin receptor agonist", "serotonin\u2013norepinephrine reuptake inhibitor (SNRI)"):
        assert hub_style in names
    for other in ("EGFR Inhibitor", "Selective serotonin reuptake inhibitor (SSRI)", "Melatonin receptor agonist",
                  "Serotonin-norepinephrine reuptake inhibitor (SNRI)"):
        assert other not in names
    compounds = {c["pert_id"]: c.get("name") for c in nodes(batches, NodeLabel.COMPOUND)}
    by_name = {name: pid for pid, name in compounds.items()}
    has = {}
    for r in rels(batches, RelType.HAS_MOA):
        has.setdefault(r["start"], []).append(r["end"])
    assert all(len({label_key(m) for m in moas}) == len(moas) for moas in has.values())  # no repeated MoA
    # a compound of each source links to the one node
    assert "EGFR inhibitor" in has[by_name["gefitinib"]]  # Hub
    assert has["BRD-K99999901"] == ["EGFR inhibitor"]  # CLUE compoundinfo
    assert has["BRD-K99999904"] == ["EGFR inhibitor", "melatonin receptor agonist"]  # LINCS pert_info
    ssri = "selective serotonin reuptake inhibitor (SSRI)"
    assert ssri in has[by_name["fluoxetine"]] and ssri in has["BRD-K99999902"]
    assert has["BRD-K99999903"] == ["serotonin\u2013norepinephrine reuptake inhibitor (SNRI)"]
    # the CLUE MoA list (name-keyed, "Melatonin receptor agonist GR-135531") joins the Hub's MoA of GR-135531
    assert has[by_name["GR-135531"]] == ["melatonin receptor agonist"]


def test_label_key_and_preferred_label():
    from toolkit.names import label_key, preferred_label

    spellings = ["EGFR Inhibitor", " EGFR  inhibitor ", "egfr inhibitor", "\uff25\uff27\uff26\uff32 inhibitor"]
    assert {label_key(s) for s in spellings} == {"egfr inhibitor"}
    assert label_key("serotonin\u2013norepinephrine") == label_key("Serotonin-Norepinephrine")
    assert preferred_label(spellings) == preferred_label(spellings[::-1]) == "EGFR inhibitor"
    assert preferred_label(["Melatonin receptor agonist", "melatonin receptor agonist"]) == "melatonin receptor agonist"
    assert preferred_label(["Pi3k inhibitor", "PI3K inhibitor"]) == "PI3K inhibitor"


def test_rows_that_are_not_compounds_count_as_rows(tmp_path):
    path = write(tmp_path / "pert_info.txt", tsv(
        ("pert_id", "pert_iname", "pert_type", "canonical_smiles", "inchi_key"),
        ("BRD-K81418486", "vorinostat", "trt_cp", VORINOSTAT, "-666"),
        *[(f"TRCN000000000{i}", f"G{i}", "trt_sh", "-666", "-666") for i in range(3)],
        ("ccsbBroad304_1", "ORF", "trt_oe", "-666", "-666")))
    _, report = run(CompoundsSource(), [path])
    assert report.dropped == [f"{path}: pert_type: 4 rows are not compounds (trt_oe 1, trt_sh 3)"]
    assert report.dropped_by_reason == {"not compounds": 4}  # one line, four rows


def test_a_table_without_smiles_column_counts_its_rows(tmp_path):
    path = write(tmp_path / "pert_info.txt", tsv(("pert_id", "pert_iname"), ("BRD-K00000001", "a"),
                                                 ("BRD-K00000002", "b"), ("BRD-K00000002", "b")))
    _, report = run(CompoundsSource(), [path])
    assert report.dropped_by_reason == {"no SMILES column": 3} and len(report.dropped) == 1
