"""The merged graph of a bulk import (:class:`Plan`): batches merged with the writer's semantics.

It gives the graph :class:`toolkit.graph.writer.GraphWriter` would give on an empty database:

* node rows with the same key are merged, property by property, the last row winning (a ``None``
  value removes the property, as ``SET n += row`` does);
* a relationship endpoint without a node row becomes a node with just its key;
* undirected relationship types are stored smaller key first, one relationship per pair;
* rows with the same (start, type, end) are one relationship, their properties merged the same way;
* with a ``precedence`` table (:data:`toolkit.load.rules.PRECEDENCE`), a contested property follows the
  ranked writer's rule instead (:func:`_ranked`): several sources' batches in one plan (``kgtool
  build``) give the graph of loading them one by one, in any order.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from toolkit.errors import InputDataError
from toolkit.graph.batches import Batch, NodeBatch, RelBatch
from toolkit.schema import NodeLabel, RelType

MIN_LONG, MAX_LONG = -(2**63), 2**63 - 1  # what a 64-bit property holds


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: the plan is millions of small dicts and tuples that form no
    cycles, and every full collection would walk all of them again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def to_native(value: Any) -> Any:
    """The plain Python value the driver would send for ``value`` (numpy scalars and arrays, str, int
    and float subclasses such as enums); anything else unchanged."""
    if type(value).__module__ == "numpy" and hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return value


def _merged(props: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """``SET props += update`` as a new dict: later values win, ``None`` removes the property."""
    merged = {name: value for name, value in props.items() if value is not None}
    for name, value in update.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    return merged


def _ranked(props: dict[str, Any], row: dict[str, Any], prop: str, ranks: dict[str, int]) -> dict[str, Any]:
    """``row`` merged into ``props`` as ``cypher/write/merge_nodes_ranked`` merges it: the other
    properties as :func:`_merged`; ``prop`` only where it is missing or its holder (``<prop>_source``)
    ranks below the row's source, or ranks the same with a name no larger; a null never erases it."""
    prop_source = f"{prop}_source"
    merged = _merged(props, {k: v for k, v in row.items() if k != prop and k != prop_source})
    held, held_by, value, source = props.get(prop), props.get(prop_source), row.get(prop), row.get(prop_source)
    if held is not None:
        merged[prop] = held
        if held_by is not None:
            merged[prop_source] = held_by
    if value is not None and source is not None:
        held_rank, rank = ranks.get(held_by, -1), ranks.get(source, -1)  # type: ignore[arg-type]
        if held is None or held_by is None or held_rank < rank or (held_rank == rank and held_by <= source):
            merged[prop], merged[prop_source] = value, source
    return merged


_NO_PROPS: dict[str, Any] = {}  # the props of a relationship row without any (never changed)
_KNOWN_INTS = 1 << 24  # int keys below this are noted in a bytearray once they are known to have a node


