"""Benchmark ``explain``: explainer quality on planted demo data, write-back throughput, and the
hypothesis queries on a graph holding 1,000,000 EXPLAINS edges.

On the default ``DemoSpec()`` with the ``mlp`` model, every gene explainer runs through the real
pipeline (``explain_run`` with the ground truth, quality metrics and one retrained model) and
reports ground-truth precision@20 (next to a random ranking), the planted GO term in the top 3
per MoA, seed and retrain stability, deletion AUC and speed. Graph and structure explainers run
when a model that supports them is registered (``gnn`` → ``gnn_explainer``; ``multimodal`` →
substructure hit rate); a reference fused genes+fingerprint model trained in-process always
measures the substructure mapping.

Then synthetic explain runs (attributions drawn around the planted genes, GO terms scored by the
real pathway code) are written through :func:`toolkit.explain.writeback.write_rows` until the
graph holds 1,000,000 EXPLAINS edges, and each hypothesis query is timed (median of 20).

Uses the throwaway benchmark server (``common``); it is emptied at the start and the explanation
relationships are removed in small transactions at the end.
"""

from __future__ import annotations

import logging
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

import common

logger = logging.getLogger("bench.explain")

GENE_METHODS = ("integrated_gradients", "deeplift", "deeplift_shap", "gradient_shap", "feature_ablation")
TARGET_EDGES = 1_000_000
QUERY_REPEATS = 20
WORK = common.HOME.parent / "explain"


def _ensure_plugins() -> None:
    """Explainers (and the gnn model) even where the editable install predates their entry points."""
    import importlib

    from toolkit import plugins

    pm = plugins.plugin_manager()
    modules = {"integrated_gradients": "kgtool_plugins.explainers.captum_ig",
               "deeplift": "kgtool_plugins.explainers.captum_deeplift",
               "gradient_shap": "kgtool_plugins.explainers.captum_shap",
               "feature_ablation": "kgtool_plugins.explainers.captum_ablation",
               "gnn_explainer": "kgtool_plugins.explainers.pyg_gnnexplainer",
               "gnn": "kgtool_plugins.models.gnn",
               "multimodal": "kgtool_plugins.models.multimodal"}
    for name, module_name in modules.items():
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:  # noqa: BLE001 - an optional model that is not there yet
            logger.warning("skipping plugin %s: %s", name, exc)
            continue
        if not pm.is_registered(module) and pm.get_plugin(name) is None:
            pm.register(module, name=name)
    plugins.registry.cache_clear()


def _clean(graph: Any) -> None:
    from toolkit import cypher

    graph.run_autocommit(cypher.load("write/explains_delete_all"))


def _method_results(method: str, m: dict[str, Any], results: list) -> None:
    keys = [("gene_precision_at_20", "fraction"), ("gene_auroc", "auroc"), ("pathway_top3_rate", "fraction"),
            ("pathway_top3_prediction_rate", "fraction"), ("substructure_hit_rate", "fraction"),
            ("edge_precision_at_20", "fraction"), ("edge_precision_at_20_random", "fraction"),
            ("seed_top20_overlap", "fraction"), ("seed_spearman", "rho"),
            ("retrained_top20_overlap", "fraction"), ("retrained_spearman", "rho"), ("deletion_auc", "auc"),
            ("insertion_auc", "auc"), ("infidelity", "score"), ("sensitivity_max", "score")]
    for key, unit in keys:
        if key in m:
            results.append((f"explain.{method}.{key}", round(float(m[key]), 4), unit))
    results.append((f"explain.{method}.explain_wall_s", round(float(m["explain_wall_s"]), 2), "s"))


def _quality(graph: Any, settings: Any, truth_path: Path, results: list) -> dict[str, Any]:
    from toolkit.explain.pipeline import ExplainOptions, explain_run
    from toolkit.models import TrainConfig
    from toolkit.train.pipeline import train

    trained = train(graph, settings, "mlp", TrainConfig(epochs=60, seed=0))
    results.append(("explain.mlp.test_compound_accuracy", round(trained.metrics.get("test_compound_accuracy", 0), 4),
                    "fraction"))
    out: dict[str, Any] = {"train_run": trained.run_id, "runs": {}, "trained": trained}
    for method in GENE_METHODS:
        tic = time.perf_counter()
        report = WORK / f"{method}.html" if method == "integrated_gradients" else None
        outcome = explain_run(graph, settings, trained.run_id, method, top_k=20, seed=0,
                              options=ExplainOptions(truth=truth_path, retrain_seeds=1, report=report))
        m = dict(outcome.run.metrics, explain_wall_s=time.perf_counter() - tic)
        out["runs"][method] = outcome
        logger.info("%s: %s", method, {k: round(v, 3) for k, v in m.items() if isinstance(v, float)})
        _method_results(method, m, results)
        if method == "integrated_gradients":
            out["explanation"] = outcome.explanation
            for key in ("gene_precision_at_20", "gene_auroc", "pathway_top3_rate", "pathway_top3_prediction_rate",
                        "deletion_auc", "insertion_auc"):
                results.append((f"explain.random.{key}", round(float(m[f"{key}_random"]), 4), "fraction"))
    return out


