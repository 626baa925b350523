"""Simulated anchor-drug acquisition on data already measured (pure: no graph, no CLI).

The new cell line's measured samples stand in for the lab: ``pool_data`` holds every sample of
the new cell line that may be bought (labels hidden from the strategy until its compound is
bought). In rounds of ``batch`` compounds until ``budget`` compounds are bought:

1. the strategy picks from the compounds not bought yet (seeing the current model, their
   fingerprints and MoAs, never their labels);
2. every sample of the picked compounds is revealed; a CLONE of the pretrained model is fine-tuned
   on all samples bought so far (AnchorDrug fine-tunes the pretrained model each cycle; the
   pretrained model itself is never changed);
3. the fine-tuned model, which also drives the next round's picks, is evaluated on the rows of
   ``eval_data`` whose compound is not bought yet (recomputed each round, so ``eval_data`` may be
   the whole new cell line or a held-out part of it).

Metrics (:func:`toolkit.expression.metrics.expression_metrics`): ``macro_f1`` over every gene x
sample cell, labels :func:`toolkit.tasks.three_class` of the measured z-scores, predictions the arg
max of the class probabilities; ``pearson`` of ``p_up - p_down`` against the z-scores (per sample
across genes, averaged over samples). Round 0 is the pretrained model before any purchase.
Deterministic given ``seed`` (strategy draws) and ``config.seed`` (fine-tuning), apart from
``select_s``, the strategy's wall time.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, replace
from typing import Any, Mapping, Optional

import numpy as np

from toolkit.anchors.strategy import AcquisitionStrategy, ActiveModel, Pool
from toolkit.expression.metrics import expression_metrics
from toolkit.models import GraphContext, TrainConfig
from toolkit.expression.features import ecfp_matrix
from toolkit.structure import FingerprintSpec
from toolkit.tasks import CLASS_NAMES, ExpressionData

UP, DOWN = CLASS_NAMES.index("up"), CLASS_NAMES.index("down")


@dataclass(frozen=True)
class Pick:
    """One bought compound: the round that bought it and the acquisition score it was picked for."""

    pert_id: str
    round: int
    score: float


@dataclass(frozen=True)
class RoundResult:
    """The model after a round: ``budget`` compounds bought so far, this round's picks, and its
    metrics on ``n_eval`` evaluation samples (NaN when none are left)."""

    round: int
    budget: int
    picks: tuple[Pick, ...]
    macro_f1: float
    pearson: float
    select_s: float
    n_eval: int


@dataclass(frozen=True)
class LearningCurve:
    """Every round of one simulation, round 0 (the pretrained model) first."""

    strategy: str
    cell: str
    seed: int
    rounds: tuple[RoundResult, ...]

    @property
    def picks(self) -> tuple[Pick, ...]:
        return tuple(p for r in self.rounds for p in r.picks)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def pool_fingerprints(compounds: tuple[str, ...], context: Optional[GraphContext],
                      spec: FingerprintSpec = FingerprintSpec()) -> dict[str, np.ndarray]:
    """Morgan bits of each compound from ``context.compound_smiles``; all zeros for a compound
    without a SMILES (structure-based strategies then see it as sharing nothing)."""
    smiles = context.compound_smiles if context is not None else {}
    return dict(zip(compounds, ecfp_matrix(list(compounds), smiles, spec)))


def evaluate(model: ActiveModel, data: ExpressionData, context: Optional[GraphContext]) -> tuple[float, float]:
    """(3-class macro-F1, Pearson of p_up - p_down) of ``model`` on ``data`` (NaNs when empty)."""
    if len(data.sample_ids) == 0:
        return float("nan"), float("nan")
    probs = model.predict_classes(data.conditions, context=context)
    metrics = expression_metrics(probs[..., UP] - probs[..., DOWN], data.y, classes=probs)
    return metrics["macro_f1_3class"], metrics["pearson"]


def _rows_of(data: ExpressionData, compounds: set[str], inside: bool) -> ExpressionData:
    keep = [i for i, c in enumerate(data.compound_ids) if (c in compounds) == inside]
    return data.subset(keep)


def simulate(model: ActiveModel, strategy: AcquisitionStrategy, pool_data: ExpressionData,
             eval_data: ExpressionData, budget: int, batch: int, config: TrainConfig, seed: int,
             context: Optional[GraphContext] = None, *, moas: Optional[Mapping[str, tuple[str, ...]]] = None,
             fingerprints: Optional[Mapping[str, np.ndarray]] = None,
             fingerprint_spec: FingerprintSpec = FingerprintSpec()) -> LearningCurve:
    """Run the acquisition loop of the module doc; ``budget`` is capped at the pool's compounds.

    ``context`` (default: ``pool_data.context``) carries the SMILES the model reads and the
    fingerprints are computed from unless ``fingerprints`` is given; ``moas`` (pert_id -> MoA names)
    serves MoA-based strategies."""
    if batch < 1 or budget < 0:
        raise ValueError(f"simulate: batch={batch} must be >= 1 and budget={budget} >= 0")
    cells = set(pool_data.cell_ids)
    if len(cells) != 1:
        raise ValueError(f"simulate: the pool must hold one (new) cell line, found {sorted(cells)[:5]}")
    (cell,) = cells
    context = context if context is not None else pool_data.context
    compounds = tuple(dict.fromkeys(pool_data.compound_ids))
    budget = min(budget, len(compounds))
    prints = dict(fingerprints) if fingerprints is not None else pool_fingerprints(compounds, context,
                                                                                   fingerprint_spec)
    rng = np.random.default_rng(seed)

    bought: list[str] = []
    current = model
    f1, r = evaluate(current, eval_data, context)
    rounds = [RoundResult(0, 0, (), f1, r, 0.0, len(eval_data.sample_ids))]
    while len(bought) < budget:
        taken = set(bought)
        pool = Pool(cell=cell, candidates=tuple(c for c in compounds if c not in taken), bought=tuple(bought),
                    fingerprints=prints, moas=dict(moas or {}), context=context)
        started = time.perf_counter()
        picks = strategy.select(pool, current, min(batch, budget - len(bought)), rng)
        select_s = time.perf_counter() - started
        bought.extend(c for c, _ in picks)
        taken = set(bought)
        current = model.clone()
        current.fine_tune(replace(_rows_of(pool_data, taken, inside=True), context=context), config)
        remaining = _rows_of(eval_data, taken, inside=False)
        f1, r = evaluate(current, remaining, context)
        number = len(rounds)
        rounds.append(RoundResult(number, len(bought), tuple(Pick(c, number, s) for c, s in picks), f1, r,
                                  select_s, len(remaining.sample_ids)))
    return LearningCurve(strategy=strategy.name, cell=cell, seed=seed, rounds=tuple(rounds))
