"""``kgtool select-anchors``: the compounds a lab should profile first in a new cell line."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Optional

import click

from toolkit.cli.common import open_graph, parse_params, print_table


@click.command("select-anchors")
@click.option("--cell", required=True, help="The (new) cell line to choose anchor drugs for.")
@click.option("--budget", default=30, show_default=True, help="Compounds to choose.")
@click.option("--strategy", "strategies", default="badge", show_default=True,
              help="Acquisition strategy, or several comma-separated (compared in one run); see `kgtool plugins`.")
@click.option("--batch", default=10, show_default=True, help="Compounds chosen per round.")
@click.option("--simulate", is_flag=True,
              help="Evaluate on a cell line whose profiles are loaded: labels hidden until bought, fine-tuning "
                   "after each round, learning curves over --seeds seeds.")
@click.option("--seeds", default=3, show_default=True, help="Simulation: seeds per strategy.")
@click.option("--model", default="anchordrug", show_default=True, help="The 3-class expression model to pretrain.")
@click.option("--epochs", default=60, show_default=True)
@click.option("--fine-tune-epochs", default=20, show_default=True, help="Epochs of each fine-tuning.")
@click.option("--seed", default=0, show_default=True, help="Pretraining (and selection) seed.")
@click.option("--device", default="auto", show_default=True, type=click.Choice(["auto", "cpu", "cuda"]))
@click.option("--top-genes", default=25, show_default=True, help="PREDICTED_EFFECT edges per direction written.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Also copy anchors.tsv here.")
@click.option("--no-cache", is_flag=True, help="Re-read the graph instead of using the snapshot cache.")
@click.option("--param", "params", multiple=True, help="Model hyper-parameter key=value (repeatable).")
@click.pass_context
def command(ctx: click.Context, cell: str, budget: int, strategies: str, batch: int, simulate: bool, seeds: int,
            model: str, epochs: int, fine_tune_epochs: int, seed: int, device: str, top_genes: int,
            out: Optional[Path], no_cache: bool, params: tuple[str, ...]) -> None:
    """Choose anchor drugs for a cell line by active learning (AnchorDrug), or simulate the choice."""
    from toolkit import runs
    from toolkit.anchors.pipeline import AnchorOptions, select_anchors
    from toolkit.models import TrainConfig

    settings = ctx.find_root().obj
    names = tuple(s.strip() for s in strategies.split(",") if s.strip())
    options = AnchorOptions(cell=cell, budget=budget, strategies=names, batch=batch, simulate=simulate, seeds=seeds,
                            model=model, top_genes=top_genes, fine_tune_epochs=fine_tune_epochs)
    config = TrainConfig(epochs=epochs, seed=seed, device=device, params=parse_params(params))
    with open_graph(ctx) as graph:
        run = select_anchors(graph, settings, options, config, use_cache=not no_cache)
    print_table([{"metric": k, "value": v} for k, v in sorted(run.metrics.items()) if not k.endswith("_sd")])
    run_dir = runs.manifest_path(settings.runs_dir, run.run_id).parent
    if out is not None:
        shutil.copyfile(run_dir / "anchors.tsv", out)
    click.echo(f"anchors: {run_dir / 'anchors.tsv'}")
    click.echo(f"report: {run_dir / 'report.html'}")
    click.echo(f"run: {run.run_id}")
