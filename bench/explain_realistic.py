"""Benchmark ``explain_realistic``: do explanations recover the planted mechanisms on realistic data?

The product path end to end: the ``realistic`` generator preset (data seed 0) is written, loaded
into the benchmark Neo4j as ``kgtool load`` loads it (:func:`train.load_preset`), the model is
trained with ``kgtool train``'s DEFAULT options (cold-compound split, seeds 0, 1, 2) and each run
is explained with Integrated Gradients through :func:`toolkit.explain.pipeline.explain_run` with
the generator's ``ground_truth.json`` as the truth file (``docs/truth-format.md``) and one model
retrained with another seed. The figures are the explain Run's own metrics:

* ``gene_precision_at_20``: top-20 attributed genes of the CORRECTLY predicted held-out
  compounds against their MoA's planted genes (``random_gene_precision_at_20``: the same for
  random rankings, reported as ``explain.random.realistic.gene_precision_at_20``);
* ``pathway_top3_rate``: share of the MoAs whose planted GO term is among the top 3 enriched GO
  terms of their explained compounds (an MoA with no correctly predicted compound is a miss);
* ``retrained_top20_overlap``: top-20 gene overlap between this model and the model retrained
  with another seed on a random 80 % of its training compounds (stability across training, the
  figure that matters for a deterministic explainer such as IG; the subsample keeps a
  deterministic fit from scoring 1.0).

Metric names: ``explain.<model>.integrated_gradients.realistic.<metric>`` (mean over seeds, and
``_sd``), plus ``explain.<model>.realistic.test_compound_macro_f1`` of the explained runs.

Environment: ``KGTOOL_BENCH_EXPLAIN_MODELS`` (comma list, default
``network_centroid,shrunken_centroid,nearest_centroid,logistic,mlp``: the best model, the
baselines and the learned model), ``KGTOOL_BENCH_TRAIN_SEEDS`` (default 3). Runtime on 2 cores:
about 2 minutes to load, then a few minutes per model and seed.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

import common

logger = logging.getLogger("bench.explain_realistic")

PRESET = "realistic"
METHOD = "integrated_gradients"
MODELS = ("network_centroid", "shrunken_centroid", "nearest_centroid", "logistic", "mlp")
SEEDS = int(os.environ.get("KGTOOL_BENCH_TRAIN_SEEDS", "3"))
RETRAIN_SEEDS = 1
METRICS = ("gene_precision_at_20", "pathway_top3_rate", "retrained_top20_overlap")


def explain_once(graph: Any, settings: Any, model: str, seed: int) -> dict[str, float]:
    """Train ``model`` with default options, explain it against the truth; the figures."""
    from toolkit.explain.pipeline import ExplainOptions, explain_run
    from toolkit.models import TrainConfig
    from toolkit.train.pipeline import train

    import train as train_bench

    run = train(graph, settings, model, TrainConfig(seed=seed, device="cpu"), "cold_compound")
    truth = train_bench.ROOT / PRESET / "ground_truth.json"
    outcome = explain_run(graph, settings, run.run_id, METHOD, seed=seed, splits=("test",),
                          options=ExplainOptions(truth=truth, retrain_seeds=RETRAIN_SEEDS, interactions=False))
    m = outcome.run.metrics
    missing = [k for k in (*METRICS, "random_gene_precision_at_20") if k not in m]
    if missing:
        raise RuntimeError(f"explain run {outcome.run.run_id} has no {missing} metrics (it has {sorted(m)})")
    out = {k: float(m[k]) for k in (*METRICS, "random_gene_precision_at_20")}
    out["test_compound_macro_f1"] = float(run.metrics["test_compound_macro_f1"])
    out["correct_predictions"] = float(m.get("truth_correct_predictions", 0))
    return out


def run() -> list[tuple[str, float, str]]:
    import torch

    import train as train_bench

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s")
    logger.setLevel(logging.INFO)
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    common.use_server_from_env()
    raw = os.environ.get("KGTOOL_BENCH_EXPLAIN_MODELS")
    models = raw.split(",") if raw else list(MODELS)
    results: list[tuple[str, float, str]] = []
    failures: list[str] = []
    server = common.server()
    server.start(timeout=300)
    start = time.perf_counter()
    try:
        with common.empty_graph() as graph:
            settings = common.settings()
            results.append((f"explain.{PRESET}.load_s", round(train_bench.load_preset(graph, settings, PRESET), 2),
                            "s"))
            random_values: list[float] = []
            for model in models:
                runs = []
                for seed in range(SEEDS):
                    try:
                        scores = explain_once(graph, settings, model, seed)
                    except Exception as exc:  # noqa: BLE001 - logged, counted, re-raised at the end
                        logger.exception("%s seed %d failed", model, seed)
                        failures.append(f"{model} seed {seed}: {type(exc).__name__}: {exc}")
                        continue
                    runs.append(scores)
                    random_values.append(scores["random_gene_precision_at_20"])
                    logger.info("%s seed %d: %s (%.0f s elapsed)", model, seed,
                                {k: round(v, 3) for k, v in scores.items()}, time.perf_counter() - start)
                if not runs:
                    continue
                for metric in METRICS:
                    results += common.mean_and_sd(f"explain.{model}.{METHOD}.{PRESET}.{metric}",
                                                  [r[metric] for r in runs], "fraction")
                results += common.mean_and_sd(f"explain.{model}.{PRESET}.test_compound_macro_f1",
                                              [r["test_compound_macro_f1"] for r in runs], "fraction")
                results += common.mean_and_sd(f"explain.{model}.{PRESET}.correct_predictions",
                                              [r["correct_predictions"] for r in runs], "count")
            if random_values:
                results += common.mean_and_sd(f"explain.random.{PRESET}.gene_precision_at_20", random_values,
                                              "fraction")
    finally:
        server.stop()
    if failures:
        raise common.BenchFailed(f"{len(failures)} explain run(s) failed: " + "; ".join(failures), results)
    return results
