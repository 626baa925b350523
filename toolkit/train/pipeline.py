"""``kgtool train``: snapshot (cached) → split → fit → evaluate → predictions and run back into the graph.

By default a sample is a signature; ``aggregate`` folds each compound's signatures (or each
compound's per cell line) into one consensus sample first (:mod:`toolkit.train.aggregate`).

With ``k_folds`` the model is also cross-validated on ``k`` folds of the same split kind; the
fold metrics are averaged into ``cv_*_mean``/``cv_*_std`` and the per-fold ones go to the
manifest. The checkpoint and the predictions always come from the model of the single split.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from typing import Any, Optional

import numpy as np

from toolkit import cypher, plugins, runs
from toolkit.errors import ConfigError, RunError
from toolkit.graph.db import Graph
from toolkit.models import ModelPlugin, TaskData, TrainConfig
from toolkit.settings import Settings
from toolkit.tasks import Task, task_of
from toolkit.train.aggregate import AggregateLevel, aggregate as aggregate_samples
from toolkit.train.export import GO_MAX_GENES, GO_MIN_GENES, data_hash
from toolkit.train.metrics import Evaluation, evaluate_predictions
from toolkit.train.predict import (CHECKPOINT, TOP_PREDICTIONS, gene_hash, load_model, prediction_rows,
                                   signature_prediction_rows)
from toolkit.train.splits import Split, SplitKind, make_folds, make_split

logger = logging.getLogger(__name__)

__all__ = ["CHECKPOINT", "TOP_PREDICTIONS", "evaluate", "load_model", "row_sides", "train"]

EVALUATED_SIDES = ("train", "test")
PREDICT_LEVELS = ("compound", "signature", "both")


def row_sides(n_rows: int, split: Split) -> list[str]:
    """Each row's side name under ``split``."""
    side = ["unlabelled"] * n_rows
    for name in ("train", "valid", "test", "unlabelled"):
        for i in getattr(split, name):
            side[int(i)] = name
    return side


def evaluate(proba: np.ndarray, data: TaskData, split: Split, sides: tuple[str, ...] = EVALUATED_SIDES) -> Evaluation:
    """Metrics of ``proba`` (rows of ``data``) on the given sides of ``split``."""
    metrics: dict[str, float] = {}
    tables: dict[str, list[dict[str, Any]]] = {}
    for name in sides:
        index = getattr(split, name)
        if len(index):
            ev = evaluate_predictions(proba[index], data.y[index], [data.compound_ids[i] for i in index],
                                      data.classes, name)
            metrics.update(ev.metrics)
            tables.update(ev.per_class)
    return Evaluation(metrics, tables)


@dataclass(frozen=True)
class CrossValidation:
    metrics: dict[str, float]  # cv_<metric>_mean / _std, cv_folds
    folds: list[dict[str, Any]] = field(default_factory=list)  # per fold: sizes and metrics


def cross_validate(model_cls: type[ModelPlugin], data: TaskData, config: TrainConfig,
                   splits: list[Split]) -> CrossValidation:
    """Fit a fresh model per fold and score it on that fold's test side."""
    folds: list[dict[str, Any]] = []
    k = len(splits)
    for number, fold in enumerate(splits, start=1):
        model = model_cls(len(data.gene_ids), len(data.classes), config.params)
        model.fit(data.subset(fold.train), config, data.subset(fold.valid))
        ev = evaluate(model.predict(data.x, data.compound_ids), data, fold, ("test",))
        folds.append({"fold": number, "train": len(fold.train), "valid": len(fold.valid), "test": len(fold.test),
                      "metrics": dict(ev.metrics)})
        logger.info("fold %d/%d: %s", number, k, ev.metrics)
    names = sorted({name for f in folds for name in f["metrics"] if not name.endswith("_n")})
    metrics: dict[str, float] = {"cv_folds": float(k)}
    for name in names:
        values = np.array([f["metrics"][name] for f in folds if name in f["metrics"]], dtype=float)
        metrics[f"cv_{name}_mean"] = float(values.mean())
        metrics[f"cv_{name}_std"] = float(values.std())
    return CrossValidation(metrics, folds)


def _snapshot(graph: Graph, settings: Settings, with_context: bool, use_cache: bool, go_min_genes: int,
              go_max_genes: int, signatures: str) -> tuple[TaskData, str, dict[str, Any]]:
    from toolkit.train.cache import ExportOptions, snapshot

    options = ExportOptions(with_context=with_context, go_min_genes=go_min_genes, go_max_genes=go_max_genes,
                            signatures=signatures)
    snap = snapshot(graph, settings.cache_dir if use_cache else None, options)
    info = {"snapshot_s": snap.seconds, "snapshot_cache_hit": snap.cache_hit}
    return snap.data, snap.data_hash, info


def _add_to_manifest(settings: Settings, run_id: str, extra: dict[str, Any]) -> None:
    """Add what stays off the Run node (per-class tables, per-fold metrics) to the manifest."""
    path = runs.manifest_path(settings.runs_dir, run_id)
    manifest = json.loads(path.read_text())
    manifest.update(extra)
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True, default=str))


