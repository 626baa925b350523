"""``kgtool build MANIFEST``: the whole graph from a manifest of sources in one bulk import
(:mod:`toolkit.load.build`; the manifest format in ``docs/build.md``)."""

from __future__ import annotations

from pathlib import Path

import click

SHOWN = 20  # dropped/repaired lines printed per source; the counts are exact


@click.command("build")
@click.argument("manifest", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that is not empty (the import replaces all of it).")
@click.option("--lenient", is_flag=True, help="Skip bad records of every source and report them instead of failing.")
@click.pass_context
def command(ctx: click.Context, manifest: Path, force: bool, lenient: bool) -> None:
    """Build the whole graph from MANIFEST (TOML: sources, files, options) with one neo4j-admin import
    into the managed server (it is stopped and started again). With NEO4J_URI set: write the import
    folder and print the neo4j-admin command to run on that server."""
    from toolkit.load.build import build

    report = build(ctx.find_root().obj, manifest, force=force, lenient=lenient, echo=click.echo)
    for source in report.sources:
        for which, lines in (("dropped", source.dropped), ("repaired", source.repaired)):
            for line in lines[:SHOWN]:
                click.echo(f"  {source.source} {which}: {line}")
            if len(lines) > SHOWN:
                click.echo(f"  ... {len(lines) - SHOWN} more {which} lines of {source.source} not shown")
    if report.command:
        click.echo(f"import folder: {report.import_dir}")
        click.echo("stop the database (or the server), run on its machine, from the folder that holds neo4j-admin:")
        click.echo(f"  {report.command}")
        click.echo("then start it and run `kgtool db init` (constraints and indexes)")
    elif report.targets_linked:
        click.echo(f"{report.targets_linked} compound target symbols linked to genes after the import")
    click.echo(report.summary())
    click.echo(f"run: {report.run_id}")
