"""Writing a bulk import's :class:`~toolkit.load.bulk.plan.Plan` as neo4j-admin CSV files
(:func:`write_csv`): one file per label and per relationship endpoint pair, more only where a
property's type varies between rows; what the files cannot hold is kept as fix-ups
(:class:`CsvFiles`), set with Cypher after the import."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import islice
from operator import itemgetter
from pathlib import Path
from typing import Any

from toolkit.load.bulk.columns import Shard, Typer, split_columns
from toolkit.load.bulk.plan import Plan, gc_paused
from toolkit.schema import NodeLabel, RelType


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
class CsvFiles:
    """The CSV files written (node files by label, relationship files by type), the values left to
    Cypher, and the options neo4j-admin must read them with."""

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


def _escaped(texts: list[str], files: CsvFiles) -> list[str]:
    """``texts`` with their quotes doubled (to go between quotes); notes when one holds a line break."""
    joined = "\n".join(texts)
    if joined.count("\n") == len(texts) - 1:  # no text holds a "\n": escape them all at once
        if "\r" in joined:
            files.multiline = True
        return joined.replace('"', '""').split("\n") if '"' in joined else texts
    files.multiline = True
    return [text.replace('"', '""') for text in texts]


def _cells(token: str, values: list[Any], delimiter: str, files: CsvFiles) -> tuple[str, list[Any]]:
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


def _key_cells(key_type: type | None, keys: list[Any], files: CsvFiles) -> tuple[str, list[Any]]:
    return ("%d", keys) if key_type is int else ('"%s"', _escaped(keys, files))


def _write_shard(
    path: Path, head: list[str], shard: Shard, key_spec: str, key_rows: Iterable[tuple[Any, ...]], files: CsvFiles,
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


def write_csv(plan: Plan, work_dir: Path) -> CsvFiles:
    """Write one CSV file per label and per relationship endpoint pair (more only where a property's
    type varies between rows), after typing every value; nothing is written when a value is refused."""
    with gc_paused():
        return _write_csv(plan, work_dir)


def _write_csv(plan: Plan, work_dir: Path) -> CsvFiles:
    typer = Typer()
    node_parts = [(label, plan.key_types.get(label), *split_columns(by_key, label.key, typer, label.value))
                  for label, by_key in plan.nodes.items()]
    rel_parts = [(rel_type, start, end, *split_columns(group, None, typer, f"{rel_type.value} {start.value}->{end.value}"))
                 for (rel_type, start, end), group in plan.rels.items()]

    work_dir.mkdir(parents=True, exist_ok=True)
    for pattern in ("nodes-*.csv", "rels-*.csv"):
        for old in work_dir.glob(pattern):
            old.unlink()
    # string keys and values are checked for line breaks as they are written
    files = CsvFiles(multiline=typer.multiline, array_delimiter=typer.array_delimiter())
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
