"""The anchor-drug acquisition contract (issue 15, AnchorDrug): what a strategy sees and returns.

A lab profiling a NEW cell line buys a few dozen compounds ("anchor drugs"); a 3-class
(down / none / up per gene) expression model pretrained on other cell lines is fine-tuned on
them. An :class:`AcquisitionStrategy` picks the next compounds to buy from a :class:`Pool`,
usually by asking the current :class:`ActiveModel` about every candidate.

Conventions every strategy follows:

* a candidate is one compound in the pool's cell line: the condition ``(pert_id, pool.cell, NaN
  dose, NaN time)`` (:func:`candidate_conditions`);
* AnchorDrug's budget is compounds, not data points, so per-gene uncertainties become one score
  per compound by the MEAN over genes (:func:`per_drug`; the paper's "average uncertainty of all
  associated data");
* :meth:`AcquisitionStrategy.select` returns ``k`` distinct candidates in pick order, each with
  the acquisition score it was picked for; a higher score means "more wanted" (each strategy's
  docstring says what its score is).

The geometric helpers (k-center greedy, k-means++ seeding, Lloyd's k-means, k-medoids, Tanimoto
distance) are shared by the built-in strategies in ``kgtool_plugins.acquisitions`` and by
third-party ones.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Mapping, Optional, Protocol, Sequence, runtime_checkable

import numpy as np

from toolkit.models import GraphContext, TrainConfig
from toolkit.structure import FingerprintSpec
from toolkit.tasks import Conditions, ExpressionData

if TYPE_CHECKING:
    import torch

EPS = 1e-12


@runtime_checkable
class ActiveModel(Protocol):
    """The 3-class expression model active learning drives (the ``anchordrug`` model implements it).

    Probabilities and logits are over :data:`toolkit.tasks.CLASS_NAMES` (down, none, up)."""

    def predict_classes(self, conditions: Conditions, *, context: Optional[GraphContext] = None) -> np.ndarray:
        """(n, G, 3) class probabilities, dropout off."""

    def mc_predict_classes(self, conditions: Conditions, *, context: Optional[GraphContext] = None,
                           samples: int = 10, seed: int = 0) -> np.ndarray:
        """(samples, n, G, 3) probabilities with dropout on (MC dropout), reproducible given ``seed``."""

    def embed(self, conditions: Conditions, *, context: Optional[GraphContext] = None) -> np.ndarray:
        """(n, d) representation of each (drug, cell) row."""

    def gradient_embedding(self, conditions: Conditions, *, context: Optional[GraphContext] = None) -> np.ndarray:
        """(n, D) BADGE embedding: the loss gradient w.r.t. the last layer at the predicted classes."""

    def logits_forward(self, conditions: Conditions, *, context: Optional[GraphContext] = None
                       ) -> tuple[FingerprintSpec, Callable[["torch.Tensor"], "torch.Tensor"]]:
        """The fingerprint spec and a torch function (n, n_bits) bits -> (n, G, 3) logits, the rows'
        cell line held fixed."""

    def fine_tune(self, train: ExpressionData, config: TrainConfig) -> dict[str, Any]:
        """Continue training on ``train`` (in place); a small history dict."""

    def clone(self) -> "ActiveModel":
        """An independent copy (fine-tuning the copy leaves this model unchanged)."""


@dataclass(frozen=True)
class Pool:
    """What a strategy chooses from: the new cell line's not-yet-bought compounds.

    ``fingerprints`` (ECFP bits, float32 0/1) cover candidates and bought compounds; ``moas`` may
    lack a compound or give it no MoA; ``context`` is passed through to the model (SMILES)."""

    cell: str
    candidates: tuple[str, ...]
    bought: tuple[str, ...]
    fingerprints: Mapping[str, np.ndarray]
    moas: Mapping[str, tuple[str, ...]]
    context: Optional[GraphContext] = None

    def __post_init__(self) -> None:
        if len(set(self.candidates)) != len(self.candidates):
            raise ValueError("pool candidates repeat a compound")
        both = set(self.candidates) & set(self.bought)
        if both:
            raise ValueError(f"compounds both candidate and bought: {sorted(both)[:5]}")
        missing = [c for c in (*self.candidates, *self.bought) if c not in self.fingerprints]
        if missing:
            raise ValueError(f"{len(missing)} pool compounds have no fingerprint, e.g. {missing[:3]}")

    def bits(self, compounds: Sequence[str]) -> np.ndarray:
        """(len(compounds), n_bits) float32 fingerprint matrix."""
        if not compounds:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([np.asarray(self.fingerprints[c], dtype=np.float32) for c in compounds])


def candidate_conditions(cell: str, compounds: Sequence[str]) -> Conditions:
    """The conditions of ``compounds`` in ``cell`` with unknown dose and time."""
    n = len(compounds)
    return Conditions(list(compounds), [cell] * n, np.full(n, np.nan), np.full(n, np.nan))


class AcquisitionStrategy(ABC):
    """A way to pick anchor drugs. Subclasses set ``name`` / ``description`` / ``needs_model`` and
    implement :meth:`choose`; :meth:`select` checks the request and the answer around it."""

    name: ClassVar[str]
    description: ClassVar[str]
    needs_model: ClassVar[bool] = True

    def __init__(self, params: Optional[Mapping[str, Any]] = None) -> None:
        self.params = dict(params or {})

    def select(self, pool: Pool, model: Optional[ActiveModel], k: int, rng: np.random.Generator
               ) -> list[tuple[str, float]]:
        """``k`` distinct candidates of ``pool`` in pick order, each with its acquisition score
        (higher = more wanted). ``k`` larger than the pool, or a missing model for a strategy that
        needs one, is a ValueError."""
        if not 0 <= k <= len(pool.candidates):
            raise ValueError(f"{self.name}: cannot pick {k} of {len(pool.candidates)} candidates")
        if self.needs_model and model is None:
            raise ValueError(f"acquisition {self.name!r} needs a model")
        if k == 0:
            return []
        picks = self.choose(pool, model, k, rng)
        ids = [c for c, _ in picks]
        if len(ids) != k or len(set(ids)) != k or not set(ids) <= set(pool.candidates):
            raise ValueError(f"acquisition {self.name!r} returned {len(ids)} picks ({len(set(ids))} distinct, "
                             f"all candidates: {set(ids) <= set(pool.candidates)}) for k={k}")
        return [(c, float(s)) for c, s in picks]

    @abstractmethod
    def choose(self, pool: Pool, model: Optional[ActiveModel], k: int, rng: np.random.Generator
               ) -> list[tuple[str, float]]:
        """The picks; called with 1 <= k <= len(pool.candidates) and a model when ``needs_model``."""


def top_k(compounds: Sequence[str], scores: np.ndarray, k: int) -> list[tuple[str, float]]:
    """The ``k`` highest-scoring compounds, best first (ties: the earlier compound)."""
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")[:k]
    return [(compounds[i], float(scores[i])) for i in order]


def largest_first(labels: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Cluster indices ``0..k-1`` ordered by size, largest first (ties: lower index), and each
    cluster's share of the rows (cluster-based strategies pick in this order, scored by the share)."""
    sizes = np.bincount(np.asarray(labels), minlength=k)[:k]
    return np.argsort(-sizes, kind="stable"), sizes / max(len(labels), 1)


