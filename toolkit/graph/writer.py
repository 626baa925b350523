"""The batched graph writer: ``UNWIND $rows`` + ``MERGE`` on constrained keys, one transaction a chunk.

A retry or a re-run changes nothing. A chunk is all-or-nothing, so a failure never leaves a
half-written chunk behind.

A writer that knows which load source it writes for (``source``) and a ``precedence`` table
(``{(label, property): (best source, next, ...)}``, see :data:`toolkit.load.PRECEDENCE`) writes a
property several sources give (Gene.symbol, Compound.name) by rank rather than "last write wins",
and records who set it in ``<property>_source``, so that loading sources in any order gives the
same graph. Without them every row property is set (the later write wins).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import itemgetter
from typing import Iterable, Mapping, Optional, Sequence

from toolkit import cypher
from toolkit.graph.batches import Batch, LookupBatch, NodeBatch, RelBatch
from toolkit.graph.db import Graph
from toolkit.schema import NodeLabel

Precedence = Mapping[tuple[NodeLabel, str], Sequence[str]]


@dataclass
class WriteCounts:
    """Rows sent and what Neo4j reported creating, per label / relationship type."""

    rows: dict[str, int] = field(default_factory=dict)
    nodes_created: int = 0
    relationships_created: int = 0
    properties_set: int = 0

    def add(self, name: str, n_rows: int, counters: dict[str, int]) -> None:
        self.rows[name] = self.rows.get(name, 0) + n_rows
        self.nodes_created += counters.get("nodes_created", 0)
        self.relationships_created += counters.get("relationships_created", 0)
        self.properties_set += counters.get("properties_set", 0)


def _undirected(rows: Iterable[dict]) -> list[dict]:
    """Order each pair smaller key first, so one relationship stands for the unordered pair."""
    out = []
    for row in rows:
        if row["end"] < row["start"]:
            row = {**row, "start": row["end"], "end": row["start"]}
        out.append(row)
    return out


def _flat(rows: Sequence[dict], undirected: bool) -> Optional[tuple[list[str], list[list]]]:
    """(property names, ``[start, end, value, ...]`` rows sorted by (start, end)) when every row
    has the same property names in the same order, else None (then the rows go as maps). Undirected
    pairs are stored smaller key first; the sort is stable, so of two rows for one pair the later
    still wins."""
    if not rows:
        return None
    keys = tuple(rows[0].get("props") or ())
    flat = []
    for row in rows:
        props = row.get("props") or {}
        if tuple(props) != keys:
            return None
        start, end = row["start"], row["end"]
        if undirected and end < start:
            start, end = end, start
        flat.append([start, end, *props.values()])
    flat.sort(key=itemgetter(0, 1))
    return list(keys), flat


def node_statement(batch: NodeBatch) -> cypher.Statement:
    return cypher.render("write/merge_nodes", label=batch.label.value, key=batch.label.key)


def ranked_node_statement(batch: NodeBatch, prop: str) -> cypher.Statement:
    return cypher.render("write/merge_nodes_ranked", label=batch.label.value, key=batch.label.key, prop=prop,
                         prop_source=source_property(prop))


def source_property(prop: str) -> str:
    """The property that records which source set a contested property."""
    return f"{prop}_source"


def rel_statement(batch: RelBatch, name: str = "write/merge_rels") -> cypher.Statement:
    return cypher.render(
        name,
        start=batch.start.value,
        start_key=batch.start.key,
        end=batch.end.value,
        end_key=batch.end.key,
        rel=batch.rel_type.value,
    )


class GraphWriter:
    """Writes batches in chunks of ``chunk_size`` rows."""

    def __init__(self, graph: Graph, chunk_size: int = 10_000, *, source: Optional[str] = None,
                 precedence: Optional[Precedence] = None) -> None:
        self.graph = graph
        self.chunk_size = chunk_size
        self.counts = WriteCounts()
        self.source = source
        self._contested: dict[NodeLabel, str] = {}
        self._ranks: dict[tuple[NodeLabel, str], dict[str, int]] = {}
        if source is not None:
            for (label, prop), ranked in (precedence or {}).items():
                if label in self._contested and self._contested[label] != prop:
                    raise ValueError(f"precedence lists two properties of {label.value}; one per label is supported")
                self._contested[label] = prop
                self._ranks[(label, prop)] = {s: len(ranked) - i for i, s in enumerate(ranked)}

    def write(self, batch: Batch) -> None:
        if isinstance(batch, LookupBatch):  # a read the source needs; nothing is written
            batch.answer(self.graph.read(cypher.load(batch.statement), **batch.params))
            return
        params: dict = {}
        if isinstance(batch, NodeBatch) and batch.label in self._contested:
            prop, key = self._contested[batch.label], batch.label.key
            ranks = self._ranks[(batch.label, prop)]
            statement, name = ranked_node_statement(batch, prop), batch.label.value
            params = {"ranks": ranks, "rank": ranks.get(self.source, -1), "source": self.source}
            rows = [{"id": row[key], "value": row.get(prop),
                     "props": {k: v for k, v in row.items() if k not in (prop, source_property(prop))}}
                    for row in batch.rows]
        elif isinstance(batch, NodeBatch):
            statement, name, rows = node_statement(batch), batch.label.value, list(batch.rows)
        else:
            # Sorted rows: neighbouring rows touch the same nodes, ~20% less server CPU (bench/load.py).
            name = batch.rel_type.value
            flat = _flat(batch.rows, batch.rel_type.undirected)
            if flat is not None:
                statement = rel_statement(batch, "write/merge_rels_listed")
                params, rows = {"keys": flat[0]}, flat[1]
            else:
                statement = rel_statement(batch)
                rows = _undirected(batch.rows) if batch.rel_type.undirected else list(batch.rows)
                rows.sort(key=lambda row: (row["start"], row["end"]))  # stable: the later row still wins
        for i in range(0, len(rows), self.chunk_size):
            chunk = rows[i : i + self.chunk_size]
            self.counts.add(name, len(chunk), self.graph.write(statement, rows=chunk, **params))

    def write_all(self, batches: Iterable[Batch]) -> WriteCounts:
        for batch in batches:
            self.write(batch)
        return self.counts