def _speed(graph: Any, explanation: Any, model: Any, results: list) -> None:
    """Warm attribution speed: every explained signature attributed once more after a warm-up call
    (the pipeline's own timing of the first call includes library imports)."""
    from toolkit import plugins
    from toolkit.explain.compute import attribute_predictions
    from toolkit.train.export import export_signatures

    data = export_signatures(graph)
    predictions = list(explanation.predictions)
    n = sum(len(p.rows) for p in predictions)
    for method in GENE_METHODS:
        explainer = plugins.registry().get("explainers", method)()
        attribute_predictions(explainer, model, data.x, predictions[:1])
        tic = time.perf_counter()
        attribute_predictions(explainer, model, data.x, predictions)
        results.append((f"explain.{method}.attributions_per_s", round(n / (time.perf_counter() - tic), 1),
                        "signatures/s"))


# model -> (training epochs, (explainer, explainer params)...): the graph and structure levels
OTHER_MODELS: dict[str, tuple[int, tuple[tuple[str, dict[str, Any]], ...]]] = {
    "gnn": (30, (("gnn_explainer", {}), ("integrated_gradients", {}))),
    "multimodal": (40, (("integrated_gradients", {}),)),
}


def _other_models(graph: Any, settings: Any, truth_path: Path, results: list) -> None:
    """gnn + gnn_explainer / integrated_gradients (edge level) and multimodal + integrated_gradients
    (substructure level), each when its model plugin is registered."""
    from toolkit import plugins
    from toolkit.explain.evaluate import QualityConfig
    from toolkit.explain.pipeline import ExplainOptions, explain_run
    from toolkit.models import TrainConfig
    from toolkit.train.pipeline import train

    light = QualityConfig(captum_sample=2, stability_sample=6, stability_seeds=2)
    for model, (epochs, methods) in OTHER_MODELS.items():
        if model not in plugins.registry().items["models"]:
            logger.warning("no %s model plugin: not benchmarked", model)
            continue
        try:
            tic = time.perf_counter()
            trained = train(graph, settings, model, TrainConfig(epochs=epochs, seed=0))
            results.append((f"explain.{model}.train_s", round(time.perf_counter() - tic, 1), "s"))
            results.append((f"explain.{model}.test_compound_accuracy",
                            round(trained.metrics.get("test_compound_accuracy", 0), 4), "fraction"))
        except Exception as exc:  # noqa: BLE001 - another engineer's model: report, do not fail the bench
            logger.warning("%s training failed, not benchmarked: %s", model, exc)
            continue
        for method, params in methods:
            tic = time.perf_counter()
            outcome = explain_run(graph, settings, trained.run_id, method, top_k=20, seed=0,
                                  options=ExplainOptions(truth=truth_path, retrain_seeds=0, interactions=False,
                                                         max_signatures=2, explainer_params=params,
                                                         quality_config=light))
            m = dict(outcome.run.metrics, explain_wall_s=time.perf_counter() - tic)
            _method_results(f"{model}.{method}", m, results)
            if "substructure_hit_rate_random" in m:
                results.append((f"explain.{model}.{method}.substructure_hit_rate_random",
                                round(m["substructure_hit_rate_random"], 4), "fraction"))
            results.append((f"explain.{model}.{method}.attributions_per_s", round(m["attributions_per_s"], 2),
                            "signatures/s"))


