"""``kgtool explain``: attribute a train run's top predictions to genes and write EXPLAINS edges."""

from __future__ import annotations

import json
import logging
from typing import Any, Sequence

import numpy as np

from toolkit import cypher, plugins, runs
from toolkit.errors import RunError
from toolkit.graph.db import Graph
from toolkit.settings import Settings
from toolkit.train.export import data_hash, export_signatures
from toolkit.train.pipeline import load_model

logger = logging.getLogger(__name__)


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
        for rank, g in enumerate(np.argsort(-scores)[:top_k], start=1):
            rows.append({"prediction_id": pid, "entrez_id": int(gene_ids[g]), "score": float(scores[g]), "rank": rank})
    return rows


def explain(graph: Graph, settings: Settings, train_run_id: str, method: str = "integrated_gradients",
            top_k: int = 20, seed: int = 0, splits: Sequence[str] = ("test", "unlabelled")) -> runs.RunRecord:
    """Explain the rank-1 predictions of ``train_run_id`` for compounds in ``splits``."""
    train_run = _train_run(graph, train_run_id)
    explainer = plugins.registry().get("explainers", method)()
    model = load_model(settings, train_run)
    if not explainer.supports(model):
        raise RunError(f"explainer {method!r} cannot explain model {model.name!r}; see `kgtool plugins`")
    data = export_signatures(graph)
    classes = json.loads(train_run["config"])["classes"]
    if list(data.classes) != classes:
        raise RunError(f"the graph's MoA classes changed since train run {train_run_id}; retrain first")
    predictions = [p for p in graph.read(cypher.load("export/run_predictions"), run_id=train_run_id, rank=1)
                   if p["split"] in splits]
    run = runs.RunRecord(run_id=runs.new_run_id("explain"), kind="explain", plugin=method, seed=seed,
                         data_hash=data_hash(data), parent_run=train_run_id,
                         config={"method": method, "top_k": top_k, "splits": list(splits)})

    def work() -> dict[str, Any]:
        rows_of: dict[str, list[int]] = {}
        for i, compound in enumerate(data.compound_ids):
            rows_of.setdefault(compound, []).append(i)
        class_index = {c: k for k, c in enumerate(data.classes)}
        ids, attributions = [], []
        for p in predictions:
            idx = rows_of[p["pert_id"]]
            target = np.full(len(idx), class_index[p["moa"]])
            attr = explainer.attribute(model, data.x[idx], target, seed=seed)
            ids.append(p["prediction_id"])
            attributions.append(attr.mean(axis=0))  # a compound's explanation: mean over its signatures
        rows = gene_rows(ids, np.asarray(attributions).reshape(len(ids), -1), data.gene_ids, top_k)
        graph.write(cypher.load("write/explains_genes"), run_id=run.run_id, method=method, rows=rows)
        return {"predictions_explained": len(ids), "explains_edges": len(rows)}

    done = runs.execute(graph, settings.runs_dir, run, work)
    plugins.plugin_manager().hook.kgtool_after_explain(run=done)
    return done
