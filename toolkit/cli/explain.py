"""``kgtool explain RUN_ID``."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import click

from toolkit.cli.common import open_graph, parse_params


@click.command("explain")
@click.argument("train_run_id")
@click.option("--method", default="integrated_gradients", show_default=True, help="An explainer plugin.")
@click.option("--top-k", default=20, show_default=True, type=click.IntRange(min=1),
              help="Genes (and GO terms, pairs, substructures, edges) written per prediction.")
@click.option("--seed", default=0, show_default=True)
@click.option("--split", "splits", multiple=True, default=("test", "unlabelled"), show_default=True,
              type=click.Choice(["train", "valid", "test", "unlabelled", "predict"]))
@click.option("--pathways/--no-pathways", default=True, show_default=True,
              help="GO term scores with hypergeometric enrichment and BH q-values.")
@click.option("--interactions/--no-interactions", default=True, show_default=True,
              help="Gene-pair interactions by paired ablation of the top genes.")
@click.option("--quality/--no-quality", default=True, show_default=True,
              help="Deletion/insertion AUCs, Captum infidelity/sensitivity, stability (stored on the run).")
@click.option("--retrain-seeds", default=None, type=click.IntRange(min=0),
              help="Retrain the model in-process with this many other seeds and compare explanations "
                   "(retrained_top20_overlap) [default: 1 with --truth, else 0].")
@click.option("--truth", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A truth file (docs/truth-format.md, e.g. a demo's ground_truth.json): score explanations "
                   "against the known mechanisms.")
@click.option("--allow-data-change", is_flag=True,
              help="Explain even if the graph's data changed since the train run (recorded on the run).")
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path),
              help="Write a self-contained HTML report here.")
@click.option("--max-signatures", default=0, show_default=True, type=click.IntRange(min=0),
              help="Explain at most this many samples per prediction (0 = all); for slow explainers.")
@click.option("--explainer-param", "explainer_params", multiple=True,
              help="Explainer keyword argument key=value, e.g. epochs=50 for gnn_explainer (repeatable).")
@click.option("--genes", default=5, show_default=True, type=click.IntRange(min=1),
              help="Expression runs: genes explained per (compound, cell line) prediction (largest |z|).")
@click.option("--max-pairs", default=50, show_default=True, type=click.IntRange(min=0),
              help="Expression runs: (compound, cell line) predictions explained at most (0 = all).")
@click.pass_context
def command(ctx: click.Context, train_run_id: str, method: str, top_k: int, seed: int, splits: tuple[str, ...],
            pathways: bool, interactions: bool, quality: bool, retrain_seeds: Optional[int], truth: Optional[Path],
            allow_data_change: bool, report: Optional[Path], max_signatures: int,
            explainer_params: tuple[str, ...], genes: int, max_pairs: int) -> None:
    """Attribute a train run's top predictions to genes, GO terms, gene pairs (and substructures or
    network edges where the model has them); write the EXPLAINS edges and score the explanations.
    For an expression run: attribute each explained prediction's top genes to the compound's
    substructures (Integrated Gradients on its fingerprint)."""
    import json

    from toolkit import cypher
    from toolkit.explain.pipeline import ExplainOptions, explain_run

    with open_graph(ctx) as graph:
        rows = graph.read(cypher.load("export/run"), run_id=train_run_id)
        config = json.loads(rows[0]["run"].get("config") or "{}") if rows else {}
        if config.get("task") == "expression":
            from toolkit.explain.expression import explain_expression

            run = explain_expression(graph, ctx.find_root().obj, {**rows[0]["run"], "run_id": train_run_id},
                                     genes=genes, top_k=top_k, seed=seed, splits=splits, max_pairs=max_pairs)
            click.echo(f"{run.metrics['edges_written']:.0f} EXPLAINS edges from substructures for "
                       f"{run.metrics['genes_explained']:.0f} genes of {run.metrics['predictions_explained']:.0f} "
                       "predictions")
            if report is not None:
                import shutil

                from toolkit import runs

                settings = ctx.find_root().obj
                shutil.copyfile(runs.manifest_path(settings.runs_dir, run.run_id).parent / "report.html", report)
                click.echo(f"report: {report}")
            click.echo(f"run: {run.run_id}")
            return

    options = ExplainOptions(pathways=pathways, interactions=interactions, quality=quality,
                             retrain_seeds=retrain_seeds, truth=truth, report=report, max_signatures=max_signatures,
                             explainer_params=parse_params(explainer_params), allow_data_change=allow_data_change)
    with open_graph(ctx) as graph:
        outcome = explain_run(graph, ctx.find_root().obj, train_run_id, method, top_k, seed, splits, options)
    metrics = outcome.run.metrics
    click.echo(f"{metrics['explains_edges']} EXPLAINS edges for {metrics['predictions_explained']} predictions")
    if metrics.get("predictions_skipped"):
        click.echo(f"{metrics['predictions_skipped']} predictions skipped (reasons in the run manifest)")
    extra = [f"{metrics[k]} {label}" for k, label in (("goterm_edges", "GO term edges"),
                                                      ("interaction_edges", "gene-pair edges"),
                                                      ("substructure_edges", "substructure edges"),
                                                      ("network_edges", "network edges")) if metrics.get(k)]
    if extra:
        click.echo("also " + ", ".join(extra))
    shown = [(k, metrics[k]) for k in ("gene_precision_at_20", "random_gene_precision_at_20", "pathway_top3_rate",
                                       "deletion_auc", "deletion_auc_random", "insertion_auc",
                                       "retrained_top20_overlap", "seed_top20_overlap") if k in metrics]
    if shown:
        click.echo("quality: " + ", ".join(f"{k}={v:.3g}" for k, v in shown))
    if report is not None:
        click.echo(f"report: {report}")
    click.echo(f"run: {outcome.run.run_id}")
