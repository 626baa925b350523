"""What RDKit makes of a compound's SMILES: canonical SMILES, InChIKey, Murcko scaffold, functional
groups and BRICS pieces (see :mod:`.compounds` for how they are written)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from ._substructures import MiningSettings, brics_pieces, group_counts

if TYPE_CHECKING:
    from rdkit import Chem


@dataclass(frozen=True)
class Structure:
    """What RDKit makes of one SMILES."""

    smiles: str
    inchikey: str
    scaffold: str
    groups: tuple[tuple[int, int], ...]  # (index into FUNCTIONAL_GROUPS, number of matches)
    cut_extension: bool = False  # an unreadable CXSMILES extension (" |...|") was ignored
    fragments: tuple[tuple[str, int], ...] = ()  # its BRICS pieces: (SMARTS, number of matches)


def parse_smiles(smiles: str) -> tuple[Optional[Chem.Mol], bool]:
    """RDKit molecule, and whether a CXSMILES extension RDKit cannot read had to be cut off."""
    from rdkit import Chem

    mol = Chem.MolFromSmiles(smiles)
    if mol is None and " |" in smiles:
        # ChemAxon CXSMILES fields RDKit does not know (THB/TLB ring bond hints): the plain SMILES
        # before " |" carries the structure, stereo marks included
        mol = Chem.MolFromSmiles(smiles.split(" |", 1)[0])
        return (mol, True) if mol is not None else (None, False)
    return mol, False


def analyse_smiles(smiles: str, mining: MiningSettings = MiningSettings()) -> Optional[Structure]:
    """Canonical SMILES, InChIKey, Murcko scaffold, functional groups and BRICS pieces; None if RDKit rejects it."""
    from rdkit import Chem, rdBase
    from rdkit.Chem.Scaffolds import MurckoScaffold

    with rdBase.BlockLogs():
        mol, cut = parse_smiles(smiles)
        if mol is None or mol.GetNumAtoms() == 0:
            return None
        canonical = Chem.MolToSmiles(mol)
        try:
            inchikey = Chem.MolToInchiKey(mol) or ""
        except Exception:  # noqa: BLE001 - InChI can fail on exotic input; the file's key is used then
            inchikey = ""
        try:
            scaffold = MurckoScaffold.MurckoScaffoldSmiles(mol=mol)
        except Exception:  # noqa: BLE001 - scaffold extraction fails on a few odd valences
            scaffold = ""
        groups = group_counts(mol)
        fragments = brics_pieces(mol, mining.min_atoms)
    return Structure(canonical, inchikey, scaffold, groups, cut, fragments)
