"""The bulk path for FIRST loads: batches -> neo4j-admin CSV files -> ``database import full``.

It gives the graph :class:`toolkit.graph.writer.GraphWriter` would give on an empty database:

* node rows with the same key are merged, property by property, the last row winning (a ``None``
  value removes the property, as ``SET n += row`` does);
* a relationship endpoint without a node row becomes a node with just its key;
* undirected relationship types are stored smaller key first, one relationship per pair;
* rows with the same (start, type, end) are one relationship, their properties merged the same way.

The import replaces the whole database, so it refuses a database that holds nodes unless
``force=True``. neo4j-admin writes into a staging data directory; only a successful import is
swapped in, so a failed import leaves the database as it was. The server is stopped for the import
(after the refusal check, in the background while the CSV files are written) and started again in
any case, also when writing the CSV files fails; then the schema (constraints, indexes) is applied.

Values a CSV file cannot express (empty lists, a list holding just ``""``, temporal values,
property names that are not plain identifiers) are set after the import with stored Cypher, the
same ``SET += `` the writer uses.
"""

from __future__ import annotations

import datetime as _dt
import gc
import logging
import math
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain, islice, repeat
from operator import itemgetter
from pathlib import Path
from typing import Any

from toolkit import cypher
from toolkit.errors import InputDataError, ServerError
from toolkit.graph.batches import Batch, NodeBatch, RelBatch
from toolkit.graph.db import Graph, connect
from toolkit.graph.schema_init import apply_schema
from toolkit.schema import NodeLabel, RelType
from toolkit.server.manager import ManagedNeo4j
from toolkit.settings import Settings

logger = logging.getLogger(__name__)

# Array delimiters tried in order: the first one no string-list element contains is used.
ARRAY_DELIMITERS = (";", "|", "\x1f", "\x1e", "\x1d", "\x1c", "\x07")
STAGING_DIR_NAME = "bulk-import-staging"
FIXUP_CHUNK = 10_000
_INT64 = (-(2**63), 2**63 - 1)
_PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TEMPORAL = (_dt.date, _dt.datetime, _dt.time, _dt.timedelta)
_FIXUP = "cypher"  # the column token of a value that only Cypher can store
_SIMPLE = frozenset((str, int, float, bool))


@dataclass(frozen=True)
class BulkReport:
    """What one bulk import wrote and how long it took."""

    nodes: int
    relationships: int
    seconds_total: float
    seconds_import: float

    @property
    def records(self) -> int:
        return self.nodes + self.relationships


# -- merging batches with the writer's semantics ------------------------------------------------


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: the plan is millions of small dicts and tuples that form no
    cycles, and every full collection would walk all of them again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _native(value: Any) -> Any:
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


_NO_PROPS: dict[str, Any] = {}  # the props of a relationship row without any (never changed)
_KNOWN_INTS = 1 << 24  # int keys below this are noted in a bytearray once they are known to have a node


@dataclass
class _Plan:
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
            _check_int(key, f"{label.value} key {key!r}")

    def node(self, label: NodeLabel, key: Any) -> dict[str, Any]:
        by_key = self.nodes.setdefault(label, {})
        props = by_key.get(key)
        if props is None:
            self._check_key(label, key)
            props = by_key[key] = {label.key: key}
        return props

    def add(self, batch: Batch) -> None:
        with _gc_paused():
            if isinstance(batch, NodeBatch):
                self._add_nodes(batch)
            else:
                self._add_rels(batch)

    def _add_nodes(self, batch: NodeBatch) -> None:
        label, key_name = batch.label, batch.label.key
        by_key = self.nodes.setdefault(label, {})
        for row in batch.rows:
            key = row[key_name]
            if type(key) is not int and type(key) is not str:
                key = _native(key)
            props = by_key.get(key)
            if props is None:
                self._check_key(label, key)
                by_key[key] = row
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
            key = _native(key)
        if key not in self.nodes[label]:
            self.node(label, key)
        if type(key) is int and 0 <= key < len(known):
            known[key] = 1
        return key


