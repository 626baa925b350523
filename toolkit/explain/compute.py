"""The graph-free core of an explain run: attributions per prediction and what derives from them.

A prediction is a compound's rank-1 MoA; its explanation is the mean of the attributions of the
compound's samples towards that MoA. The samples are those the model was trained on: a
compound's signatures, or its consensus samples (one, or one per cell line) when the train run
aggregated them. Everything here takes arrays and returns arrays, so it is
tested without Neo4j; :mod:`toolkit.explain.pipeline` reads the graph and writes back.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable, Container, Mapping, Optional, Sequence

import numpy as np

from toolkit.explain.base import EdgeExplainer, Explainer
from toolkit.explain.interactions import PairScore, paired_ablation
from toolkit.explain.pathways import GeneSets, PathwayScores, pathway_scores
from toolkit.explain.scoring import score_fn
from toolkit.explain.substructures import SubstructureScore
from toolkit.models import Explained, ModelPlugin, is_structure_model

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PredictionInfo:
    """One explained prediction and the sample rows (of the training samples) of its compound."""

    prediction_id: str
    pert_id: str
    moa: str
    target: int  # class index of ``moa``
    rows: tuple[int, ...]
    score: float = float("nan")
    split: str = ""


@dataclass(frozen=True)
class CompoundStructure:
    smiles: str
    smarts: tuple[str, ...]  # the compound's HAS_SUBSTRUCTURE nodes


@dataclass(frozen=True)
class EdgeScore:
    gene_a: int  # gene indices, gene_a < gene_b
    gene_b: int
    score: float


@dataclass(frozen=True)
class Explanation:
    """Everything one explain run computed, before write-back."""

    method: str
    predictions: tuple[PredictionInfo, ...]
    gene_ids: tuple[int, ...]
    attributions: np.ndarray  # (n_predictions, n_genes)
    gene_sets: Optional[GeneSets] = None
    pathways: Optional[PathwayScores] = None
    interactions: Mapping[str, Sequence[PairScore]] = field(default_factory=dict)
    substructures: Mapping[str, Sequence[SubstructureScore]] = field(default_factory=dict)
    edges: Mapping[str, Sequence[EdgeScore]] = field(default_factory=dict)
    edge_index: Optional[np.ndarray] = None  # (2, E) the model's gene edges, when edges were scored
    timings: Mapping[str, float] = field(default_factory=dict)
    samples_attributed: int = 0


def model_for(model: ModelPlugin, fingerprints: Mapping[str, np.ndarray], pert_id: str) -> Explained:
    """What the gene explainers attribute for one compound: the model, or for a structure model
    its forward function with the compound's fingerprint bound in."""
    if not is_structure_model(model):
        return model
    from toolkit.explain.fingerprints import gene_view

    return gene_view(model, fingerprints[pert_id])  # type: ignore[arg-type]


def attribute_predictions(explainer: Explainer, model: ModelPlugin, x: np.ndarray,
                          predictions: Sequence[PredictionInfo], seed: int = 0,
                          fingerprints: Optional[Mapping[str, np.ndarray]] = None,
                          ) -> tuple[np.ndarray, Optional[np.ndarray], Optional[np.ndarray]]:
    """Mean attribution over each prediction's samples: (n_pred, n_genes); for edge explainers
    also the mean edge scores (n_pred, E) and the (2, E) edge index."""
    n_genes = x.shape[1]
    out = np.zeros((len(predictions), n_genes), dtype=np.float64)
    edge_out: Optional[np.ndarray] = None
    edge_index: Optional[np.ndarray] = None
    if not predictions:
        return out, None, None
    if is_structure_model(model):  # one call per compound: its fingerprint is bound into the model
        for i, p in enumerate(predictions):
            rows = list(p.rows)
            bound = model_for(model, fingerprints or {}, p.pert_id)
            out[i] = explainer.attribute(bound, x[rows], np.full(len(rows), p.target), seed=seed).mean(axis=0)
        return out, None, None
    rows = np.concatenate([np.asarray(p.rows, dtype=int) for p in predictions])
    targets = np.concatenate([np.full(len(p.rows), p.target) for p in predictions])
    owner = np.concatenate([np.full(len(p.rows), i) for i, p in enumerate(predictions)])
    if isinstance(explainer, EdgeExplainer):
        attr, edges = explainer.attribute_edges(model, x[rows], targets, seed=seed)
        edge_index = edges.edge_index
        edge_out = _group_mean(edges.scores, owner, len(predictions))
    else:
        attr = explainer.attribute(model, x[rows], targets, seed=seed)
    if attr.shape != (len(rows), n_genes):
        raise ValueError(f"explainer {explainer.name!r} returned shape {attr.shape}, expected {(len(rows), n_genes)}")
    out = _group_mean(attr, owner, len(predictions))
    return out, edge_out, edge_index


