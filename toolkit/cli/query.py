"""``kgtool query NAME --param k=v``."""

from __future__ import annotations

import click

from toolkit.cli.common import open_graph, parse_params, print_table


@click.command("query")
@click.argument("name", required=False)
@click.option("--param", "params", multiple=True, help="Query parameter key=value (repeatable).")
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
    from toolkit.queries import hypotheses, hypothesis

    if list_ or not name:
        for qname, statement in sorted(hypotheses().items()):
            click.echo(f"{qname}  ({', '.join(sorted(statement.parameters))})")
            click.echo(f"    {statement.doc}")
        return
    statement = hypothesis(name)
    values = statement.check(parse_params(params))
    with open_graph(ctx) as graph:
        print_table(graph.read(statement, **values), fmt)
