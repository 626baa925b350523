"""``kgtool explain``: attribute a train run's top predictions and write the explanations back.

The samples explained are those the model was trained on (:func:`toolkit.train.samples.training_samples`:
QC-filtered, cell-centred, aggregated as the train run did); a graph whose data hash differs from
the train run's is refused unless ``allow_data_change``. Predictions that cannot be explained are
counted (``predictions_skipped``), listed with their reason (``skipped_predictions`` in the
manifest's metrics) and logged.

Read (graph) → attribute and derive (:mod:`toolkit.explain.compute`, no graph) → write back
(:mod:`toolkit.explain.writeback`) → quality (:mod:`toolkit.explain.evaluate`) → optional HTML
report. Everything is one explain ``(:Run)`` whose flat numeric metrics hold the quality scores;
the attributions are also saved as ``attributions.npz`` beside the run manifest.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Sequence

import numpy as np

from toolkit import cypher, plugins, runs
from toolkit.errors import RunError
from toolkit.explain.compute import (
    CompoundStructure,
    Explanation,
    PredictionInfo,
    SkippedPrediction,
    SkipReason,
    explain_arrays,
    fingerprints_of,
    match_predictions,
)
from toolkit.explain.evaluate import QualityConfig, assess
from toolkit.explain.interactions import interaction_rows
from toolkit.explain.pathways import GeneSets, pathway_rows
from toolkit.explain.truth import load_truth
from toolkit.explain.writeback import BATCH_SIZE, Level, write_rows
from toolkit.graph.db import Graph
from toolkit.models import Explained, ModelPlugin, TaskData, TrainConfig, is_structure_model
from toolkit.settings import Settings
from toolkit.train.pipeline import load_model

logger = logging.getLogger(__name__)

ATTRIBUTIONS = "attributions.npz"


@dataclass(frozen=True)
class ExplainOptions:
    """What an explain run derives beyond gene attributions, and how it is checked."""

    pathways: bool = True
    enrichment_k: int = 20  # top attributed genes tested for GO enrichment
    interactions: bool = True
    interaction_candidates: int = 10  # top genes whose pairs are ablated together
    quality: bool = True
    quality_config: QualityConfig = field(default_factory=QualityConfig)
    retrain_seeds: Optional[int] = None  # models retrained with other seeds (None: 1 with a truth file, else 0)
    truth: Optional[Path] = None  # a truth file (docs/truth-format.md), e.g. a demo's ground_truth.json
    truth_k: int = 20
    report: Optional[Path] = None  # write a self-contained HTML report here
    batch_size: int = BATCH_SIZE  # write-back rows per transaction
    max_signatures: int = 0  # samples explained per prediction (evenly picked; 0 = all)
    allow_data_change: bool = False  # explain even if the graph's data hash differs from the train run's
    explainer_params: Mapping[str, Any] = field(default_factory=dict)  # keyword arguments of the explainer


@dataclass(frozen=True)
class ExplainOutcome:
    run: runs.RunRecord
    explanation: Explanation


def _train_run(graph: Graph, run_id: str) -> dict[str, Any]:
    rows = graph.read(cypher.load("export/run"), run_id=run_id)
    if not rows or rows[0]["run"].get("kind") != "train":
        raise RunError(f"no train run {run_id!r} in the graph; list them with `kgtool runs --kind train`")
    return rows[0]["run"]


def gene_rows(prediction_ids: Sequence[str], attributions: np.ndarray, gene_ids: Sequence[int],
              top_k: int) -> list[dict[str, Any]]:
    """The ``top_k`` most positively attributed genes of each prediction, ranked from 1."""
    rows = []
    for pid, scores in zip(prediction_ids, attributions):
        for rank, g in enumerate(np.argsort(-scores, kind="stable")[:top_k], start=1):
            rows.append({"prediction_id": pid, "entrez_id": int(gene_ids[g]), "score": float(scores[g]), "rank": rank})
    return rows


def check_data_hash(train_run: Mapping[str, Any], current: str, allow_change: bool) -> bool:
    """Whether the graph's data changed since the train run; raise unless ``allow_change``."""
    recorded = train_run.get("data_hash")
    if recorded == current:
        return False
    if not allow_change:
        raise RunError(f"train run {train_run['run_id']} was trained on data {str(recorded)[:12]}, the graph now "
                       f"gives {current[:12]}; retrain on the current graph, or pass --allow-data-change to "
                       "explain it on the changed data")
    logger.warning("train run %s: data hash %s, graph now %s; explaining anyway (--allow-data-change)",
                   train_run["run_id"], str(recorded)[:12], current[:12])
    return True


