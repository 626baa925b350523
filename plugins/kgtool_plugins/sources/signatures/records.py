"""The types every module of the signatures source shares; this module imports none of the others."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional

if TYPE_CHECKING:
    import numpy as np

MetaGetter = Callable[[Optional[str]], str]  # column name (None: absent) -> stripped value ("" if absent)


@dataclass(frozen=True, slots=True)
class SigMeta:
    """The harmonised metadata of one signature."""

    pert_id: str
    name: str
    cell: str
    pert_type: str
    dose_um: Optional[float]
    time_h: Optional[float]
    qc_pass: Optional[bool]
    quality: tuple[tuple[str, Any], ...]
    plate: str = ""  # det_plate, else rna_plate ("" when the metadata has neither)


class Matrix:
    """A signature matrix: column (sig) ids, row ids and row meta, and slices of columns."""

    path: Path
    col_ids: list[str]
    row_ids: list[str]
    row_meta: dict[str, list[str]]

    def block(self, start: int, stop: int) -> np.ndarray:
        """Columns ``start:stop`` as an array of shape (stop - start, n_rows)."""
        raise NotImplementedError

    def col_meta(self) -> Optional[tuple[list[str], Callable[[int], MetaGetter]]]:
        """Embedded column metadata: (field names, column index -> getter), or None."""
        raise NotImplementedError

    def columns(self, index: np.ndarray) -> np.ndarray:
        """The columns at ascending ``index`` as an array of shape (len(index), n_rows)."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the file (a no-op for matrices held in memory)."""


@dataclass(frozen=True)
class LandmarkGenes:
    """The landmark rows of one matrix, in ascending Entrez order."""

    rows: np.ndarray  # row indices into the matrix
    entrez: list[int]
    symbols: list[Optional[str]]
