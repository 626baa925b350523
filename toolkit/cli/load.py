"""``kgtool load SOURCE FILE…``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from toolkit import plugins
from toolkit.cli.common import open_graph
from toolkit.cli.source_options import SourceOptionsCommand, load_options

SHOWN = 20  # report lines printed per kind; the counts in the summary are exact


@click.command("load", cls=SourceOptionsCommand)
@click.argument("source")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--lenient", is_flag=True, help="Skip bad records and report them instead of failing.")
@click.option("--batch-size", default=5000, show_default=True, help="Rows per write transaction.")
@click.option("--bulk", is_flag=True,
              help="First load into an empty database with neo4j-admin import (managed server; it is stopped "
                   "and started again): much faster for big files. Load other sources after it as usual.")
@click.option("--force", is_flag=True, help="With --bulk: replace a database that is not empty.")
@click.pass_context
def command(ctx: click.Context, source: str, paths: tuple[Path, ...], lenient: bool, batch_size: int, bulk: bool,
            force: bool, **source_values: Any) -> None:
    """Load files with a source plugin (see `kgtool plugins` for the sources)."""
    from toolkit.load import load

    if force and not bulk:
        raise click.UsageError("--force only goes with --bulk (a regular load never removes anything)")
    options = load_options(ctx, plugins.registry().get("sources", source), source_values, lenient=lenient,
                           batch_size=batch_size)
    if bulk:
        from toolkit.load import bulk_load

        report = bulk_load(ctx.find_root().obj, source, list(paths), options, force=force, progress=True)
    else:
        with open_graph(ctx) as graph:
            report = load(graph, ctx.find_root().obj, source, list(paths), options, progress=True)
    click.echo(report.summary())
    for line in report.details():
        click.echo(f"  {line}")
    for which, lines in (("dropped", report.dropped), ("repaired", report.repaired)):
        for line in lines[:SHOWN]:
            click.echo(f"  {which}: {line}")
        if len(lines) > SHOWN:
            click.echo(f"  ... {len(lines) - SHOWN} more {which} lines not shown (the counts above are exact)")
    click.echo(f"run: {report.run_id}")
