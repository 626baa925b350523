"""Write explanations back to the graph, idempotently per explain run, in UNWIND batches.

| level | relationship |
|---|---|
| genes | ``(:Gene)-[:EXPLAINS {score, rank, method, run_id}]->(:Prediction)`` |
| GO terms | ``(:GOTerm)-[:EXPLAINS {score, rank, method, run_id, p_value, q_value, hits}]->(:Prediction)`` |
| substructures | ``(:Substructure)-[:EXPLAINS {score, rank, method, run_id}]->(:Prediction)`` |
| gene pairs | ``(:Gene)-[:INTERACTS_IN_EXPLANATION {score, joint, rank, method, run_id, prediction_id}]->(:Gene)`` |
| STRING edges | ``(:Gene)-[:EXPLAINS_EDGE {score, rank, method, run_id, prediction_id}]->(:Gene)`` |

:func:`write_rows` *replaces* one level of one run: it first deletes what that run wrote at that
level (an index seek on ``run_id``; nothing to do for a new run), then CREATEs the rows. Writing
the same rows again therefore leaves the same edges. Per-row MERGE would give the same result but
must scan the relationships of the gene or prediction it touches, so it slows down as the graph
collects explanations (measured 5,000 → 3,000 rows/s between 100k and 370k EXPLAINS edges, while
CREATE stays flat); see ``bench/explain.py``.

Rows are grouped by prediction and sent with one list per field (compact to pack, one prediction
lookup per group), ``batch_size`` rows per transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import Enum
from typing import Any, Mapping, Sequence

from toolkit import cypher
from toolkit.graph.db import Graph

logger = logging.getLogger(__name__)

BATCH_SIZE = 20_000


class Level(Enum):
    """What an explanation row attributes to: (write statement, clear statement, source label)."""

    GENE = ("write/explains_genes", "write/explains_clear", "Gene")
    GO_TERM = ("write/explains_goterms", "write/explains_clear", "GOTerm")
    SUBSTRUCTURE = ("write/explains_substructures", "write/explains_clear", "Substructure")
    GENE_PAIR = ("write/explains_gene_pairs", "write/explains_clear_pairs", None)
    EDGE = ("write/explains_edges", "write/explains_clear_edges", None)

    @property
    def write_statement(self) -> str:
        return self.value[0]

    @property
    def clear_statement(self) -> str:
        return self.value[1]

    @property
    def label(self) -> str | None:
        return self.value[2]


@dataclass(frozen=True)
class WriteCounts:
    rows: int
    relationships_created: int
    batches: int


def group_rows(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rows → one group per prediction: ``{prediction_id, field: [values…], …}`` (row order kept)."""
    groups: dict[str, dict[str, Any]] = {}
    for row in rows:
        pid = str(row["prediction_id"])
        group = groups.get(pid)
        if group is None:
            group = groups[pid] = {"prediction_id": pid, **{k: [] for k in row if k != "prediction_id"}}
        for key, value in row.items():
            if key != "prediction_id":
                group[key].append(value)
    return list(groups.values())


def clear(graph: Graph, level: Level, run_id: str) -> None:
    """Delete what ``run_id`` wrote at ``level``."""
    params: dict[str, Any] = {"run_id": run_id}
    if level.label is not None:
        params["label"] = level.label
    graph.run_autocommit(cypher.load(level.clear_statement), **params)


def write_rows(graph: Graph, level: Level, run_id: str, method: str, rows: Sequence[Mapping[str, Any]],
               batch_size: int = BATCH_SIZE, new_run: bool = False) -> WriteCounts:
    """Make ``rows`` the run's explanation at ``level``: clear what the run wrote there, then create
    in batches. ``new_run``: the run id was just minted and has written nothing (skips the clear)."""
    statement = cypher.load(level.write_statement)
    if not new_run:
        clear(graph, level, run_id)
    created = batches = 0
    batch: list[dict[str, Any]] = []
    size = 0
    for group in group_rows(rows):
        batch.append(group)
        size += len(group["rank"])
        if size >= batch_size:
            created += graph.write(statement, run_id=run_id, method=method, groups=batch).get("relationships_created", 0)
            batches += 1
            batch, size = [], 0
    if batch:
        created += graph.write(statement, run_id=run_id, method=method, groups=batch).get("relationships_created", 0)
        batches += 1
    logger.debug("%s: %d rows, %d relationships created in %d batches", level.name, len(rows), created, batches)
    return WriteCounts(len(rows), created, batches)