# --- per-drug uncertainty ----------------------------------------------------------------------

def per_drug(per_gene: np.ndarray) -> np.ndarray:
    """(n, G) per-gene scores -> (n,) per-compound scores: the mean over genes."""
    return np.asarray(per_gene, dtype=np.float64).mean(axis=1)


def least_confidence(probs: np.ndarray) -> np.ndarray:
    """(n, G, 3) -> (n, G): 1 - the top class probability."""
    return 1.0 - np.asarray(probs).max(axis=-1)


def margin(probs: np.ndarray) -> np.ndarray:
    """(n, G, 3) -> (n, G): top class probability minus the runner-up's (small = uncertain)."""
    top2 = np.sort(np.asarray(probs), axis=-1)[..., -2:]
    return top2[..., 1] - top2[..., 0]


def entropy(probs: np.ndarray) -> np.ndarray:
    """(..., 3) -> (...): Shannon entropy in nats."""
    p = np.clip(_floats(probs), EPS, 1.0)
    return -(p * np.log(p)).sum(axis=-1)


def mutual_information(mc_probs: np.ndarray) -> np.ndarray:
    """(T, n, G, 3) MC-dropout probabilities -> (n, G) BALD score: H(mean p) - mean H(p) (>= 0)."""
    mc = _floats(mc_probs)
    return np.maximum(entropy(mc.mean(axis=0)) - entropy(mc).mean(axis=0), 0.0)


# --- geometry ----------------------------------------------------------------------------------

def _floats(x: np.ndarray) -> np.ndarray:
    """``x`` as floats, float32 kept (gradient embeddings can be wide: no float64 copy)."""
    x = np.asarray(x)
    return x if x.dtype in (np.float32, np.float64) else x.astype(np.float64)


def sq_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(n, m) squared Euclidean distances between the rows of ``a`` and ``b`` (>= 0; float64 unless
    both are float32)."""
    a, b = _floats(a), _floats(b)
    d = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    return np.maximum(d, 0.0)


def _to_row(x: np.ndarray, norms: np.ndarray, i: int) -> np.ndarray:
    """(n,) float64 squared distances of every row of ``x`` to row ``i`` (``norms``: squared row norms)."""
    return np.maximum(norms + norms[i] - 2.0 * (x @ x[i]).astype(np.float64), 0.0)


def tanimoto_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(n, m) 1 - Tanimoto similarity of 0/1 bit rows; two empty fingerprints are at distance 1
    (nothing is known to be shared)."""
    from toolkit.expression.features import tanimoto

    return 1.0 - tanimoto(a, b).astype(np.float64)


