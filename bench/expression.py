"""Benchmark ``expression``: every expression model through the product path, with its baselines
and the shuffled-drug control in the same run.

Data (each loaded into the emptied benchmark graph with the loaders ``kgtool load`` runs):

* ``realistic`` — the realistic demo preset (data seed 0: 96 compounds of 16 MoAs, 6 cell lines,
  2 doses x 2 times x 2 replicates, Level 5 confounders), splits ``cold_compound`` (new
  compounds) and ``cold_cell`` (known compounds in a new cell line: AnchorDrug's setting);
* ``real_cmapr`` — the real cmapR Level 5 matrix in ``../shared/data`` (272 signatures, 6 BRD
  ids, 65 cell lines) with STRING, GO and the Drug Repurposing Hub structures, split
  ``cold_cell`` (a real cold-cell test: whole cell lines held out).

Every model runs through :func:`toolkit.expression.pipeline.train_expression` with its defaults
(``TrainConfig(seed=s, device="cpu")``: 60 epochs, patience 10; one consensus per compound and
cell line, per-cell centring), seeds 0, 1, 2 (split and training); the figures are the completed
Run's own test-side metrics. Predictions are written for the measured pairs only
(``predict="samples"``) to keep the runs short.

Metrics ``expr.<model>.<split>.<data>.<metric>`` (mean over seeds, ``_sd`` their standard
deviation) for ``pearson``, ``spearman``, ``pearson_gene``, ``sign_accuracy``, ``mae``, ``rmse``,
``precision_at_100``, ``macro_f1_3class`` (3-class models), and ``low_sim_pearson`` /
``high_sim_pearson`` (test compounds with max Tanimoto to training < 0.4 / >= 0.4, where present);
``truth_pearson`` / ``truth_sign_accuracy`` on ``realistic``: the test predictions, read back from
the graph's ``ExpressionPrediction`` nodes, against the preset's planted noise-free effects
(``expression_truth.npz`` of the generator; sign on genes with |planted| > 0.2): the measured
consensus is noisy (the planted effect itself reaches a measured-target Pearson of only 0.167), so
these tell models apart where the measured metrics cannot; ``expr.<model>.samples_per_s`` (training samples x epochs / fit seconds on ``realistic``; fits
without epochs count one pass). The control rows (``KGTOOL_BENCH_EXPR_CONTROLS``, default
``drug_shuffled`` on :data:`CONTROL_MODELS`) are ``expr.<model>.<split>.<data>.drug_shuffled.<metric>``.

Environment: ``KGTOOL_BENCH_EXPR_MODELS`` / ``_DATA`` / ``_SPLITS`` / ``_CONTROLS`` (comma lists),
``KGTOOL_BENCH_EXPR_SEEDS`` (default 3), and the usual ``KGTOOL_BENCH_HOME`` / ``_BOLT_PORT`` /
``_HTTP_PORT``. A markdown table (mean ± sd) goes to stderr for the README.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from typing import Any, Optional

import numpy as np

import common

logger = logging.getLogger("bench.expression")

DATA = {"realistic": ("cold_compound", "cold_cell"), "real_cmapr": ("cold_cell",)}  # data -> its splits
SEEDS = int(os.environ.get("KGTOOL_BENCH_EXPR_SEEDS", "3"))
METRICS = ("pearson", "spearman", "pearson_gene", "sign_accuracy", "mae", "rmse", "precision_at_100",
           "macro_f1_3class", "low_sim_pearson", "high_sim_pearson")
TRUTH_METRICS = ("truth_pearson", "truth_sign_accuracy")
CONTROL_MODELS = ("ridge_ecfp", "deepce", "seq_gru_attention", "anchordrug")
TABLE = ("pearson", "sign_accuracy", "precision_at_100", "macro_f1_3class", "truth_pearson")


def load_data(graph: Any, settings: Any, name: str) -> float:
    if name == "realistic":
        from train import load_preset

        return load_preset(graph, settings, "realistic")
    from train_real import load_fixture

    return load_fixture(graph, name.removeprefix("real_"))


def planted(data: str) -> Optional[dict[tuple[str, str], np.ndarray]]:
    """(pert_id, cell) -> planted effect over Entrez ids (realistic preset), or None."""
    from train import ROOT

    path = ROOT / "realistic" / "expression_truth.npz"
    if data != "realistic" or not path.is_file():
        return None
    t = np.load(path)
    genes = {int(g): i for i, g in enumerate(t["entrez_ids"])}
    return {(str(c), str(cell)): (t["effect"][i, j], genes) for i, c in enumerate(t["pert_ids"])
            for j, cell in enumerate(t["cells"])}


def truth_metrics(graph: Any, run: Any, truth: dict) -> dict[str, float]:
    """The run's test predictions, read back from the graph, against the planted effects:
    ``truth_pearson`` (per sample, averaged) and ``truth_sign_accuracy`` (genes with |planted| > 0.2)."""
    from toolkit import cypher

    rows = graph.read(cypher.load("export/expression_predictions"), run_id=run.run_id, splits=["test"])
    gene_ids = run.config["gene_ids"]
    pred, real = [], []
    for r in rows:
        effect, genes = truth[(r["pert_id"], r["cell"])]
        pred.append(r["z"])
        real.append(effect[[genes[g] for g in gene_ids]])
    pred_a, real_a = np.asarray(pred, float), np.asarray(real, float)
    keep = real_a.std(axis=1) > 0
    pc, rc = pred_a[keep] - pred_a[keep].mean(1, keepdims=True), real_a[keep] - real_a[keep].mean(1, keepdims=True)
    denom = np.sqrt((pc * pc).sum(1) * (rc * rc).sum(1))
    moved = np.abs(real_a) > 0.2
    return {"truth_pearson": float(np.mean(np.where(denom > 0, (pc * rc).sum(1) / np.where(denom > 0, denom, 1), 0))),
            "truth_sign_accuracy": float((np.sign(pred_a[moved]) == np.sign(real_a[moved])).mean())}


def run_once(graph: Any, settings: Any, model: str, split: str, seed: int, control: str,
             truth: Optional[dict] = None) -> tuple[dict[str, float], float]:
    from toolkit.expression.pipeline import ExpressionRunOptions, train_expression
    from toolkit.models import TrainConfig

    tic = time.perf_counter()
    run = train_expression(graph, settings, model, TrainConfig(seed=seed, device="cpu"),
                           ExpressionRunOptions(split=split, control=control, predict="samples"))
    wall = time.perf_counter() - tic - float(run.metrics.get("snapshot_s", 0.0))
    out = {m: float(run.metrics[f"test_{m}"]) for m in METRICS if f"test_{m}" in run.metrics}
    if truth is not None:
        out.update(truth_metrics(graph, run, truth))
    epochs = max(1.0, float(run.metrics.get("epochs_run", 1) or 1))
    rate = float(run.metrics.get("train_n", 0)) * epochs / max(wall, 1e-9)
    return out, rate


def summarise(key: str, runs: list[dict[str, float]]) -> list[tuple[str, float, str]]:
    rows: list[tuple[str, float, str]] = []
    for metric in METRICS + TRUTH_METRICS:
        values = [r[metric] for r in runs if metric in r]
        if values:
            unit = "z" if metric in ("mae", "rmse") else "fraction"
            rows += common.mean_and_sd(f"{key}.{metric}", values, unit)
            if unit == "z" and len(values) > 1:
                import numpy as np

                rows.append((f"{key}.{metric}_sd", round(float(np.std(values)), 4), unit))
    return rows


def markdown(results: list[tuple[str, float, str]]) -> str:
    values = {name: value for name, value, _ in results}
    keys = sorted({name.rsplit(".", 1)[0] for name in values if name.startswith("expr.") and name.count(".") >= 4})
    lines = ["| model | split | data | " + " | ".join(TABLE) + " |", "|" + "---|" * (3 + len(TABLE))]
    for key in keys:
        parts = key.split(".")
        cells = []
        for metric in TABLE:
            mean, sd = values.get(f"{key}.{metric}"), values.get(f"{key}.{metric}_sd")
            cells.append("–" if mean is None else f"{mean:.3f} ± {sd or 0:.3f}")
        lines.append(f"| {'.'.join(parts[1:2] + parts[4:])} | {parts[2]} | {parts[3]} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def run() -> list[tuple[str, float, str]]:
    from toolkit import plugins
    from toolkit.tasks import Task, task_of

    common.use_server_from_env()
    registered = {n: c for n, c in sorted(plugins.registry().items["models"].items()) if task_of(c) is Task.EXPRESSION}
    models = common.wanted("KGTOOL_BENCH_EXPR_MODELS", list(registered))
    datasets = common.wanted("KGTOOL_BENCH_EXPR_DATA", list(DATA))
    splits = common.wanted("KGTOOL_BENCH_EXPR_SPLITS", ["cold_compound", "cold_cell"])
    controls = common.wanted("KGTOOL_BENCH_EXPR_CONTROLS", ["drug_shuffled"])
    results: list[tuple[str, float, str]] = []
    failures: list[str] = []
    server = common.server()
    server.start(timeout=300)
    try:
        for data in datasets:
            with common.empty_graph() as graph:
                settings = common.settings()
                results.append((f"expr.{data}.load_s", round(load_data(graph, settings, data), 1), "s"))
                truth = planted(data)
                rows = [(s, m, "none") for s in DATA[data] if s in splits for m in models]
                rows += [(s, m, c) for s in DATA[data] if s in splits for c in controls for m in models
                         if m in CONTROL_MODELS and c != "none"]
                for split, model, control in rows:
                    key = f"expr.{model}.{split}.{data}" + ("" if control == "none" else f".{control}")
                    runs, rates = [], []
                    for seed in range(SEEDS):
                        try:
                            out, rate = run_once(graph, settings, model, split, seed, control, truth)
                        except Exception as exc:  # noqa: BLE001 - one failed row must not lose the others
                            logger.exception("%s seed %d failed", key, seed)
                            failures.append(f"{key} seed {seed}: {type(exc).__name__}: {exc}")
                            continue
                        runs.append(out)
                        rates.append(rate)
                        logger.info("%s seed %d: %s", key, seed, out)
                    results += summarise(key, runs)
                    if rates and data == "realistic" and split == "cold_compound" and control == "none":
                        results.append((f"expr.{model}.samples_per_s", round(sum(rates) / len(rates), 1), "samples/s"))
    finally:
        server.stop()
    print(markdown(results), file=sys.stderr)
    if failures:
        raise common.BenchFailed(f"{len(failures)} expression run(s) failed: " + "; ".join(failures), results)
    return results
