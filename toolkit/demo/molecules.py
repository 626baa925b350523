"""Demo compounds: varied molecules that carry planted substructures (one per MoA by default).

A molecule is a scaffold with two or three substitution sites; one site carries the MoA's
fragment (through a short linker), the others carry side chains drawn from a pool that contains
none of the planted fragments. Every molecule is checked with RDKit: it must contain its MoA's
SMARTS and none of the other MoAs' SMARTS, or generation fails. :func:`make_molecule_sets` builds
molecules with any set of fragments (the realistic presets share fragments across MoAs).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property
from typing import Sequence

import numpy as np
from rdkit import Chem, RDLogger

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Fragment:
    """A planted substructure: a SMARTS to detect it and a SMILES branch to attach it."""

    name: str
    smarts: str
    smiles: str  # starts with the atom bonded to the linker/scaffold; ring closures use %91

    @cached_property
    def pattern(self) -> Chem.Mol:
        mol = Chem.MolFromSmarts(self.smarts)
        if mol is None:  # pragma: no cover - the table below is fixed
            raise ValueError(f"bad SMARTS {self.smarts!r}")
        return mol


# Mutually exclusive: no fragment's SMILES matches another fragment's SMARTS (checked at import
# time by _check_tables), and neither do scaffolds, linkers or side chains.
FRAGMENTS: tuple[Fragment, ...] = (
    Fragment("hydroxamic acid", "C(=O)N[OX2H1]", "C(=O)NO"),
    Fragment("sulfonamide", "S(=O)(=O)[NX3]", "S(=O)(=O)N"),
    Fragment("nitrile", "C#N", "C#N"),
    Fragment("trifluoromethyl", "C(F)(F)F", "C(F)(F)F"),
    Fragment("carboxylic acid", "[CX3](=O)[OX2H1]", "C(=O)O"),
    Fragment("morpholine", "C1COCCN1", "N%91CCOCC%91"),
    Fragment("tetrazole", "[#6]1:[#7]:[#7]:[#7]:[#7]:1", "c%91nn[nH]n%91"),
    Fragment("nitro", "[N+](=O)[O-]", "[N+](=O)[O-]"),
    Fragment("boronic acid", "B(O)O", "B(O)O"),
    Fragment("urea", "[NX3][CX3](=O)[NX3]", "NC(=O)N"),
    Fragment("thiophene", "c1ccsc1", "c%91cccs%91"),
    Fragment("alkyne", "C#C", "C#C"),
    Fragment("phosphonic acid", "P(=O)(O)O", "P(=O)(O)O"),
    Fragment("piperazine", "N1CCNCC1", "N%91CCN(C)CC%91"),
    Fragment("epoxide", "C1OC1", "C%91CO%91"),
    Fragment("isothiocyanate", "N=C=S", "N=C=S"),
)

# Scaffolds: "{i}" marks substitution site i (filled with "(branch)" or nothing).
SCAFFOLDS: tuple[str, ...] = (
    "c1c{0}cc{1}cc1{2}",  # benzene
    "c1nc{0}cc{1}c1{2}",  # pyridine
    "c1nc{0}nc{1}c1{2}",  # pyrimidine
    "c1cc2cc{0}ccc2c{1}c1{2}",  # naphthalene
    "c1c{0}c2c{1}c[nH]c2cc1{2}",  # indole
    "c1cc2nc{0}ccc2cc1{1}",  # quinoline
    "c1cc2oc{0}cc2cc1{1}",  # benzofuran
    "C1CC{0}CCC1{1}",  # cyclohexane
    "C1CN(C)CC{0}C1{1}",  # N-methylpiperidine
    "c1cc{0}ccc1-c1ccc{1}cc1{2}",  # biphenyl
    "c1cc2[nH]c{0}nc2cc1{1}",  # benzimidazole
    "c1{0}cc{1}n[nH]1",  # pyrazole
    "c1cc{0}ccc1Oc1ccc{1}cc1",  # diphenyl ether
    "c1cc{0}ccc1CNC(=O)c1ccc{1}cc1",  # benzylbenzamide
    "C1CC{0}CC1{1}",  # cyclopentane
    "c1ccc2c(c1)CC{0}C2",  # tetralin
)

# Linkers between scaffold and fragment: the fragment SMILES is appended.
LINKERS: tuple[str, ...] = ("", "C", "CC", "c%93ccc(cc%93)", "CCC")

# Side chains on the remaining sites ("" = hydrogen); ring closures use %92.
SIDE_CHAINS: tuple[str, ...] = (
    "",
    "C",
    "CC",
    "OC",
    "F",
    "Cl",
    "Br",
    "O",
    "N",
    "C(C)C",
    "OCC",
    "C(=O)OC",
    "CO",
    "SC",
    "N(C)C",
    "C%92CC%92",
    "NC(C)=O",
    "C(C)=O",
)


def _n_sites(template: str) -> int:
    return sum(1 for i in range(10) if "{" + str(i) + "}" in template)


def _branch(s: str) -> str:
    return f"({s})" if s else ""


def _mol(smiles: str) -> Chem.Mol | None:
    RDLogger.DisableLog("rdApp.*")
    try:
        return Chem.MolFromSmiles(smiles)
    finally:
        RDLogger.EnableLog("rdApp.*")


def _check_tables() -> None:
    """The building blocks must not contain any fragment, and fragments must not contain each other."""
    for frag in FRAGMENTS:
        mol = _mol("C" + frag.smiles.replace("%91", "1"))
        for other in FRAGMENTS:
            hit = mol is not None and mol.HasSubstructMatch(other.pattern)
            if mol is None or hit != (other is frag):
                raise RuntimeError(f"fragment table inconsistent: {frag.name} vs {other.name}")
    for scaffold in SCAFFOLDS:
        for chain in SIDE_CHAINS + tuple(f"{lk}C" for lk in LINKERS):
            smi = scaffold.format(*([_branch(chain)] * _n_sites(scaffold)))
            mol = _mol(smi)
            if mol is None:
                raise RuntimeError(f"scaffold/side chain does not parse: {smi}")
            for frag in FRAGMENTS:
                if mol.HasSubstructMatch(frag.pattern):
                    raise RuntimeError(f"{smi} contains planted fragment {frag.name}")


@dataclass(frozen=True)
class Molecule:
    smiles: str  # RDKit canonical
    inchi_key: str


def _assemble(rng: np.random.Generator, frags: Sequence[Fragment]) -> str | None:
    """A random molecule carrying each of ``frags`` on its own site; None if the scaffold has too few sites."""
    scaffold = SCAFFOLDS[int(rng.integers(len(SCAFFOLDS)))]
    n = _n_sites(scaffold)
    if n < len(frags):
        return None
    sites = [int(rng.integers(n))] if len(frags) == 1 else [int(x) for x in rng.permutation(n)[: len(frags)]]
    linkers = [LINKERS[int(rng.integers(len(LINKERS)))] for _ in frags]
    subs = [_branch(SIDE_CHAINS[int(rng.integers(len(SIDE_CHAINS)))]) for _ in range(n)]
    for site, linker, frag in zip(sites, linkers, frags):
        subs[site] = _branch(linker + frag.smiles)
    return scaffold.format(*subs)


def _draw(rng: np.random.Generator, frags: Sequence[Fragment], used: Sequence[Fragment],
          seen: set[str]) -> Molecule | None:
    """One new molecule carrying exactly ``frags`` among ``used``, or None (rejected draw)."""
    smiles = _assemble(rng, frags)
    mol = _mol(smiles) if smiles is not None else None
    if mol is None:
        return None
    smiles = Chem.MolToSmiles(mol)
    if smiles in seen:
        return None
    if any(mol.HasSubstructMatch(o.pattern) for o in used if o not in frags):
        return None
    seen.add(smiles)
    return Molecule(smiles=smiles, inchi_key=Chem.MolToInchiKey(mol))


def make_molecules(
    counts: list[int], rng: np.random.Generator, max_tries_per_molecule: int = 200
) -> list[list[Molecule]]:
    """``counts[m]`` distinct molecules for each of the first ``len(counts)`` fragments.

    Each molecule of group m contains ``FRAGMENTS[m]`` and no other fragment in use; all canonical
    SMILES are distinct. Raises RuntimeError if a check fails or the space is exhausted.
    """
    used = FRAGMENTS[: len(counts)]
    seen: set[str] = set()
    out: list[list[Molecule]] = []
    for m, count in enumerate(counts):
        frag = used[m]
        group: list[Molecule] = []
        tries = 0
        while len(group) < count:
            tries += 1
            if tries > max_tries_per_molecule * count:
                raise RuntimeError(
                    f"could not build {count} distinct molecules with a {frag.name}; lower compounds_per_moa"
                )
            molecule = _draw(rng, (frag,), used, seen)
            if molecule is not None:
                group.append(molecule)
        out.append(group)
    verify_fragment_sets([m for g in out for m in g], [(m,) for m, g in enumerate(out) for _ in g], used)
    logger.debug("built %d molecules", sum(len(g) for g in out))
    return out


def make_molecule_sets(
    fragment_sets: Sequence[tuple[int, ...]], n_used: int, rng: np.random.Generator, max_tries_per_molecule: int = 200
) -> list[Molecule]:
    """One distinct molecule per entry of ``fragment_sets``, carrying exactly those fragments (indices
    into :data:`FRAGMENTS`, at most three, possibly none) and no other of the first ``n_used``."""
    used = FRAGMENTS[:n_used]
    seen: set[str] = set()
    out: list[Molecule] = []
    for wanted in fragment_sets:
        frags = tuple(used[k] for k in wanted)
        for _ in range(max_tries_per_molecule):
            molecule = _draw(rng, frags, used, seen)
            if molecule is not None:
                out.append(molecule)
                break
        else:
            names = ", ".join(f.name for f in frags) or "no fragment"
            raise RuntimeError(f"could not build a new molecule with {names}; lower compounds_per_moa")
    verify_fragment_sets(out, fragment_sets, used)
    logger.debug("built %d molecules", len(out))
    return out


def verify_substructures(groups: list[list[Molecule]], fragments: tuple[Fragment, ...]) -> None:
    """Raise RuntimeError unless each group's molecules carry exactly their own fragment."""
    verify_fragment_sets([m for g in groups for m in g], [(k,) for k, g in enumerate(groups) for _ in g], fragments)


def verify_fragment_sets(molecules: Sequence[Molecule], fragment_sets: Sequence[tuple[int, ...]],
                         fragments: Sequence[Fragment]) -> None:
    """Raise RuntimeError unless each molecule carries exactly the fragments of its set."""
    for molecule, wanted in zip(molecules, fragment_sets):
        mol = Chem.MolFromSmiles(molecule.smiles)
        if mol is None:
            raise RuntimeError(f"demo SMILES does not parse: {molecule.smiles}")
        for k, frag in enumerate(fragments):
            if mol.HasSubstructMatch(frag.pattern) != (k in wanted):
                raise RuntimeError(
                    f"planted substructure violated: {molecule.smiles} vs {frag.name} ({frag.smarts})"
                )


_check_tables()