# -- typing values as CSV columns ---------------------------------------------------------------

_MIN_LONG, _MAX_LONG = _INT64


def _check_int(value: int, where: str) -> None:
    if not _MIN_LONG <= value <= _MAX_LONG:
        raise InputDataError("bulk import", where, f"integer {value} does not fit a 64-bit property",
                             "store it as a string or a float")


def _has_newline(text: str) -> bool:
    return "\n" in text or "\r" in text


class _Typer:
    """Types values as CSV columns; notes what the import options must allow (multi-line fields,
    characters an array delimiter must avoid)."""

    def __init__(self) -> None:
        self.multiline = False
        self.in_string_lists: set[str] = set()  # candidate array delimiters some list element contains

    def typed(self, value: Any, where: str) -> tuple[str, Any]:
        """The CSV column type of ``value`` (``long``, ``string[]``, ...) or ``_FIXUP`` for values only
        Cypher can store, with the value as it is to be written."""
        kind = type(value)
        if kind is str:
            if not self.multiline and _has_newline(value):
                self.multiline = True
            return "string", value
        if kind is float:
            return "double", value
        if kind is int:
            _check_int(value, where)
            return "long", value
        if kind is bool:
            return "boolean", value
        if kind is list or kind is tuple:
            return self._list(value, where)
        native = _native(value)
        if native is not value:
            return self.typed(native, where)
        if isinstance(value, _TEMPORAL) or kind.__module__.startswith("neo4j."):
            return _FIXUP, value
        raise InputDataError("bulk import", where, f"value {value!r:.80} of type {kind.__name__} cannot be "
                             "a property", "convert it to a string, number, boolean or list of those in the source plugin")

    def _list(self, value: list[Any] | tuple[Any, ...], where: str) -> tuple[str, Any]:
        if not value:
            return _FIXUP, value  # an empty CSV field reads back as no property, not as an empty list
        items: Any = value
        kinds = {type(x) for x in items}
        if not kinds <= _SIMPLE:
            items = [_native(x) for x in items]
            kinds = {type(x) for x in items}
        if kinds == {str}:
            if len(items) == 1 and items[0] == "":
                return _FIXUP, value  # "" reads back as no property too
            for x in items:
                if not self.multiline and _has_newline(x):
                    self.multiline = True
                for c in ARRAY_DELIMITERS:
                    if c in x:
                        self.in_string_lists.add(c)
            return "string[]", items
        if kinds == {bool}:
            return "boolean[]", items
        if kinds <= {int, float}:
            for x in items:
                if type(x) is int:
                    _check_int(x, where)
            return ("double[]" if float in kinds else "long[]"), items
        if all(isinstance(x, _TEMPORAL) for x in items):
            return _FIXUP, value
        raise InputDataError("bulk import", where, f"list {value!r:.80} mixes types or holds nulls or maps",
                             "Neo4j stores only lists of one simple type; fix the source plugin")

    def array_delimiter(self) -> str:
        """The first candidate no string-list element contains (else ``;``: such lists are set by Cypher)."""
        return next((c for c in ARRAY_DELIMITERS if c not in self.in_string_lists), ARRAY_DELIMITERS[0])


@dataclass
class _Shard:
    """Rows that fit one CSV header: each column has one type in all of them. ``values`` holds the
    columns gathered while typing (native values), the others are read from ``rows`` when written."""

    columns: dict[str, str] = field(default_factory=dict)
    idents: list[Any] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    values: dict[str, list[Any]] = field(default_factory=dict)

    def column(self, name: str) -> list[Any]:
        """The values of a column, row by row (``None`` where a row has none); a list of its own."""
        values = self.values.get(name)
        return list(map(dict.get, self.rows, repeat(name))) if values is None else list(values)