def train(graph: Graph, settings: Settings, model_name: str, config: TrainConfig,
          split_kind: SplitKind | str = SplitKind.COLD_COMPOUND, test_fraction: float = 0.25,
          data: Optional[TaskData] = None, k_folds: int = 0, use_cache: bool = True,
          go_min_genes: int = GO_MIN_GENES, go_max_genes: int = GO_MAX_GENES,
          aggregate: AggregateLevel | str = AggregateLevel.NONE, consensus: str = "modz",
          predict_level: str = "compound", signatures: str = "auto") -> runs.RunRecord:
    """Train ``model_name`` on the graph's signatures; return the completed run.

    Predictions are written per compound (its signatures' mean probabilities), and with
    ``predict_level`` ``signature`` or ``both`` also per signature (not with ``aggregate``).
    ``signatures`` picks loaded or consensus Signature nodes (:data:`toolkit.train.export.SIGNATURE_LEVELS`).

    The snapshot carries graph context when the model declares ``requires_context`` or the split
    needs scaffolds; it comes from the snapshot cache unless ``use_cache`` is False or ``data`` is
    given.
    """
    model_cls = plugins.registry().get("models", model_name)
    task = task_of(model_cls)
    if task is not Task.MOA:
        raise RunError(f"model {model_name!r} solves the {task.value!r} task; kgtool train trains 'moa' models "
                       "only so far (the expression trainer is not built yet)")
    kind = SplitKind(split_kind)
    with_context = bool(getattr(model_cls, "requires_context", False)) or kind.needs_context
    snapshot_info: dict[str, Any] = {}
    if data is None:
        data, digest, snapshot_info = _snapshot(graph, settings, with_context, use_cache, go_min_genes, go_max_genes,
                                               signatures)
    else:
        if with_context and data.context is None:
            raise RunError(f"model {model_name!r} with split {kind.value!r} needs graph context; pass a snapshot "
                           "exported with with_context=True")
        digest = data_hash(data)
    data = aggregate_samples(data, aggregate, consensus)
    if predict_level not in PREDICT_LEVELS:
        raise ConfigError(f"predict_level must be one of {', '.join(PREDICT_LEVELS)}, not {predict_level!r}")
    if predict_level != "compound" and AggregateLevel(aggregate) is not AggregateLevel.NONE:
        raise ConfigError("signature-level predictions need signature samples: drop --aggregate or use "
                          "--predict-level compound")
    if not data.classes:
        raise RunError("no signature of the graph has an MoA label; load compounds with MoA annotations")
    split = make_split(data, kind, test_fraction=test_fraction, seed=config.seed)
    folds = make_folds(data, kind, k_folds, seed=config.seed) if k_folds else []  # bad k fails before the run
    run = runs.RunRecord(
        run_id=runs.new_run_id("train"), kind="train", plugin=model_name, seed=config.seed, data_hash=digest,
        config={**asdict(config), "params": dict(config.params), "split": kind.value, "test_fraction": test_fraction,
                "k_folds": k_folds, "context": with_context, "go_min_genes": go_min_genes,
                "go_max_genes": go_max_genes, "predict_level": predict_level, "aggregate": AggregateLevel(aggregate).value, "consensus": consensus,
                "signatures": signatures,
                "samples": len(data.sample_ids), "classes": list(data.classes), "genes": len(data.gene_ids),
                "gene_hash": gene_hash(data.gene_ids)},
    )
    run_dir = runs.manifest_path(settings.runs_dir, run.run_id).parent
    extra: dict[str, Any] = {}

    def work() -> dict[str, Any]:
        model: ModelPlugin = model_cls(len(data.gene_ids), len(data.classes), config.params)
        history = model.fit(data.subset(split.train), config, data.subset(split.valid))
        run_dir.mkdir(parents=True, exist_ok=True)
        model.save(run_dir / CHECKPOINT)
        proba = model.predict(data.x, data.compound_ids)
        sides = row_sides(len(data.sample_ids), split)
        rows = prediction_rows(run.run_id, data.classes, data.compound_ids, proba, data.y, sides)
        graph.write(cypher.load("write/predictions"), run_id=run.run_id, rows=rows)
        if predict_level in ("signature", "both"):
            rows = signature_prediction_rows(run.run_id, data.classes, data.sample_ids, proba, data.y, sides)
            graph.write(cypher.load("write/signature_predictions"), run_id=run.run_id, rows=rows)
        evaluation = evaluate(proba, data, split)
        extra["per_class"] = dict(evaluation.per_class)
        metrics: dict[str, Any] = {**evaluation.metrics, **snapshot_info}
        if k_folds:
            cv = cross_validate(model_cls, data, config, folds)
            metrics.update(cv.metrics)
            extra["folds"] = cv.folds
        metrics.update({k: v for k, v in history.items() if v is not None})
        return metrics

    done = runs.execute(graph, settings.runs_dir, run, work)
    _add_to_manifest(settings, done.run_id, extra)
    plugins.plugin_manager().hook.kgtool_after_train(run=done)
    logger.info("train run %s: %s", run.run_id, done.metrics)
    return done
