"""Quality metrics of an :class:`~toolkit.explain.compute.Explanation` (flat numbers for the Run).

Metric names (all floats; ``*_random`` = the same measure for random gene rankings):

* faithfulness: ``deletion_auc``/``_random``, ``insertion_auc``/``_random``; robustness:
  ``infidelity``, ``sensitivity_max``.
* stability. ``retrained_top20_overlap`` and ``retrained_spearman``: the same explainer on models
  retrained with other seeds on 80 % of the training compounds (``--retrain-seeds``; the
  stability figure that matters; the subsample keeps it from being 1.0 for deterministic fits).
  ``seed_top20_overlap`` and ``seed_spearman``: explainer seeds on the same model, measured only
  for explainers with ``deterministic = False`` (sampled baselines, learned masks); for a
  deterministic explainer (Integrated Gradients with its fixed baseline, DeepLift, feature
  ablation) a seed cannot change the result, so these are left out, never written as 1.0.
  ``deterministic`` (1/0) says which case applies.
* with a truth file (:mod:`toolkit.explain.truth`), on the CORRECTLY predicted compounds only
  (predicted MoA = the truth's MoA; ``truth_predictions`` known to the truth,
  ``truth_correct_predictions`` of them correct):

  - ``gene_precision_at_20``: share of each compound's top-20 attributed genes that are its MoA's
    planted genes (``pathway_entrez``), averaged over compounds; ``random_gene_precision_at_20``
    (also ``gene_precision_at_20_random``) the same for random rankings. ``gene_auroc``/``_random``.
  - ``pathway_top3_rate``: share of the MoAs with explained compounds (``pathway_moas``) whose
    planted GO term is among the top 3 enriched GO terms of the mean attribution over the MoA's
    correctly predicted compounds; a MoA none of whose compounds was predicted correctly counts
    as a miss (``pathway_moas_explained`` had one). ``pathway_top3_prediction_rate``: the same per
    compound. Both with ``_random``.
  - ``substructure_hit_rate``/``_random`` (structure models), ``edge_precision_at_20``/``_random``
    (edge explainers).
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
from toolkit.explain.truth import Truth
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
    """Top-20 overlap and Spearman across retrained models (``retrained_*``) and, for explainers
    whose result depends on the seed, across explainer seeds (``seed_*``; left out otherwise)."""
    out: dict[str, float] = {"deterministic": 1.0 if explainer.deterministic else 0.0}
    idx = _even_sample(len(explanation.predictions), config.stability_sample)
    if not idx:
        return out
    preds = [explanation.predictions[i] for i in idx]
    base = explanation.attributions[idx]
    if not explainer.deterministic:
        runs = [base] + [attribute_predictions(explainer, model, x, preds, config.seed + s, fingerprints)[0]
                         for s in range(1, max(config.stability_seeds, 2))]
        out["seed_top20_overlap"], out["seed_spearman"] = quality.pairwise_stability(runs, STABILITY_K)
    if retrained:
        runs = [base] + [attribute_predictions(explainer, m, x, preds, config.seed, fingerprints)[0] for m in retrained]
        out["retrained_top20_overlap"], out["retrained_spearman"] = quality.pairwise_stability(runs, STABILITY_K)
    return out


def truth_metrics(explanation: Explanation, truth: Truth, k: int = 20, seed: int = 0,
                  repeats: int = 5) -> dict[str, float]:
    """Agreement of the correctly predicted compounds' explanations with ``truth``, next to random
    rankings (names in the module docstring)."""
    index = {g: i for i, g in enumerate(explanation.gene_ids)}
    known = [(i, p, truth.true_moa_of(p.pert_id)) for i, p in enumerate(explanation.predictions)]
    known = [(i, p, m) for i, p, m in known if m is not None]
    if not known:
        return {}
    out: dict[str, float] = {"truth_predictions": float(len(known))}
    correct = [(i, p, m) for i, p, m in known if p.moa == m]
    out["truth_correct_predictions"] = float(len(correct))
    moas_known = sorted({m for _, _, m in known})
    rows = [i for i, _, _ in correct]
    planted = np.zeros((len(correct), len(explanation.gene_ids)), dtype=bool)
    for r, (_, _, moa) in enumerate(correct):
        planted[r, [index[g] for g in truth.moa(moa).pathway_entrez if g in index]] = True
    a = explanation.attributions[rows]
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x7A0]))
    randoms = [rng.standard_normal(a.shape) for _ in range(repeats)]
    if correct:
        precision_random = float(np.mean([quality.precision_at_k(r, planted, k) for r in randoms]))
        out.update({f"gene_precision_at_{k}": quality.precision_at_k(a, planted, k),
                    f"random_gene_precision_at_{k}": precision_random,
                    f"gene_precision_at_{k}_random": precision_random,
                    "gene_auroc": quality.auroc(a, planted),
                    "gene_auroc_random": float(np.mean([quality.auroc(r, planted) for r in randoms]))})
    sets = explanation.gene_sets
    if sets is not None and len(sets):
        out.update(_pathway_metrics(a, randoms, [m for _, _, m in correct], moas_known, truth, sets, k))
    if explanation.substructures:
        hits, chance = [], []
        for _, p, moa in correct:
            scores = explanation.substructures.get(p.prediction_id)
            smarts = truth.moa(moa).substructure_smarts
            if scores and smarts:
                hits.append(float(scores[0].smarts == smarts))
                chance.append(1.0 / len(scores))
        if hits:
            out["substructure_hit_rate"] = float(np.mean(hits))
            out["substructure_hit_rate_random"] = float(np.mean(chance))
    if explanation.edges:
        out.update(_edge_metrics(explanation, [p for _, p, _ in correct], planted, k))
    return out


def _pathway_metrics(a: np.ndarray, randoms: Sequence[np.ndarray], moas: Sequence[str], moas_known: Sequence[str],
                     truth: Truth, sets: GeneSets, k: int) -> dict[str, float]:
    """Planted GO term in the top 3: per correct prediction, and per MoA (attributions averaged over
    its correct predictions; a MoA explained by none counts as a miss)."""
    def terms(name: str) -> set[int]:
        return {sets.go_ids.index(g) for g in truth.moa(name).pathway_go_ids if g in sets.go_ids}

    explained = [m for m in moas_known if m in moas]
    members = [[j for j, m in enumerate(moas) if m == name] for name in explained]

    def per_moa(values: np.ndarray) -> float:
        if not explained:
            return 0.0
        hits = _top3_hits(np.vstack([values[rows].mean(axis=0) for rows in members]), sets,
                          [terms(m) for m in explained], k)
        return float(np.sum(hits)) / len(moas_known)

    out = {"pathway_moas": float(len(moas_known)), "pathway_moas_explained": float(len(explained)),
           "pathway_top3_rate": per_moa(a), "pathway_top3_rate_random": float(np.mean([per_moa(r) for r in randoms]))}
    if moas:
        planted = [terms(m) for m in moas]
        out["pathway_top3_prediction_rate"] = float(np.mean(_top3_hits(a, sets, planted, k)))
        out["pathway_top3_prediction_rate_random"] = float(np.mean([np.mean(_top3_hits(r, sets, planted, k))
                                                                    for r in randoms]))
    return out


def _edge_metrics(explanation: Explanation, predictions: Sequence[Any], planted: np.ndarray,
                  k: int) -> dict[str, float]:
    """Share of each prediction's top edges joining two planted genes, and its chance level."""
    prec, chance = [], []
    pairs = None
    if explanation.edge_index is not None:
        a_, b_ = explanation.edge_index
        keep = a_ < b_  # one per undirected edge, as ranked
        pairs = (a_[keep], b_[keep])
    out: dict[str, float] = {}
    for r, p in enumerate(predictions):
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


def _top3_hits(attributions: np.ndarray, sets: GeneSets, planted_terms: Sequence[set[int]], k: int) -> list[bool]:
    scores = pathway_scores(attributions, sets, k)
    return [bool(t & set(scores.order[i][:3].tolist())) for i, t in enumerate(planted_terms)]


def assess(explanation: Explanation, explainer: Explainer, model: ModelPlugin, x: np.ndarray,
           config: QualityConfig, truth: Optional[Truth] = None, retrained: Sequence[ModelPlugin] = (),
           truth_k: int = 20,
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

