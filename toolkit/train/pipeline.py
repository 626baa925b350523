"""``kgtool train``: export → split → fit → evaluate → predictions and run back into the graph."""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Any, Optional

import numpy as np

from toolkit import cypher, plugins, runs
from toolkit.graph.db import Graph
from toolkit.models import ModelPlugin, TaskData, TrainConfig
from toolkit.settings import Settings
from toolkit.train.export import data_hash, export_signatures
from toolkit.train.metrics import classification_metrics, compound_scores
from toolkit.train.splits import Split, SplitKind, make_split

logger = logging.getLogger(__name__)

CHECKPOINT = "model.pt"
TOP_PREDICTIONS = 3


def _prediction_rows(run_id: str, data: TaskData, proba: np.ndarray, split: Split) -> list[dict[str, Any]]:
    side = np.empty(len(data.sample_ids), dtype=object)
    for name in ("train", "valid", "test", "unlabelled"):
        side[getattr(split, name)] = name
    compound_side = dict(zip(data.compound_ids, side))
    compound_truth: dict[str, set[str]] = {}
    for compound, labels in zip(data.compound_ids, data.y):
        compound_truth.setdefault(compound, set()).update(data.classes[k] for k in np.flatnonzero(labels))
    compounds, scores = compound_scores(proba, data.compound_ids)
    rows = []
    for compound, row in zip(compounds, scores):
        for rank, k in enumerate(np.argsort(-row)[:TOP_PREDICTIONS], start=1):
            moa = data.classes[k]
            rows.append({
                "prediction_id": f"{run_id}:{compound}:{rank}", "pert_id": compound, "moa": moa,
                "score": float(row[k]), "rank": rank, "split": compound_side[compound],
                "correct": moa in compound_truth[compound] if compound_truth[compound] else None,
            })
    return rows


def evaluate(model: ModelPlugin, data: TaskData, split: Split) -> dict[str, float]:
    metrics: dict[str, float] = {}
    for name in ("train", "test"):
        part = data.subset(getattr(split, name))
        if not len(part.sample_ids):
            continue
        proba = model.predict_proba(part.x)
        metrics.update(classification_metrics(proba, part.y, f"{name}_signature"))
        compounds, scores = compound_scores(proba, part.compound_ids)
        truth = {c: y for c, y in zip(part.compound_ids, part.y)}
        metrics.update(classification_metrics(scores, np.array([truth[c] for c in compounds]), f"{name}_compound"))
    return metrics


def train(graph: Graph, settings: Settings, model_name: str, config: TrainConfig,
          split_kind: SplitKind | str = SplitKind.COLD_COMPOUND, test_fraction: float = 0.25,
          data: Optional[TaskData] = None) -> runs.RunRecord:
    """Train ``model_name`` on the graph's signatures; return the completed run."""
    model_cls = plugins.registry().get("models", model_name)
    data = data if data is not None else export_signatures(graph)
    split = make_split(data, split_kind, test_fraction=test_fraction, seed=config.seed)
    run = runs.RunRecord(
        run_id=runs.new_run_id("train"), kind="train", plugin=model_name, seed=config.seed,
        data_hash=data_hash(data),
        config={**asdict(config), "params": dict(config.params), "split": SplitKind(split_kind).value,
                "test_fraction": test_fraction, "classes": list(data.classes), "genes": len(data.gene_ids)},
    )
    run_dir = runs.manifest_path(settings.runs_dir, run.run_id).parent

    def work() -> dict[str, Any]:
        model: ModelPlugin = model_cls(len(data.gene_ids), len(data.classes), config.params)
        history = model.fit(data.subset(split.train), config, data.subset(split.valid))
        run_dir.mkdir(parents=True, exist_ok=True)
        model.save(run_dir / CHECKPOINT)
        rows = _prediction_rows(run.run_id, data, model.predict_proba(data.x), split)
        graph.write(cypher.load("write/predictions"), run_id=run.run_id, rows=rows)
        return {**evaluate(model, data, split), **{k: v for k, v in history.items() if v is not None}}

    done = runs.execute(graph, settings.runs_dir, run, work)
    plugins.plugin_manager().hook.kgtool_after_train(run=done)
    logger.info("train run %s: %s", run.run_id, done.metrics)
    return done


def load_model(settings: Settings, run: dict[str, Any]) -> ModelPlugin:
    """The trained model of a train run (its checkpoint, loaded with ``weights_only``)."""
    model_cls = plugins.registry().get("models", run["plugin"])
    path = runs.manifest_path(settings.runs_dir, run["run_id"]).parent / CHECKPOINT
    return model_cls.load(path)
