"""Prediction rows (shared by ``kgtool train`` and ``kgtool predict``) and ``kgtool predict``:
score compounds a train run has not predicted yet with its checkpoint and write them to that run.

``predict`` prepares the graph's samples exactly as the train run did
(:func:`toolkit.train.samples.training_samples`: QC, per-cell-line centering over the whole
current snapshot, aggregation) and scores the samples of the target compounds."""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any, Optional, Sequence

import numpy as np

from toolkit import cypher, plugins, runs
from toolkit.errors import RunError
from toolkit.graph.db import Graph
from toolkit.models import ModelPlugin, TaskData
from toolkit.settings import Settings
from toolkit.train.metrics import compound_scores, compound_truth

logger = logging.getLogger(__name__)

CHECKPOINT = "model.pt"
TOP_PREDICTIONS = 3
PREDICT_SPLIT = "predict"
SIDE_PRECEDENCE = ("train", "valid", "test", "unlabelled", PREDICT_SPLIT)  # first match labels a compound


def gene_hash(gene_ids: Sequence[int]) -> str:
    """Identifies the feature order a model was trained on."""
    return hashlib.sha256(",".join(map(str, gene_ids)).encode()).hexdigest()[:16]


def _ranked(run_id: str, classes: Sequence[str], target: str, ids: Sequence[str], scores: np.ndarray,
            truth: np.ndarray, sides: Sequence[str], top: int) -> list[dict[str, Any]]:
    """The ``top`` classes of each of ``ids`` (``target``: the row key naming what is predicted)."""
    rows = []
    for ident, row, labels, side in zip(ids, scores, truth, sides):
        true = {classes[k] for k in np.flatnonzero(labels)}
        for rank, k in enumerate(np.argsort(-row, kind="stable")[:top], start=1):
            moa = classes[k]
            rows.append({
                "prediction_id": f"{run_id}:{ident}:{rank}", target: ident, "moa": moa,
                "score": float(row[k]), "rank": rank, "split": side,
                "correct": (moa in true) if true else None,
            })
    return rows


def prediction_rows(run_id: str, classes: Sequence[str], compound_ids: Sequence[str], proba: np.ndarray,
                    y: np.ndarray, sides: Sequence[str], top: int = TOP_PREDICTIONS) -> list[dict[str, Any]]:
    """Rows for ``write/predictions``: each compound's ``top`` classes, its samples pooled by mean
    log-probability (:func:`toolkit.train.metrics.compound_scores`).

    ``sides`` names each signature row's side; a compound whose rows lie on several sides takes the
    first of :data:`SIDE_PRECEDENCE` (a compound partly seen in training counts as ``train``).
    ``correct`` is None for compounds without labels.
    """
    sides_of: dict[str, set[str]] = {}
    for compound, side in zip(compound_ids, sides):
        sides_of.setdefault(compound, set()).add(side)
    compounds, scores = compound_scores(proba, compound_ids)
    _, truth = compound_truth(y, compound_ids)
    side = [next(s for s in (*SIDE_PRECEDENCE, *sorted(sides_of[c])) if s in sides_of[c]) for c in compounds]
    return _ranked(run_id, classes, "pert_id", compounds, scores, truth, side, top)


def signature_prediction_rows(run_id: str, classes: Sequence[str], sig_ids: Sequence[str], proba: np.ndarray,
                              y: np.ndarray, sides: Sequence[str], top: int = TOP_PREDICTIONS
                              ) -> list[dict[str, Any]]:
    """Rows for ``write/signature_predictions``: each signature's ``top`` classes."""
    return _ranked(run_id, classes, "sig_id", sig_ids, proba, y, sides, top)


def train_run(graph: Graph, run_id: str) -> dict[str, Any]:
    rows = graph.read(cypher.load("export/run"), run_id=run_id)
    if not rows or rows[0]["run"].get("kind") != "train":
        raise RunError(f"no train run {run_id!r} in the graph; list them with `kgtool runs --kind train`")
    return rows[0]["run"]


def load_model(settings: Settings, run: dict[str, Any]) -> ModelPlugin:
    """The trained model of a train run (its checkpoint, loaded with ``weights_only``)."""
    model_cls = plugins.registry().get("models", run["plugin"])
    path = runs.manifest_path(settings.runs_dir, run["run_id"]).parent / CHECKPOINT
    if not path.is_file():
        raise RunError(f"train run {run['run_id']} has no checkpoint at {path}; it failed or was trained "
                       "elsewhere (set KGTOOL_HOME to where it ran)")
    return model_cls.load(path)


