"""``kgtool db``: the managed Neo4j server and the schema."""

from __future__ import annotations

import click

from toolkit.cli.common import open_graph
from toolkit.settings import Settings


def _server(settings: Settings):  # -> ManagedNeo4j
    from toolkit.server import managed_server

    return managed_server(settings)


@click.group("db")
def command() -> None:
    """Start, stop and inspect the managed Neo4j; apply the schema."""


@command.command()
@click.option("--timeout", default=180.0, show_default=True, help="Seconds to wait for the server.")
@click.pass_context
def start(ctx: click.Context, timeout: float) -> None:
    """Install (first time) and start the managed Neo4j, then wait until it answers."""
    server = _server(ctx.find_root().obj)
    status = server.start(timeout=timeout, progress=lambda message: click.echo(message, err=True))
    click.echo(f"Neo4j {status.version} is running (pid {status.pid})")
    click.echo(f"  bolt:    {status.bolt_uri}  user neo4j, password in {server.password_file}")
    click.echo(f"  browser: {status.browser_url}")
    click.echo(f"  data:    {status.data_dir}")


@command.command()
@click.pass_context
def stop(ctx: click.Context) -> None:
    """Stop the managed Neo4j."""
    stopped = _server(ctx.find_root().obj).stop()
    click.echo("stopped" if stopped else "was not running")


@command.command()
@click.pass_context
def status(ctx: click.Context) -> None:
    """Whether the server runs, where its data is, its versions."""
    settings: Settings = ctx.find_root().obj
    if not settings.managed:
        click.echo(f"external server: {settings.uri} (database {settings.database})")
        return
    s = _server(settings).status()
    click.echo(f"running:   {'yes (pid %s)' % s.pid if s.running else 'no'}")
    click.echo(f"installed: {'yes' if s.installed else 'no'} ({s.neo4j_home})")
    click.echo(f"data:      {s.data_dir}")
    click.echo(f"neo4j:     {s.version}   java: {s.java_version or 'not found'}")
    click.echo(f"bolt:      {s.bolt_uri}   browser: {s.browser_url}")


@command.command()
@click.pass_context
def init(ctx: click.Context) -> None:
    """Create constraints and indexes (idempotent)."""
    from toolkit.graph.schema_init import apply_schema

    with open_graph(ctx) as graph:
        applied = apply_schema(graph)
    click.echo(f"schema applied: {len(applied)} statements")


@command.command()
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--hard", is_flag=True, help="Managed server only: stop it and delete its data folder and password.")
@click.pass_context
def reset(ctx: click.Context, yes: bool, hard: bool) -> None:
    """Delete everything in the graph (or, with --hard, the managed server's whole data folder)."""
    if not yes:
        click.confirm("This deletes every node and relationship. Continue?", abort=True)
    if hard:
        server = _server(ctx.find_root().obj)
        server.stop()
        server.wipe_data()
        click.echo("managed server stopped and its data deleted; `kgtool db start` makes a fresh one")
        return
    with open_graph(ctx) as graph:
        graph.delete_everything()
    click.echo("graph emptied (schema kept)")
