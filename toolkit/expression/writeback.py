"""Expression predictions into the graph (``cypher/write/expression_predictions.cypher``).

For each predicted (compound, cell line) pair: an ``ExpressionPrediction`` node with the full vector
(rounded to 4 decimals), its split side and, where the pair was measured, the Pearson correlation of
prediction and measurement; and the ``top_genes`` most up- and down-predicted genes as
``PREDICTED_EFFECT`` edges from the compound. Pairs are predicted and written in batches of
:data:`BATCH_PAIRS`, so the grid (every compound with a structure x every training cell line) never
sits in memory whole.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any, Iterator, Optional, Sequence

import numpy as np

from toolkit import cypher
from toolkit.graph.db import Graph
from toolkit.progress import Progress
from toolkit.tasks import CLASS_NAMES, THREE_CLASS_Z, Conditions, ExpressionData, ExpressionModelPlugin
from toolkit.train.choices import GRID_LIMIT
from toolkit.train.splits import Split

logger = logging.getLogger(__name__)

BATCH_PAIRS = 256


def pair_sides(expr: ExpressionData, split: Split) -> dict[tuple[str, str], str]:
    """Each measured (compound, cell line) pair's split side (the side of its sample: a cold-cell
    split holds out cell lines, a cold-compound one compounds); pairs not measured are ``unseen``."""
    side: dict[tuple[str, str], str] = {}
    for name in ("train", "valid", "test", "unlabelled"):
        for i in getattr(split, name):
            side.setdefault((expr.compound_ids[int(i)], expr.cell_ids[int(i)]), name)
    return side


def pairs_to_predict(expr: ExpressionData, predict: str) -> tuple[list[tuple[str, str]], str]:
    """(pert_id, cell) pairs and the mode used: the measured ones (``samples``), or every compound
    with a structure in the context in every cell line of the samples (``grid``; ``auto``: the grid
    up to :data:`GRID_LIMIT` pairs, else the measured ones)."""
    if predict == "none":
        return [], predict
    measured = sorted(set(zip(expr.compound_ids, expr.cell_ids)))
    compounds = sorted(c for c, s in (expr.context.compound_smiles if expr.context else {}).items() if s)
    cells = sorted(set(expr.cell_ids) - {""})
    if predict == "samples" or (predict == "auto" and len(compounds) * len(cells) > GRID_LIMIT):
        if predict == "auto":
            logger.warning("expression predictions: the grid of %d compounds x %d cell lines is over %d pairs; "
                           "writing the %d measured pairs (--predict-pairs grid writes all)", len(compounds),
                           len(cells), GRID_LIMIT, len(measured))
        return measured, "samples"
    return [(c, cell) for c in compounds for cell in cells], "grid"


def all_structures(graph: Graph, expr: ExpressionData) -> ExpressionData:
    """``expr`` with the structures of every compound of the graph in its context (the training
    context holds only profiled compounds'), so that the grid covers compounds never profiled."""
    smiles = graph_structures(graph)
    if expr.context is None or not smiles:
        return expr
    return replace(expr, context=replace(expr.context, compound_smiles={**smiles, **expr.context.compound_smiles}))


def graph_structures(graph: Graph) -> dict[str, str]:
    """pert_id -> SMILES of every compound of the graph that has one (profiled or not)."""
    return {r["pert_id"]: r["smiles"] for r in graph.read(cypher.load("export/compound_smiles_all"))}


def _classes(z: np.ndarray, proba: np.ndarray | None) -> np.ndarray:
    """Class index per gene: argmax of 3-class probabilities, else the z-score against THREE_CLASS_Z."""
    if proba is not None:
        return proba.argmax(axis=-1)
    return np.where(z > THREE_CLASS_Z, 2, np.where(z < -THREE_CLASS_Z, 0, 1))


def _top(z: np.ndarray, classes: np.ndarray, gene_ids: Sequence[int], k: int) -> list[dict[str, Any]]:
    order = np.argsort(z, kind="stable")
    out = []
    for direction, genes in (("up", order[::-1][:k]), ("down", order[:k])):
        for rank, g in enumerate(genes, start=1):
            out.append({"entrez_id": int(gene_ids[g]), "z": round(float(z[g]), 4), "rank": rank,
                        "direction": direction, "class": CLASS_NAMES[int(classes[g])]})
    return out


def _pearson(a: np.ndarray, b: np.ndarray) -> float | None:
    a, b = a - a.mean(), b - b.mean()
    denom = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return round(float((a * b).sum()) / denom, 4) if denom > 0 else None


def prediction_rows(run_id: str, model: ExpressionModelPlugin, expr: ExpressionData, pairs: Sequence[tuple[str, str]],
                    sides: dict[tuple[str, str], str], top_genes: int, stage: Optional[str] = None
                    ) -> Iterator[list[dict[str, Any]]]:
    """Rows of ``cypher/write/expression_predictions``, a batch of pairs at a time (``stage``: see
    :func:`write_pairs`)."""
    prefix = f"{run_id}:{stage}" if stage else run_id
    measured = {(c, cell): i for i, (c, cell) in enumerate(zip(expr.compound_ids, expr.cell_ids))}
    for start in range(0, len(pairs), BATCH_PAIRS):
        batch = pairs[start:start + BATCH_PAIRS]
        n = len(batch)
        conditions = Conditions([c for c, _ in batch], [cell for _, cell in batch], np.full(n, np.nan), np.full(n, np.nan))
        z = model.predict_expression(conditions, context=expr.context)
        proba = model.predict_classes(conditions, context=expr.context) if model.three_class else None
        rows = []
        for j, (compound, cell) in enumerate(batch):
            i = measured.get((compound, cell))
            rows.append({
                "prediction_id": f"{prefix}:{compound}@{cell}", "pert_id": compound, "cell": cell, "stage": stage,
                "z": [round(float(v), 4) for v in z[j]], "split": sides.get((compound, cell), "unseen"),
                "measured_pearson": _pearson(z[j], expr.y[i]) if i is not None else None,
                "top": _top(z[j], _classes(z[j], None if proba is None else proba[j]), expr.gene_ids, top_genes),
            })
        yield rows


def write_predictions(graph: Graph, run_id: str, model: ExpressionModelPlugin, expr: ExpressionData, split: Split,
                      options: Any) -> tuple[int, str]:
    """Write the run's predictions (``options.predict`` pairs, ``options.top_genes`` edges per
    direction); the number of (compound, cell line) pairs written and the mode used."""
    expr = all_structures(graph, expr)
    pairs, mode = pairs_to_predict(expr, options.predict)
    return write_pairs(graph, run_id, model, expr, pairs, pair_sides(expr, split), options.top_genes), mode


def write_pairs(graph: Graph, run_id: str, model: ExpressionModelPlugin, expr: ExpressionData,
                pairs: Sequence[tuple[str, str]], sides: dict[tuple[str, str], str], top_genes: int,
                stage: Optional[str] = None) -> int:
    """Predict and write ``pairs`` in batches; the number written. ``stage`` names the model's state
    when one run writes several (an anchors run: ``pretrained`` / ``fine_tuned``)."""
    statement = cypher.load("write/expression_predictions")
    progress, done = Progress(total=len(pairs), unit="pairs", desc="expression predictions"), 0
    try:
        for rows in prediction_rows(run_id, model, expr, pairs, sides, top_genes, stage):
            graph.write(statement, run_id=run_id, rows=rows)
            done += len(rows)
            progress.set_done(done)
    finally:
        progress.close()
    return done