def _group_mean(values: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
    sums = np.zeros((n, values.shape[1]), dtype=np.float64)
    np.add.at(sums, owner, values)
    return sums / np.bincount(owner, minlength=n)[:, None]


def undirected_edges(edge_index: np.ndarray, scores: np.ndarray, top_k: int) -> list[EdgeScore]:
    """The ``top_k`` highest-scored gene pairs (both directions of an edge merged by max)."""
    best: dict[tuple[int, int], float] = {}
    for (a, b), s in zip(edge_index.T.tolist(), scores.tolist()):
        if a == b:
            continue
        key = (a, b) if a < b else (b, a)
        if s > best.get(key, -np.inf):
            best[key] = s
    ranked = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))[:top_k]
    return [EdgeScore(a, b, float(s)) for (a, b), s in ranked]


def interactions_for(model: ModelPlugin, x: np.ndarray, predictions: Sequence[PredictionInfo],
                     attributions: np.ndarray, n_candidates: int = 10,
                     fingerprints: Optional[Mapping[str, np.ndarray]] = None) -> dict[str, list[PairScore]]:
    """Paired ablation on each prediction's ``n_candidates`` most attributed genes (target logit)."""
    out: dict[str, list[PairScore]] = {}
    for p, a in zip(predictions, attributions):
        candidates = np.argsort(-a, kind="stable")[:n_candidates]
        scorer = score_fn(model_for(model, fingerprints or {}, p.pert_id), p.target, kind="logit")
        out[p.prediction_id] = paired_ablation(scorer, x[list(p.rows)], candidates)
    return out


def substructures_for(model: ModelPlugin, x: np.ndarray, predictions: Sequence[PredictionInfo],
                      structures: Mapping[str, CompoundStructure]) -> dict[str, list[SubstructureScore]]:
    """Fingerprint-bit IG → atoms → the compound's substructures (structure models only)."""
    from toolkit.explain.fingerprints import fingerprint_attributions
    from toolkit.explain.substructures import bits_to_atoms, substructure_scores
    from toolkit.structure import morgan_fingerprint

    spec = model.fingerprint_spec()  # type: ignore[attr-defined]
    out: dict[str, list[SubstructureScore]] = {}
    for p in predictions:
        structure = structures.get(p.pert_id)
        if structure is None or not structure.smiles or not structure.smarts:
            continue
        bits, info = morgan_fingerprint(structure.smiles, spec)
        bit_attr = fingerprint_attributions(model, x[list(p.rows)], bits, p.target)  # type: ignore[arg-type]
        atoms = bits_to_atoms(structure.smiles, info, bit_attr)
        out[p.prediction_id] = substructure_scores(structure.smiles, atoms, structure.smarts)
    return out


def fingerprints_of(model: ModelPlugin, structures: Mapping[str, CompoundStructure]) -> dict[str, np.ndarray]:
    """Fingerprint bits per compound for a structure model (compounds without a SMILES get none)."""
    from toolkit.structure import morgan_fingerprint

    spec = model.fingerprint_spec()  # type: ignore[attr-defined]
    return {pid: morgan_fingerprint(s.smiles, spec)[0] for pid, s in structures.items() if s.smiles}