@dataclass
class Plan:
    """The merged graph: nodes by label and key, relationships by (type, start, end) and pair.

    A props dict is a batch's own row dict (nodes, key included) or ``props`` dict, or one merged
    from several rows (:func:`_merged`): the plan never changes a dict it holds, so it need not copy
    the rows. In a row's own dict a ``None`` value stands for no property; the CSV writer skips it.
    """

    nodes: dict[NodeLabel, dict[Any, dict[str, Any]]] = field(default_factory=dict)
    rels: dict[tuple[RelType, NodeLabel, NodeLabel], dict[tuple[Any, Any], dict[str, Any]]] = field(
        default_factory=dict
    )
    key_types: dict[NodeLabel, type] = field(default_factory=dict)
    precedence: dict[tuple[NodeLabel, str], tuple[str, ...]] = field(default_factory=dict)
    _known: dict[NodeLabel, bytearray] = field(default_factory=dict, repr=False)

    def _check_key(self, label: NodeLabel, key: Any) -> None:
        if isinstance(key, bool) or not isinstance(key, (int, str)):
            raise InputDataError(
                "bulk import", f"{label.value} key {key!r}", f"key values must be int or str, not {type(key).__name__}",
                "convert the keys in the source plugin or load with the graph writer",
            )
        kind = str if isinstance(key, str) else int
        known = self.key_types.setdefault(label, kind)
        if known is not kind:
            raise InputDataError(
                "bulk import", f"{label.value} key {key!r}",
                f"{label.value}.{label.key} mixes {known.__name__} and {kind.__name__} keys",
                "give every key of a label the same type in the source plugin",
            )
        if kind is int:
            check_int(key, f"{label.value} key {key!r}")

    def node(self, label: NodeLabel, key: Any) -> dict[str, Any]:
        by_key = self.nodes.setdefault(label, {})
        props = by_key.get(key)
        if props is None:
            self._check_key(label, key)
            props = by_key[key] = {label.key: key}
        return props

    def add(self, batch: Batch) -> None:
        with gc_paused():
            if isinstance(batch, NodeBatch):
                self._add_nodes(batch)
            else:
                self._add_rels(batch)

    def _add_nodes(self, batch: NodeBatch) -> None:
        label, key_name = batch.label, batch.label.key
        by_key = self.nodes.setdefault(label, {})
        contested = next(((prop, ranked) for (held_label, prop), ranked in self.precedence.items()
                          if held_label is label), None)
        if contested is not None:
            prop, ranked = contested
            ranks = {s: len(ranked) - i for i, s in enumerate(ranked)}  # as GraphWriter ranks them
        for row in batch.rows:
            key = row[key_name]
            if type(key) is not int and type(key) is not str:
                key = to_native(key)
            props = by_key.get(key)
            if props is None:
                self._check_key(label, key)
                by_key[key] = row
            elif contested is not None:
                by_key[key] = _ranked(props, row, prop, ranks)
            else:
                by_key[key] = _merged(props, row)

    def _add_rels(self, batch: RelBatch) -> None:
        group = self.rels.setdefault((batch.rel_type, batch.start, batch.end), {})
        undirected = batch.rel_type.undirected
        self.nodes.setdefault(batch.start, {})
        self.nodes.setdefault(batch.end, {})
        if not batch.rows:
            return
        first = batch.rows[0]
        start_known = self._known_ints(batch.start, first["start"])
        end_known = self._known_ints(batch.end, first["end"])
        n_start, n_end = len(start_known), len(end_known)
        for row in batch.rows:
            start, end = row["start"], row["end"]
            if not (type(start) is int and 0 <= start < n_start and start_known[start]):
                start = self._endpoint(batch.start, start, start_known)
            if not (type(end) is int and 0 <= end < n_end and end_known[end]):
                end = self._endpoint(batch.end, end, end_known)
            pair = (end, start) if undirected and end < start else (start, end)
            update = row.get("props") or _NO_PROPS
            props = group.setdefault(pair, update)
            if props is not update and update:
                group[pair] = _merged(props, update)

    def _known_ints(self, label: NodeLabel, sample: Any) -> bytearray:
        """A byte per int key below ``_KNOWN_INTS``, 1 where the key is known to have a node: checking it
        is much cheaper than a dict lookup (whose keys lie all over the memory) for every endpoint.
        Only labels with int keys (judged by ``sample``) get one; the others an empty table."""
        known = self._known.get(label)
        if known is None:
            if type(sample) is not int:
                return bytearray()
            known = self._known[label] = bytearray(_KNOWN_INTS)
        return known

    def _endpoint(self, label: NodeLabel, key: Any, known: bytearray) -> Any:
        """A relationship endpoint's key as stored; an endpoint without a node row becomes a node with
        just its key."""
        if type(key) is not int and type(key) is not str:
            key = to_native(key)
        if key not in self.nodes[label]:
            self.node(label, key)
        if type(key) is int and 0 <= key < len(known):
            known[key] = 1
        return key


def check_int(value: int, where: str) -> None:
    """Refuse an integer a 64-bit Neo4j property cannot hold."""
    if not MIN_LONG <= value <= MAX_LONG:
        raise InputDataError("bulk import", where, f"integer {value} does not fit a 64-bit property",
                             "store it as a string or a float")
