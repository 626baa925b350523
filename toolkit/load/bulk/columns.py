"""Typing the values of a bulk import as CSV columns (:class:`Typer`) and grouping rows into
shards whose columns have one type each (:func:`split_columns`).

Values a CSV file cannot express (empty lists, a list holding just ``""``, temporal values,
property names that are not plain identifiers) are typed :data:`FIXUP`: they are set after the
import with stored Cypher, the same ``SET += `` the writer uses.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from itertools import chain, repeat
from typing import Any

from toolkit.errors import InputDataError
from toolkit.load.bulk.plan import MAX_LONG, MIN_LONG, check_int, to_native

# Array delimiters tried in order: the first one no string-list element contains is used.
ARRAY_DELIMITERS = (";", "|", "\x1f", "\x1e", "\x1d", "\x1c", "\x07")
FIXUP = "cypher"  # the column token of a value that only Cypher can store
_PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TEMPORAL = (_dt.date, _dt.datetime, _dt.time, _dt.timedelta)
_SIMPLE = frozenset((str, int, float, bool))


def _has_newline(text: str) -> bool:
    return "\n" in text or "\r" in text


class Typer:
    """Types values as CSV columns; notes what the import options must allow (multi-line fields,
    characters an array delimiter must avoid)."""

    def __init__(self) -> None:
        self.multiline = False
        self.in_string_lists: set[str] = set()  # candidate array delimiters some list element contains

    def typed(self, value: Any, where: str) -> tuple[str, Any]:
        """The CSV column type of ``value`` (``long``, ``string[]``, ...) or ``FIXUP`` for values only
        Cypher can store, with the value as it is to be written."""
        kind = type(value)
        if kind is str:
            if not self.multiline and _has_newline(value):
                self.multiline = True
            return "string", value
        if kind is float:
            return "double", value
        if kind is int:
            check_int(value, where)
            return "long", value
        if kind is bool:
            return "boolean", value
        if kind is list or kind is tuple:
            return self._list(value, where)
        native = to_native(value)
        if native is not value:
            return self.typed(native, where)
        if isinstance(value, _TEMPORAL) or kind.__module__.startswith("neo4j."):
            return FIXUP, value
        raise InputDataError("bulk import", where, f"value {value!r:.80} of type {kind.__name__} cannot be "
                             "a property", "convert it to a string, number, boolean or list of those in the source plugin")

    def _list(self, value: list[Any] | tuple[Any, ...], where: str) -> tuple[str, Any]:
        if not value:
            return FIXUP, value  # an empty CSV field reads back as no property, not as an empty list
        items: Any = value
        kinds = {type(x) for x in items}
        if not kinds <= _SIMPLE:
            items = [to_native(x) for x in items]
            kinds = {type(x) for x in items}
        if kinds == {str}:
            if len(items) == 1 and items[0] == "":
                return FIXUP, value  # "" reads back as no property too
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
                    check_int(x, where)
            return ("double[]" if float in kinds else "long[]"), items
        if all(isinstance(x, _TEMPORAL) for x in items):
            return FIXUP, value
        raise InputDataError("bulk import", where, f"list {value!r:.80} mixes types or holds nulls or maps",
                             "Neo4j stores only lists of one simple type; fix the source plugin")

    def array_delimiter(self) -> str:
        """The first candidate no string-list element contains (else ``;``: such lists are set by Cypher)."""
        return next((c for c in ARRAY_DELIMITERS if c not in self.in_string_lists), ARRAY_DELIMITERS[0])


@dataclass
class Shard:
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


def split_columns(
    entities: dict[Any, dict[str, Any]], skip: str | None, typer: Typer, where: str,
) -> tuple[list[Shard], list[tuple[Any, dict[str, Any]]]]:
    """Group entities into shards of compatible column types (normally one); return them and the
    values only Cypher can set."""
    idents, rows = list(entities), list(entities.values())
    if not rows:
        return [], []
    shard = _split_by_column(idents, rows, skip, typer)
    if shard is not None:
        return [shard], []
    return _split_by_row(idents, rows, skip, typer, where)


def _split_by_column(idents: list[Any], rows: list[dict[str, Any]], skip: str | None, typer: Typer) -> Shard | None:
    """The common case, typed column by column: one shard, every property name plain and every column
    of one type a CSV file can hold. None when any row needs :func:`_split_by_row` (which also raises
    the errors, in row order)."""
    shard = Shard(idents=idents, rows=rows)
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
            if min(present) < MIN_LONG or max(present) > MAX_LONG:
                return None
        elif kind is list or kind is tuple:
            token = _list_column(values, typer)
        if token is None:
            return None
        shard.columns[name] = token
        shard.values[name] = values
    return shard


def _list_column(values: list[Any], typer: Typer) -> str | None:
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
    return None if token == FIXUP else token


def _split_by_row(
    idents: list[Any], rows: list[dict[str, Any]], skip: str | None, typer: Typer, where: str,
) -> tuple[list[Shard], list[tuple[Any, dict[str, Any]]]]:
    """Type value by value, a row going to the first shard whose columns fit it (else a new one)."""
    shards = [Shard()]
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
            elif kind is int and MIN_LONG <= value <= MAX_LONG:
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
                    token = FIXUP  # not a plain name: the CSV header could not hold it
            if token == FIXUP:
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
            shard = Shard()
            columns = shard.columns
            shards.append(shard)
        for name, token in tokens:
            if name not in columns:
                columns[name] = token
        shard.idents.append(ident)
        shard.rows.append(props)
    return [s for s in shards if s.rows], fixups
