"""Acquisitions that do not ask the model (AnchorDrug's knowledge-based baselines):

* ``random``: uniformly random compounds. Issue 15 counts twelve strategies because Random
  appears twice there (once among the nine acquisition functions and once as the baseline); it is
  one strategy, registered once as ``random``;
* ``structure_clustering``: k-medoids of the candidates on ECFP Tanimoto distance, one medoid per
  cluster (the paper clusters ECFP with k-modes and takes a random member; a medoid is the
  deterministic, most central member);
* ``moa_stratified``: round-robin over mechanisms of action, the least-covered MoA first.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from toolkit.anchors.strategy import AcquisitionStrategy, ActiveModel, Pool, k_medoids, largest_first, tanimoto_distance

NO_MOA = ""  # the group of compounds without a known MoA


class RandomSampling(AcquisitionStrategy):
    """Uniformly random candidates (the baseline; see the module doc for why it is listed once).
    Score = the uniform random key the candidates were ordered by."""

    name = "random"
    description = "baseline: uniformly random compounds"
    needs_model = False

    def choose(self, pool: Pool, model: Optional[ActiveModel], k: int, rng: np.random.Generator
               ) -> list[tuple[str, float]]:
        keys = rng.random(len(pool.candidates))
        order = np.argsort(-keys, kind="stable")[:k]
        return [(pool.candidates[i], float(keys[i])) for i in order]


class StructureClustering(AcquisitionStrategy):
    """k-medoids on the candidates' Tanimoto distances; the medoids, largest cluster first.
    Score = the cluster's share of the candidates."""

    name = "structure_clustering"
    description = "baseline: k-medoids of ECFP Tanimoto distance, one medoid per cluster"
    needs_model = False

    def choose(self, pool: Pool, model: Optional[ActiveModel], k: int, rng: np.random.Generator
               ) -> list[tuple[str, float]]:
        bits = pool.bits(pool.candidates)
        medoids, labels = k_medoids(tanimoto_distance(bits, bits), k, rng)
        order, shares = largest_first(labels, k)
        return [(pool.candidates[int(medoids[c])], float(shares[c])) for c in order]


class MoaStratified(AcquisitionStrategy):
    """Round-robin over MoAs: each pick takes the MoA with the fewest compounds bought or picked so
    far (ties: drawn at random), then a random candidate of that MoA; a compound counts for every
    MoA it has. Compounds without a MoA form one more group. So every MoA is covered once before any
    is covered twice. Score = 1 / (1 + the chosen MoA's coverage before the pick)."""

    name = "moa_stratified"
    description = "baseline: round-robin over MoAs, least-covered first, random within"
    needs_model = False

    def choose(self, pool: Pool, model: Optional[ActiveModel], k: int, rng: np.random.Generator
               ) -> list[tuple[str, float]]:
        def moas_of(compound: str) -> tuple[str, ...]:
            return tuple(sorted(set(pool.moas.get(compound, ())))) or (NO_MOA,)

        members: dict[str, list[str]] = {}
        for c in pool.candidates:
            for m in moas_of(c):
                members.setdefault(m, []).append(c)
        coverage = {m: 0 for m in members}
        for c in pool.bought:
            for m in moas_of(c):
                if m in coverage:
                    coverage[m] += 1
        left = set(pool.candidates)
        picks: list[tuple[str, float]] = []
        while len(picks) < k:
            open_moas = sorted(m for m in members if any(c in left for c in members[m]))
            low = min(coverage[m] for m in open_moas)
            tied = [m for m in open_moas if coverage[m] == low]
            moa = tied[int(rng.integers(len(tied)))]
            choices = [c for c in members[moa] if c in left]
            compound = choices[int(rng.integers(len(choices)))]
            picks.append((compound, 1.0 / (1.0 + low)))
            left.discard(compound)
            for m in moas_of(compound):
                coverage[m] += 1
        return picks
