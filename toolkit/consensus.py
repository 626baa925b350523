"""Consensus signatures from replicates: the plain mean and CMap's MODZ weighting.

MODZ (moderated z-score, Subramanian et al. 2017, the Level 4 → Level 5 step of LINCS L1000):
each replicate is weighted by its mean Spearman correlation to the other replicates, clipped at
``MIN_WEIGHT`` so an anti-correlated replicate counts for almost nothing, the weights normalised
to sum to one. One replicate gets weight 1; two replicates share equally (their correlations to
each other are the same number).

Used by ``kgtool train --aggregate`` (one sample per compound or per compound and cell line).
"""

from __future__ import annotations

from enum import Enum
from typing import Sequence

import numpy as np

MIN_WEIGHT = 0.01


class ConsensusMethod(str, Enum):
    MEAN = "mean"
    MODZ = "modz"


def _ranks(block: np.ndarray) -> np.ndarray:
    """Average ranks along each row (ties share their mean rank), as Spearman needs."""
    from scipy.stats import rankdata

    return rankdata(block, axis=1)


def modz_weights(block: np.ndarray) -> np.ndarray:
    """Weights (n,) of the ``n`` replicate rows of ``block`` (n, genes), summing to one."""
    block = np.atleast_2d(np.asarray(block, dtype=np.float64))
    n = block.shape[0]
    if n == 0:
        raise ValueError("modz_weights needs at least one replicate")
    if n <= 2:
        return np.full(n, 1.0 / n)
    corr = np.corrcoef(_ranks(block))
    corr = np.nan_to_num(corr, nan=0.0)  # a constant replicate correlates with nothing
    np.fill_diagonal(corr, 0.0)
    weights = np.clip(corr.sum(axis=1) / (n - 1), MIN_WEIGHT, None)
    return weights / weights.sum()


def consensus(block: np.ndarray, method: ConsensusMethod | str = ConsensusMethod.MODZ) -> np.ndarray:
    """One consensus signature (genes,) from replicate rows (n, genes)."""
    block = np.atleast_2d(np.asarray(block, dtype=np.float64))
    if ConsensusMethod(method) is ConsensusMethod.MEAN:
        return block.mean(axis=0)
    return modz_weights(block) @ block


def group_rows(keys: Sequence[str]) -> dict[str, list[int]]:
    """Row indices per key, keys in first-seen order."""
    groups: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        groups.setdefault(key, []).append(i)
    return groups