# the column type of a value of a type that needs nothing more than its type for typing
_COLUMN_TOKENS = {str: "string", float: "double", bool: "boolean", int: "long"}


def _split(
    entities: dict[Any, dict[str, Any]], skip: str | None, typer: _Typer, where: str,
) -> tuple[list[_Shard], list[tuple[Any, dict[str, Any]]]]:
    """Group entities into shards of compatible column types (normally one); return them and the
    values only Cypher can set."""
    idents, rows = list(entities), list(entities.values())
    if not rows:
        return [], []
    shard = _split_by_column(idents, rows, skip, typer)
    if shard is not None:
        return [shard], []
    return _split_by_row(idents, rows, skip, typer, where)


def _split_by_column(idents: list[Any], rows: list[dict[str, Any]], skip: str | None, typer: _Typer) -> _Shard | None:
    """The common case, typed column by column: one shard, every property name plain and every column
    of one type a CSV file can hold. None when any row needs :func:`_split_by_row` (which also raises
    the errors, in row order)."""
    shard = _Shard(idents=idents, rows=rows)
    names = set(chain.from_iterable(rows))
    names.discard(skip)  # type: ignore[arg-type]
    for name in names:
        if not _PLAIN_NAME.match(name):
            return None
        values = list(map(dict.get, rows, repeat(name)))
        kinds = set(map(type, values))
        kinds.discard(type(None))
        if len(kinds) != 1:
            if kinds:
                return None
            continue  # None everywhere: no property
        kind = kinds.pop()
        token = _COLUMN_TOKENS.get(kind)
        if kind is int:
            present = [v for v in values if v is not None] if None in values else values
            if min(present) < _MIN_LONG or max(present) > _MAX_LONG:
                return None
        elif kind is list or kind is tuple:
            token = _list_column(values, typer)
        if token is None:
            return None
        shard.columns[name] = token
        shard.values[name] = values
    return shard


def _list_column(values: list[Any], typer: _Typer) -> str | None:
    """The column type of a column of lists, their native values put in place; None unless all of
    them are of one type a CSV file can hold."""
    tokens = set()
    for i, value in enumerate(values):
        if value is not None:
            try:
                token, values[i] = typer._list(value, "")
            except InputDataError:
                return None
            tokens.add(token)
    token = tokens.pop() if len(tokens) == 1 else None
    return None if token == _FIXUP else token


def _split_by_row(
    idents: list[Any], rows: list[dict[str, Any]], skip: str | None, typer: _Typer, where: str,
) -> tuple[list[_Shard], list[tuple[Any, dict[str, Any]]]]:
    """Type value by value, a row going to the first shard whose columns fit it (else a new one)."""
    shards = [_Shard()]
    fixups: list[tuple[Any, dict[str, Any]]] = []
    plain: set[str] = set()
    typed = typer.typed
    for ident, props in zip(idents, rows):
        tokens: list[tuple[str, str]] = []
        later: dict[str, Any] | None = None
        natives: dict[str, Any] | None = None
        for name, value in props.items():
            if name == skip or value is None:
                continue
            kind = type(value)  # the common scalar types inline, the rest in the typer
            if kind is str:
                token = "string"
                if not typer.multiline and ("\n" in value or "\r" in value):
                    typer.multiline = True
            elif kind is float:
                token = "double"
            elif kind is int and _MIN_LONG <= value <= _MAX_LONG:
                token = "long"
            else:
                token, native = typed(value, f"{where} {ident!r} property {name!r}")
                if native is not value:
                    if natives is None:
                        natives = {}
                    natives[name] = value = native
            if name not in plain:
                if _PLAIN_NAME.match(name):
                    plain.add(name)
                else:
                    token = _FIXUP  # not a plain name: the CSV header could not hold it
            if token == _FIXUP:
                if later is None:
                    later = {}
                later[name] = value
            else:
                tokens.append((name, token))
        if natives is not None:
            props = {**props, **natives}  # never change the batch's own dict
        if later is not None:
            fixups.append((ident, later))
            props = {name: props[name] for name, _ in tokens}
        for shard in shards:
            columns = shard.columns
            for name, token in tokens:
                known = columns.get(name)
                if known is not None and known != token:
                    break
            else:
                break
        else:
            shard = _Shard()
            columns = shard.columns
            shards.append(shard)
        for name, token in tokens:
            if name not in columns:
                columns[name] = token
        shard.idents.append(ident)
        shard.rows.append(props)
    return [s for s in shards if s.rows], fixups


