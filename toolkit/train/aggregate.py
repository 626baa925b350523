"""Per-compound samples: a compound's signatures (over cells, doses, times) folded into one.

``aggregate(data, "compound")`` gives one row per compound, ``"compound_cell"`` one per compound
and cell line; the row's z-scores are the consensus of its signatures
(:mod:`toolkit.consensus`: MODZ by default, or the mean) and its labels the union of theirs.
Sample ids become ``compound:<pert_id>`` / ``compound_cell:<pert_id>@<cell>``. Splits then work on
these rows as on signatures (cold-compound still keeps a compound on one side).
"""

from __future__ import annotations

from enum import Enum

import numpy as np

from toolkit.consensus import ConsensusMethod, consensus, group_rows
from toolkit.errors import ConfigError
from toolkit.models import TaskData


class AggregateLevel(str, Enum):
    NONE = "none"
    COMPOUND = "compound"
    COMPOUND_CELL = "compound_cell"


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
    x = np.stack([consensus(data.x[r], method) for r in rows]).astype(np.float32) if rows else data.x[:0]
    y = np.stack([data.y[r].max(axis=0) for r in rows]) if rows else data.y[:0]
    return TaskData(
        x=x, y=y,
        sample_ids=tuple(f"{level.value}:{key}" for key in groups),
        compound_ids=tuple(data.compound_ids[r[0]] for r in rows),
        gene_ids=data.gene_ids, classes=data.classes,
        cell_ids=tuple(data.cell_ids[r[0]] for r in rows) if level is AggregateLevel.COMPOUND_CELL else (),
        context=data.context,
    )
