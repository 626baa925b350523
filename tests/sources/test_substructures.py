"""The mined substructure vocabulary: BRICS fragments of the loaded compounds (unit, real files, real Neo4j)."""

from __future__ import annotations

import math
import random
from collections import defaultdict
from pathlib import Path

import pytest
from rdkit import Chem
from rdkit.Chem import BRICS

from kgtool_plugins.sources._substructures import (
    FRAGMENT_KIND,
    MinedFragment,
    MiningSettings,
    brics_pieces,
    mine_fragments,
)
from kgtool_plugins.sources.compounds import CompoundsSource
from tests.helpers import SHARED_DATA
from toolkit.schema import NodeLabel, RelType
from tests.inline_cypher import raw_session

from ._util import nodes, rels, run, tsv, write

HUB_SAMPLES = SHARED_DATA / "drug_repurposing_hub" / "repurposing_samples_20200324.txt"


@pytest.fixture
def hub_samples() -> None:
    """A real-data test without ../shared/data fails (never skips), naming what is missing."""
    if not HUB_SAMPLES.exists():
        pytest.fail(f"{HUB_SAMPLES} is missing: put ../shared/data beside the checkout", pytrace=False)


real = pytest.mark.usefixtures("hub_samples")
CLUE_HEADER = ("pert_id", "cmap_name", "target", "moa", "canonical_smiles", "inchi_key", "compound_aliases")
IMATINIB = "Cc1ccc(NC(=O)c2ccc(CN3CCN(C)CC3)cc2)cc1Nc1nccc(-c2cccnc2)n1"
IBRUTINIB = "C=CC(=O)N1CCC[C@@H](n2nc(-c3ccc(Oc4ccccc4)cc3)c3c(N)ncnc32)C1"
ATORVASTATIN = "CC(C)c1c(C(=O)Nc2ccccc2)c(-c2ccccc2)c(-c2ccc(F)cc2)n1CC[C@@H](O)C[C@@H](O)CC(=O)O"
OMEPRAZOLE = "COc1ccc2[nH]c(S(=O)Cc3ncc(C)c(OC)c3C)nc2c1"


def python_brics_pieces(mol: Chem.Mol, min_atoms: int = MiningSettings.min_atoms) -> set[str]:
    """The fragment-eligible BRICS pieces by RDKit's Python implementation (BreakBRICSBonds), not the C++ one."""
    out = set()
    for piece in Chem.GetMolFrags(BRICS.BreakBRICSBonds(mol), asMols=True):
        attachments = sum(a.GetAtomicNum() == 0 for a in piece.GetAtoms())
        if attachments and piece.GetNumAtoms() - attachments >= min_atoms:
            out.add(Chem.MolToSmiles(piece, isomericSmiles=False))
    return out


def matches(smiles: str, smarts: str) -> int:
    return len(Chem.MolFromSmiles(smiles).GetSubstructMatches(Chem.MolFromSmarts(smarts)))


# -- pieces and mining -----------------------------------------------------------------------------


@pytest.mark.parametrize("smiles", [IMATINIB, IBRUTINIB, ATORVASTATIN, OMEPRAZOLE])
def test_pieces_are_the_leaves_of_brics_decompose_with_their_match_counts(smiles):
    mol = Chem.MolFromSmiles(smiles)
    pieces = brics_pieces(mol)
    leaves = set()
    for leaf in BRICS.BRICSDecompose(mol):  # RDKit's reference decomposition, isotope labels dropped
        leaf_mol = Chem.MolFromSmiles(leaf)
        for atom in leaf_mol.GetAtoms():
            atom.SetIsotope(0)
        attachments = sum(a.GetAtomicNum() == 0 for a in leaf_mol.GetAtoms())
        if attachments and leaf_mol.GetNumAtoms() - attachments >= 3:
            leaves.add(Chem.MolToSmiles(leaf_mol, isomericSmiles=False))
    assert [s for s, _ in pieces] == sorted(leaves) and leaves
    for smarts, count in pieces:
        assert "*" in smarts and count == matches(smiles, smarts) >= 1


def test_small_pieces_and_pieces_without_attachment_are_not_fragments():
    vorinostat_salt = Chem.MolFromSmiles("ONC(=O)CCCCCCC(=O)Nc1ccccc1.Cl")
    assert [s for s, _ in brics_pieces(vorinostat_salt)] == ["*C(=O)CCCCCCC(=O)NO", "*c1ccccc1"]
    assert "*N*" in {s for s, _ in brics_pieces(vorinostat_salt, min_atoms=1)}  # the amide N linker
    assert brics_pieces(Chem.MolFromSmiles("c1ccc2ccccc2c1")) == ()  # nothing to cut: no fragment
    assert [s for s, n in brics_pieces(Chem.MolFromSmiles(IMATINIB)) if n == 2] == ["*c1ccc(*)cc1"]