# -- writing the files --------------------------------------------------------------------------


def _float_text(value: float) -> str:
    if value - value == 0.0:  # finite
        return repr(value)
    if value != value:
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _bool_text(value: bool) -> str:
    return "true" if value else "false"


def _formatter(token: str, delimiter: str) -> Callable[[Any], str]:
    """How a value of a column type is written in a CSV cell."""
    if token == "string":
        return _quote
    if token == "long":
        return str
    if token == "double":
        return _float_text
    if token == "boolean":
        return _bool_text
    if token == "string[]":
        return lambda value: _quote(delimiter.join(value))
    if token == "long[]":
        return lambda value: delimiter.join(map(str, value))
    if token == "double[]":
        return lambda value: delimiter.join(_float_text(float(x)) for x in value)
    return lambda value: delimiter.join(map(_bool_text, value))  # boolean[]


@dataclass
class _Files:
    nodes: list[tuple[str, Path]] = field(default_factory=list)  # (label, file)
    rels: list[tuple[str, Path]] = field(default_factory=list)  # (type, file)
    node_fixups: dict[NodeLabel, list[dict[str, Any]]] = field(default_factory=dict)
    rel_fixups: dict[tuple[RelType, NodeLabel, NodeLabel], list[dict[str, Any]]] = field(default_factory=dict)
    multiline: bool = False
    array_delimiter: str = ";"


# A CSV file is written column by column: each column becomes a %-format spec and a list of values
# for it, and each line is the specs joined by "," applied to one row of the columns (C-level loops).
_BOOL_CELLS = {True: "true", False: "false"}
_LINES_PER_WRITE = 100_000


def _escaped(texts: list[str], files: _Files) -> list[str]:
    """``texts`` with their quotes doubled (to go between quotes); notes when one holds a line break."""
    joined = "\n".join(texts)
    if joined.count("\n") == len(texts) - 1:  # no text holds a "\n": escape them all at once
        if "\r" in joined:
            files.multiline = True
        return joined.replace('"', '""').split("\n") if '"' in joined else texts
    files.multiline = True
    return [text.replace('"', '""') for text in texts]


def _cells(token: str, values: list[Any], delimiter: str, files: _Files) -> tuple[str, list[Any]]:
    """The format spec and the values for it of a column of type ``token`` (an empty cell for None)."""
    if None in values:  # the present values as below, the missing ones as empty cells
        spec, present = _cells(token, [v for v in values if v is not None], delimiter, files)
        texts = map(spec.__mod__, present)
        return "%s", ["" if v is None else next(texts) for v in values]
    if token == "long":
        return "%d", values
    if token == "double":
        if math.isfinite(sum(values)):  # no NaN or infinity among them: repr() them all
            return "%r", values
        return "%s", list(map(_float_text, values))
    if token == "string":
        return '"%s"', _escaped(values, files)
    if token == "boolean":
        return "%s", list(map(_BOOL_CELLS.__getitem__, values))
    return "%s", list(map(_formatter(token, delimiter), values))  # lists


def _key_cells(key_type: type | None, keys: list[Any], files: _Files) -> tuple[str, list[Any]]:
    return ("%d", keys) if key_type is int else ('"%s"', _escaped(keys, files))


