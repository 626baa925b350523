"""Pathway-level explanations: GO term scores from gene attributions, with an enrichment test.

For one prediction with gene attributions ``a``:

* ``score`` of a term = the mean attribution of its genes (genes in use only), ``total`` = the sum;
* ``hits`` = how many of the term's genes are among the ``k`` most positively attributed genes;
* ``p_value`` = hypergeometric upper tail P(X >= hits) drawing ``k`` genes from the ``N`` genes in
  use of which the term holds ``K`` (one-sided Fisher exact test), ``q_value`` = Benjamini–Hochberg
  over the terms tested for that prediction.

Terms are ranked by p-value, then by score. Gene sets are the graph's ANNOTATED_WITH edges (direct,
or propagated to ancestors when the GO load propagated them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np


@dataclass(frozen=True)
class GeneSets:
    """GO terms as gene-index sets over the genes in use (``member[t, g]``)."""

    go_ids: tuple[str, ...]
    names: tuple[str, ...]
    member: np.ndarray  # (n_terms, n_genes) bool

    @property
    def sizes(self) -> np.ndarray:
        return self.member.sum(axis=1)

    @classmethod
    def build(cls, annotations: Sequence[Mapping[str, object]], gene_ids: Sequence[int], min_size: int = 2,
              max_fraction: float = 0.5) -> "GeneSets":
        """From rows ``{go_id, name, genes: [entrez, ...]}``; terms with fewer than ``min_size`` genes
        in use, or more than ``max_fraction`` of them (uninformative roots), are left out."""
        index = {int(g): i for i, g in enumerate(gene_ids)}
        go_ids, names, rows = [], [], []
        limit = max(min_size, int(max_fraction * len(gene_ids)))
        for row in annotations:
            cols = sorted({index[int(g)] for g in row["genes"] if int(g) in index})  # type: ignore[union-attr]
            if not min_size <= len(cols) <= limit:
                continue
            mask = np.zeros(len(gene_ids), dtype=bool)
            mask[cols] = True
            go_ids.append(str(row["go_id"]))
            names.append(str(row.get("name") or ""))
            rows.append(mask)
        member = np.vstack(rows) if rows else np.zeros((0, len(gene_ids)), dtype=bool)
        return cls(tuple(go_ids), tuple(names), member)

    def __len__(self) -> int:
        return len(self.go_ids)


@dataclass(frozen=True)
class PathwayScores:
    """Term statistics for each prediction: arrays shaped (n_predictions, n_terms)."""

    score: np.ndarray  # mean attribution of the term's genes
    total: np.ndarray  # sum of the attributions of the term's genes
    hits: np.ndarray  # term genes among the top-k attributed genes
    p_value: np.ndarray
    q_value: np.ndarray
    order: np.ndarray  # per prediction, term indices best first (p-value, then score)
    k: int

    def rank_of(self, row: int, term: int) -> int:
        """1-based rank of ``term`` for prediction ``row``."""
        return int(np.flatnonzero(self.order[row] == term)[0]) + 1


def top_k_mask(attributions: np.ndarray, k: int) -> np.ndarray:
    """Boolean (n, n_genes): the ``k`` most positively attributed genes of each row."""
    k = min(k, attributions.shape[1])
    idx = np.argsort(-attributions, axis=1, kind="stable")[:, :k]
    mask = np.zeros(attributions.shape, dtype=bool)
    np.put_along_axis(mask, idx, True, axis=1)
    return mask


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """BH-adjusted q-values along the last axis."""
    p = np.asarray(p, dtype=float)
    if p.shape[-1] == 0:
        return p.copy()
    m = p.shape[-1]
    order = np.argsort(p, axis=-1)
    ranked = np.take_along_axis(p, order, axis=-1) * m / np.arange(1, m + 1)
    ranked = np.minimum.accumulate(ranked[..., ::-1], axis=-1)[..., ::-1]
    q = np.empty_like(ranked)
    np.put_along_axis(q, order, np.clip(ranked, 0.0, 1.0), axis=-1)
    return q


def pathway_scores(attributions: np.ndarray, sets: GeneSets, k: int = 20) -> PathwayScores:
    """Score and test every term for every row of ``attributions`` (n, n_genes)."""
    from scipy.stats import hypergeom

    a = np.atleast_2d(np.asarray(attributions, dtype=np.float64))
    n, n_genes = a.shape
    member = sets.member.astype(np.float64)
    sizes = member.sum(axis=1)
    k = min(k, n_genes)
    total = a @ member.T
    score = total / np.clip(sizes, 1, None)
    hits = top_k_mask(a, k).astype(np.float64) @ member.T
    p = hypergeom.sf(hits - 1, n_genes, sizes[None, :], k) if len(sets) else np.zeros((n, 0))
    p = np.clip(np.nan_to_num(p, nan=1.0), 0.0, 1.0)
    q = benjamini_hochberg(p)
    order = np.lexsort((-score, p), axis=1) if len(sets) else np.zeros((n, 0), dtype=int)
    return PathwayScores(score=score, total=total, hits=hits.astype(int), p_value=p, q_value=q, order=order, k=k)


def pathway_rows(prediction_ids: Sequence[str], scores: PathwayScores, sets: GeneSets,
                 top_k: int) -> list[dict[str, object]]:
    """Write-back rows: the ``top_k`` best terms of each prediction, ranked from 1."""
    rows: list[dict[str, object]] = []
    for i, pid in enumerate(prediction_ids):
        for rank, t in enumerate(scores.order[i][:top_k], start=1):
            rows.append({
                "prediction_id": pid, "go_id": sets.go_ids[t], "score": float(scores.score[i, t]), "rank": rank,
                "p_value": float(scores.p_value[i, t]), "q_value": float(scores.q_value[i, t]),
                "hits": int(scores.hits[i, t]),
            })
    return rows
