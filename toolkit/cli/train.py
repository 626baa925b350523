"""``kgtool train MODEL``."""

from __future__ import annotations

import click

from toolkit.cli.common import open_graph, parse_params, print_table


@click.command("train")
@click.argument("model")
@click.option("--epochs", default=60, show_default=True)
@click.option("--batch-size", default=64, show_default=True)
@click.option("--lr", default=1e-3, show_default=True)
@click.option("--seed", default=0, show_default=True)
@click.option("--device", default="auto", show_default=True, help="auto, cpu or cuda")
@click.option("--split", "split_kind", default="cold_compound", show_default=True,
              type=click.Choice(["cold_compound", "random"]))
@click.option("--test-fraction", default=0.25, show_default=True)
@click.option("--param", "params", multiple=True, help="Model hyper-parameter key=value (repeatable).")
@click.pass_context
def command(ctx: click.Context, model: str, epochs: int, batch_size: int, lr: float, seed: int, device: str,
            split_kind: str, test_fraction: float, params: tuple[str, ...]) -> None:
    """Train a model plugin on the graph's signatures and write its predictions back."""
    from toolkit.models import TrainConfig
    from toolkit.train.pipeline import train

    config = TrainConfig(epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, device=device,
                         params=parse_params(params))
    with open_graph(ctx) as graph:
        run = train(graph, ctx.find_root().obj, model, config, split_kind, test_fraction)
    print_table([{"metric": k, "value": v} for k, v in sorted(run.metrics.items())])
    click.echo(f"run: {run.run_id}")