def _write_shard(
    path: Path, head: list[str], shard: _Shard, key_spec: str, key_rows: Iterable[tuple[Any, ...]], files: _Files,
    fixups: list[tuple[Any, dict[str, Any]]], clash_possible: bool,
) -> None:
    """Write a shard's CSV file; ``key_rows`` holds the ``key_spec`` values of each row, in one tuple."""
    names = sorted(shard.columns)
    header = ",".join(head + [f"{name}:{shard.columns[name]}" for name in names])
    values = {name: shard.column(name) for name in names}
    # only when every candidate delimiter occurs in some string list can an element contain the one chosen
    if clash_possible:
        clash = [name for name in names if shard.columns[name] == "string[]"]
        _move_clashing_lists(shard.idents, values, clash, files.array_delimiter, fixups)
    cells = [_cells(shard.columns[name], values[name], files.array_delimiter, files) for name in names]
    line = ",".join([key_spec] + [spec for spec, _ in cells])
    rows = map(tuple.__add__, key_rows, zip(*(column for _, column in cells))) if cells else key_rows
    lines = map(line.__mod__, rows)
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(header + "\n")
        while chunk := list(islice(lines, _LINES_PER_WRITE)):
            out.write("\n".join(chunk))
            out.write("\n")


def _move_clashing_lists(
    idents: list[Any], values: dict[str, list[Any]], names: list[str], delimiter: str,
    fixups: list[tuple[Any, dict[str, Any]]],
) -> None:
    """Leave string lists with an element containing ``delimiter`` to Cypher (set after the import)."""
    clashing: dict[int, dict[str, Any]] = {}
    for name in names:
        column = values[name]
        for i, value in enumerate(column):
            if value is not None and any(delimiter in x for x in value):
                clashing.setdefault(i, {})[name] = value
                column[i] = None
    fixups.extend((idents[i], clashing[i]) for i in sorted(clashing))


def write_csv(plan: _Plan, work_dir: Path) -> _Files:
    """Write one CSV file per label and per relationship endpoint pair (more only where a property's
    type varies between rows), after typing every value; nothing is written when a value is refused."""
    with _gc_paused():
        return _write_csv(plan, work_dir)


def _write_csv(plan: _Plan, work_dir: Path) -> _Files:
    typer = _Typer()
    node_parts = [(label, plan.key_types.get(label), *_split(by_key, label.key, typer, label.value))
                  for label, by_key in plan.nodes.items()]
    rel_parts = [(rel_type, start, end, *_split(group, None, typer, f"{rel_type.value} {start.value}->{end.value}"))
                 for (rel_type, start, end), group in plan.rels.items()]

    work_dir.mkdir(parents=True, exist_ok=True)
    for pattern in ("nodes-*.csv", "rels-*.csv"):
        for old in work_dir.glob(pattern):
            old.unlink()
    # string keys and values are checked for line breaks as they are written
    files = _Files(multiline=typer.multiline, array_delimiter=typer.array_delimiter())
    clash_possible = files.array_delimiter in typer.in_string_lists
    for label, key_type, shards, fixups in node_parts:
        id_type = "{id-type:long}" if key_type is int else ""
        head = [f"{label.key}:ID({label.value}){id_type}"]
        for i, shard in enumerate(shards):
            path = work_dir / f"nodes-{label.value}-{i}.csv"
            key_spec, keys = _key_cells(key_type, shard.idents, files)
            _write_shard(path, head, shard, key_spec, zip(keys), files, fixups, clash_possible)
            files.nodes.append((label.value, path))
        if fixups:
            files.node_fixups[label] = [{"key": key, "props": props} for key, props in fixups]
    for rel_type, start, end, shards, fixups in rel_parts:
        head = [f":START_ID({start.value})", f":END_ID({end.value})"]
        start_type, end_type = plan.key_types.get(start), plan.key_types.get(end)
        pair_ints = start_type is int and end_type is int
        for i, shard in enumerate(shards):
            path = work_dir / f"rels-{rel_type.value}-{start.value}-{end.value}-{i}.csv"
            if pair_ints:  # the pairs as they are
                key_spec, pairs = "%d,%d", shard.idents
            else:
                start_spec, starts = _key_cells(start_type, list(map(itemgetter(0), shard.idents)), files)
                end_spec, ends = _key_cells(end_type, list(map(itemgetter(1), shard.idents)), files)
                key_spec, pairs = f"{start_spec},{end_spec}", list(zip(starts, ends))
            _write_shard(path, head, shard, key_spec, pairs, files, fixups, clash_possible)
            files.rels.append((rel_type.value, path))
        if fixups:
            files.rel_fixups[(rel_type, start, end)] = [
                {"start": pair[0], "end": pair[1], "props": props} for pair, props in fixups
            ]
    if not files.nodes:  # neo4j-admin needs a node source: an empty one gives an empty database
        path = work_dir / "nodes-none.csv"
        path.write_text(":ID\n", encoding="utf-8")
        files.nodes.append(("", path))
    return files