def test_mining_keeps_frequent_fragments_up_to_the_cap():
    per_compound = [["A", "B", "C", "D", "E"], ["A", "B", "C", "D", "E"], ["A", "B", "C", "D"], ["A", "B"],
                    ["A"], []]
    settings = MiningSettings(min_count=2, min_fraction=0.5, max_fragments=3)
    assert settings.threshold(6) == 3
    assert mine_fragments(per_compound, 6, settings) == (
        MinedFragment("A", 5), MinedFragment("B", 4), MinedFragment("C", 3))  # D ties with C, loses on SMARTS
    assert [f.smarts for f in mine_fragments(per_compound, 6, MiningSettings(min_count=2, min_fraction=0))] == [
        "A", "B", "C", "D", "E"]
    assert mine_fragments(per_compound[::-1], 6, settings) == mine_fragments(per_compound, 6, settings)
    assert [MiningSettings().threshold(n) for n in (10, 150, 151, 35_000)] == [3, 3, 4, 700]


# -- the compounds source ------------------------------------------------------------------------


def test_source_yields_and_links_the_mined_fragments(tmp_path):
    rows = [
        ("BRD-K00000001", "imatinib", "", "", IMATINIB, "", ""),
        ("BRD-K00000002", "a", "", "", "CN1CCN(Cc2ccc(C(=O)O)cc2)CC1", "", ""),
        ("BRD-K00000003", "b", "", "", "CN1CCN(CCOc2ccccc2)CC1", "", ""),
        ("BRD-K00000004", "c", "", "", "CN1CCN(C)CC1", "", ""),  # no BRICS bond: no piece
        ("BRD-K00000005", "d", "", "", "CCOc1ccccc1", "", ""),
    ]
    settings = MiningSettings(min_count=3, min_fraction=0)
    path = write(tmp_path / "compoundinfo_beta.txt", tsv(CLUE_HEADER, *rows))
    batches, _ = run(CompoundsSource(settings), [path])
    fragments = [s for s in nodes(batches, NodeLabel.SUBSTRUCTURE) if s["kind"] == FRAGMENT_KIND]
    assert fragments == [{"smarts": "*N1CCN(C)CC1", "name": "*N1CCN(C)CC1", "kind": FRAGMENT_KIND}]
    links = [(r["start"], r["props"]) for r in rels(batches, RelType.HAS_SUBSTRUCTURE) if r["end"] == "*N1CCN(C)CC1"]
    assert links == [(row[0], {"count": matches(row[4], "*N1CCN(C)CC1")}) for row in rows[:3]]
    # "*c1ccccc1" is a piece of two compounds only (b, d): below min_count
    assert all(s["smarts"] != "*c1ccccc1" for s in nodes(batches, NodeLabel.SUBSTRUCTURE))
    # the order of the rows does not change the vocabulary or the links
    shuffled = write(tmp_path / "compoundinfo_beta_reversed.txt", tsv(CLUE_HEADER, *rows[::-1]))
    assert run(CompoundsSource(settings), [shuffled])[0] == batches


# -- the real Repurposing Hub samples --------------------------------------------------------------


@pytest.fixture(scope="module")
def hub_batches():
    batches, _ = run(CompoundsSource(), [HUB_SAMPLES])
    smiles = {c["pert_id"]: c["smiles"] for c in nodes(batches, NodeLabel.COMPOUND) if "smiles" in c}
    fragments = {s["smarts"] for s in nodes(batches, NodeLabel.SUBSTRUCTURE) if s["kind"] == FRAGMENT_KIND}
    links: dict[str, dict[str, int]] = defaultdict(dict)  # fragment -> compound -> count
    for r in rels(batches, RelType.HAS_SUBSTRUCTURE):
        if r["end"] in fragments:
            links[r["end"]][r["start"]] = r["props"]["count"]
    return smiles, fragments, links


@real
@pytest.mark.shared_data
@pytest.mark.slow
def test_real_hub_fragments_match_at_least_the_threshold_of_compounds(hub_batches):
    smiles, fragments, links = hub_batches
    threshold = MiningSettings().threshold(len(smiles))
    assert len(smiles) > 6000 and threshold == max(3, math.ceil(0.02 * len(smiles)))
    assert 10 <= len(fragments) <= MiningSettings().max_fragments
    for smarts in sorted(fragments):
        pattern = Chem.MolFromSmarts(smarts)
        assert pattern is not None and "*" in smarts, smarts
        linked = links[smarts]
        assert len(linked) >= threshold, (smarts, len(linked))
        for pid, count in linked.items():  # every link verified with RDKit on the compound's own SMILES
            assert len(Chem.MolFromSmiles(smiles[pid]).GetSubstructMatches(pattern)) == count >= 1, (smarts, pid)


