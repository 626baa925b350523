"""``kgtool train MODEL`` for models of the ``expression`` task: what will a compound do to each
landmark gene in a cell line?

Samples come from the same snapshot and preparation as MoA runs (:mod:`toolkit.train.samples`:
QC filter, per-cell-line centering), always at the ``compound_cell`` level: one MODZ consensus of a
compound's signatures per cell line is one sample, its z-scores the target. Samples of compounds
without a structure in the graph are dropped (counted in the run config): every expression model
predicts from the structure. The split is made on compounds (``cold_compound``, default),
scaffolds or cell lines (``cold_cell``), stratified by the compound's first MoA where it has one,
or read from a split file. A control then alters what the model is fitted on (evaluation uses the
truth): ``drug_shuffled`` permutes the structures among the training compounds,
``labels_shuffled`` the targets among training samples, ``string_permuted``/``go_shuffled`` the
knowledge as for MoA runs.

Metrics (:mod:`toolkit.expression.metrics`) on the train and test sides, the test side also by
the compound's maximum Tanimoto similarity to the training compounds. Predictions are written as
``ExpressionPrediction`` nodes (the full vector) and the top genes per direction as
``PREDICTED_EFFECT`` edges (:mod:`toolkit.expression.writeback`), for every compound with a
structure in every training cell line by default, so that untested pairs can be queried.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Optional

import numpy as np

from toolkit import plugins, runs
from toolkit.errors import ConfigError, RunError
from toolkit.expression.features import ecfp_matrix, max_tanimoto
from toolkit.expression.metrics import side_metrics, similarity_strata
from toolkit.graph.db import Graph
from toolkit.models import TaskData, TrainConfig
from toolkit.settings import Settings
from toolkit.tasks import ExpressionData, ExpressionModelPlugin, Task, task_of
from toolkit.train.choices import DEFAULT_CENTER, DEFAULT_QC, EXPRESSION_CONTROL_NAMES, EXPRESSION_PREDICT
from toolkit.train.export import GO_MAX_GENES, GO_MIN_GENES, data_hash
from toolkit.train.predict import CHECKPOINT, gene_hash
from toolkit.train.samples import PreparedSamples, SampleOptions, load_samples, prepare
from toolkit.train.splits import Split, SplitKind, make_split, read_split_file, split_from_file

logger = logging.getLogger(__name__)

NO_MOA = "(no MoA)"  # the split stratum of compounds without an MoA label
SIDES = ("train", "valid", "test")


@dataclass(frozen=True)
class ExpressionRunOptions:
    """What an expression run does besides the model's own settings (all in the Run config)."""

    split: str = SplitKind.COLD_COMPOUND.value
    test_fraction: float = 0.25
    control: str = "none"
    predict: str = "auto"  # EXPRESSION_PREDICT
    top_genes: int = 25  # PREDICTED_EFFECT edges per direction per (compound, cell line)
    split_file: Optional[str] = None

    def __post_init__(self) -> None:
        SplitKind(self.split)
        if self.control not in EXPRESSION_CONTROL_NAMES:
            raise ConfigError(f"control must be one of {', '.join(EXPRESSION_CONTROL_NAMES)} for an expression "
                              f"model, not {self.control!r}")
        if self.predict not in EXPRESSION_PREDICT:
            raise ConfigError(f"predict must be one of {', '.join(EXPRESSION_PREDICT)}, not {self.predict!r}")
        if self.top_genes < 1:
            raise ConfigError(f"top_genes must be at least 1, not {self.top_genes}")


def split_view(data: TaskData) -> TaskData:
    """``data`` with every sample labelled for the splitter: its MoAs, or :data:`NO_MOA`."""
    unlabelled = (data.y.sum(axis=1) == 0).astype(np.float32)[:, None]
    return replace(data, y=np.hstack([data.y, unlabelled]), classes=(*data.classes, NO_MOA))


def with_structure(data: TaskData) -> tuple[TaskData, int]:
    """The samples whose compound has a structure in the graph context, and how many were dropped."""
    smiles = data.context.compound_smiles if data.context is not None else {}
    keep = np.flatnonzero([bool(smiles.get(c)) for c in data.compound_ids])
    dropped = len(data.sample_ids) - len(keep)
    if len(keep) == 0:
        raise RunError(f"none of the {len(data.sample_ids)} samples' compounds has a structure; expression models "
                       "predict from structure: load compounds with SMILES (compoundinfo canonical_smiles)")
    return (data.subset(keep) if dropped else data), dropped