def compounds_in_graph(graph: Graph, pert_ids: Sequence[str]) -> set[str]:
    """The compounds of ``pert_ids`` that have signatures in the graph."""
    rows = graph.read(cypher.load("export/explain_compounds_with_signatures"), pert_ids=sorted(set(pert_ids)))
    return {r["pert_id"] for r in rows}


def report_skipped(skipped: Sequence[SkippedPrediction], progress: Callable[[str], None]) -> None:
    """One log line: how many predictions were skipped, by reason."""
    if not skipped:
        return
    counts: dict[str, int] = {}
    for s in skipped:
        counts[s.reason.value] = counts.get(s.reason.value, 0) + 1
    logger.warning("skipped %d predictions: %s", len(skipped), ", ".join(f"{n} {r}" for r, n in sorted(counts.items())))
    progress(f"skipped {len(skipped)} predictions (listed in the run manifest)")


def gene_sets_of(graph: Graph, gene_ids: Sequence[int]) -> GeneSets:
    return GeneSets.build(graph.read(cypher.load("export/explain_go_annotations")), gene_ids)


def structures_of(graph: Graph, pert_ids: Sequence[str]) -> dict[str, CompoundStructure]:
    rows = graph.read(cypher.load("export/explain_compound_structures"), pert_ids=sorted(set(pert_ids)))
    return {r["pert_id"]: CompoundStructure(r["smiles"] or "", tuple(r["smarts"])) for r in rows}


RETRAIN_FRACTION = 0.8  # share of the training compounds a stability retrain sees


def retrain_rows(data: TaskData, train_rows: np.ndarray, seed: int, fraction: float = RETRAIN_FRACTION) -> np.ndarray:
    """The training rows of a random ``fraction`` of the training compounds (at least one), drawn
    with ``seed``: a retrain on them differs from the explained model even when its fit is
    deterministic (centroids, logistic regression), so its top-20 overlap measures how much the
    explanation depends on which compounds were trained on, never 1.0 by construction."""
    compounds = np.asarray(data.compound_ids, dtype=object)[train_rows]
    names = sorted(set(compounds))
    rng = np.random.default_rng(seed)
    kept = set(rng.choice(names, size=max(1, int(round(fraction * len(names)))), replace=False).tolist())
    return train_rows[np.array([c in kept for c in compounds], dtype=bool)]


def retrain(model_cls: type[ModelPlugin], data: TaskData, config: dict[str, Any], seed: int) -> ModelPlugin:
    """The train run's model refitted on the same split (its split file or kind) and under the same
    control, with another seed, on :data:`RETRAIN_FRACTION` of its training compounds (in-process,
    no run written)."""
    from toolkit.train.pipeline import with_control
    from toolkit.train.splits import run_split

    split = run_split(data, config)
    data = with_control(data, str(config.get("control", "none")), int(config.get("seed", 0)), split.train)
    known = {f for f in TrainConfig.__dataclass_fields__}
    train_config = TrainConfig(**{**{k: v for k, v in config.items() if k in known}, "seed": seed,
                                  "params": dict(config.get("params") or {})})
    model = model_cls(len(data.gene_ids), len(data.classes), dict(config.get("params") or {}))
    model.fit(data.subset(retrain_rows(data, split.train, seed)), train_config, data.subset(split.valid))
    return model


def explained_view(model: ModelPlugin) -> Explained:
    """The model as gene explainers see it (a structure model: its forward function with an
    all-bits-off fingerprint bound in)."""
    if not is_structure_model(model):
        return model
    from toolkit.explain.fingerprints import gene_view

    return gene_view(model, np.zeros(model.fingerprint_spec().n_bits, dtype=np.float32))  # type: ignore[arg-type]


def limit_signatures(prediction: PredictionInfo, n: int) -> PredictionInfo:
    """At most ``n`` of a prediction's signature rows, evenly spread over them (deterministic)."""
    rows = prediction.rows
    if len(rows) <= n:
        return prediction
    keep = sorted({int(round(i)) for i in np.linspace(0, len(rows) - 1, n)})
    return replace(prediction, rows=tuple(rows[i] for i in keep))