@real
@pytest.mark.shared_data
@pytest.mark.slow
def test_real_hub_links_are_the_compounds_own_pieces(hub_batches):
    """On a random sample of compounds, the fragments linked are exactly the mined ones among the
    compound's BRICS pieces, recomputed with RDKit's Python BRICS implementation."""
    smiles, fragments, links = hub_batches
    linked_to: dict[str, set[str]] = defaultdict(set)
    for smarts, compounds in links.items():
        for pid in compounds:
            linked_to[pid].add(smarts)
    sample = random.Random(7).sample(sorted(smiles), 300)
    for pid in sample:
        assert linked_to[pid] == python_brics_pieces(Chem.MolFromSmiles(smiles[pid])) & fragments, pid
    assert sum(bool(linked_to[pid]) for pid in sample) > 150  # most compounds get some fragment


# -- the real Neo4j --------------------------------------------------------------------------------


def _hub_subset(tmp_path: Path, every: int) -> Path:
    """Every ``every``-th sample row of the Hub samples file (bytes: '!' lines, quoting and encoding kept)."""
    lines = HUB_SAMPLES.read_bytes().splitlines(keepends=True)
    header = next(i for i, line in enumerate(lines) if not line.startswith(b"!"))
    kept = lines[: header + 1] + [line for i, line in enumerate(lines[header + 1:]) if i % every == 0]
    out = tmp_path / "repurposing_samples.txt"
    out.write_bytes(b"".join(kept))
    return out


def _fragment_links(graph) -> dict[str, dict[str, int]]:
    query = ("MATCH (c:Compound)-[r:HAS_SUBSTRUCTURE]->(s:Substructure {kind: $kind}) "
             "RETURN c.pert_id AS pert_id, s.smarts AS smarts, r.count AS count")
    out: dict[str, dict[str, int]] = defaultdict(dict)
    with raw_session(graph) as session:
        for r in session.run(query, {"kind": FRAGMENT_KIND}):
            out[r["pert_id"]][r["smarts"]] = r["count"]
    return out


@real
@pytest.mark.neo4j
@pytest.mark.shared_data
@pytest.mark.slow
def test_fragments_loaded_into_neo4j_with_their_counts(graph, settings, tmp_path):
    from toolkit.load import load
    from toolkit.sources import LoadOptions

    path = _hub_subset(tmp_path, every=8)
    report = load(graph, settings, "compounds", [path], LoadOptions(batch_size=2000))
    assert report.status == "completed"
    with raw_session(graph) as session:
        rows = [r.data() for r in session.run(
            "MATCH (s:Substructure {kind: $kind}) RETURN s.smarts AS smarts, s.name AS name", {"kind": FRAGMENT_KIND})]
        smiles = {r["pert_id"]: r["smiles"] for r in session.run(
            "MATCH (c:Compound) WHERE c.smiles IS NOT NULL RETURN c.pert_id AS pert_id, c.smiles AS smiles")}
    vocabulary = {r["smarts"] for r in rows}
    assert vocabulary and all(r["name"] == r["smarts"] and "*" in r["smarts"] for r in rows)
    links = _fragment_links(graph)
    per_fragment: dict[str, int] = defaultdict(int)
    for found in links.values():
        for smarts in found:
            per_fragment[smarts] += 1
    threshold = MiningSettings().threshold(len(smiles))
    assert threshold > 3 and all(per_fragment[s] >= threshold for s in vocabulary), (threshold, per_fragment)
    # a few compounds, checked independently: their own Python-BRICS pieces in the vocabulary, RDKit counts
    linked = sorted(pid for pid in links if len(links[pid]) >= 2)
    assert len(linked) >= 5
    for pid in linked[:: max(1, len(linked) // 8)]:
        expected = {s: matches(smiles[pid], s)
                    for s in python_brics_pieces(Chem.MolFromSmiles(smiles[pid])) & vocabulary}
        assert links[pid] == expected, pid
    # loading the same file again changes nothing
    before = _fragment_links(graph)
    assert load(graph, settings, "compounds", [path], LoadOptions(batch_size=2000)).status == "completed"
    assert _fragment_links(graph) == before
