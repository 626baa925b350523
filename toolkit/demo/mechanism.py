"""Realistic presets: mechanisms as network propagation from the targets over the demo STRING graph.

Per MoA, a personalised PageRank (random walk with restart) from its targets scores every gene;
the best-scored genes move, with signs from a per-MoA sign pattern (targets down). The late
(last time point) profile uses a low restart probability (a broad response) plus a coherent shift
of the MoA's planted GO term genes; the early one a high restart probability (close to the
targets), mixed with the late one and weaker. The planted genes (``pathway`` of each MoA) are the
late profile's strongest genes, targets first. Off-targets get the same treatment from their single
target. Cell x MoA responsiveness and per-compound idiosyncratic effects are drawn here too.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from toolkit.demo.network import build_edges
from toolkit.demo.spec import STREAM_MECHANISM, rng_for
from toolkit.demo.world import Design

RESTART_LATE = 0.3  # random walk with restart: probability of jumping back to the targets
RESTART_EARLY = 0.7
TOP_LATE = 30  # propagated genes kept per MoA (targets included)
TOP_EARLY = 15
TOP_OFF_TARGET = 15
NONTARGET_SCALE = 0.8  # |weight| of the best-propagated non-target gene
GO_SHIFT = 0.45  # coherent shift of the planted GO term's genes (late profile)
NONRESPONSIVE = (0.0, 0.15)
RESPONSIVE = (0.5, 1.5)
IDIOSYNCRATIC_GENES = 30  # genes a compound moves on its own, beside its mechanism
IDIOSYNCRATIC_SD = 0.35


def time_factor(t: float, t_max: float) -> float:
    """Overall signal scale at time ``t``: 1 at the last time point, weaker earlier (0.65 at a quarter)."""
    return round(0.3 + 0.7 * (t / t_max) ** 0.5, 4)


def ppr_matrix(n: int, edges: tuple[np.ndarray, np.ndarray, np.ndarray], restart: float) -> np.ndarray:
    """(n, n) personalised PageRank operator over the weighted STRING graph: column s = scores from gene s."""
    lo, hi, score = edges
    w = np.zeros((n, n), dtype=np.float64)
    w[lo, hi] = score / 1000.0
    w[hi, lo] = score / 1000.0
    degree = w.sum(axis=0)
    degree[degree == 0] = 1.0
    transition = w / degree  # column-stochastic
    return restart * np.linalg.inv(np.eye(n) - (1.0 - restart) * transition)


def _signed_top(scores: np.ndarray, seeds: np.ndarray, signs: np.ndarray, top: int) -> np.ndarray:
    """Seeds at -1, the next ``top - len(seeds)`` best-scored genes at sign x scaled score, others 0."""
    out = np.zeros(scores.size, dtype=np.float64)
    order = np.argsort(-scores, kind="stable")
    rest = order[~np.isin(order, seeds)][: max(0, top - seeds.size)]
    if rest.size:
        out[rest] = signs[rest] * NONTARGET_SCALE * np.sqrt(scores[rest] / scores[rest].max())
    out[seeds] = -1.0
    return out


def _timed(late: np.ndarray, early: np.ndarray, times: tuple[float, ...]) -> np.ndarray:
    """(n_times, n_genes): per time a mix of early and late, scaled by :func:`time_factor`."""
    t_max = max(times)
    rows = []
    for t in times:
        mix = (t / t_max) ** 0.5
        v = mix * late + (1.0 - mix) * early
        rows.append(time_factor(t, t_max) * v / max(np.abs(v).max(), 1e-9))
    return np.array(rows, dtype=np.float32)


def plant_mechanisms(design: Design) -> Design:
    """The design with propagated mechanism profiles, planted genes, and cell responsiveness."""
    spec = design.spec
    n = len(design.genes)
    edges = build_edges(design)
    late_op = ppr_matrix(n, edges, RESTART_LATE)
    early_op = ppr_matrix(n, edges, RESTART_EARLY)
    rng = rng_for(spec.seed, STREAM_MECHANISM, 0)
    signs = np.where(rng.random((spec.n_moas, n)) < 0.5, -1.0, 1.0)
    directions = np.where(rng.random(spec.n_moas) < 0.5, -1.0, 1.0)

    moas, profiles = [], []
    for moa in design.moas:
        targets = moa.targets
        seed_vec = np.zeros(n)
        seed_vec[targets] = 1.0 / targets.size
        late = _signed_top(late_op @ seed_vec, targets, signs[moa.index], TOP_LATE)
        shifted = np.setdiff1d(moa.go_genes, targets)
        late[shifted] += directions[moa.index] * GO_SHIFT
        early = _signed_top(early_op @ seed_vec, targets, signs[moa.index], TOP_EARLY)
        profiles.append(_timed(late, early, spec.times))
        others = np.setdiff1d(np.flatnonzero(late), targets)
        others = others[np.argsort(-np.abs(late[others]), kind="stable")][: spec.pathway_size - targets.size]
        planted = np.concatenate([targets, others]).astype(np.int64)
        moas.append(dataclasses.replace(moa, module=moa.go_genes, pathway=planted,
                                        weights=np.round(late[planted], 4)))

    moa_of_target = {int(t): m.index for m in design.moas for t in m.targets}
    target_profiles = {}
    for g in sorted({c.off_target for c in design.compounds if c.off_target >= 0}):
        seed = np.array([g])
        late = _signed_top(late_op[:, g], seed, signs[moa_of_target[g]], TOP_OFF_TARGET)
        early = _signed_top(early_op[:, g], seed, signs[moa_of_target[g]], TOP_OFF_TARGET)
        target_profiles[g] = _timed(late, early, spec.times)

    return dataclasses.replace(design, moas=tuple(moas), profiles=np.stack(profiles),
                               target_profiles=target_profiles, responsiveness=responsiveness(design))


def responsiveness(design: Design) -> np.ndarray:
    """(n_cells, n_moas): most pairs respond 0.5-1.5, a share barely (0-0.15); every MoA responds
    somewhere and, when the share is > 0, at least one pair does not."""
    spec = design.spec
    rng = rng_for(spec.seed, STREAM_MECHANISM, 3)
    shape = (spec.n_cells, spec.n_moas)
    draw = rng.random(shape)
    off = draw < spec.nonresponsive_fraction
    if spec.nonresponsive_fraction > 0 and spec.n_cells > 1 and not off.any():
        off.flat[int(np.argmin(draw))] = True
    for m in range(spec.n_moas):
        if off[:, m].all():
            off[int(np.argmax(draw[:, m])), m] = False
    factor = np.where(off, rng.uniform(*NONRESPONSIVE, size=shape), rng.uniform(*RESPONSIVE, size=shape))
    return np.round(factor, 4)


def compound_effects(design: Design) -> np.ndarray:
    """(n_compounds, n_times, n_genes) float32: strength x (mechanism + weighted off-target) plus the
    compound's idiosyncratic genes; compounds in design order."""
    spec = design.spec
    assert design.profiles is not None and design.target_profiles is not None
    n = len(design.genes)
    rng = rng_for(spec.seed, STREAM_MECHANISM, 4)
    out = np.empty((len(design.compounds), len(spec.times), n), dtype=np.float32)
    for i, c in enumerate(design.compounds):
        e = design.profiles[c.moa].astype(np.float64)
        if c.off_target >= 0:
            e = e + c.off_weight * design.target_profiles[c.off_target]
        idio = np.zeros(n)
        genes = rng.choice(n, size=min(n, IDIOSYNCRATIC_GENES), replace=False)
        idio[genes] = rng.standard_normal(genes.size) * IDIOSYNCRATIC_SD
        out[i] = c.strength * e + idio
    return out