# -- running neo4j-admin ------------------------------------------------------------------------


def _delimiter_option(char: str) -> str:
    return char if char.isprintable() and char not in " ," else f"U+{ord(char):04X}"


def import_args(files: _Files, database: str, staging: Path, work_dir: Path) -> list[str]:
    """The ``neo4j-admin`` arguments (after ``database import full``); the database name comes first
    because ``--nodes``/``--relationships`` take a variable number of files."""
    conf = work_dir / "import.conf"
    conf.write_text(f"server.directories.data={staging}\n", encoding="utf-8")
    args = [
        database, "--verbose", "--overwrite-destination=true", f"--additional-config={conf}",
        f"--report-file={work_dir / 'import.report'}", "--bad-tolerance=0",
        "--delimiter=,", f"--array-delimiter={_delimiter_option(files.array_delimiter)}", '--quote="',
        "--legacy-style-quoting=false", "--ignore-empty-strings=false", "--trim-strings=false",
        f"--multiline-fields={'true' if files.multiline else 'false'}",
    ]
    args += [f"--nodes={label}={path}" if label else f"--nodes={path}" for label, path in files.nodes]
    args += [f"--relationships={rel}={path}" for rel, path in files.rels]
    return args


_SKIP = re.compile(
    r"^(at |\.\.\. \d+ more|\.{10}|WARNING Import failed|Run with '--verbose'|Executing command line|"
    r"VM |JIT |Configuration files|-{5}|org\.neo4j\.cli\.CommandFailedException: Error importing csv file)"
)


def admin_error(output: str) -> str:
    """neo4j-admin's most telling error line: the bad field's ``original error`` with its file and
    line, else the innermost ``Caused by``, else the last error-looking line."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].startswith("original error:"):
            message = lines[i][len("original error:"):].strip()
            for back in range(i - 1, max(i - 6, -1), -1):
                found = re.search(r"source:([^,\]]+), position:\d+, line:(\d+)", lines[back])
                if found:
                    return _short(f"{Path(found.group(1)).name}, neo4j-admin line {found.group(2)}: {message}")
            return _short(message)
    causes = [line for line in lines if line.startswith("Caused by:")]
    if causes:
        text = causes[-1][len("Caused by:"):].strip()
        return _short(re.sub(r"^[\w.$]+(Exception|Error): ", "", text))
    meaningful = [line for line in lines if not _SKIP.match(line)]
    errors = [line for line in meaningful if re.search(r"ERROR|Error|Exception|Invalid|FATAL|failed", line)]
    return _short((errors or meaningful or ["no output"])[-1])


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 400 else text[:397] + "..."


def _database_dirs(data_dir: Path, database: str) -> tuple[Path, Path]:
    """A database's store and transaction-log directories under a data directory."""
    return data_dir / "databases" / database, data_dir / "transactions" / database


