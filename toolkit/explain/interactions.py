"""Interaction-level explanations by paired ablation.

For a candidate set C of genes (the most attributed ones) and a signature x, with ``f`` the target
class logit and ``x_S`` the signature with the genes S set to the baseline (0 = no change):

    effect(S) = f(x) - f(x_S)
    interaction(i, j) = effect({i, j}) - effect({i}) - effect({j})

averaged over the prediction's signatures. Zero means the two genes act additively; a positive
score means removing both costs more than the two removals apart (they reinforce each other), a
negative one that they are redundant. All 1 + |C| + |C|(|C|-1)/2 variants go through the model
in one batch per signature group.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Sequence

import numpy as np

from toolkit.explain.scoring import ScoreFn


@dataclass(frozen=True)
class PairScore:
    gene_a: int  # gene (feature) index
    gene_b: int
    score: float  # interaction, mean over signatures
    joint: float  # effect of removing both
    single_a: float
    single_b: float


def paired_ablation(score: ScoreFn, x: np.ndarray, candidates: Sequence[int], baseline: float = 0.0) -> list[PairScore]:
    """Interaction of every candidate pair on the signatures ``x`` (s, n_genes); strongest first."""
    x = np.atleast_2d(np.asarray(x, dtype=np.float32))
    cand = [int(c) for c in candidates]
    pairs = list(combinations(range(len(cand)), 2))
    if not pairs:
        return []
    n_var = 1 + len(cand) + len(pairs)
    variants = np.repeat(x[:, None, :], n_var, axis=1)  # (s, n_var, n_genes)
    for v, c in enumerate(cand, start=1):
        variants[:, v, c] = baseline
    for v, (i, j) in enumerate(pairs, start=1 + len(cand)):
        variants[:, v, [cand[i], cand[j]]] = baseline
    values = score(variants.reshape(-1, x.shape[1])).reshape(len(x), n_var)
    effect = values[:, :1] - values  # (s, n_var); effect[:, 0] == 0
    single = effect[:, 1 : 1 + len(cand)].mean(axis=0)
    joint = effect[:, 1 + len(cand) :].mean(axis=0)
    out = [
        PairScore(cand[i], cand[j], float(joint[v] - single[i] - single[j]), float(joint[v]),
                  float(single[i]), float(single[j]))
        for v, (i, j) in enumerate(pairs)
    ]
    return sorted(out, key=lambda p: (-abs(p.score), p.gene_a, p.gene_b))


def interaction_rows(prediction_id: str, pairs: Sequence[PairScore], gene_ids: Sequence[int], top_k: int,
                     min_abs: float = 1e-6) -> list[dict[str, object]]:
    """Write-back rows for the ``top_k`` strongest pairs (stored from the smaller Entrez id)."""
    rows: list[dict[str, object]] = []
    for pair in pairs:
        if len(rows) >= top_k or abs(pair.score) < min_abs:
            break
        a, b = sorted((int(gene_ids[pair.gene_a]), int(gene_ids[pair.gene_b])))
        rows.append({"prediction_id": prediction_id, "entrez_a": a, "entrez_b": b, "score": pair.score,
                     "joint": pair.joint, "rank": len(rows) + 1})
    return rows
