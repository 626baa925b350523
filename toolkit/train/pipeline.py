"""``kgtool train``: snapshot (cached) → samples → split → control → fit → evaluate → predictions
and run back into the graph.

The samples come from :mod:`toolkit.train.samples` (the one definition shared with ``predict``
and ``explain``): QC filter, per-cell-line centering, then by default one MODZ consensus per
compound and cell line (:data:`toolkit.train.choices.DEFAULT_AGGREGATE`); compound scores pool a
compound's samples by mean log-probability (:func:`toolkit.train.metrics.compound_scores`).
The split is made by kind or read from a split file (:func:`toolkit.train.splits.read_split_file`);
a knowledge control (:mod:`toolkit.train.controls`) then alters what the model is fitted on
(evaluation and predictions still score against the true labels).

With ``k_folds`` the model is also cross-validated on ``k`` folds of the same split kind; the
fold metrics are averaged into ``cv_*_mean``/``cv_*_std`` and the per-fold ones go to the
manifest. The checkpoint and the predictions always come from the model of the single split.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Optional

import numpy as np

from toolkit import cypher, plugins, runs
from toolkit.errors import ConfigError, RunError
from toolkit.graph.db import Graph
from toolkit.models import ModelPlugin, TaskData, TrainConfig
from toolkit.settings import Settings
from toolkit.tasks import Task, task_of
from toolkit.train.aggregate import AggregateLevel
from toolkit.train.choices import CONTROL_NAMES, DEFAULT_AGGREGATE, DEFAULT_CENTER, DEFAULT_CONTROL, DEFAULT_QC
from toolkit.train.export import GO_MAX_GENES, GO_MIN_GENES, data_hash
from toolkit.train.metrics import Evaluation, evaluate_predictions
from toolkit.train.predict import (CHECKPOINT, TOP_PREDICTIONS, gene_hash, load_model, prediction_rows,
                                   signature_prediction_rows)
from toolkit.train.samples import PreparedSamples, SampleOptions, load_samples, prepare
from toolkit.train.splits import Split, SplitKind, make_folds, make_split, read_split_file, split_from_file

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


def with_control(data: TaskData, control: str, seed: int, train_index: np.ndarray) -> TaskData:
    """``data`` under a knowledge control (:func:`toolkit.train.controls.apply_control`)."""
    if control == "none":
        return data
    from toolkit.train.controls import apply_control

    try:
        return apply_control(data, control, seed, train_index)
    except ValueError as exc:
        raise RunError(f"--control {control}: {exc}") from None


def cross_validate(model_cls: type[ModelPlugin], data: TaskData, config: TrainConfig,
                   splits: list[Split], control: str = DEFAULT_CONTROL) -> CrossValidation:
    """Fit a fresh model per fold (on the fold's data under ``control``) and score it on that
    fold's test side."""
    folds: list[dict[str, Any]] = []
    k = len(splits)
    for number, fold in enumerate(splits, start=1):
        model = model_cls(len(data.gene_ids), len(data.classes), config.params)
        fitted = with_control(data, control, config.seed, fold.train)
        model.fit(fitted.subset(fold.train), config, fitted.subset(fold.valid))
        ev = evaluate(model.predict_proba(data.x, compounds=data.compound_ids), data, fold, ("test",))
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


def _samples(graph: Graph, settings: Settings, options: SampleOptions, use_cache: bool,
             data: Optional[TaskData]) -> tuple[PreparedSamples, dict[str, Any]]:
    """The run's prepared samples (from the snapshot, or from ``data`` when given) and snapshot timings."""
    if data is not None:
        return replace(prepare(data, options), data_hash=data_hash(data)), {}
    prepared, snap = load_samples(graph, options, settings.cache_dir if use_cache else None)
    return prepared, {"snapshot_s": snap.seconds, "snapshot_cache_hit": snap.cache_hit}


def train(graph: Graph, settings: Settings, model_name: str, config: TrainConfig,
          split_kind: SplitKind | str = SplitKind.COLD_COMPOUND, test_fraction: float = 0.25,
          data: Optional[TaskData] = None, k_folds: int = 0, use_cache: bool = True,
          go_min_genes: int = GO_MIN_GENES, go_max_genes: int = GO_MAX_GENES,
          aggregate: AggregateLevel | str = DEFAULT_AGGREGATE, consensus: str = "modz",
          predict_level: str = "compound", signatures: str = "auto", *, qc: str = DEFAULT_QC,
          center: str = DEFAULT_CENTER, split_file: Optional[Path | str] = None,
          control: str = DEFAULT_CONTROL) -> runs.RunRecord:
    """Train ``model_name`` on the graph's samples; return the completed run.

    Samples: ``signatures`` picks loaded or consensus Signature nodes
    (:data:`toolkit.train.export.SIGNATURE_LEVELS`), then ``qc``, ``center``, ``aggregate`` and
    ``consensus`` prepare them (:mod:`toolkit.train.samples`). The split is ``split_kind`` with
    ``test_fraction``, or ``split_file`` (a ``pert_id<TAB>split`` TSV). ``control`` (one of
    :data:`toolkit.train.choices.CONTROL_NAMES`) alters what the model is fitted on.

    Predictions are written per compound (its samples pooled by mean log-probability), and with
    ``predict_level`` ``signature`` or ``both`` also per signature (only with ``aggregate="none"``).

    The snapshot carries graph context when the model declares ``requires_context`` or
    ``context_needs``, the split needs scaffolds or the control alters the context; it comes from
    the snapshot cache unless ``use_cache`` is False or ``data`` is given (then unprepared).
    A model whose ``context_needs`` the graph lacks stops here, before any run is written.
    """
    model_cls = plugins.registry().get("models", model_name)
    task = task_of(model_cls)
    if task is not Task.MOA:
        raise RunError(f"model {model_name!r} solves the {task.value!r} task; train it with "
                       "toolkit.expression.pipeline.train_expression (kgtool train picks the trainer by task)")
    kind = SplitKind(split_kind)
    if predict_level not in PREDICT_LEVELS:
        raise ConfigError(f"predict_level must be one of {', '.join(PREDICT_LEVELS)}, not {predict_level!r}")
    if control not in CONTROL_NAMES:
        raise ConfigError(f"control must be one of {', '.join(CONTROL_NAMES)}, not {control!r}")
    if split_file is not None and k_folds:
        raise ConfigError("--split-file fixes one split; it cannot be combined with --k-folds (drop one of them)")
    needs = tuple(getattr(model_cls, "context_needs", ()) or ())
    with_context = (bool(getattr(model_cls, "requires_context", False)) or bool(needs) or kind.needs_context
                    or control in ("string_permuted", "go_shuffled"))
    options = SampleOptions(signatures=signatures, qc=qc, center=center, aggregate=AggregateLevel(aggregate).value,
                            consensus=consensus, with_context=with_context, go_min_genes=go_min_genes,
                            go_max_genes=go_max_genes)
    if predict_level != "compound" and options.aggregate != AggregateLevel.NONE.value:
        raise ConfigError(f"signature-level predictions need signature samples, and --aggregate is "
                          f"{options.aggregate!r}: pass --aggregate none, or use --predict-level compound")
    split_source = read_split_file(split_file) if split_file is not None else None  # bad file: before the export
    if data is not None and with_context and data.context is None:
        raise RunError(f"model {model_name!r} with split {kind.value!r} needs graph context; pass a snapshot "
                       "exported with with_context=True")
    prepared, snapshot_info = _samples(graph, settings, options, use_cache, data)
    data, digest = prepared.data, prepared.data_hash
    if needs:
        from toolkit.models import context_error, missing_context

        missing = missing_context(needs, data.context)
        if missing:
            raise RunError(context_error(model_name, missing))
    if not data.classes:
        raise RunError("no signature of the graph has an MoA label; load compounds with MoA annotations")
    if split_source is not None:
        split = split_from_file(data, split_source)
    else:
        split = make_split(data, kind, test_fraction=test_fraction, seed=config.seed)
    folds = make_folds(data, kind, k_folds, seed=config.seed) if k_folds else []  # bad k fails before the run
    fit_data = with_control(data, control, config.seed, split.train)
    report = prepared.report
    run = runs.RunRecord(
        run_id=runs.new_run_id("train"), kind="train", plugin=model_name, seed=config.seed, data_hash=digest,
        config={**asdict(config), "params": dict(config.params), "split": kind.value, "test_fraction": test_fraction,
                "k_folds": k_folds, "predict_level": predict_level, **options.to_config(),
                "split_file": str(Path(split_file).resolve()) if split_file is not None else None,
                "split_file_sha256": split_source.sha256 if split_source is not None else None,
                "control": control, "qc_dropped": report.qc_dropped,
                "samples": len(data.sample_ids), "classes": list(data.classes), "genes": len(data.gene_ids),
                "gene_hash": gene_hash(data.gene_ids)},
    )
    run_dir = runs.manifest_path(settings.runs_dir, run.run_id).parent
    extra: dict[str, Any] = {}

    def work() -> dict[str, Any]:
        model: ModelPlugin = model_cls(len(data.gene_ids), len(data.classes), config.params)
        history = model.fit(fit_data.subset(split.train), config, fit_data.subset(split.valid))
        run_dir.mkdir(parents=True, exist_ok=True)
        model.save(run_dir / CHECKPOINT)
        proba = model.predict_proba(data.x, compounds=data.compound_ids)
        sides = row_sides(len(data.sample_ids), split)
        rows = prediction_rows(run.run_id, data.classes, data.compound_ids, proba, data.y, sides)
        graph.write(cypher.load("write/predictions"), run_id=run.run_id, rows=rows)
        if predict_level in ("signature", "both"):
            rows = signature_prediction_rows(run.run_id, data.classes, data.sample_ids, proba, data.y, sides)
            graph.write(cypher.load("write/signature_predictions"), run_id=run.run_id, rows=rows)
        evaluation = evaluate(proba, data, split)
        extra["per_class"] = dict(evaluation.per_class)
        metrics: dict[str, Any] = {**evaluation.metrics, **snapshot_info, "qc_dropped": report.qc_dropped,
                                   "signatures_exported": report.exported}
        if k_folds:
            cv = cross_validate(model_cls, data, config, folds, control)
            metrics.update(cv.metrics)
            extra["folds"] = cv.folds
        metrics.update({k: v for k, v in history.items() if v is not None})
        return metrics

    done = runs.execute(graph, settings.runs_dir, run, work)
    runs.add_to_manifest(settings.runs_dir, done.run_id, extra)
    plugins.plugin_manager().hook.kgtool_after_train(run=done)
    logger.info("train run %s: %s", run.run_id, done.metrics)
    return done