def _swap_in(server: ManagedNeo4j, staging: Path, database: str) -> None:
    """Replace the database's store and transaction logs with the imported ones (server stopped)."""
    pairs = list(zip(_database_dirs(staging, database), _database_dirs(server.data_dir, database)))
    replaced = staging / "replaced"
    replaced.mkdir(parents=True, exist_ok=True)
    backups: list[tuple[Path, Path]] = []
    installed: list[Path] = []
    try:
        for i, (_, live) in enumerate(pairs):
            if live.exists():
                backup = replaced / f"{i}-{live.name}"
                shutil.move(str(live), str(backup))
                backups.append((backup, live))
        for new, live in pairs:
            if new.exists():
                live.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(str(new), str(live))
                installed.append(live)
    except OSError as exc:
        for live in installed:
            shutil.rmtree(live, ignore_errors=True)
        for backup, live in backups:
            if not live.exists():
                shutil.move(str(backup), str(live))
        raise ServerError(
            f"could not move the imported database into {server.data_dir}: {exc}; the old database was put back, "
            "free disk space or fix the permissions and retry"
        ) from exc


def _settings(server: ManagedNeo4j, database: str) -> Settings:
    cfg = server.config
    return Settings(home=cfg.home, bolt_port=cfg.bolt_port, http_port=cfg.http_port, database=database,
                    heap=cfg.heap, pagecache=cfg.pagecache)


def _node_count(graph: Graph) -> int:
    return int(graph.read(cypher.load("export/node_count"))[0]["nodes"])


def _apply_fixups(graph: Graph, files: _Files) -> None:
    for label, rows in files.node_fixups.items():
        statement = cypher.render("write/bulk_fix_nodes", label=label.value, key=label.key)
        for i in range(0, len(rows), FIXUP_CHUNK):
            graph.write(statement, rows=rows[i : i + FIXUP_CHUNK])
    for (rel_type, start, end), rows in files.rel_fixups.items():
        statement = cypher.render("write/bulk_fix_rels", start=start.value, start_key=start.key, end=end.value,
                                  end_key=end.key, rel=rel_type.value)
        for i in range(0, len(rows), FIXUP_CHUNK):
            graph.write(statement, rows=rows[i : i + FIXUP_CHUNK])
    n = sum(len(r) for r in files.node_fixups.values()) + sum(len(r) for r in files.rel_fixups.values())
    if n:
        logger.info("set the properties CSV cannot express on %d nodes/relationships with Cypher", n)


class _Stopping:
    """``server.stop()`` in a thread; :meth:`wait` joins it and raises what it raised."""

    def __init__(self, server: ManagedNeo4j) -> None:
        self._server = server
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._stop, name="bulk-import-stop-neo4j", daemon=True)
        self._thread.start()

    def _stop(self) -> None:
        try:
            self._server.stop()
        except BaseException as exc:  # noqa: BLE001 - handed to wait()
            self._error = exc

    def wait(self) -> None:
        self._thread.join()
        if self._error is not None:
            raise self._error


def _restart_after(stopping: _Stopping, server: ManagedNeo4j, error: BaseException) -> None:
    """Start the server again when the work done while it stops failed with ``error`` (which the caller
    raises)."""
    try:
        stopping.wait()
    except BaseException as exc:  # noqa: BLE001 - the first error is the one to report
        logger.warning("stopping Neo4j failed as well: %s", exc)
    try:
        server.start()
    except ServerError as exc:
        raise ServerError(f"writing the bulk import CSV files failed ({error}) and Neo4j did not start again: "
                          f"{exc}") from error