def explain_arrays(explainer: Explainer, model: ModelPlugin, x: np.ndarray, gene_ids: Sequence[int],
                   predictions: Sequence[PredictionInfo], seed: int = 0, gene_sets: Optional[GeneSets] = None,
                   enrichment_k: int = 20, interactions: bool = True, interaction_candidates: int = 10,
                   structures: Optional[Mapping[str, CompoundStructure]] = None, edge_top_k: int = 20,
                   progress: Callable[[str], None] = logger.info) -> Explanation:
    """Attributions, pathways, interactions, substructures and edges for ``predictions``."""
    timings: dict[str, float] = {}
    structure_model = is_structure_model(model)
    if structure_model and structures is None:
        raise ValueError(f"model {model.name!r} uses compound structures; pass their SMILES (structures=...)")
    fingerprints = fingerprints_of(model, structures or {}) if structure_model else {}
    predictions = [p for p in predictions if not structure_model or p.pert_id in fingerprints]

    tic = time.perf_counter()
    attributions, edge_scores, edge_index = attribute_predictions(explainer, model, x, predictions, seed, fingerprints)
    timings["attribute_s"] = time.perf_counter() - tic
    n_rows = sum(len(p.rows) for p in predictions)
    progress(f"{explainer.name}: {n_rows} samples of {len(predictions)} predictions attributed "
             f"in {timings['attribute_s']:.1f}s")

    pathways = None
    if gene_sets is not None and len(gene_sets):
        tic = time.perf_counter()
        pathways = pathway_scores(attributions, gene_sets, enrichment_k)
        timings["pathways_s"] = time.perf_counter() - tic

    pairs: dict[str, list[PairScore]] = {}
    if interactions:
        tic = time.perf_counter()
        pairs = interactions_for(model, x, predictions, attributions, interaction_candidates, fingerprints)
        timings["interactions_s"] = time.perf_counter() - tic

    subs: dict[str, list[SubstructureScore]] = {}
    if structure_model:
        tic = time.perf_counter()
        subs = substructures_for(model, x, predictions, structures or {})
        timings["substructures_s"] = time.perf_counter() - tic

    edges: dict[str, list[EdgeScore]] = {}
    if edge_scores is not None and edge_index is not None:
        edges = {p.prediction_id: undirected_edges(edge_index, s, edge_top_k) for p, s in zip(predictions, edge_scores)}

    return Explanation(
        method=explainer.name, predictions=tuple(predictions), gene_ids=tuple(int(g) for g in gene_ids),
        attributions=attributions, gene_sets=gene_sets, pathways=pathways, interactions=pairs,
        substructures=subs, edges=edges, edge_index=edge_index if edges else None, timings=timings,
        samples_attributed=n_rows,
    )


class SkipReason(str, Enum):
    """Why a prediction of the train run is not explained."""

    CLASS_UNKNOWN = "class_unknown"  # its MoA is not one of the train run's classes
    NOT_IN_SNAPSHOT = "not_in_snapshot"  # the graph has no signature of the compound
    NO_SAMPLES = "no_samples_after_qc"  # it has signatures, but QC / sample preparation left none
    NO_STRUCTURE = "no_structure"  # a structure model, and the compound has no SMILES


@dataclass(frozen=True)
class SkippedPrediction:
    prediction_id: str
    pert_id: str
    moa: str
    reason: SkipReason

    def as_row(self) -> dict[str, str]:
        return {"prediction_id": self.prediction_id, "pert_id": self.pert_id, "moa": self.moa,
                "reason": self.reason.value}


def match_predictions(rows: Sequence[Mapping[str, Any]], compound_ids: Sequence[str], classes: Sequence[str],
                      in_graph: Optional[Container[str]] = None,
                      ) -> tuple[list[PredictionInfo], list[SkippedPrediction]]:
    """PredictionInfo for graph prediction rows ``{prediction_id, pert_id, moa, score, split}``, and
    the rows that cannot be explained with the reason. ``in_graph``: the compounds that have
    signatures in the graph (tells "not in the snapshot" from "no sample left"; None: no_samples)."""
    rows_of: dict[str, list[int]] = {}
    for i, compound in enumerate(compound_ids):
        rows_of.setdefault(compound, []).append(i)
    class_index = {c: k for k, c in enumerate(classes)}
    out, skipped = [], []
    for p in rows:
        reason = None
        if p["moa"] not in class_index:
            reason = SkipReason.CLASS_UNKNOWN
        elif p["pert_id"] not in rows_of:
            reason = SkipReason.NOT_IN_SNAPSHOT if in_graph is not None and p["pert_id"] not in in_graph \
                else SkipReason.NO_SAMPLES
        if reason is not None:
            skipped.append(SkippedPrediction(p["prediction_id"], p["pert_id"], p["moa"], reason))
            continue
        out.append(PredictionInfo(prediction_id=p["prediction_id"], pert_id=p["pert_id"], moa=p["moa"],
                                  target=class_index[p["moa"]], rows=tuple(rows_of[p["pert_id"]]),
                                  score=float(p.get("score") or float("nan")), split=str(p.get("split") or "")))
    return out, skipped


def predictions_from(rows: Sequence[Mapping[str, Any]], compound_ids: Sequence[str], classes: Sequence[str],
                     ) -> list[PredictionInfo]:
    """The explainable predictions of :func:`match_predictions` (the skipped ones dropped)."""
    return match_predictions(rows, compound_ids, classes)[0]
