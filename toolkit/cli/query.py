"""``kgtool query NAME --param k=v``: parameters not given take the defaults the query declares."""

from __future__ import annotations

import textwrap

import click

from toolkit.cli.common import open_graph, parse_params, print_table
from toolkit.cypher import Param, Statement


@click.command("query")
@click.argument("name", required=False)
@click.option("--param", "params", multiple=True,
              help="Query parameter key=value (repeatable); the others take the defaults --list shows.")
@click.option("--list", "list_", is_flag=True, help="List the hypothesis queries.")
@click.option("--format", "fmt", default="table", type=click.Choice(["table", "tsv", "json"]))
@click.option("--browser-style", is_flag=True, help="Print the Neo4j Browser :style command for kgtool graphs.")
@click.option("--guide", is_flag=True, help="Print the Neo4j Browser guide to the hypothesis queries (Markdown).")
@click.pass_context
def command(ctx: click.Context, name: str | None, params: tuple[str, ...], list_: bool, fmt: str,
            browser_style: bool, guide: bool) -> None:
    """Run a stored hypothesis query (parameters only, never string-built Cypher)."""
    if browser_style or guide:
        from toolkit import browser

        click.echo(browser.style_command() if browser_style else browser.guide())
        return
    from toolkit.queries import bind, hypotheses

    if list_ or not name:
        for qname, statement in sorted(hypotheses().items()):
            _describe(qname, statement)
        return
    statement, values = bind(name, parse_params(params))
    with open_graph(ctx) as graph:
        print_table(graph.read(statement, **values), fmt)


def _describe(name: str, statement: Statement) -> None:
    """The query's name, its description and one ``--param`` line per parameter with its default."""
    click.echo(name)
    click.echo(textwrap.fill(statement.description, width=100, initial_indent="    ", subsequent_indent="    "))
    declared = {p.name: p for p in statement.declared}
    undeclared = [Param(n, "", required=True) for n in sorted(statement.parameters - set(declared))]
    params = list(declared.values()) + undeclared
    width = max((len(p.usage()) for p in params), default=0)
    for p in params:
        what = p.description + (" (required)" if p.required else "")
        click.echo(f"    {p.usage().ljust(width)}  {what}".rstrip())
