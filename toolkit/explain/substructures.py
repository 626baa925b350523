"""Atom- and substructure-level attributions from fingerprint-bit attributions (pure RDKit).

1. :func:`toolkit.structure.morgan_fingerprint` featurises a SMILES and keeps RDKit's ``bitInfo``:
   for each on-bit, the (centre atom, radius) environments that set it.
2. :func:`bits_to_atoms` spreads each bit's attribution over its environments (equally) and each
   environment's share over its atoms (the centre plus the atoms of the bonds within ``radius``).
3. :func:`substructure_scores` scores each SMARTS by the attribution of the atoms it matches
   (mean over the union of its matches by default: size-neutral, so a large scaffold does not win
   by size alone); substructures the molecule does not contain get no score.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from toolkit.structure import parse_smiles

BitInfo = Mapping[int, Sequence[tuple[int, int]]]  # bit -> ((centre atom, radius), ...)


@dataclass(frozen=True)
class SubstructureScore:
    smarts: str
    score: float
    atoms: tuple[int, ...]  # matched atom indices


def environment_atoms(mol: object, centre: int, radius: int) -> tuple[int, ...]:
    """The atoms of a Morgan environment: the centre and the atoms of its bonds within ``radius``."""
    from rdkit import Chem

    if radius == 0:
        return (centre,)
    atoms = {centre}
    for bond_idx in Chem.FindAtomEnvironmentOfRadiusN(mol, radius, centre):
        bond = mol.GetBondWithIdx(bond_idx)  # type: ignore[attr-defined]
        atoms.update((bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()))
    return tuple(sorted(atoms))


def bits_to_atoms(smiles: str, bit_info: BitInfo, bit_attributions: np.ndarray) -> np.ndarray:
    """Per-atom attribution (n_atoms,): every on-bit's attribution shared out over its atoms."""
    mol = parse_smiles(smiles)
    atoms = np.zeros(mol.GetNumAtoms(), dtype=np.float64)  # type: ignore[attr-defined]
    for bit, envs in bit_info.items():
        value = float(bit_attributions[bit])
        if value == 0.0 or not envs:
            continue
        for centre, radius in envs:
            members = environment_atoms(mol, centre, radius)
            atoms[list(members)] += value / len(envs) / len(members)
    return atoms


def substructure_scores(smiles: str, atom_scores: np.ndarray, smarts: Sequence[str],
                        aggregate: str = "mean") -> list[SubstructureScore]:
    """Score each SMARTS the molecule contains; best first. ``aggregate`` is ``mean`` or ``sum``."""
    from rdkit import Chem

    if aggregate not in ("mean", "sum"):
        raise ValueError(f"aggregate must be 'mean' or 'sum', not {aggregate!r}")
    mol = parse_smiles(smiles)
    out = []
    for s in smarts:
        pattern = Chem.MolFromSmarts(s)
        if pattern is None:
            continue
        matched = sorted({a for match in mol.GetSubstructMatches(pattern) for a in match})  # type: ignore[attr-defined]
        if not matched:
            continue
        values = atom_scores[matched]
        out.append(SubstructureScore(s, float(values.mean() if aggregate == "mean" else values.sum()), tuple(matched)))
    return sorted(out, key=lambda x: (-x.score, x.smarts))