def bulk_import(
    server: ManagedNeo4j,
    batches: Iterable[Batch],
    work_dir: Path,
    database: str = "neo4j",
    *,
    force: bool = False,
) -> BulkReport:
    """Replace ``database`` with the graph of ``batches`` via ``neo4j-admin database import full``.

    The CSV files and the import report are left in ``work_dir``. Refuses (ServerError) when the
    database holds nodes, unless ``force``. Every failure is a one-line :class:`ServerError`; the
    server is running again afterwards either way.
    """
    started = time.perf_counter()
    work_dir = Path(work_dir).absolute()
    if "," in str(work_dir):
        raise ServerError(f"bulk import work directory {work_dir} contains a comma, which neo4j-admin reads as "
                          "a file separator; use another directory")
    settings = _settings(server, database)
    server.start()
    with connect(settings) as graph:
        existing = _node_count(graph)
    if existing and not force:
        raise ServerError(
            f"database {database!r} at {server.bolt_uri} already holds {existing} nodes and bulk import replaces "
            "the whole database; load with the graph writer instead, or pass force=True (`kgtool load --bulk "
            "--force`) to replace it"
        )

    tic = time.perf_counter()
    with _gc_paused():  # until the plan is freed: a collection would walk all of it
        plan = _Plan()
        for batch in batches:
            plan.add(batch)
        n_nodes = sum(len(by_key) for by_key in plan.nodes.values())
        n_rels = sum(len(group) for group in plan.rels.values())
        # the server shuts down (its own process, on the other core) while the CSV files are written
        stopping = _Stopping(server)
        try:
            files = write_csv(plan, work_dir)
            del plan
            seconds_csv = time.perf_counter() - tic
            logger.info("wrote %d node and %d relationship CSV files (%d nodes, %d relationships) to %s in %.1f s",
                        len(files.nodes), len(files.rels), n_nodes, n_rels, work_dir, seconds_csv)
            staging = server.neo4j_home / STAGING_DIR_NAME
            shutil.rmtree(staging, ignore_errors=True)
            cmd = server.admin_command("database", "import", "full", *import_args(files, database, staging, work_dir))
        except BaseException as exc:
            _restart_after(stopping, server, exc)
            raise
    logger.info("bulk import: %s", " ".join(cmd))
    stopped = time.perf_counter()
    stopping.wait()
    seconds_stop = time.perf_counter() - stopped
    seconds_import = 0.0
    failure: str | None = None
    try:
        tic = time.perf_counter()
        try:
            proc = subprocess.run(cmd, env=server.admin_env(), cwd=work_dir, capture_output=True, text=True,
                                  check=False)
        except OSError as exc:
            failure = f"could not run neo4j-admin: {exc}"
        else:
            seconds_import = time.perf_counter() - tic
            (work_dir / "import.log").write_text(proc.stdout + "\n" + proc.stderr, encoding="utf-8")
            if proc.returncode != 0:
                failure = admin_error(proc.stdout + "\n" + proc.stderr)
            else:
                _swap_in(server, staging, database)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        try:
            server.start()
        except ServerError as exc:
            if failure is None:
                raise
            raise ServerError(f"neo4j-admin import failed ({failure}) and Neo4j did not start again: {exc}") from exc
    if failure is not None:
        raise ServerError(
            f"neo4j-admin import failed: {failure}; the database was left as it was - see "
            f"{work_dir / 'import.log'} and the CSV files there, fix the data or load with the graph writer"
        )

    seconds_offline = time.perf_counter() - stopped
    tic = time.perf_counter()
    with connect(settings) as graph:
        apply_schema(graph)
        _apply_fixups(graph, files)
    seconds_schema = time.perf_counter() - tic
    report = BulkReport(nodes=n_nodes, relationships=n_rels, seconds_total=time.perf_counter() - started,
                        seconds_import=seconds_import)
    logger.info(
        "bulk import of %d nodes and %d relationships took %.1f s: CSV %.1f s (the server stopping meanwhile), "
        "then waiting for the stop + neo4j-admin + start %.1f s (stop %.1f s, neo4j-admin %.1f s), schema %.1f s",
        report.nodes, report.relationships, report.seconds_total, seconds_csv, seconds_offline, seconds_stop,
        report.seconds_import, seconds_schema,
    )
    return report