def _reference_structure(graph: Any, truth: Any, held_out: set[str], results: list) -> None:
    """A fused genes+fingerprint linear model trained in-process (StructureModel contract): how
    often the planted substructure is the compound's top substructure."""
    import torch

    from toolkit.explain.compute import explain_arrays, predictions_from
    from toolkit.explain.evaluate import truth_metrics
    from toolkit.explain.pipeline import structures_of
    from toolkit.models import StructureForward
    from toolkit.structure import FingerprintSpec, morgan_fingerprint
    from toolkit.train.export import export_signatures
    from toolkit import plugins

    data = export_signatures(graph)
    spec = FingerprintSpec(radius=2, n_bits=2048)
    structures = structures_of(graph, sorted(set(data.compound_ids)))
    fps = torch.as_tensor(np.stack([morgan_fingerprint(structures[c].smiles, spec)[0] for c in data.compound_ids]))
    torch.manual_seed(0)

    class Fused(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.genes = torch.nn.Linear(data.x.shape[1], len(data.classes))
            self.fp = torch.nn.Linear(spec.n_bits, len(data.classes), bias=False)

        def forward(self, genes: Any, fp: Any) -> Any:
            return self.genes(genes) + self.fp(fp)

    net = Fused()
    train = np.array([c not in held_out for c in data.compound_ids]) & data.labelled
    x, y = torch.as_tensor(data.x), torch.as_tensor(data.y.argmax(axis=1))
    opt = torch.optim.Adam(net.parameters(), lr=0.01, weight_decay=1e-4)
    for _ in range(100):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(net(x[train], fps[train]), y[train]).backward()
        opt.step()
    net.eval()

    rows = [{"prediction_id": f"ref:{c}", "pert_id": c, "moa": truth.true_moa_of(c)} for c in sorted(held_out)
            if truth.true_moa_of(c) in data.classes]
    predictions = predictions_from(rows, data.compound_ids, data.classes)
    explainer = plugins.registry().get("explainers", "integrated_gradients")()
    tic = time.perf_counter()
    reference = StructureForward(net, spec, "reference_fusion")
    out = explain_arrays(explainer, reference, data.x, data.gene_ids, predictions,  # type: ignore[arg-type]
                         structures=structures, interactions=False)
    m = truth_metrics(out, truth)
    results.append(("explain.reference_fusion.substructure_hit_rate", round(m["substructure_hit_rate"], 4), "fraction"))
    results.append(("explain.random.substructure_hit_rate", round(m["substructure_hit_rate_random"], 4), "fraction"))
    results.append(("explain.reference_fusion.gene_precision_at_20", round(m["gene_precision_at_20"], 4), "fraction"))
    results.append(("explain.reference_fusion.explain_s", round(time.perf_counter() - tic, 2), "s"))


def _synthetic_runs(graph: Any, settings: Any, truth: Any, results: list) -> list[str]:
    """Explain runs with synthetic attributions, written through write_rows, up to TARGET_EDGES."""
    from toolkit import cypher, runs
    from toolkit.explain.compute import Explanation, predictions_from
    from toolkit.explain.pathways import pathway_scores
    from toolkit.explain.pipeline import explanation_rows, gene_sets_of
    from toolkit.explain.writeback import write_rows
    from toolkit.train.export import export_signatures

    data = export_signatures(graph)
    existing = graph.read(cypher.load("bench/explains_edges"))[0]["n"]
    rows = graph.read(cypher.load("bench/predictions"))
    predictions = predictions_from(rows, data.compound_ids, data.classes)
    sets = gene_sets_of(graph, data.gene_ids)
    index = {g: i for i, g in enumerate(data.gene_ids)}
    planted = np.zeros((len(predictions), len(data.gene_ids)))
    for i, p in enumerate(predictions):
        planted[i, [index[g] for g in truth.moa(p.moa).pathway_entrez]] = 1.0
    rng = np.random.default_rng(0)
    per_run = 40 * len(predictions)
    n_runs = int(np.ceil((TARGET_EDGES - existing) / per_run))
    written, seconds, run_ids, per_run_rate = 0, 0.0, [], []
    for r in range(n_runs):
        a = 2.0 * planted + rng.normal(0, 0.6, size=planted.shape)
        explanation = Explanation("synthetic", tuple(predictions), data.gene_ids, a, gene_sets=sets,
                                  pathways=pathway_scores(a, sets, 20))
        record = runs.RunRecord(run_id=runs.new_run_id("explain"), kind="explain", plugin="synthetic",
                                config={"synthetic": True}, seed=r)
        runs.start(graph, record)
        tic = time.perf_counter()
        n = 0
        for level, level_rows in explanation_rows(explanation, 20).items():
            n += write_rows(graph, level, record.run_id, "synthetic", level_rows, new_run=True).relationships_created
        dt = time.perf_counter() - tic
        runs.finish(graph, record.with_result("completed", {"synthetic_edges": n}))
        written, seconds = written + n, seconds + dt
        per_run_rate.append(n / dt)
        run_ids.append(record.run_id)
        if r % 20 == 0:
            logger.info("synthetic run %d/%d: %d edges at %.0f/s", r + 1, n_runs, n, n / dt)
    total = graph.read(cypher.load("bench/explains_edges"))[0]["n"]
    results.append(("explain.writeback_edges_per_s", round(written / seconds), "edges/s"))
    results.append(("explain.writeback_edges_per_s_median_run", round(statistics.median(per_run_rate)), "edges/s"))
    results.append(("explain.explains_edges_in_graph", int(total), "edges"))
    return run_ids


def _time_queries(graph: Any, cases: list[tuple[str, str, dict[str, Any]]], results: list) -> None:
    """Median of QUERY_REPEATS timed runs (after 3 warm-ups) of each (metric name, query, params)."""
    from toolkit.queries import hypothesis

    for label, name, params in cases:
        statement = hypothesis(name)
        for _ in range(3):
            graph.read(statement, **params)
        times, n_rows = [], 0
        for _ in range(QUERY_REPEATS):
            tic = time.perf_counter()
            n_rows = len(graph.read(statement, **params))
            times.append((time.perf_counter() - tic) * 1000)
        results.append((f"query.{label}.median_ms", round(statistics.median(times), 2), "ms"))
        results.append((f"query.{label}.rows", n_rows, "rows"))
        logger.info("query %s: median %.1f ms, %d rows", label, statistics.median(times), n_rows)


def run() -> list[tuple[str, float, str]]:
    from toolkit.demo import DemoSpec, generate_demo
    from toolkit.explain.truth import load_truth
    from toolkit.demo.workflow import demo_loads
    from toolkit.graph.db import connect
    from toolkit.load import load

    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    for name in ("neo4j", "toolkit.graph", "toolkit.train", "toolkit.load", "kgtool_plugins"):
        logging.getLogger(name).setLevel(logging.WARNING)
    _ensure_plugins()
    results: list[tuple[str, float, str]] = []
    server = common.server()
    started_here = not server.status().running
    server.start(timeout=300)
    settings = common.settings()
    with connect(settings) as graph:
        _clean(graph)  # explanation relationships first, in small transactions (dense nodes)
    with common.empty_graph() as graph:
        try:
            files = generate_demo(WORK / "demo", DemoSpec())
            truth = load_truth(files.ground_truth)
            for source, paths in demo_loads(WORK / "demo"):
                load(graph, settings, source, paths)
            quality = _quality(graph, settings, files.ground_truth, results)
            explanation = quality["explanation"]
            from toolkit.train.pipeline import load_model

            mlp = load_model(settings, {"run_id": quality["train_run"], "plugin": "mlp"})
            _speed(graph, explanation, mlp, results)
            held_out = {p.pert_id for p in explanation.predictions if p.split == "test"}
            _reference_structure(graph, truth, held_out, results)
            _other_models(graph, settings, files.ground_truth, results)
            synthetic = _synthetic_runs(graph, settings, truth, results)
            compound = sorted(held_out)[0]
            moa = truth.true_moa_of(compound)
            ig_run = quality["runs"]["integrated_gradients"].run.run_id
            fa_run = quality["runs"]["feature_ablation"].run.run_id
            _time_queries(graph, [
                ("why_predicted", "why_predicted", {"compound": compound, "run": None, "top": 10}),
                ("why_predicted_given_run", "why_predicted", {"compound": compound, "run": ig_run, "top": 10}),
                ("shared_pathway_compounds", "shared_pathway_compounds",
                 {"compound": compound, "run": None, "top": 3, "max_q": 0.05, "limit": 50}),
                ("candidate_targets", "candidate_targets", {"moa": moa, "run": None, "limit": 20}),
                ("gene_interactions", "gene_interactions", {"compound": compound, "run": None, "limit": 10}),
                ("explained_edges", "explained_edges", {"compound": compound, "run": None, "limit": 10}),
                ("run_disagreement", "run_disagreement", {"run_a": ig_run, "run_b": fa_run, "top": 20, "limit": 20}),
                ("run_disagreement_synthetic", "run_disagreement",
                 {"run_a": synthetic[0], "run_b": synthetic[-1], "top": 20, "limit": 20}),
                ("compound_mechanism", "compound_mechanism", {"compound": compound, "top": 20, "limit": 5}),
                ("moa_pathways", "moa_pathways", {"moa": moa, "top": 20, "limit": 10}),
            ], results)
        finally:
            _clean(graph)
    if started_here:
        server.stop()
    return results
