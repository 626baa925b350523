"""The ``kgtool`` command line. Commands only parse arguments and delegate."""

from __future__ import annotations

import logging
from typing import Any

import click

from toolkit import __version__
from toolkit.errors import KgtoolError
from toolkit.settings import Settings, resolve


class KgtoolGroup(click.Group):
    """Turns domain errors into one-line ``click.ClickException`` messages."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KgtoolError as exc:
            raise click.ClickException(str(exc)) from None


def settings_of(ctx: click.Context) -> Settings:
    return ctx.find_root().obj


@click.group(cls=KgtoolGroup)
@click.version_option(__version__, prog_name="kgtool")
@click.option("--home", type=click.Path(file_okay=False), help="kgtool home (managed server, runs, cache). [KGTOOL_HOME]")
@click.option("--uri", help="An external Neo4j instead of the managed one. [NEO4J_URI]")
@click.option("--database", help="Database name. [NEO4J_DATABASE]")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.pass_context
def cli(ctx: click.Context, home: str | None, uri: str | None, database: str | None, verbose: int) -> None:
    """kgtool: interpretable drug mechanism-of-action prediction on L1000 data with Neo4j."""
    logging.basicConfig(level=[logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)],
                        format="%(levelname)s %(name)s: %(message)s")
    ctx.obj = resolve({"home": home, "uri": uri, "database": database})
    from toolkit import plugins

    plugins.plugin_manager().hook.kgtool_configure.call_historic(kwargs={"settings": ctx.obj})


def _add_commands() -> None:
    from toolkit.cli import (anchors, build, db, demo, explain, fetch, load, plugins_cmd, predict, query, runs_cmd,
                             train)

    for module in (db, fetch, load, build, train, predict, explain, anchors, query, runs_cmd, plugins_cmd, demo):
        cli.add_command(module.command)


def _add_plugin_commands() -> None:
    from toolkit import plugins

    try:
        plugins.plugin_manager().hook.kgtool_register_commands(cli=cli)
    except KgtoolError as exc:  # a broken plugin must not take the whole CLI down
        logging.getLogger(__name__).warning("%s", exc)


_add_commands()


def main() -> None:
    _add_plugin_commands()
    cli()
