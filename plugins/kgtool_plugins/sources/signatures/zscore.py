"""Level 3 expression to robust z-scores per plate (``--zscore plate`` / ``vehicle``), as CMap's
Level 4 (ZSPC): ``z = (x - median) / (1.4826 * max(MAD, 0.1))`` per landmark gene, clipped to
±10, over a plate's wells or its vehicle-control wells. See ``docs/signatures.md``."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional, Sequence

from toolkit.errors import InputDataError

from .records import LandmarkGenes, Matrix, SigMeta

if TYPE_CHECKING:
    import numpy as np

logger = logging.getLogger(__name__)

ZSCORE_MODES = ("none", "plate", "vehicle")
MIN_MAD = 0.1  # floor of the MAD before scaling (cmapPy robust_zscore's min_mad; CMap ZSPC)
MAD_TO_SD = 1.4826  # MAD x 1.4826 estimates the standard deviation of a normal distribution
Z_CLIP = 10.0  # z-scores are clipped to +-Z_CLIP, as CMap's Level 4/5 are
MIN_REFERENCE_WELLS = 3  # fewest wells a plate's median/MAD may come from


@dataclass(frozen=True)
class PlateStats:
    """Per-plate robust location and scale of one matrix's landmark rows."""

    mode: str  # "plate" or "vehicle"
    names: list[str]  # plate names
    of_column: np.ndarray  # matrix column -> plate index (-1: column not loaded)
    median: np.ndarray  # (plates, landmarks)
    scale: np.ndarray  # (plates, landmarks): MAD_TO_SD * max(MAD, MIN_MAD)
    references: list[int]  # wells each plate's statistics come from

    def apply(self, block: np.ndarray, cols: Sequence[int]) -> np.ndarray:
        """Robust z-scores of ``block`` (rows = matrix columns ``cols``), clipped to +-Z_CLIP."""
        import numpy as np

        plates = self.of_column[np.asarray(cols, dtype=np.int64)]
        z = (block - self.median[plates]) / self.scale[plates]
        return np.clip(z, -Z_CLIP, Z_CLIP, out=z)


def is_vehicle(pert_type: str) -> bool:
    """A vehicle-control well (``ctl_vehicle``, also with a suffix such as ``ctl_vehicle.cns``)."""
    return pert_type.split(".")[0] == "ctl_vehicle"


def plate_stats(m: Matrix, flags: list[bool], layout: LandmarkGenes, metas: dict[str, SigMeta],
                 mode: str) -> PlateStats:
    """Median and scaled MAD of every landmark gene over each plate's wells (``plate``) or its
    vehicle-control wells (``vehicle``), reading one plate's columns at a time.

    The wells are the matrix columns this load keeps whose landmark values are all finite.
    """
    import numpy as np

    groups: dict[str, list[int]] = {}
    for j, sig_id in enumerate(m.col_ids):
        if flags[j]:
            groups.setdefault(metas[sig_id].plate or m.path.name, []).append(j)
    of_column = np.full(len(m.col_ids), -1, dtype=np.int64)
    medians, scales, references = [], [], []
    for p, (plate, cols) in enumerate(groups.items()):
        index = np.asarray(cols, dtype=np.int64)
        of_column[index] = p
        values = m.columns(index)[:, layout.rows].astype(np.float64)
        usable = np.isfinite(values).all(axis=1)
        if mode == "vehicle":
            usable &= np.array([is_vehicle(metas[m.col_ids[j]].pert_type) for j in cols], dtype=bool)
        reference = values[usable]
        del values
        if len(reference) < MIN_REFERENCE_WELLS:
            what = "vehicle-control wells (pert_type ctl_vehicle)" if mode == "vehicle" else "wells"
            fix = ("use --zscore plate to z-score against all wells of the plate" if mode == "vehicle" else
                   "load the whole plate in one matrix (z-scores need the plate population), or use --zscore none")
            raise InputDataError(m.path, f"plate {plate}",
                                 f"{len(reference)} {what} with finite values; --zscore {mode} needs at least "
                                 f"{MIN_REFERENCE_WELLS}", fix)
        median = np.median(reference, axis=0)
        mad = np.median(np.abs(reference - median), axis=0)
        medians.append(median)
        scales.append(MAD_TO_SD * np.maximum(mad, MIN_MAD))
        references.append(len(reference))
    n = len(layout.rows)
    return PlateStats(
        mode=mode, names=list(groups), of_column=of_column,
        median=np.array(medians, dtype=np.float64).reshape(-1, n),
        scale=np.array(scales, dtype=np.float64).reshape(-1, n), references=references,
    )


def stats_for(m: Matrix, flags: list[bool], layout: LandmarkGenes, metas: dict[str, SigMeta],
              zscore: str) -> Optional[PlateStats]:
    """The plate statistics ``zscore`` asks for (None for ``none``), logged."""
    if zscore == "none":
        return None
    stats = plate_stats(m, flags, layout, metas, zscore)
    logger.info("%s: robust z-scores against %s on %d plate(s): %s", m.path.name,
                "all wells" if stats.mode == "plate" else "the vehicle wells", len(stats.names),
                ", ".join(f"{n} ({k} wells)" for n, k in zip(stats.names, stats.references)))
    return stats