def explanation_rows(explanation: Explanation, top_k: int) -> dict[Level, list[dict[str, Any]]]:
    """Write-back rows of every level present in ``explanation``."""
    ids = [p.prediction_id for p in explanation.predictions]
    genes = explanation.gene_ids
    out: dict[Level, list[dict[str, Any]]] = {Level.GENE: gene_rows(ids, explanation.attributions, genes, top_k)}
    if explanation.pathways is not None and explanation.gene_sets is not None:
        out[Level.GO_TERM] = pathway_rows(ids, explanation.pathways, explanation.gene_sets, top_k)
    if explanation.interactions:
        out[Level.GENE_PAIR] = [r for pid in ids for r in interaction_rows(pid, explanation.interactions.get(pid, ()),
                                                                           genes, top_k)]
    if explanation.substructures:
        out[Level.SUBSTRUCTURE] = [
            {"prediction_id": pid, "smarts": s.smarts, "score": s.score, "rank": rank}
            for pid in ids for rank, s in enumerate(list(explanation.substructures.get(pid, ()))[:top_k], start=1)]
    if explanation.edges:
        out[Level.EDGE] = [
            {"prediction_id": pid, "entrez_a": min(genes[e.gene_a], genes[e.gene_b]),
             "entrez_b": max(genes[e.gene_a], genes[e.gene_b]), "score": e.score, "rank": rank}
            for pid in ids for rank, e in enumerate(list(explanation.edges.get(pid, ()))[:top_k], start=1)]
    return out


EDGE_METRIC = {Level.GENE: "explains_edges", Level.GO_TERM: "goterm_edges", Level.SUBSTRUCTURE: "substructure_edges",
               Level.GENE_PAIR: "interaction_edges", Level.EDGE: "network_edges"}


def save_attributions(path: Path, explanation: Explanation) -> None:
    np.savez_compressed(path, prediction_ids=np.array([p.prediction_id for p in explanation.predictions]),
                        gene_ids=np.asarray(explanation.gene_ids, dtype=np.int64), attributions=explanation.attributions)


