"""Per-compound samples: a compound's signatures (over cells, doses, times) folded into one.

``aggregate(data, "compound")`` gives one row per compound, ``"compound_cell"`` one per compound
and cell line; the row's z-scores are the consensus of its signatures
(:mod:`toolkit.consensus`: MODZ by default, or the mean; groups of more than
:data:`LARGE_GROUP` rows are folded in chunks by :func:`large_consensus`) and its labels the union
of theirs.
Sample ids become ``compound:<pert_id>`` / ``compound_cell:<pert_id>@<cell>``. Splits then work on
these rows as on signatures (cold-compound still keeps a compound on one side).
"""

from __future__ import annotations

from enum import Enum
from typing import Iterator, Sequence

import numpy as np

from toolkit.consensus import ConsensusMethod, consensus, group_rows
from toolkit.errors import ConfigError
from toolkit.models import TaskData, chunk_rows, release_pages


class AggregateLevel(str, Enum):
    NONE = "none"
    COMPOUND = "compound"
    COMPOUND_CELL = "compound_cell"


LARGE_GROUP = 2048  # groups with more rows (e.g. one cell line's thousands of DMSO controls) fold in chunks


def _standardised_ranks(block: np.ndarray) -> np.ndarray:
    """Each row's ranks centred to mean 0 and scaled to norm 1 (a constant row: all zeros), so that
    the dot product of two rows is their Spearman correlation."""
    from scipy.stats import rankdata

    ranks = rankdata(block, axis=1)
    ranks -= ranks.mean(axis=1, keepdims=True)
    norm = np.linalg.norm(ranks, axis=1, keepdims=True)
    return np.divide(ranks, norm, out=np.zeros_like(ranks), where=norm > 0)


def large_consensus(x: np.ndarray, rows: Sequence[int], method: ConsensusMethod | str) -> np.ndarray:
    """:func:`toolkit.consensus.consensus` of ``x[rows]`` read in chunks, in memory linear in a chunk
    (the direct MODZ builds an n x n correlation matrix: 35 GB for 66,000 replicates). MODZ weights
    use ``corr @ 1 = Z @ (Z.T @ 1)`` over the standardised ranks ``Z``, less each row's own
    correlation; equal to the direct computation up to floating-point rounding."""
    from toolkit.consensus import MIN_WEIGHT

    index, step = np.asarray(rows, dtype=np.int64), chunk_rows(x)

    def chunks() -> Iterator[tuple[int, np.ndarray]]:
        for start in range(0, len(index), step):
            yield start, np.asarray(x[index[start:start + step]], dtype=np.float64)
        release_pages(x)

    n = len(index)
    if ConsensusMethod(method) is ConsensusMethod.MEAN or n <= 2:
        return sum((block.sum(axis=0) for _, block in chunks()), np.zeros(x.shape[1])) / n
    total = sum((_standardised_ranks(block).sum(axis=0) for _, block in chunks()), np.zeros(x.shape[1]))
    weights = np.empty(n)
    for start, block in chunks():
        z = _standardised_ranks(block)
        weights[start:start + len(block)] = (z @ total - (z * z).sum(axis=1)) / (n - 1)
    weights = np.clip(weights, MIN_WEIGHT, None)
    weights /= weights.sum()
    return sum((weights[start:start + len(block)] @ block for start, block in chunks()), np.zeros(x.shape[1]))


def _consensus_rows(x: np.ndarray, groups: list[list[int]], method: ConsensusMethod) -> Iterator[np.ndarray]:
    """The consensus of each group's rows of ``x``; a memory-mapped ``x`` has its pages released
    every :func:`toolkit.models.chunk_rows` rows read, so the output (one row per group) is all
    that grows."""
    step, read = chunk_rows(x), 0
    for rows in groups:
        yield consensus(x[rows], method) if len(rows) <= LARGE_GROUP else large_consensus(x, rows, method)
        read += len(rows)
        if read >= step:
            release_pages(x)
            read = 0
    release_pages(x)


def aggregate(data: TaskData, level: AggregateLevel | str, method: ConsensusMethod | str = ConsensusMethod.MODZ
              ) -> TaskData:
    """``data`` with one row per group of ``level`` (unchanged for ``none``)."""
    level, method = AggregateLevel(level), ConsensusMethod(method)
    if level is AggregateLevel.NONE:
        return data
    if level is AggregateLevel.COMPOUND_CELL and not data.cell_ids:
        raise ConfigError("--aggregate compound_cell needs the signatures' cell lines; the snapshot has none "
                          "(use --aggregate compound)")
    if level is AggregateLevel.COMPOUND:
        keys = list(data.compound_ids)
    else:
        keys = [f"{c}@{cell}" for c, cell in zip(data.compound_ids, data.cell_ids)]
    groups = group_rows(keys)
    rows = list(groups.values())
    x = np.empty((len(rows), data.x.shape[1]), dtype=np.float32) if rows else data.x[:0]
    for i, row in enumerate(_consensus_rows(data.x, rows, method)):
        x[i] = row  # float64 consensus -> float32, row by row (no float64 matrix of all groups)
    y = np.stack([data.y[r].max(axis=0) for r in rows]) if rows else data.y[:0]
    return TaskData(
        x=x, y=y,
        sample_ids=tuple(f"{level.value}:{key}" for key in groups),
        compound_ids=tuple(data.compound_ids[r[0]] for r in rows),
        gene_ids=data.gene_ids, classes=data.classes,
        cell_ids=tuple(data.cell_ids[r[0]] for r in rows) if level is AggregateLevel.COMPOUND_CELL else (),
        context=data.context,
    )
