"""``kgtool fetch SOURCE…``: download the canonical files and print the ``kgtool load`` to run next."""

from __future__ import annotations

import sys
from typing import Optional

import click


@click.command("fetch")
@click.argument("sources", nargs=-1)
@click.option("--list", "list_", is_flag=True, help="List the sources, their URLs and what loads them.")
@click.option("--mirror", metavar="URL", help="Fetch every file by its name from this base URL. [KGTOOL_FETCH_MIRROR]")
@click.option("--url", metavar="URL", help="Fetch the one file given from this address instead.")
@click.option("--checksum", metavar="ALGO:HEX",
              help="Expected md5:… or sha256:… (overrides the published one); `none` checks the size only.")
@click.pass_context
def command(ctx: click.Context, sources: tuple[str, ...], list_: bool, mirror: Optional[str], url: Optional[str],
            checksum: Optional[str]) -> None:
    """Download public files (STRING, GO, LINCS 2020, Repurposing Hub, HGNC) into $KGTOOL_HOME/downloads.

    Interrupted downloads resume; each file is checked against its announced size (and checksum
    where one is published) and its sha256 is written beside it.
    """
    from toolkit import fetch

    home = ctx.find_root().obj.home
    if list_ or not sources:
        _list(fetch, home, mirror)
        return
    remotes = fetch.expand(sources)
    if url and len(remotes) != 1:
        raise click.UsageError("--url goes with exactly one file; use --mirror for several")
    expected: object = fetch.KNOWN
    if checksum is not None:
        expected = None if checksum.lower() == "none" else _checksum(checksum)
    for remote in remotes:
        got = fetch.fetch(remote, home, mirror=mirror, url=url, checksum=expected, progress=sys.stdout.isatty())
        if not got.transferred:
            click.echo(f"{remote.name}: in the cache: {got.path}")
            continue
        resumed = f", resumed at {got.resumed_from:,} bytes" if got.resumed_from else ""
        click.echo(f"{remote.name}: downloaded {got.path} ({got.size:,} bytes{resumed}; sha256 {got.sha256})")
    for line in fetch.load_lines(remotes, home):
        click.echo("next" + (f" ({line.note})" if line.note else "") + ":")
        if line.fetch_first:
            click.echo(f"  {line.fetch_first}")
        click.echo(f"  {line.command}")


def _checksum(text: str) -> str:
    algo, sep, digest = text.partition(":")
    if not sep or algo.lower() not in ("md5", "sha256") or not digest:
        raise click.BadParameter(f"{text!r} is not md5:HEX, sha256:HEX or none", param_hint="--checksum")
    return f"{algo.lower()}:{digest.lower()}"


def _list(fetch, home, mirror: Optional[str]) -> None:  # type: ignore[no-untyped-def]
    downloads = fetch.cache_dir(home)
    click.echo(f"cache: {downloads}")
    for r in fetch.REMOTES:
        cached = "  (in the cache)" if fetch.is_cached(downloads / r.filename) else ""
        click.echo(f"{r.name}  -> kgtool load {r.loader}{cached}")
        click.echo(f"    {r.description}")
        click.echo(f"    {fetch.url_of(r, mirror)}" + (f"  ({r.checksum})" if r.checksum else ""))
    for name, members in fetch.BUNDLES.items():
        click.echo(f"{name}  = {' + '.join(members)}")
