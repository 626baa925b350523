"""Quality metrics of an :class:`~toolkit.explain.compute.Explanation` (flat numbers for the Run).

Metric names (all floats; ``*_random`` = the same measure for a random gene ranking):

``deletion_auc``/``_random``, ``insertion_auc``/``_random``, ``infidelity``, ``sensitivity_max``,
``seed_top20_overlap``, ``seed_spearman`` (explainer seeds; 1.0 by construction for deterministic
methods, flagged by ``deterministic`` = 1), ``retrain_top20_overlap``, ``retrain_spearman``
(models retrained with other seeds), and with a ground truth ``gene_precision_at_20``/``_random``,
``gene_auroc``/``_random``, ``pathway_top3_rate``/``_random`` (per MoA: attributions averaged
over its explained compounds), ``pathway_top3_prediction_rate``/``_random`` (per prediction),
``substructure_hit_rate``/``_random``, ``edge_precision_at_20``/``_random``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional, Sequence

import numpy as np

from toolkit.explain import quality
from toolkit.explain.base import Explainer
from toolkit.explain.compute import Explanation, attribute_predictions, model_for
from toolkit.explain.pathways import GeneSets, pathway_scores
from toolkit.explain.scoring import score_fn
from toolkit.models import ModelPlugin

logger = logging.getLogger(__name__)

STABILITY_K = 20


@dataclass(frozen=True)
class QualityConfig:
    curve_steps: int = 50
    random_repeats: int = 3  # random rankings averaged for the *_random references
    captum_sample: int = 8  # signatures for infidelity / sensitivity_max (0: skip)
    captum_perturbations: int = 5
    stability_sample: int = 16  # predictions re-explained for seed / retrain stability
    stability_seeds: int = 3  # explainer seeds compared (stochastic methods only)
    seed: int = 0


def _even_sample(n: int, size: int) -> list[int]:
    if size >= n:
        return list(range(n))
    return sorted({int(round(v)) for v in np.linspace(0, n - 1, size)})


def faithfulness(explanation: Explanation, model: ModelPlugin, x: np.ndarray, config: QualityConfig,
                 fingerprints: Optional[Mapping[str, np.ndarray]] = None) -> dict[str, float]:
    """Deletion/insertion AUCs of the attribution ranking and of random rankings (target probability)."""
    rng = np.random.default_rng(np.random.SeedSequence([config.seed, 0xDE1]))
    ours, rand = [], []
    for p, a in zip(explanation.predictions, explanation.attributions):
        scorer = score_fn(model_for(model, fingerprints or {}, p.pert_id), p.target, kind="proba")
        rows = x[list(p.rows)]
        ours.append(quality.deletion_insertion(scorer, rows, np.argsort(-a, kind="stable"), config.curve_steps))
        for _ in range(config.random_repeats):
            rand.append(quality.deletion_insertion(scorer, rows, rng.permutation(len(a)), config.curve_steps))
    if not ours:
        return {}
    o, r = np.asarray(ours), np.asarray(rand)
    return {"deletion_auc": float(o[:, 0].mean()), "insertion_auc": float(o[:, 1].mean()),
            "deletion_auc_random": float(r[:, 0].mean()), "insertion_auc_random": float(r[:, 1].mean())}


def robustness(explanation: Explanation, explainer: Explainer, model: ModelPlugin, x: np.ndarray,
               config: QualityConfig, fingerprints: Optional[Mapping[str, np.ndarray]] = None) -> dict[str, float]:
    """Captum infidelity and sensitivity_max on a few signatures (one per sampled prediction)."""
    if config.captum_sample <= 0 or not explanation.predictions:
        return {}
    values: list[dict[str, float]] = []
    for i in _even_sample(len(explanation.predictions), config.captum_sample):
        p = explanation.predictions[i]
        row = x[[p.rows[0]]]
        values.append(quality.captum_scores(explainer, model_for(model, fingerprints or {}, p.pert_id), row,
                                            np.array([p.target]), seed=config.seed,
                                            n_perturb=config.captum_perturbations))
    return {k: float(np.mean([v[k] for v in values])) for k in values[0]}


def stability(explanation: Explanation, explainer: Explainer, model: ModelPlugin, x: np.ndarray,
              config: QualityConfig, retrained: Sequence[ModelPlugin] = (),
              fingerprints: Optional[Mapping[str, np.ndarray]] = None) -> dict[str, float]:
    """Top-20 overlap and Spearman across explainer seeds and across retrained models."""
    out: dict[str, float] = {"deterministic": 1.0 if explainer.deterministic else 0.0}
    idx = _even_sample(len(explanation.predictions), config.stability_sample)
    if not idx:
        return out
    preds = [explanation.predictions[i] for i in idx]
    base = explanation.attributions[idx]
    if explainer.deterministic:
        out.update(seed_top20_overlap=1.0, seed_spearman=1.0)
    else:
        runs = [base] + [attribute_predictions(explainer, model, x, preds, config.seed + s, fingerprints)[0]
                         for s in range(1, max(config.stability_seeds, 2))]
        out["seed_top20_overlap"], out["seed_spearman"] = quality.pairwise_stability(runs, STABILITY_K)
    if retrained:
        runs = [base] + [attribute_predictions(explainer, m, x, preds, config.seed, fingerprints)[0] for m in retrained]
        out["retrain_top20_overlap"], out["retrain_spearman"] = quality.pairwise_stability(runs, STABILITY_K)
    return out


def truth_metrics(explanation: Explanation, truth: Any, k: int = 20, seed: int = 0,
                  repeats: int = 5) -> dict[str, float]:
    """Agreement with a demo :class:`~toolkit.demo.spec.GroundTruth`, next to random rankings."""
    index = {g: i for i, g in enumerate(explanation.gene_ids)}
    known = [(i, p, truth.true_moa_of(p.pert_id)) for i, p in enumerate(explanation.predictions)]
    known = [(i, p, m) for i, p, m in known if m is not None]
    if not known:
        return {}
    rows = [i for i, _, _ in known]
    planted = np.zeros((len(known), len(explanation.gene_ids)), dtype=bool)
    for r, (_, _, moa) in enumerate(known):
        planted[r, [index[g] for g in truth.moa(moa).pathway_entrez if g in index]] = True
    a = explanation.attributions[rows]
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x7A0]))
    randoms = [rng.standard_normal(a.shape) for _ in range(repeats)]
    out = {"truth_predictions": float(len(known)),
           f"gene_precision_at_{k}": quality.precision_at_k(a, planted, k),
           f"gene_precision_at_{k}_random": float(np.mean([quality.precision_at_k(r, planted, k) for r in randoms])),
           "gene_auroc": quality.auroc(a, planted),
           "gene_auroc_random": float(np.mean([quality.auroc(r, planted) for r in randoms]))}
    sets = explanation.gene_sets
    if sets is not None and len(sets):
        moas = [m for _, _, m in known]
        term = [sets.go_ids.index(truth.moa(m).pathway_go_id) if truth.moa(m).pathway_go_id in sets.go_ids else -1
                for m in moas]
        out["pathway_top3_prediction_rate"] = _top3_rate(a, sets, term, k)
        out["pathway_top3_prediction_rate_random"] = float(np.mean([_top3_rate(r, sets, term, k) for r in randoms]))
        names = sorted(set(moas))
        term_of = {m: t for m, t in zip(moas, term)}
        per_moa = np.vstack([a[[j for j, m in enumerate(moas) if m == name]].mean(axis=0) for name in names])
        moa_terms = [term_of[name] for name in names]
        out["pathway_top3_rate"] = _top3_rate(per_moa, sets, moa_terms, k)
        out["pathway_top3_rate_random"] = float(np.mean([
            _top3_rate(np.vstack([r[[j for j, m in enumerate(moas) if m == name]].mean(axis=0) for name in names]),
                       sets, moa_terms, k) for r in randoms]))
        out["pathway_moas"] = float(len(names))
    if explanation.substructures:
        hits, chance = [], []
        for _, p, moa in known:
            scores = explanation.substructures.get(p.prediction_id)
            if scores:
                hits.append(float(scores[0].smarts == truth.moa(moa).substructure_smarts))
                chance.append(1.0 / len(scores))
        if hits:
            out["substructure_hit_rate"] = float(np.mean(hits))
            out["substructure_hit_rate_random"] = float(np.mean(chance))
    if explanation.edges:
        prec, chance = [], []
        pairs = None
        if explanation.edge_index is not None:
            a_, b_ = explanation.edge_index
            keep = a_ < b_  # one per undirected edge, as ranked
            pairs = (a_[keep], b_[keep])
        for r, (_, p, _) in enumerate(known):
            edges = explanation.edges.get(p.prediction_id)
            if edges:
                prec.append(np.mean([planted[r, e.gene_a] and planted[r, e.gene_b] for e in edges]))
                if pairs is not None and len(pairs[0]):
                    chance.append(float(np.mean(planted[r, pairs[0]] & planted[r, pairs[1]])))
        if prec:
            out[f"edge_precision_at_{k}"] = float(np.mean(prec))
        if chance:
            out[f"edge_precision_at_{k}_random"] = float(np.mean(chance))
    return out


def _top3_rate(attributions: np.ndarray, sets: GeneSets, planted_terms: Sequence[int], k: int) -> float:
    scores = pathway_scores(attributions, sets, k)
    hits = [t >= 0 and t in scores.order[i][:3].tolist() for i, t in enumerate(planted_terms)]
    return float(np.mean(hits)) if hits else float("nan")


def assess(explanation: Explanation, explainer: Explainer, model: ModelPlugin, x: np.ndarray,
           config: QualityConfig, truth: Any = None, retrained: Sequence[ModelPlugin] = (), truth_k: int = 20,
           fingerprints: Optional[Mapping[str, np.ndarray]] = None,
           progress: Callable[[str], None] = logger.info) -> dict[str, float]:
    """All quality metrics (faithfulness, robustness, stability, truth) with their timings."""
    metrics: dict[str, float] = {}
    for name, fn in (
        ("faithfulness", lambda: faithfulness(explanation, model, x, config, fingerprints)),
        ("robustness", lambda: robustness(explanation, explainer, model, x, config, fingerprints)),
        ("stability", lambda: stability(explanation, explainer, model, x, config, retrained, fingerprints)),
        ("truth", lambda: truth_metrics(explanation, truth, truth_k, config.seed) if truth is not None else {}),
    ):
        tic = time.perf_counter()
        metrics.update(fn())
        metrics[f"quality_{name}_s"] = round(time.perf_counter() - tic, 3)
        progress(f"quality: {name} done in {metrics[f'quality_{name}_s']:.1f}s")
    return metrics

