"""Checks of the signatures source that run before its first write, so a failed load changes nothing.

* :func:`check_ids`: matrix column ids without a metadata row are counted exactly and the first
  :data:`NAMED` named in one error (lenient: each reported as dropped, the count exact); siginfo
  rows whose sig_id no matrix has (usual: the 2020 ``siginfo_beta`` lists every signature of every
  level) are counted exactly and the first named in one report line per file, not an error.
* :func:`check_finite`: every kept signature's landmark values are read once, a slice of columns
  at a time (bounded memory), and NaN/inf values are one error naming the first signature, its
  gene and the exact number of such signatures, before anything is written. Under ``lenient`` the
  write pass skips and reports them instead (no extra read).
* :func:`quality_value`: a quality column value that is not a number (``cc_q75 = abc``) is an
  error naming file, line and column (lenient: the value is left out and reported).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Sequence

from toolkit.errors import InputDataError

from ..tables import MISSING, Problems

if TYPE_CHECKING:
    from .records import LandmarkGenes, Matrix

NAMED = 10  # ids named in one message; the counts are exact


def _named(ids: Sequence[str], total: int) -> str:
    shown = ", ".join(ids[:NAMED])
    return f"{shown}, ... ({total - NAMED} more)" if total > NAMED else shown


class UnmatchedRows:
    """Counts the rows of one siginfo file whose sig_id is in no matrix, naming the first few."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        self.first: list[str] = []

    def add(self, sig_id: str) -> None:
        self.count += 1
        if len(self.first) < NAMED:
            self.first.append(sig_id)

    def report(self, problems: Problems) -> None:
        if self.count:
            problems.drop(self.path, "rows", f"{self.count} rows name signatures that no matrix of this load has "
                          f"({_named(self.first, self.count)}); their metadata is not loaded",
                          kind="siginfo row without matrix column", rows=self.count)


def check_ids(m: Matrix, flags: list[bool], metas: dict, where: str, problems: Problems) -> None:
    """Unflag (lenient) or refuse the kept columns of ``m`` that have no metadata (see the module doc)."""
    missing = [j for j, sig_id in enumerate(m.col_ids) if flags[j] and sig_id not in metas]
    if not missing:
        return
    names = [f"{m.col_ids[j]} (column {j + 1})" for j in missing[:NAMED]]
    if not problems.lenient:
        raise InputDataError(m.path, "columns", f"{len(missing)} of {len(m.col_ids)} column ids are not in the "
                             f"signature metadata ({where}): {_named(names, len(missing))}",
                             "pass the siginfo file that belongs to this matrix (or load with --lenient to skip "
                             "those signatures)")
    for j in missing:
        problems.drop(m.path, f"column {j + 1} ({m.col_ids[j]})",
                      f"sig id {m.col_ids[j]!r} is not in the signature metadata ({where}); skipped (lenient)",
                      kind="sig id without metadata")
        flags[j] = False


def check_finite(m: Matrix, flags: list[bool], layout: LandmarkGenes, chunk: int, lenient: bool) -> None:
    """Refuse a matrix with NaN/inf among a kept signature's landmark values (see the module doc)."""
    import numpy as np

    if lenient:
        return
    bad: list[tuple[int, int, int]] = []  # (column, number of bad values, first bad gene)
    n_bad = 0
    for start in range(0, len(m.col_ids), max(1, chunk)):
        stop = min(start + chunk, len(m.col_ids))
        cols = [j for j in range(start, stop) if flags[j]]
        if not cols:
            continue
        block = m.block(start, stop)[np.asarray(cols) - start][:, layout.rows]
        finite = np.isfinite(block)
        for i in np.flatnonzero(~finite.all(axis=1)):
            n_bad += 1
            if len(bad) < NAMED:
                genes = np.flatnonzero(~finite[i])
                bad.append((cols[i], len(genes), layout.entrez[int(genes[0])]))
        del block, finite
    if not n_bad:
        return
    j, n_values, gene = bad[0]
    n_kept = sum(flags)
    others = ", ".join(m.col_ids[c] for c, _, _ in bad[1:])
    more = (f"; {n_bad} signature{'s' if n_bad > 1 else ''} of {n_kept} {'have' if n_bad > 1 else 'has'} NaN/inf "
            "values" + (f" (also {others}{', ...' if n_bad > NAMED else ''})" if others else ""))
    raise InputDataError(m.path, f"signature {m.col_ids[j]} (column {j + 1})",
                         f"{n_values} NaN/inf landmark values (first at gene {gene}){more}; found before anything "
                         "was written, the database is unchanged",
                         "recompute or remove these signatures (or load with --lenient to skip them)")


def quality_value(text: str, column: str, typ: type, path: Path, record: str, problems: Problems) -> Optional[Any]:
    """A quality column's value as ``typ`` (None when missing); a value that is not one is reported."""
    text = text.strip()
    if text in MISSING:
        return None
    if typ is bool:
        flag = text.lower()
        if flag in ("true", "t", "yes"):
            return True
        if flag in ("false", "f", "no"):
            return False
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if math.isfinite(number):
        return bool(number) if typ is bool else int(number) if typ is int else number
    where, problem = f"{record}, column {column}", f"{column} = {text!r} is not a number"
    if not problems.lenient:
        problems.bad(path, where, problem, "write a number, or -666 / NA for a missing value (or load with "
                     "--lenient to leave the value out)")
    problems.drop(path, where, f"{problem}; the value is left out (lenient)", kind=f"{column} not a number")
    return None
