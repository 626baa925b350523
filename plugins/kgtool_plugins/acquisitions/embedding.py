"""Representation acquisitions on the model's per-compound embeddings (AnchorDrug embeds drugs, not
(drug, gene) points, so distances are between compounds):

* ``kmeans``: k-means on the candidates' :meth:`embed` rows; the candidate nearest each centre;
* ``coreset``: k-center greedy on :meth:`embed` rows, the bought compounds as the first centres;
* ``badge``: k-means++ seeding on :meth:`gradient_embedding` rows (uncertainty x diversity).
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from toolkit.anchors.strategy import (AcquisitionStrategy, ActiveModel, Pool, candidate_conditions, k_center_greedy,
                                      kmeans, kmeans_pp_seeds, largest_first, sq_distances)


class KMeansSampling(AcquisitionStrategy):
    """k clusters of the candidates' embeddings; from each, the candidate nearest its centre.
    Picks go largest cluster first; score = the cluster's share of the candidates."""

    name = "kmeans"
    description = "representativity: k-means on model embeddings, the candidate nearest each centre"
    needs_model = True

    def choose(self, pool: Pool, model: Optional[ActiveModel], k: int, rng: np.random.Generator
               ) -> list[tuple[str, float]]:
        assert model is not None
        x = model.embed(candidate_conditions(pool.cell, pool.candidates), context=pool.context)
        centres, labels = kmeans(x, k, rng)
        order, shares = largest_first(labels, k)
        d2 = sq_distances(centres, x)
        taken: set[int] = set()
        picks = []
        for c in order:  # a candidate nearest two centres goes to the larger cluster; the other takes its next
            i = next(int(j) for j in np.argsort(d2[c], kind="stable") if int(j) not in taken)
            taken.add(i)
            picks.append((pool.candidates[i], float(shares[c])))
        return picks


class CoreSet(AcquisitionStrategy):
    """k-center greedy (Sener & Savarese) on embeddings: each pick is the candidate farthest from
    the bought compounds and the picks so far. Score = that distance when picked."""

    name = "coreset"
    description = "diversity: k-center greedy on model embeddings from the bought compounds"
    needs_model = True

    def choose(self, pool: Pool, model: Optional[ActiveModel], k: int, rng: np.random.Generator
               ) -> list[tuple[str, float]]:
        assert model is not None
        conditions = candidate_conditions(pool.cell, (*pool.candidates, *pool.bought))
        x = model.embed(conditions, context=pool.context)
        n = len(pool.candidates)
        return [(pool.candidates[i], d) for i, d in k_center_greedy(x[:n], k, x[n:])]


class BADGE(AcquisitionStrategy):
    """BADGE (Ash et al.): k-means++ seeding on gradient embeddings, the largest gradient norm first.
    Score = the squared distance to the nearest earlier pick when drawn (first: its squared norm)."""

    name = "badge"
    description = "uncertainty x diversity: k-means++ seeding on gradient embeddings"
    needs_model = True

    def choose(self, pool: Pool, model: Optional[ActiveModel], k: int, rng: np.random.Generator
               ) -> list[tuple[str, float]]:
        assert model is not None
        g = model.gradient_embedding(candidate_conditions(pool.cell, pool.candidates), context=pool.context)
        first = int(np.argmax((np.asarray(g, dtype=np.float64) ** 2).sum(axis=1)))
        return [(pool.candidates[i], s) for i, s in kmeans_pp_seeds(g, k, rng, first=first)]