def fitted_data(expr: ExpressionData, data: TaskData, control: str, seed: int, split: Split) -> ExpressionData:
    """The training samples under ``control`` (see the module doc)."""
    train = split.train
    if control in ("string_permuted", "go_shuffled"):
        from toolkit.train.controls import apply_control

        expr = replace(expr, context=apply_control(data, control, seed, train).context)
    rng = np.random.default_rng([seed, sum(map(ord, control))])
    if control == "labels_shuffled":
        y = np.array(expr.y, copy=True)
        y[train] = y[train][rng.permutation(len(train))]
        expr = replace(expr, y=y)
    if control == "drug_shuffled":
        smiles = dict(expr.context.compound_smiles)
        names = sorted({expr.compound_ids[i] for i in train})
        if len(names) < 2:
            raise RunError("control 'drug_shuffled' needs 2+ training compounds")
        shuffled = dict(zip(names, [smiles[n] for n in np.array(names)[rng.permutation(len(names))]]))
        expr = replace(expr, context=replace(expr.context, compound_smiles={**smiles, **shuffled}))
    return expr


def evaluate(model: ExpressionModelPlugin, expr: ExpressionData, split: Split) -> tuple[dict[str, float], np.ndarray]:
    """Metrics of ``model`` on the sides of ``split`` (test also by similarity stratum) and its
    predictions for every sample."""
    context = expr.context
    pred = model.predict_expression(expr.conditions, context=context)
    classes = model.predict_classes(expr.conditions, context=context) if model.three_class else None
    smiles = context.compound_smiles if context is not None else {}
    train_compounds = sorted({expr.compound_ids[i] for i in split.train})
    test_compounds = sorted({expr.compound_ids[i] for i in split.test})
    similarity = dict(zip(test_compounds, max_tanimoto(ecfp_matrix(test_compounds, smiles),
                                                       ecfp_matrix(train_compounds, smiles)).tolist()))
    metrics: dict[str, float] = {}
    for side in SIDES:
        rows = getattr(split, side)
        if not len(rows):
            continue
        strata = None
        if side == "test":
            strata = similarity_strata([expr.compound_ids[i] for i in rows], similarity)
        metrics.update(side_metrics(side, pred[rows], expr.y[rows], None if classes is None else classes[rows],
                                    strata))
    metrics["test_compounds"] = float(len(test_compounds))
    return metrics, pred


@dataclass(frozen=True)
class FoundSamples:
    """The expression samples of the graph (:func:`expression_samples`) and how they were made."""

    samples: TaskData  # compound x cell consensus rows whose compound has a structure, with context
    prepared: PreparedSamples  # before the structure filter (report, data hash)
    options: SampleOptions
    snapshot_info: dict[str, Any]
    no_structure: int  # samples dropped for want of a structure

    @property
    def expression(self) -> ExpressionData:
        return ExpressionData.from_signatures(self.samples)


def expression_samples(graph: Graph, settings: Settings, *, use_cache: bool = True, signatures: str = "auto",
                       qc: str = DEFAULT_QC, center: str = DEFAULT_CENTER, consensus: str = "modz",
                       go_min_genes: int = GO_MIN_GENES, go_max_genes: int = GO_MAX_GENES,
                       data: Optional[TaskData] = None) -> FoundSamples:
    """The samples of the expression task: the snapshot (cached) prepared at the ``compound_cell``
    level with graph context, less the samples of compounds without a structure (``data``: use this
    snapshot instead of exporting one)."""
    options = SampleOptions(signatures=signatures, qc=qc, center=center, aggregate="compound_cell",
                            consensus=consensus, with_context=True, go_min_genes=go_min_genes,
                            go_max_genes=go_max_genes)
    info: dict[str, Any] = {}
    if data is not None:
        prepared = replace(prepare(data, options), data_hash=data_hash(data))
    else:
        prepared, snap = load_samples(graph, options, settings.cache_dir if use_cache else None)
        info = {"snapshot_s": snap.seconds, "snapshot_cache_hit": snap.cache_hit}
    samples, dropped = with_structure(prepared.data)
    if not samples.cell_ids or not any(samples.cell_ids):
        raise RunError("expression samples need each signature's cell line; load signatures with a cell column")
    return FoundSamples(samples, prepared, options, info, dropped)


