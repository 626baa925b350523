"""The STRING-like protein interaction table (Entrez-keyed, each unordered pair once)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from toolkit.demo.spec import STREAM_NETWORK, rng_for
from toolkit.demo.world import Design

HEADER = ("entrez_a", "symbol_a", "entrez_b", "symbol_b", "combined_score")

# Score bands: planted pathway edges (the planted GO term's genes) are confident, background edges weak.
TARGET_SCORES = (850, 999)  # target <-> pathway gene (targets are hubs)
PATHWAY_SCORES = (700, 949)  # pathway gene <-> pathway gene
HUB_SCORES = (400, 699)  # extra target <-> random gene edges
BACKGROUND_SCORES = (150, 699)
PATHWAY_DENSITY = 0.5  # share of non-target pathway pairs that are connected


def _random_pairs(rng: np.random.Generator, n_genes: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` distinct random unordered pairs (i < j), in draw order."""
    count = min(count, n_genes * (n_genes - 1) // 4)
    if count <= 0 or n_genes < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    a = rng.integers(0, n_genes, size=int(count * 1.3) + 16)
    b = rng.integers(0, n_genes, size=a.size)
    keep = a != b
    lo, hi = np.minimum(a, b)[keep], np.maximum(a, b)[keep]
    _, first = np.unique(lo * n_genes + hi, return_index=True)
    first = np.sort(first)[:count]
    return lo[first], hi[first]


def build_edges(design: Design) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gene-index arrays (a < b) and scores, sorted by (a, b); planted edges win over background."""
    spec = design.spec
    n = len(design.genes)
    rng = rng_for(spec.seed, STREAM_NETWORK)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, int]] = []  # (a, b, score, priority)

    def add(a: np.ndarray, b: np.ndarray, band: tuple[int, int], priority: int) -> None:
        a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
        scores = rng.integers(band[0], band[1] + 1, size=a.size)
        parts.append((np.minimum(a, b), np.maximum(a, b), scores, priority))

    for moa in design.moas:
        p = moa.go_genes
        t = moa.n_targets
        i, j = np.triu_indices(p.size, k=1)
        hub = i < t  # pairs that involve a target (targets come first in the pathway)
        add(p[i[hub]], p[j[hub]], TARGET_SCORES, 0)
        rest = ~hub & (rng.random(i.size) < PATHWAY_DENSITY)
        add(p[i[rest]], p[j[rest]], PATHWAY_SCORES, 1)
        for target in moa.targets:
            partners = rng.choice(n, size=min(n - 1, spec.string_degree), replace=False)
            partners = partners[partners != target]
            add(np.full(partners.size, target), partners, HUB_SCORES, 2)

    a, b = _random_pairs(rng, n, round(n * spec.string_degree / 2))
    add(a, b, BACKGROUND_SCORES, 3)

    lo = np.concatenate([x[0] for x in parts])
    hi = np.concatenate([x[1] for x in parts])
    score = np.concatenate([x[2] for x in parts])
    prio = np.concatenate([np.full(x[0].size, x[3]) for x in parts])
    # Inside a pathway only the planted (confident) edges exist.
    pathway_of = np.full(n, -1, dtype=np.int64)
    for moa in design.moas:
        pathway_of[moa.go_genes] = moa.index
    keep = (lo != hi) & ~((prio >= 2) & (pathway_of[lo] >= 0) & (pathway_of[lo] == pathway_of[hi]))
    lo, hi, score, prio = lo[keep], hi[keep], score[keep], prio[keep]
    key = lo * n + hi
    order = np.lexsort((prio, key))  # by pair, then best priority first
    key, lo, hi, score = key[order], lo[order], hi[order], score[order]
    first = np.ones(key.size, dtype=bool)
    first[1:] = key[1:] != key[:-1]
    return lo[first], hi[first], score[first]


def write_string_edges(design: Design, path: Path) -> int:
    lo, hi, score = build_edges(design)
    entrez = design.genes.entrez
    sym = design.genes.symbols
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write("\t".join(HEADER) + "\n")
        for a, b, s in zip(lo.tolist(), hi.tolist(), score.tolist()):
            fh.write(f"{entrez[a]}\t{sym[a]}\t{entrez[b]}\t{sym[b]}\t{s}\n")
    return int(lo.size)