def truth_in(data: TaskData, classes: Sequence[str]) -> np.ndarray:
    """The snapshot's labels as columns of ``classes`` (labels the run does not know are dropped)."""
    col = {c: k for k, c in enumerate(data.classes)}
    y = np.zeros((len(data.sample_ids), len(classes)), dtype=np.float32)
    for j, name in enumerate(classes):
        if name in col:
            y[:, j] = data.y[:, col[name]]
    return y


def predict(graph: Graph, settings: Settings, train_run_id: str, compounds: Sequence[str] = (),
            use_cache: bool = True) -> runs.RunRecord:
    """Predict with ``train_run_id``'s checkpoint for the compounds it has no prediction for (or
    for ``compounds``, skipping those it already has) and write them to that run, split
    ``predict``. Recorded as a ``predict`` run whose parent is the train run."""
    from toolkit.train.samples import training_samples

    trained = train_run(graph, train_run_id)
    if trained.get("status") != "completed":
        raise RunError(f"train run {train_run_id} is {trained.get('status')!r}, not completed; train again")
    config = json.loads(trained["config"])
    classes: list[str] = list(config["classes"])
    model = load_model(settings, trained)
    samples = training_samples(graph, config, settings, use_cache)
    data = samples.data
    expected = config.get("gene_hash")
    if len(data.gene_ids) != model.n_features or (expected and expected != gene_hash(data.gene_ids)):
        raise RunError(f"the graph's landmark genes differ from those train run {train_run_id} used "
                       f"({len(data.gene_ids)} vs {model.n_features}); retrain on the current graph")
    known = set(data.compound_ids)
    if compounds:
        missing = sorted(set(compounds) - known)
        if missing:
            raise RunError(f"no signatures for compounds {', '.join(missing[:5])} in the graph; "
                           "load their signatures first")
        done = {r["pert_id"] for r in graph.read(cypher.load("export/predicted_compounds"), run_id=train_run_id,
                                                  pert_ids=sorted(set(compounds)))}
        targets = sorted(set(compounds) - done)
        if done:
            logger.info("skipping %d compounds already predicted in %s: %s", len(done), train_run_id,
                        ", ".join(sorted(done)[:10]))
    else:
        done = set()
        targets = [r["pert_id"] for r in graph.read(cypher.load("export/unpredicted_compounds"), run_id=train_run_id)]
    wanted = set(targets)
    index = np.array([i for i, c in enumerate(data.compound_ids) if c in wanted], dtype=int)
    n_signatures = sum(c in wanted for c in samples.signature_compound_ids)
    run = runs.RunRecord(
        run_id=runs.new_run_id("predict"), kind="predict", plugin=trained["plugin"], seed=trained.get("seed"),
        data_hash=samples.data_hash, parent_run=train_run_id,
        config={"train_run": train_run_id, "requested": sorted(set(compounds)), "compounds": sorted(wanted)},
    )

    def work() -> dict[str, Any]:
        if len(index) == 0:
            return {"compounds_predicted": 0, "signatures": 0, "samples": 0, "predictions_written": 0,
                    "skipped": len(done)}
        part = data.subset(index)
        proba = model.predict_proba(part.x, compounds=part.compound_ids)
        rows = prediction_rows(train_run_id, classes, part.compound_ids, proba, truth_in(part, classes),
                               [PREDICT_SPLIT] * len(part.sample_ids))
        graph.write(cypher.load("write/predictions"), run_id=train_run_id, rows=rows)
        return {"compounds_predicted": len(wanted), "signatures": int(n_signatures), "samples": int(len(index)),
                "predictions_written": len(rows), "skipped": len(done)}

    result = runs.execute(graph, settings.runs_dir, run, work)
    logger.info("predict run %s for %s: %s", run.run_id, train_run_id, result.metrics)
    return result


def rank1(graph: Graph, train_run_id: str, compounds: Optional[Sequence[str]] = None) -> list[dict[str, Any]]:
    """The run's rank-1 predictions (optionally of some compounds), for display."""
    rows = graph.read(cypher.load("export/run_predictions"), run_id=train_run_id, rank=1)
    if compounds is not None:
        keep = set(compounds)
        rows = [r for r in rows if r["pert_id"] in keep]
    return rows
