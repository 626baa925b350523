"""``kgtool explain RUN_ID``."""

from __future__ import annotations

import click

from toolkit.cli.common import open_graph


@click.command("explain")
@click.argument("train_run_id")
@click.option("--method", default="integrated_gradients", show_default=True, help="An explainer plugin.")
@click.option("--top-k", default=20, show_default=True, help="Genes written per prediction.")
@click.option("--seed", default=0, show_default=True)
@click.option("--split", "splits", multiple=True, default=("test", "unlabelled"), show_default=True,
              type=click.Choice(["train", "valid", "test", "unlabelled"]))
@click.pass_context
def command(ctx: click.Context, train_run_id: str, method: str, top_k: int, seed: int, splits: tuple[str, ...]) -> None:
    """Attribute a train run's top predictions to genes; write EXPLAINS edges."""
    from toolkit.explain.pipeline import explain

    with open_graph(ctx) as graph:
        run = explain(graph, ctx.find_root().obj, train_run_id, method, top_k, seed, splits)
    click.echo(f"{run.metrics['explains_edges']} EXPLAINS edges for {run.metrics['predictions_explained']} predictions")
    click.echo(f"run: {run.run_id}")
