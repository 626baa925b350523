"""Checks of the compound tables that need more than one row: conflicting structures, no SMILES column.

* Two rows with the same id as written (a CLUE/LINCS ``pert_id``, or one Hub sample id) whose
  SMILES are different structures (RDKit canonical SMILES differ, or one does not parse) are a
  conflict: an error naming both lines, or under ``lenient`` the first is kept and the conflict
  reported. Different SMILES strings of one structure are not a conflict.
* Different Hub samples of one compound (``BRD-K12345678-001-01-1`` and ``-003-02-5``, one
  ``pert_id``) may be different salts or stereo batches: the compound node holds the first
  sample's structure and each other structure is reported as dropped (not an error).
* A compound table without a SMILES column loads its compounds without structure: one report
  line (and a warning) says so; its ``inchi_key`` column is not used then, because the structure
  fields (``smiles``, ``inchikey``, ``scaffold``) are written together from one SMILES or not at
  all (see :mod:`.compounds`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

from .compound_structures import parse_smiles
from .tables import Problems

logger = logging.getLogger(__name__)

SMILES_COLUMNS = ("canonical_smiles", "smiles", "SMILES")


@dataclass
class CompoundRecord:
    """One compound as the tables give it: id, name, the first structure and where it came from, annotations."""

    pert_id: str
    name: str = ""
    smiles: str = ""
    inchikey: str = ""
    smiles_at: tuple[Path, str] = (Path("."), "")
    smiles_id: str = ""  # the id as written on the row the SMILES came from (a Hub sample id, or the pert_id)
    moas: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)


def canonical(smiles: str) -> Optional[str]:
    """RDKit canonical SMILES (a CXSMILES extension RDKit cannot read ignored); None if it does not parse."""
    from rdkit import Chem, rdBase

    with rdBase.BlockLogs():
        mol, _ = parse_smiles(smiles)
        return Chem.MolToSmiles(mol) if mol is not None else None


def check_smiles(comp: CompoundRecord, smiles: str, raw_id: str, path: Path, record: str, problems: Problems) -> None:
    """A further SMILES for ``comp`` (which holds one already): fine if the same structure, else reported."""
    if smiles == comp.smiles:
        return
    first = canonical(comp.smiles)
    if first is not None and first == canonical(smiles):
        return
    first_at = f"{comp.smiles_at[0].name} {comp.smiles_at[1]}"
    if raw_id == comp.smiles_id:
        problems.bad(path, record, f"{comp.pert_id} has SMILES {smiles!r} here and another structure "
                     f"{comp.smiles!r} on {first_at}",
                     f"give {comp.pert_id} one structure (or load with --lenient to keep the first)",
                     kind="conflicting SMILES")
        return
    problems.drop(path, record, f"sample {raw_id} of {comp.pert_id} has another structure {smiles!r} than sample "
                  f"{comp.smiles_id} ({first_at}); the compound keeps the first", kind="sample structure differs")


def no_structure(path: Path, columns: Sequence[str], inchikey_column: Optional[str], n_rows: int,
                 problems: Problems) -> None:
    """Report a compound table without a SMILES column."""
    unused = f"; its {inchikey_column} column is not used without a SMILES" if inchikey_column else ""
    text = (f"no SMILES column ({' / '.join(SMILES_COLUMNS)}; found {', '.join(columns[:8])}): the compounds of "
            f"its {n_rows} rows load without structure (smiles, inchikey, scaffold){unused}")
    logger.warning("%s: %s", path, text)
    problems.drop(path, "header", text, kind="no SMILES column", rows=n_rows)
