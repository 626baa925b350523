"""Atom- and substructure-level attributions from fingerprint-bit attributions (pure RDKit).

1. :func:`morgan_fingerprint` featurises a SMILES and keeps RDKit's ``bitInfo``: for each on-bit,
   the (centre atom, radius) environments that set it.
2. :func:`bits_to_atoms` spreads each bit's attribution over its environments (equally) and each
   environment's share over its atoms (the centre plus the atoms of the bonds within ``radius``).
3. :func:`substructure_scores` scores each SMARTS by the attribution of the atoms it matches
   (mean over the union of its matches by default: size-neutral, so a large scaffold does not win
   by size alone); substructures the molecule does not contain get no score.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping, Sequence

import numpy as np

from toolkit.explain.contracts import FingerprintSpec

BitInfo = Mapping[int, Sequence[tuple[int, int]]]  # bit -> ((centre atom, radius), ...)


@dataclass(frozen=True)
class SubstructureScore:
    smarts: str
    score: float
    atoms: tuple[int, ...]  # matched atom indices


def _mol(smiles: str) -> object:
    from rdkit import Chem

    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        raise ValueError(f"RDKit cannot parse SMILES {smiles!r}")
    return mol


@lru_cache(maxsize=8)
def _generator(radius: int, n_bits: int) -> object:
    from rdkit.Chem import rdFingerprintGenerator

    return rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=n_bits)


def morgan_fingerprint(smiles: str, spec: FingerprintSpec = FingerprintSpec()) -> tuple[np.ndarray, dict[int, tuple[tuple[int, int], ...]]]:
    """Morgan bits (float32 0/1, length ``spec.n_bits``) and their bitInfo."""
    from rdkit.Chem import rdFingerprintGenerator

    mol = _mol(smiles)
    extra = rdFingerprintGenerator.AdditionalOutput()
    extra.AllocateBitInfoMap()
    bits = _generator(spec.radius, spec.n_bits).GetFingerprintAsNumPy(mol, additionalOutput=extra)  # type: ignore[attr-defined]
    info = {int(b): tuple((int(a), int(r)) for a, r in envs) for b, envs in extra.GetBitInfoMap().items()}
    return bits.astype(np.float32), info


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
    mol = _mol(smiles)
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
    mol = _mol(smiles)
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
