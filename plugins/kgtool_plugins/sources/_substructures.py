"""The substructure vocabulary of the compounds source: fixed functional groups and mined BRICS fragments.

* :data:`FUNCTIONAL_GROUPS`: a fixed list of medicinal-chemistry functional groups and ring
  systems, each a SMARTS constant (see the comment above the list for where it comes from).
* BRICS fragments mined from the loaded compounds: each molecule is cut at its BRICS bonds
  (Degen et al., ChemMedChem 2008; RDKit's C++ ``FragmentOnBRICSBonds``, which gives the leaf
  fragments of ``BRICS.BRICSDecompose`` without its exponential enumeration of partial
  decompositions). A piece keeps its attachment points as ``*`` (SMARTS "any atom"; BRICS' isotope
  labels and stereo are dropped), so ``*c1ccc(*)cc1`` is a para-disubstituted benzene. Pieces
  with no attachment point (an uncut molecule, a counter-ion) or fewer than
  :attr:`MiningSettings.min_atoms` heavy atoms (linkers such as ``*N*``, ``*C(*)=O``, ``*OC``) are
  not fragments. :func:`mine_fragments` keeps the fragments that are pieces of at least
  :meth:`MiningSettings.threshold` compounds, at most :attr:`MiningSettings.max_fragments` of them
  (the most frequent; ties by SMARTS), sorted by SMARTS.

Fragment SMARTS always hold ``*`` and functional-group SMARTS never do, and Murcko scaffolds are
plain SMILES, so the three kinds never share a ``Substructure`` key.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:
    from rdkit import Chem

GROUP_KIND = "functional_group"
FRAGMENT_KIND = "brics_fragment"
ATTACHMENT = "*"


@dataclass(frozen=True)
class FunctionalGroup:
    name: str
    smarts: str


# Common functional groups and ring systems of drugs and bioactive molecules, after the group
# categories of P. Ertl, "An algorithm to identify functional groups in organic molecules"
# (J. Cheminform. 2017, 9:36; the most frequent groups of ChEMBL/drug molecules), and the ring
# systems most frequent in approved drugs (Taylor, MacCoss & Lawson, J. Med. Chem. 2014, 57, 5845).
# The SMARTS follow the Daylight "SMARTS examples" page and RDKit's Data/FunctionalGroups.txt.
# Groups may overlap (an amide nitrogen of a lactam is also an amide); each is linked on its own.
FUNCTIONAL_GROUPS: tuple[FunctionalGroup, ...] = (
    # carbonyl groups and acid derivatives
    FunctionalGroup("carboxylic acid", "[CX3](=O)[OX2H1]"),
    FunctionalGroup("carboxylate", "[CX3](=O)[OX1-]"),
    FunctionalGroup("ester", "[#6][CX3](=[OX1])[OX2][#6]"),
    FunctionalGroup("lactone", "[#6][CX3;R](=[OX1])[OX2;R][#6]"),
    FunctionalGroup("amide", "[#6][CX3](=[OX1])[NX3;!$([NX3][OX2])]"),
    FunctionalGroup("lactam", "[#6][CX3;R](=[OX1])[NX3;R]"),
    FunctionalGroup("beta-lactam", "[CX3]1(=[OX1])[CX4][CX4][NX3]1"),
    FunctionalGroup("imide", "[CX3](=[OX1])[NX3][CX3](=[OX1])"),
    FunctionalGroup("hydroxamic acid", "C(=O)N[OX2H1]"),
    FunctionalGroup("urea", "[NX3][CX3](=O)[NX3]"),
    FunctionalGroup("carbamate", "[NX3][CX3](=[OX1])[OX2][#6]"),
    FunctionalGroup("anhydride", "[CX3](=[OX1])[OX2][CX3](=[OX1])"),
    FunctionalGroup("acyl halide", "[CX3](=[OX1])[F,Cl,Br,I]"),
    FunctionalGroup("ketone", "[#6][CX3](=[OX1])[#6]"),
    FunctionalGroup("aldehyde", "[CX3H1](=[OX1])[#6]"),
    FunctionalGroup("michael acceptor", "[CX3]=[CX3][CX3]=[OX1]"),
    FunctionalGroup("acrylamide", "[CH2]=[CH][CX3](=[OX1])[NX3]"),
    FunctionalGroup("thioamide", "[#6][CX3](=[SX1])[NX3]"),
    FunctionalGroup("thiourea", "[NX3][CX3](=[SX1])[NX3]"),
    # nitrogen groups
    FunctionalGroup("primary aliphatic amine", "[NX3;H2;!$(N[#6]=[#7,#8,#16])][CX4]"),
    FunctionalGroup("secondary aliphatic amine", "[NX3;H1;!$(N[#6]=[#7,#8,#16])]([CX4])[CX4]"),
    FunctionalGroup("tertiary aliphatic amine", "[NX3;H0;!$(N[#6]=[#7,#8,#16])]([CX4])([CX4])[CX4]"),
    FunctionalGroup("quaternary ammonium", "[NX4+;H0]"),
    FunctionalGroup("aniline", "c[NX3;H2]"),
    FunctionalGroup("guanidine", "[NX3][CX3](=[NX2])[NX3]"),
    FunctionalGroup("amidine", "[#6][CX3](=[NX2])[NX3]"),
    FunctionalGroup("imine", "[#6][CX3;!R]([#6,#1])=[NX2;!R][#6]"),
    FunctionalGroup("oxime", "[CX3]=[NX2][OX2]"),
    FunctionalGroup("hydrazine", "[NX3][NX3]"),
    FunctionalGroup("hydrazone", "[NX3][NX2]=[CX3]"),
    FunctionalGroup("azo", "[#6][NX2]=[NX2][#6]"),
    FunctionalGroup("azide", "N=[N+]=[N-]"),
    FunctionalGroup("nitro", "[N+](=O)[O-]"),
    FunctionalGroup("N-oxide", "[$([nX3+]),$([NX4+])][OX1-]"),
    FunctionalGroup("nitrile", "C#N"),
    FunctionalGroup("isocyanate", "N=C=O"),
    FunctionalGroup("isothiocyanate", "N=C=S"),
    # oxygen groups
    FunctionalGroup("alcohol", "[CX4][OX2H1]"),
    FunctionalGroup("phenol", "c[OX2H1]"),
    FunctionalGroup("ether", "[OD2;!$(O[#6]=[#7,#8,#16])]([#6])[#6]"),
    FunctionalGroup("aryl methyl ether", "c[OX2][CH3]"),
    FunctionalGroup("acetal", "[OX2][CX4;!$(C(O)(O)O)][OX2]"),
    FunctionalGroup("epoxide", "C1OC1"),
    FunctionalGroup("peroxide", "[OX2][OX2]"),
    # sulfur, phosphorus and boron groups
    FunctionalGroup("sulfonamide", "S(=O)(=O)[NX3]"),
    FunctionalGroup("sulfone", "[#6][SX4](=[OX1])(=[OX1])[#6]"),
    FunctionalGroup("sulfonic acid", "[SX4](=[OX1])(=[OX1])[OX2H1,OX1-]"),
    FunctionalGroup("sulfonate ester", "[SX4](=[OX1])(=[OX1])[OX2][#6]"),
    FunctionalGroup("sulfoxide", "[#6][SX3](=[OX1])[#6]"),
    FunctionalGroup("thiol", "[#6][SX2H1]"),
    FunctionalGroup("thioether", "[#6][SX2][#6]"),
    FunctionalGroup("disulfide", "[SX2][SX2]"),
    FunctionalGroup("phosphate ester", "[PX4](=[OX1])([OX2])([OX2])[OX2][#6]"),
    FunctionalGroup("phosphonic acid", "P(=O)(O)O"),
    FunctionalGroup("boronic acid", "B(O)O"),
    # halogens and carbon groups
    FunctionalGroup("aryl halide", "c[F,Cl,Br,I]"),
    FunctionalGroup("aryl fluoride", "cF"),
    FunctionalGroup("aryl chloride", "cCl"),
    FunctionalGroup("aryl bromide", "cBr"),
    FunctionalGroup("alkyl halide", "[CX4][Cl,Br,I]"),
    FunctionalGroup("trifluoromethyl", "C(F)(F)F"),
    FunctionalGroup("alkene", "[CX3]=[CX3]"),
    FunctionalGroup("alkyne", "C#C"),
    FunctionalGroup("tert-butyl", "[CX4]([CH3])([CH3])[CH3]"),
    FunctionalGroup("cyclopropyl", "[CX4]1[CX4][CX4]1"),
    # aromatic rings
    FunctionalGroup("benzene", "c1ccccc1"),
    FunctionalGroup("naphthalene", "c1ccc2ccccc2c1"),
    FunctionalGroup("pyridine", "[nX2]1ccccc1"),
    FunctionalGroup("pyrimidine", "[nX2]1c[nX2]ccc1"),
    FunctionalGroup("pyrazine", "c1cnccn1"),
    FunctionalGroup("pyridazine", "c1ccnnc1"),
    FunctionalGroup("pyrrole", "[nX3]1cccc1"),
    FunctionalGroup("furan", "[oX2]1cccc1"),
    FunctionalGroup("thiophene", "c1ccsc1"),
    FunctionalGroup("imidazole", "[nX3]1c[nX2]cc1"),
    FunctionalGroup("pyrazole", "c1cnnc1"),
    FunctionalGroup("oxazole", "c1cocn1"),
    FunctionalGroup("isoxazole", "c1cnoc1"),
    FunctionalGroup("thiazole", "c1cscn1"),
    FunctionalGroup("1,2,3-triazole", "c1cnnn1"),
    FunctionalGroup("1,2,4-triazole", "c1ncnn1"),
    FunctionalGroup("1,2,4-oxadiazole", "c1ncon1"),
    FunctionalGroup("tetrazole", "[#6]1:[#7]:[#7]:[#7]:[#7]:1"),
    FunctionalGroup("indole", "c1ccc2c(c1)cc[nX3]2"),
    FunctionalGroup("benzimidazole", "c1ccc2c(c1)[nX2]c[nX3]2"),
    FunctionalGroup("quinoline", "c1ccc2ncccc2c1"),
    FunctionalGroup("quinazoline", "c1ccc2ncncc2c1"),
    FunctionalGroup("purine", "c1ncc2nc[nX3]c2n1"),
    FunctionalGroup("coumarin", "O=c1ccc2ccccc2o1"),
    # saturated rings and ring systems
    FunctionalGroup("piperidine", "[NX3;R1]1[CH2][CH2][CH2][CH2][CH2]1"),
    FunctionalGroup("piperazine", "N1CCNCC1"),
    FunctionalGroup("morpholine", "C1COCCN1"),
    FunctionalGroup("pyrrolidine", "[NX3;R1]1[CX4][CX4][CX4][CX4]1"),
    FunctionalGroup("tetrahydrofuran", "[OX2;R1]1[CX4][CX4][CX4][CX4]1"),
    FunctionalGroup("tetrahydropyran", "[OX2;R1]1[CX4][CX4][CX4][CX4][CX4]1"),
    FunctionalGroup(
        "steroid core",
        "[#6]1~[#6]~[#6]~[#6]2~[#6](~[#6]~1)~[#6]~[#6]~[#6]1~[#6]~2~[#6]~[#6]~[#6]2~[#6]~[#6]~[#6]~[#6]~1~2",
    ),
)


@lru_cache(maxsize=1)
def group_patterns() -> tuple[Chem.Mol, ...]:
    """The parsed SMARTS of :data:`FUNCTIONAL_GROUPS`, in order."""
    from rdkit import Chem  # local: keep plugin discovery (and `kgtool --help`) fast

    patterns = []
    for group in FUNCTIONAL_GROUPS:
        pattern = Chem.MolFromSmarts(group.smarts)
        if pattern is None:  # pragma: no cover - fixed table, checked by the tests
            raise ValueError(f"bad SMARTS for {group.name}: {group.smarts!r}")
        patterns.append(pattern)
    return tuple(patterns)


def group_counts(mol: Chem.Mol) -> tuple[tuple[int, int], ...]:
    """(index into FUNCTIONAL_GROUPS, number of unique matches) of the groups ``mol`` contains."""
    counts = [len(mol.GetSubstructMatches(p)) for p in group_patterns()]
    return tuple((i, n) for i, n in enumerate(counts) if n)


@dataclass(frozen=True)
class MiningSettings:
    """Which BRICS pieces become vocabulary: in at least :meth:`threshold` compounds, the most frequent first."""

    min_count: int = 3  # compounds a fragment must be a piece of
    min_fraction: float = 0.02  # ... and at least this share of the compounds with a structure
    max_fragments: int = 200  # the vocabulary's size at most (the most frequent kept)
    min_atoms: int = 3  # heavy atoms of a piece besides its attachment points

    def threshold(self, n_compounds: int) -> int:
        """Compounds a fragment must be a piece of, among ``n_compounds`` compounds with a structure."""
        return max(self.min_count, math.ceil(self.min_fraction * n_compounds))


@dataclass(frozen=True)
class MinedFragment:
    smarts: str
    compounds: int  # compounds it is a piece of


@lru_cache(maxsize=4096)
def _fragment_pattern(smarts: str) -> Chem.Mol:
    from rdkit import Chem

    return Chem.MolFromSmarts(smarts)


def brics_pieces(mol: Chem.Mol, min_atoms: int = MiningSettings.min_atoms) -> tuple[tuple[str, int], ...]:
    """The distinct BRICS pieces of ``mol`` that can be fragments, as (SMARTS, unique matches in
    ``mol``), sorted; a piece whose SMARTS does not match ``mol`` (RDKit cannot read it back) is left out."""
    from rdkit import Chem

    pieces = set()
    for piece in Chem.GetMolFrags(Chem.FragmentOnBRICSBonds(mol), asMols=True, sanitizeFrags=False):
        attachments = sum(1 for a in piece.GetAtoms() if a.GetAtomicNum() == 0)
        if attachments and piece.GetNumAtoms() - attachments >= min_atoms:
            pieces.add(Chem.MolToSmiles(piece, isomericSmiles=False))  # "[4*]" -> "*", stereo dropped
    out = []
    for smarts in sorted(pieces):
        pattern = _fragment_pattern(smarts)
        n = len(mol.GetSubstructMatches(pattern)) if pattern is not None else 0
        if n:
            out.append((smarts, n))
    return tuple(out)


def mine_fragments(pieces_per_compound: Iterable[Iterable[str]], n_compounds: int,
                   settings: MiningSettings = MiningSettings()) -> tuple[MinedFragment, ...]:
    """The fragments that are pieces of at least ``settings.threshold(n_compounds)`` compounds (each
    compound's pieces distinct), the ``max_fragments`` most frequent, sorted by SMARTS."""
    counts: Counter[str] = Counter()
    for pieces in pieces_per_compound:
        counts.update(pieces)
    floor = settings.threshold(n_compounds)
    frequent = sorted((s for s, n in counts.items() if n >= floor), key=lambda s: (-counts[s], s))
    return tuple(sorted((MinedFragment(s, counts[s]) for s in frequent[: settings.max_fragments]),
                        key=lambda f: f.smarts))
