"""Compound structure featurisation shared by models and explanations (pure RDKit, imported lazily).

:func:`morgan_fingerprint` turns a SMILES into Morgan bits (float32 0/1) and keeps RDKit's
``bitInfo`` (for each on-bit, the (centre atom, radius) environments that set it), so that a model
that reads fingerprints (see :class:`toolkit.models.StructureModel`) and the explanations that map
its bit attributions back to atoms (:mod:`toolkit.explain.substructures`) featurise the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

BitEnvironments = dict[int, tuple[tuple[int, int], ...]]  # bit -> ((centre atom, radius), ...)


@dataclass(frozen=True)
class FingerprintSpec:
    """Morgan fingerprint settings (RDKit ``GetMorganGenerator(radius, fpSize)``)."""

    radius: int = 2
    n_bits: int = 2048


def parse_smiles(smiles: str) -> object:
    """The RDKit molecule of ``smiles``; a one-line ValueError when RDKit cannot parse it."""
    from rdkit import Chem

    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        raise ValueError(f"RDKit cannot parse SMILES {smiles!r}")
    return mol


@lru_cache(maxsize=8)
def _generator(radius: int, n_bits: int) -> object:
    from rdkit.Chem import rdFingerprintGenerator

    return rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=n_bits)


def morgan_fingerprint(smiles: str, spec: FingerprintSpec = FingerprintSpec()) -> tuple[np.ndarray, BitEnvironments]:
    """Morgan bits (float32 0/1, length ``spec.n_bits``) and their bitInfo."""
    from rdkit.Chem import rdFingerprintGenerator

    mol = parse_smiles(smiles)
    extra = rdFingerprintGenerator.AdditionalOutput()
    extra.AllocateBitInfoMap()
    bits = _generator(spec.radius, spec.n_bits).GetFingerprintAsNumPy(mol, additionalOutput=extra)  # type: ignore[attr-defined]
    info = {int(b): tuple((int(a), int(r)) for a, r in envs) for b, envs in extra.GetBitInfoMap().items()}
    return bits.astype(np.float32), info
