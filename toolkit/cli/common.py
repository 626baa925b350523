"""Small helpers shared by command modules."""

from __future__ import annotations

import json
import logging
from typing import Any, Sequence

import click

from toolkit.graph.db import Graph, connect
from toolkit.settings import Settings

logger = logging.getLogger(__name__)


def open_graph(ctx: click.Context) -> Graph:
    """Connect to the graph of the command's settings.

    Every command that opens the graph first marks the load runs a killed or disconnected load
    left ``running`` (:func:`toolkit.load.mark_interrupted_loads`), so such a run is marked on
    the next command of any kind, not only the next load. Failing to mark them (a read-only user,
    say) is a warning: it never stops the command.
    """
    from toolkit.load import mark_interrupted_loads

    settings: Settings = ctx.find_root().obj
    graph = connect(settings)
    try:
        mark_interrupted_loads(graph, settings.runs_dir)
    except Exception as exc:  # noqa: BLE001 - bookkeeping must not stop a query or a load
        logger.warning("could not mark interrupted load runs: %s", " ".join(str(exc).split()))
    return graph


def parse_params(pairs: Sequence[str]) -> dict[str, Any]:
    """``k=v`` pairs; values are JSON when they parse (numbers, true, null, lists), else strings."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{pair!r} is not key=value", param_hint="--param")
        try:
            out[key] = json.loads(value)
        except ValueError:
            out[key] = value
    return out


def print_table(rows: list[dict[str, Any]], fmt: str = "table") -> None:
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, default=str))
        return
    if not rows:
        click.echo("(no rows)")
        return
    columns = list(rows[0])
    cells = [[_cell(r.get(c)) for c in columns] for r in rows]
    if fmt == "tsv":
        click.echo("\t".join(columns))
        for line in cells:
            click.echo("\t".join(line))
        return
    widths = [max(len(c), *(len(line[i]) for line in cells)) for i, c in enumerate(columns)]
    click.echo("  ".join(c.ljust(w) for c, w in zip(columns, widths)))
    click.echo("  ".join("-" * w for w in widths))
    for line in cells:
        click.echo("  ".join(v.ljust(w) for v, w in zip(line, widths)))


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return ",".join(map(str, value))
    return "" if value is None else str(value)
