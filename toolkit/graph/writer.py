"""The batched graph writer: ``UNWIND $rows`` + ``MERGE`` on constrained keys, one transaction a chunk.

A retry or a re-run changes nothing. A chunk is all-or-nothing, so a failure never leaves a
half-written chunk behind.

A relationship batch whose pairs cannot exist yet is written with CREATE instead of MERGE (no
lookup among the relationships of its end nodes; ``bench/load.py`` measures both): when every row
has an end this writer created (a node chunk counts as created only when Neo4j reports creating
every key of it) that no earlier batch of the type touched, or only the previous one did and not
with that pair (:class:`NewNodes`). The decision is per batch, so a chunk stays one statement and
all-or-nothing; rows repeating a pair are combined as the MERGE path would set them. A re-run of an
interrupted load finds those nodes already there, so it MERGEs their relationships: no duplicates.
This assumes one load at a time writes relationships of the nodes a load creates (a running load
holds no lock against another); ``create_new=False`` MERGEs everything.

A writer that knows which load source it writes for (``source``) and a ``precedence`` table
(``{(label, property): (best source, next, ...)}``, see :data:`toolkit.load.PRECEDENCE`) writes a
property several sources give (Gene.symbol, Compound.name) by rank rather than "last write wins",
and records who set it in ``<property>_source``, so that loading sources in any order gives the
same graph. Without them every row property is set (the later write wins).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, Iterable, Mapping, Optional, Sequence

from toolkit import cypher
from toolkit.graph.batches import Batch, LookupBatch, NodeBatch, RelBatch
from toolkit.graph.db import Graph
from toolkit.schema import NodeLabel, RelType

Precedence = Mapping[tuple[NodeLabel, str], Sequence[str]]


@dataclass
class WriteCounts:
    """Rows sent and what Neo4j reported creating, per label / relationship type."""

    rows: dict[str, int] = field(default_factory=dict)
    nodes_created: int = 0
    relationships_created: int = 0
    properties_set: int = 0
    relationship_rows_created: int = 0  # rows written with CREATE (see the module doc), not MERGE

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


# How many created node keys a writer remembers (per label; the oldest are forgotten first, whose
# relationships are then MERGEd): bounds its memory on a load of millions of nodes.
NEW_KEYS_LIMIT = 1_000_000
_REL_BIT = {rel: 1 << i for i, rel in enumerate(RelType)}


class NewNodes:
    """Which relationships cannot exist yet: the nodes a writer created, per label, and which of them
    a batch of each relationship type touched.

    A relationship of type T cannot exist when one of its ends is a node created in this load and not
    *closed* for T, and its pair is not among the pairs of the latest T batch. A node is open for T
    until the T batch after the first that touches it (so its rows may run on into one more batch, as
    chunked rows of a node do); then all its T relationships written in this load are in one or two
    batches, the latest of which is kept. The memory kept is the created keys plus one batch.
    """

    def __init__(self, limit: int = NEW_KEYS_LIMIT) -> None:
        self.limit = limit
        self._closed: dict[NodeLabel, OrderedDict[Any, int]] = {}  # key -> bit mask of closed types
        self._touched: dict[tuple[RelType, NodeLabel], set] = {}  # keys the latest T batch touched
        self._pairs: dict[RelType, set[tuple[Any, Any]]] = {}  # the pairs of the latest T batch

    def add(self, label: NodeLabel, keys: Iterable[Any]) -> None:
        known = self._closed.setdefault(label, OrderedDict())
        for key in keys:
            known.setdefault(key, 0)
        while len(known) > self.limit:
            known.popitem(last=False)

    def holds(self, *labels: NodeLabel) -> bool:
        """Whether a node of one of ``labels`` is remembered as new."""
        return any(self._closed.get(label) for label in labels)

    def all_fresh(self, rel: RelType, start: NodeLabel, end: NodeLabel, pairs: Sequence[tuple[Any, Any]]) -> bool:
        """Whether no ``rel`` relationship between any of the (start key, end key) ``pairs`` can exist."""
        bit = _REL_BIT[rel]
        start_known, end_known = self._closed.get(start) or {}, self._closed.get(end) or {}
        latest = self._pairs.get(rel, set())
        for pair in pairs:
            if pair in latest:
                return False
            mask = start_known.get(pair[0])
            if mask is not None and not mask & bit:
                continue
            mask = end_known.get(pair[1])
            if mask is None or mask & bit:
                return False
        return True

    def touch(self, rel: RelType, start: NodeLabel, end: NodeLabel, pairs: Sequence[tuple[Any, Any]]) -> None:
        """Record that a batch wrote ``rel`` relationships between the (start key, end key) ``pairs``:
        the nodes the previous ``rel`` batch touched are closed for ``rel``."""
        bit = _REL_BIT[rel]
        for label in dict.fromkeys((start, end)):
            known = self._closed.get(label)
            if not known:
                continue
            for key in self._touched.get((rel, label), ()):
                if key in known:
                    known[key] |= bit
            keys = {pair[0] for pair in pairs} if label is start else set()
            if label is end:
                keys.update(pair[1] for pair in pairs)
            self._touched[(rel, label)] = keys
        self._pairs[rel] = set(pairs)


def _combined(rows: Sequence[dict]) -> list[dict]:
    """One row per (start, end), its props those of the rows for that pair applied in order (what
    ``SET r += props`` row after row leaves; a null still leaves the property unset)."""
    pairs: dict[tuple[Any, Any], dict] = {}
    for row in rows:
        pair = (row["start"], row["end"])
        held = pairs.get(pair)
        props = row.get("props") or {}
        pairs[pair] = {"start": pair[0], "end": pair[1],
                       "props": {**held["props"], **props} if held is not None else dict(props)}
    return list(pairs.values())


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
                 precedence: Optional[Precedence] = None, create_new: bool = True) -> None:
        self.graph = graph
        self.chunk_size = chunk_size
        self.counts = WriteCounts()
        self.source = source
        self.new_nodes: Optional[NewNodes] = NewNodes() if create_new else None
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
        if isinstance(batch, RelBatch):
            self._write_rels(batch)
            return
        params: dict = {}
        key = batch.label.key
        if batch.label in self._contested:
            prop = self._contested[batch.label]
            ranks = self._ranks[(batch.label, prop)]
            statement, key = ranked_node_statement(batch, prop), "id"
            params = {"ranks": ranks, "rank": ranks.get(self.source, -1), "source": self.source}
            rows = [{"id": row[batch.label.key], "value": row.get(prop),
                     "props": {k: v for k, v in row.items() if k not in (prop, source_property(prop))}}
                    for row in batch.rows]
        else:
            statement, rows = node_statement(batch), list(batch.rows)
        for i in range(0, len(rows), self.chunk_size):
            chunk = rows[i : i + self.chunk_size]
            counters = self.graph.write(statement, rows=chunk, **params)
            self.counts.add(batch.label.value, len(chunk), counters)
            if self.new_nodes is not None and counters.get("nodes_created", 0):
                keys = {row[key] for row in chunk}
                if counters["nodes_created"] == len(keys):  # every key of the chunk is a new node
                    self.new_nodes.add(batch.label, keys)

    def _write_rels(self, batch: RelBatch) -> None:
        """CREATE the rows when none of their pairs can exist yet (see the module doc), else MERGE
        them: one statement per batch, so a chunk stays all-or-nothing."""
        rows = _undirected(batch.rows) if batch.rel_type.undirected else list(batch.rows)
        new, rel = self.new_nodes, batch.rel_type
        if new is None or not new.holds(batch.start, batch.end):
            self._send_rels(batch, rows, "write/merge_rels")
            return
        pairs = [(row["start"], row["end"]) for row in rows]
        create = new.all_fresh(rel, batch.start, batch.end, pairs)
        new.touch(rel, batch.start, batch.end, pairs)
        if not create:
            self._send_rels(batch, rows, "write/merge_rels")
            return
        combined = _combined(rows)
        self._send_rels(batch, combined, "write/create_rels")
        self.counts.relationship_rows_created += len(combined)
        if len(combined) < len(rows):  # rows combined with an earlier row for their pair still count
            self.counts.add(rel.value, len(rows) - len(combined), {})

    def _send_rels(self, batch: RelBatch, rows: list[dict], name: str) -> None:
        """``rows`` (undirected pairs already ordered) through template ``name`` or its ``_listed`` form."""
        if not rows:
            return
        # Sorted rows: neighbouring rows touch the same nodes, ~20% less server CPU (bench/load.py).
        params: dict = {}
        flat = _flat(rows, undirected=False)
        if flat is not None:
            statement = rel_statement(batch, f"{name}_listed")
            params, rows = {"keys": flat[0]}, flat[1]
        else:
            statement = rel_statement(batch, name)
            rows = sorted(rows, key=lambda row: (row["start"], row["end"]))  # stable: the later row still wins
        for i in range(0, len(rows), self.chunk_size):
            chunk = rows[i : i + self.chunk_size]
            self.counts.add(batch.rel_type.value, len(chunk), self.graph.write(statement, rows=chunk, **params))

    def write_all(self, batches: Iterable[Batch]) -> WriteCounts:
        for batch in batches:
            self.write(batch)
        return self.counts
