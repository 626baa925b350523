"""``kgtool load SOURCE FILE…``."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import click

from toolkit.cli.common import open_graph

SHOWN = 20  # report lines printed per kind; the counts in the summary are exact


@click.command("load")
@click.argument("source")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--lenient", is_flag=True, help="Skip bad records and report them instead of failing.")
@click.option("--min-score", default=0, show_default=True, help="STRING: minimum combined score (0-1000).")
@click.option("--top-k", default=50, show_default=True, help="Signatures: up/down genes linked per signature.")
@click.option("--batch-size", default=5000, show_default=True, help="Rows per write transaction.")
@click.option("--qc-only", is_flag=True, help="Signatures: keep qc_pass == 1 only.")
@click.option("--min-cc-q75", type=float, default=None,
              help="Signatures: keep replicate correlation cc_q75 (2017 metadata: distil_cc_q75) >= this.")
@click.option("--exemplar-only", is_flag=True,
              help="Signatures: keep exemplar signatures only: is_exemplar_sig == 1 (2020 siginfo_beta) or "
                   "is_gold == 1 (2017 sig_metrics / GCT column metadata).")
@click.option("--consensus", type=click.Choice(["none", "modz", "mean"]), default="none", show_default=True,
              help="Signatures: write one consensus signature per (pert_id, cell line) of the kept treatment "
                   "signatures, MODZ-weighted (modz) or averaged (mean), instead of the individual ones.")
@click.option("--propagate", is_flag=True, help="GO: annotate genes to every ancestor term too.")
@click.option("--zscore", type=click.Choice(["none", "plate", "vehicle"]), default="none", show_default=True,
              help="Signatures: robust z-score Level 3 expression per plate against all wells (plate) or "
                   "the vehicle-control wells (vehicle); none loads the values as they are.")
@click.option("--bulk", is_flag=True,
              help="First load into an empty database with neo4j-admin import (managed server; it is stopped "
                   "and started again): much faster for big files. Load other sources after it as usual.")
@click.option("--force", is_flag=True, help="With --bulk: replace a database that is not empty.")
@click.pass_context
def command(ctx: click.Context, source: str, paths: tuple[Path, ...], lenient: bool, min_score: int,
            top_k: int, batch_size: int, qc_only: bool, min_cc_q75: Optional[float], exemplar_only: bool,
            consensus: str, propagate: bool, zscore: str, bulk: bool, force: bool) -> None:
    """Load files with a source plugin (see `kgtool plugins` for the sources)."""
    from toolkit.load import load
    from toolkit.sources import LoadOptions

    options = LoadOptions(lenient=lenient, min_score=min_score, top_k=top_k, batch_size=batch_size,
                          qc_only=qc_only, min_cc_q75=min_cc_q75, exemplar_only=exemplar_only,
                          consensus=consensus, propagate=propagate, zscore=zscore)
    if force and not bulk:
        raise click.UsageError("--force only goes with --bulk (a regular load never removes anything)")
    if bulk:
        from toolkit.load_bulk import bulk_load

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
