"""``kgtool predict TRAIN_RUN_ID``."""

from __future__ import annotations

import click

from toolkit.cli.common import open_graph, print_table


@click.command("predict")
@click.argument("train_run_id")
@click.option("--compound", "compounds", multiple=True, metavar="PERT_ID",
              help="Predict these compounds (repeatable); default: every compound the run has not predicted.")
@click.option("--no-cache", is_flag=True, help="Re-read the graph instead of using the snapshot cache.")
@click.option("--format", "fmt", default="table", type=click.Choice(["table", "tsv", "json"]))
@click.pass_context
def command(ctx: click.Context, train_run_id: str, compounds: tuple[str, ...], no_cache: bool, fmt: str) -> None:
    """Predict with a train run's checkpoint for compounds it has no prediction for yet; write them
    to that run as Prediction nodes (rank 1..3, split "predict")."""
    from toolkit.train.predict import predict, rank1

    with open_graph(ctx) as graph:
        run = predict(graph, ctx.find_root().obj, train_run_id, compounds, use_cache=not no_cache)
        predicted = set(run.config["compounds"])
        rows = [r for r in rank1(graph, train_run_id, sorted(predicted)) if r["split"] == "predict"]
    print_table([{k: r[k] for k in ("pert_id", "moa", "score")} for r in rows], fmt)
    skipped = run.metrics.get("skipped", 0)
    click.echo(f"{run.metrics['compounds_predicted']} compounds predicted"
               + (f", {skipped} already had predictions" if skipped else "") + f"; run: {run.run_id}")
