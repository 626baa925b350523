"""``kgtool demo``: the whole slice on generated data with planted mechanisms."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

import click

from toolkit.cli.common import open_graph, print_table


@click.command("demo")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Where to write the demo files "
              "[KGTOOL_HOME/demo].")
@click.option("--preset", default="demo", show_default=True,
              help="Dataset preset: demo (fast, planted mechanisms), realistic (16 MoAs, 4,608 signatures with "
                   "Level 5 confounders) or realistic10x (960 drugs, 46,080 signatures).")
@click.option("--seed", default=0, show_default=True)
@click.option("--epochs", default=60, show_default=True)
@click.option("--compounds-per-moa", type=int, default=None, help="Override the preset's compounds per MoA "
              "[demo: 12].")
@click.option("--moas", "n_moas", type=int, default=None, help="Override the preset's number of MoAs [demo: 6].")
@click.option("--generate-only", is_flag=True, help="Write the demo files and stop.")
@click.pass_context
def command(ctx: click.Context, out: Optional[Path], preset: str, seed: int, epochs: int,
            compounds_per_moa: Optional[int], n_moas: Optional[int], generate_only: bool) -> None:
    """Generate planted-mechanism data, load it, train, explain and ask a hypothesis query."""
    from toolkit.demo import DemoSpec, generate_demo

    settings = ctx.find_root().obj
    out = out or settings.home / "demo"
    overrides = {k: v for k, v in (("n_moas", n_moas), ("compounds_per_moa", compounds_per_moa)) if v is not None}
    spec = DemoSpec.preset(preset, seed=seed, **overrides)
    if generate_only:
        files = generate_demo(out, spec)
        click.echo(f"demo files ({preset} preset, {spec.n_signatures} signatures) written to {files.root}")
        return
    tic = time.perf_counter()
    if settings.managed:
        ctx.invoke(_db_start())
    from toolkit.demo.workflow import run_demo

    with open_graph(ctx) as graph:
        result = run_demo(graph, settings, out, spec, epochs=epochs, seed=seed, say=click.echo)
    click.echo("")
    click.echo(f"hypothesis `{result.hypothesis_compound}`: kgtool query compound_mechanism "
               f"--param compound={result.hypothesis_compound} --param top=20 --param limit=5")
    print_table(result.hypothesis_rows)
    click.echo("")
    click.echo(f"planted-gene recovery: precision@20 = {result.target_gene_precision_at_20:.2f} "
               f"(random {result.random_precision_at_20:.3f})")
    browser = f"http://127.0.0.1:{settings.http_port}/browser/" if settings.managed else "your Neo4j Browser"
    click.echo(f"Open {browser} and paste:")
    click.echo(f"  MATCH p=(g:Gene)-[e:EXPLAINS {{run_id: '{result.explain_run}'}}]->(:Prediction)-[:FOR]->"
               f"(:Compound {{pert_id: '{result.hypothesis_compound}'}}) RETURN p LIMIT 50")
    click.echo(f"demo finished in {time.perf_counter() - tic:.1f} s")


def _db_start() -> click.Command:
    from toolkit.cli.db import start

    return start
