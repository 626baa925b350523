"""``kgtool runs``."""

from __future__ import annotations

import json

import click

from toolkit.cli.common import open_graph, print_table


@click.command("runs")
@click.option("--kind", type=click.Choice(["load", "train", "explain"]))
@click.option("--limit", default=20, show_default=True)
@click.option("--format", "fmt", default="table", type=click.Choice(["table", "tsv", "json"]))
@click.pass_context
def command(ctx: click.Context, kind: str | None, limit: int, fmt: str) -> None:
    """List runs, newest first, with their headline metrics."""
    from toolkit import cypher

    with open_graph(ctx) as graph:
        rows = graph.read(cypher.load("export/runs"), kind=kind, limit=limit)
    for row in rows:
        metrics = json.loads(row.pop("metrics") or "{}")
        row["metrics"] = ", ".join(f"{k}={v:.3g}" for k, v in sorted(metrics.items())
                                   if isinstance(v, float) and k.startswith("test_compound_") and not k.endswith("_n"))
    print_table(rows, fmt)