def explain_run(graph: Graph, settings: Settings, train_run_id: str, method: str = "integrated_gradients",
                top_k: int = 20, seed: int = 0, splits: Sequence[str] = ("test", "unlabelled"),
                options: Optional[ExplainOptions] = None,
                progress: Callable[[str], None] = logger.info) -> ExplainOutcome:
    """Explain the rank-1 predictions of ``train_run_id`` for compounds in ``splits``; return the
    completed run and the in-memory explanation."""
    options = options or ExplainOptions()
    if top_k < 1:
        raise RunError(f"--top-k must be at least 1, not {top_k}")
    truth = load_truth(options.truth) if options.truth is not None else None
    retrain_seeds = options.retrain_seeds if options.retrain_seeds is not None else (1 if truth is not None else 0)
    train_run = {**_train_run(graph, train_run_id), "run_id": train_run_id}
    explainer_cls = plugins.registry().get("explainers", method)
    try:
        explainer = explainer_cls(**dict(options.explainer_params))
    except TypeError as exc:
        raise RunError(f"explainer {method!r} does not take parameters {dict(options.explainer_params)}: {exc}") from None
    model = load_model(settings, train_run)
    if not explainer.supports(explained_view(model)):
        raise RunError(f"explainer {method!r} cannot explain model {model.name!r}; see `kgtool plugins`")
    config = json.loads(train_run["config"])
    from toolkit.train.samples import training_samples

    samples = training_samples(graph, config, settings)
    data = samples.data
    data_changed = check_data_hash(train_run, samples.data_hash, options.allow_data_change)
    classes = config["classes"]
    if list(data.classes) != classes:
        raise RunError(f"the graph's MoA classes changed since train run {train_run_id}; retrain first")
    if data.x.shape[1] != model.n_features:
        raise RunError(f"the graph has {data.x.shape[1]} landmark genes, train run {train_run_id} used "
                       f"{model.n_features}; retrain on the current graph")
    rows = [p for p in graph.read(cypher.load("export/run_predictions"), run_id=train_run_id, rank=1)
            if p["split"] in splits]
    missing = {p["pert_id"] for p in rows} - set(data.compound_ids)
    predictions, skipped = match_predictions(rows, data.compound_ids, data.classes,
                                             compounds_in_graph(graph, sorted(missing)) if missing else set())
    if options.max_signatures > 0:
        predictions = [limit_signatures(p, options.max_signatures) for p in predictions]
    structures = structures_of(graph, [p.pert_id for p in predictions]) if is_structure_model(model) else None
    if structures is not None:
        skipped += [SkippedPrediction(p.prediction_id, p.pert_id, p.moa, SkipReason.NO_STRUCTURE) for p in predictions
                    if not (structures.get(p.pert_id) and structures[p.pert_id].smiles)]
        predictions = [p for p in predictions if structures.get(p.pert_id) and structures[p.pert_id].smiles]
    report_skipped(skipped, progress)
    run = runs.RunRecord(
        run_id=runs.new_run_id("explain"), kind="explain", plugin=method, seed=seed, data_hash=samples.data_hash,
        parent_run=train_run_id,
        config={"method": method, "top_k": top_k, "splits": list(splits),
                **{k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(options).items()},
                "retrain_seeds": retrain_seeds, "train_data_hash": train_run.get("data_hash"),
                "data_changed": data_changed, "samples": len(data.sample_ids),
                "sample_report": samples.report.as_dict(),
                "aggregate": config.get("aggregate", "none")},
    )
    holder: dict[str, Explanation] = {}

    def work() -> dict[str, Any]:
        gene_sets = gene_sets_of(graph, data.gene_ids) if options.pathways else None
        explanation = explain_arrays(
            explainer, model, data.x, data.gene_ids, predictions, seed=seed, gene_sets=gene_sets,
            enrichment_k=options.enrichment_k, interactions=options.interactions,
            interaction_candidates=options.interaction_candidates, structures=structures, edge_top_k=top_k,
            progress=progress)
        holder["explanation"] = explanation
        metrics: dict[str, Any] = {"predictions_explained": len(explanation.predictions),
                                   "predictions_skipped": len(skipped),
                                   "skipped_predictions": [s.as_row() for s in skipped],
                                   "samples_attributed": explanation.samples_attributed,
                                   **{k: round(v, 3) for k, v in explanation.timings.items()}}
        attribute_s = explanation.timings.get("attribute_s", 0.0)
        if attribute_s > 0:
            metrics["attributions_per_s"] = explanation.samples_attributed / attribute_s
        tic = time.perf_counter()
        written = 0
        for level, level_rows in explanation_rows(explanation, top_k).items():
            counts = write_rows(graph, level, run.run_id, method, level_rows, options.batch_size, new_run=True)
            metrics[EDGE_METRIC[level]] = counts.rows
            written += counts.rows
        metrics["writeback_s"] = round(time.perf_counter() - tic, 3)
        progress(f"wrote {written} explanation relationships in {metrics['writeback_s']:.1f}s")
        run_dir = runs.manifest_path(settings.runs_dir, run.run_id).parent
        run_dir.mkdir(parents=True, exist_ok=True)
        save_attributions(run_dir / ATTRIBUTIONS, explanation)
        if options.quality:
            qc = QualityConfig(**{**asdict(options.quality_config), "seed": seed})
            retrained = []
            for i in range(1, retrain_seeds + 1):
                tic = time.perf_counter()
                retrained.append(retrain(type(model), data, config, int(config.get("seed", 0)) + 1000 * i))
                progress(f"retrained {model.name} with seed +{1000 * i} in {time.perf_counter() - tic:.1f}s")
            fingerprints = fingerprints_of(model, structures or {}) if structures is not None else None
            metrics.update(assess(explanation, explainer, model, data.x, qc, truth, retrained, options.truth_k,
                                  fingerprints, progress))
        return metrics

    done = runs.execute(graph, settings.runs_dir, run, work)
    explanation = holder["explanation"]
    if options.report is not None:
        from toolkit.explain.report import write_report

        symbols = {r["entrez_id"]: r["symbol"] for r in graph.read(cypher.load("export/explain_gene_symbols"),
                                                                   entrez_ids=list(explanation.gene_ids))}
        write_report(Path(options.report), done, explanation, symbols)
        progress(f"report written to {options.report}")
    plugins.plugin_manager().hook.kgtool_after_explain(run=done)
    return ExplainOutcome(done, explanation)


def explain(graph: Graph, settings: Settings, train_run_id: str, method: str = "integrated_gradients",
            top_k: int = 20, seed: int = 0, splits: Sequence[str] = ("test", "unlabelled"),
            options: Optional[ExplainOptions] = None) -> runs.RunRecord:
    """Explain the rank-1 predictions of ``train_run_id`` for compounds in ``splits``."""
    return explain_run(graph, settings, train_run_id, method, top_k, seed, splits, options).run