def train_expression(graph: Graph, settings: Settings, model_name: str, config: TrainConfig,
                     options: ExpressionRunOptions = ExpressionRunOptions(), *, use_cache: bool = True,
                     signatures: str = "auto", qc: str = DEFAULT_QC, center: str = DEFAULT_CENTER,
                     consensus: str = "modz", go_min_genes: int = GO_MIN_GENES, go_max_genes: int = GO_MAX_GENES,
                     data: Optional[TaskData] = None) -> runs.RunRecord:
    """Train the expression model ``model_name`` on the graph's samples; return the completed run."""
    from toolkit.expression.writeback import write_predictions

    model_cls = plugins.registry().get("models", model_name)
    if task_of(model_cls) is not Task.EXPRESSION:
        raise RunError(f"model {model_name!r} solves the {task_of(model_cls).value!r} task, not 'expression'")
    kind = SplitKind(options.split)
    split_source = read_split_file(options.split_file) if options.split_file else None
    found = expression_samples(graph, settings, use_cache=use_cache, signatures=signatures, qc=qc, center=center,
                               consensus=consensus, go_min_genes=go_min_genes, go_max_genes=go_max_genes, data=data)
    samples, prepared, sample_options = found.samples, found.prepared, found.options
    snapshot_info, no_structure = found.snapshot_info, found.no_structure
    view = split_view(samples)
    split = (split_from_file(view, split_source) if split_source is not None
             else make_split(view, kind, test_fraction=options.test_fraction, seed=config.seed))
    expr = ExpressionData.from_signatures(samples)
    fit = fitted_data(expr, samples, options.control, config.seed, split)
    run = runs.RunRecord(
        run_id=runs.new_run_id("train"), kind="train", plugin=model_name, seed=config.seed,
        data_hash=prepared.data_hash,
        config={**asdict(config), "params": dict(config.params), "task": Task.EXPRESSION.value,
                **asdict(options), **sample_options.to_config(),
                "split_file_sha256": split_source.sha256 if split_source is not None else None,
                "qc_dropped": prepared.report.qc_dropped, "no_structure_dropped": no_structure,
                "samples": len(expr.sample_ids), "genes": len(expr.gene_ids), "gene_hash": gene_hash(expr.gene_ids),
                "gene_ids": list(expr.gene_ids), "three_class": bool(model_cls.three_class),
                "train_cells": sorted({expr.cell_ids[i] for i in split.train})},
    )
    run_dir = runs.manifest_path(settings.runs_dir, run.run_id).parent

    def work() -> dict[str, Any]:
        model: ExpressionModelPlugin = model_cls(len(expr.gene_ids), config.params)
        history = model.fit(fit.subset(split.train), config, fit.subset(split.valid) if len(split.valid) else None)
        run_dir.mkdir(parents=True, exist_ok=True)
        model.save(run_dir / CHECKPOINT)
        metrics, _ = evaluate(model, expr, split)
        written, mode = write_predictions(graph, run.run_id, model, expr, split, options)
        return {**metrics, **snapshot_info, "predictions_written": written, "predict_pairs": mode,
                **{k: v for k, v in history.items() if isinstance(v, (int, float, str, bool))}}

    done = runs.execute(graph, settings.runs_dir, run, work)
    plugins.plugin_manager().hook.kgtool_after_train(run=done)
    logger.info("expression train run %s: %s", run.run_id, done.metrics)
    return done


def load_expression_model(run: runs.RunRecord | dict[str, Any], settings: Settings) -> ExpressionModelPlugin:
    """The trained model of an expression train run, from its checkpoint."""
    run_id = run.run_id if isinstance(run, runs.RunRecord) else run["run_id"]
    plugin = run.plugin if isinstance(run, runs.RunRecord) else run["plugin"]
    path = Path(runs.manifest_path(settings.runs_dir, run_id).parent) / CHECKPOINT
    if not path.exists():
        raise RunError(f"run {run_id}: no checkpoint at {path}; train the model again")
    return plugins.registry().get("models", plugin).load(path)