def k_center_greedy(x: np.ndarray, k: int, centres: Optional[np.ndarray] = None) -> list[tuple[int, float]]:
    """Sener & Savarese's k-center greedy: repeatedly take the row of ``x`` farthest from every
    centre so far. ``centres`` (rows, e.g. the bought compounds) start the set; without them the
    mean of ``x`` is the one virtual starting centre. Returns (row, its distance when picked)."""
    x = _floats(x)
    start = _floats(centres) if centres is not None and len(centres) else x.mean(0, keepdims=True)
    nearest = np.sqrt(sq_distances(x, start).min(axis=1)).astype(np.float64)
    norms = np.einsum("ij,ij->i", x, x, dtype=np.float64)
    picks: list[tuple[int, float]] = []
    for _ in range(k):
        masked = nearest.copy()
        masked[[i for i, _ in picks]] = -np.inf
        i = int(np.argmax(masked))
        picks.append((i, float(nearest[i])))
        nearest = np.minimum(nearest, np.sqrt(_to_row(x, norms, i)))
    return picks


def kmeans_pp_seeds(x: np.ndarray, k: int, rng: np.random.Generator, first: Optional[int] = None
                    ) -> list[tuple[int, float]]:
    """k-means++ seeding: each next seed is drawn with probability proportional to its squared
    distance to the nearest seed so far (distinct rows only). ``first`` fixes the first seed (BADGE:
    the largest gradient norm), else it is drawn uniformly. Returns (row, its squared distance when
    drawn; the first seed: its squared norm)."""
    x = _floats(x)
    n = len(x)
    i = int(rng.integers(n)) if first is None else int(first)
    norms = np.einsum("ij,ij->i", x, x, dtype=np.float64)
    picks = [(i, float(norms[i]))]
    d2 = _to_row(x, norms, i)
    while len(picks) < k:
        weights = d2.copy()
        weights[[j for j, _ in picks]] = 0.0
        if weights.sum() <= 0:  # duplicates only: take the first unpicked row
            i = next(j for j in range(n) if j not in {p for p, _ in picks})
        else:
            i = int(rng.choice(n, p=weights / weights.sum()))
        picks.append((i, float(d2[i])))
        d2 = np.minimum(d2, _to_row(x, norms, i))
    return picks


def kmeans(x: np.ndarray, k: int, rng: np.random.Generator, iterations: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """Lloyd's k-means from k-means++ seeds: (k, d) centres and (n,) cluster labels. An emptied
    cluster keeps its previous centre."""
    x = np.asarray(x, dtype=np.float64)
    centres = x[[i for i, _ in kmeans_pp_seeds(x, k, rng)]].copy()
    labels = np.full(len(x), -1)
    for _ in range(iterations):
        new = sq_distances(x, centres).argmin(axis=1)
        if np.array_equal(new, labels):
            break
        labels = new
        for c in range(k):
            if (labels == c).any():
                centres[c] = x[labels == c].mean(axis=0)
    return centres, labels


def k_medoids(dist: np.ndarray, k: int, rng: np.random.Generator, iterations: int = 50
              ) -> tuple[np.ndarray, np.ndarray]:
    """k-medoids by alternation (assign to the nearest medoid; each cluster's new medoid is its
    member with the least summed distance to the others) on a precomputed (n, n) distance matrix,
    seeded k-means++-style on the distances. Returns (k,) distinct medoid rows and (n,) labels."""
    dist = np.asarray(dist, dtype=np.float64)
    n = len(dist)
    medoids = [int(rng.integers(n))]
    while len(medoids) < k:
        w = dist[:, medoids].min(axis=1) ** 2
        w[medoids] = 0.0
        medoids.append(int(rng.choice(n, p=w / w.sum())) if w.sum() > 0
                       else next(j for j in range(n) if j not in medoids))
    med = np.asarray(medoids)
    for _ in range(iterations):
        labels = dist[:, med].argmin(axis=1)
        labels[med] = np.arange(k)  # a medoid belongs to its own cluster (ties between duplicates)
        new = med.copy()
        for c in range(k):
            members = np.flatnonzero(labels == c)
            new[c] = members[int(np.argmin(dist[np.ix_(members, members)].sum(axis=1)))]
        if np.array_equal(new, med):
            break
        med = new
    labels = dist[:, med].argmin(axis=1)
    labels[med] = np.arange(k)
    return med, labels
