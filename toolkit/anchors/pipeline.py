"""``kgtool select-anchors``: which compounds should a lab profile first in a new cell line?

AnchorDrug's procedure on the graph. The samples are the expression task's
(:func:`toolkit.expression.pipeline.expression_samples`: one consensus per compound and cell
line, compounds with a structure). A 3-class model (``anchordrug`` by default) is pretrained on the
OTHER cell lines (15 % of their compounds held out for early stopping); then anchors are chosen in
rounds of ``batch`` by each acquisition strategy (a plugin, :mod:`toolkit.anchors.strategy`).

* **Selection** (default): the candidates are the compounds with a structure not yet profiled in
  the cell line; compounds already profiled there count as bought (the model is fine-tuned on
  them first). No labels arrive between rounds (the lab has not profiled anything yet), so the
  model is not fine-tuned between them; strategies that spread picks (coreset, badge, kmeans,
  structure clustering, MoA stratification) still see the earlier rounds' picks as bought.
* **Simulation** (``simulate=True``): the cell line's measured profiles stand in for the lab
  (:func:`toolkit.anchors.simulate.simulate`): labels are hidden until bought, the model is
  fine-tuned after every round and scored on the compounds not bought yet; repeated for
  ``seeds`` seeds per strategy. Learning curves go to the run metrics
  (``<strategy>.macro_f1_at_<budget>`` / ``pearson_at_<budget>``, mean and ``_sd`` over seeds,
  ``<strategy>.select_s``), a PNG and the HTML report.

Written back: the picks as ``ANCHOR_FOR`` edges (rank, round, score, strategy, seed), the cell
line's predictions before and after fine-tuning (``ExpressionPrediction`` stage ``pretrained`` /
``fine_tuned``, first strategy, seed 0 in a simulation), a ``(:Run {kind: 'anchors'})`` with the
full config, and in the run folder ``anchors.tsv``, ``learning_curves.png`` and ``report.html``.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, replace
from typing import Any, Sequence

import numpy as np

from toolkit import cypher, plugins, runs
from toolkit.anchors.report import finite, write_outputs
from toolkit.anchors.simulate import LearningCurve, Pick, pool_fingerprints, simulate
from toolkit.anchors.strategy import AcquisitionStrategy, Pool
from toolkit.errors import ConfigError, RunError
from toolkit.expression.pipeline import FoundSamples, expression_samples
from toolkit.expression.writeback import all_structures, write_pairs
from toolkit.graph.db import Graph
from toolkit.models import TrainConfig
from toolkit.settings import Settings
from toolkit.tasks import ExpressionData, Task, task_of

logger = logging.getLogger(__name__)

VALID_FRACTION = 0.15  # of the other cell lines' compounds, held out to stop pretraining


@dataclass(frozen=True)
class AnchorOptions:
    """What ``kgtool select-anchors`` was asked (all of it goes on the Run)."""

    cell: str
    budget: int = 30
    strategies: tuple[str, ...] = ("badge",)
    batch: int = 10
    simulate: bool = False
    seeds: int = 3
    model: str = "anchordrug"
    top_genes: int = 25
    fine_tune_epochs: int = 20  # epochs of each fine-tuning (the pretraining takes the config's)

    def __post_init__(self) -> None:
        if self.budget < 1 or self.batch < 1 or self.seeds < 1:
            raise ConfigError(f"budget ({self.budget}), batch ({self.batch}) and seeds ({self.seeds}) must be >= 1")
        if not self.strategies:
            raise ConfigError("name at least one --strategy")


def strategies_of(names: Sequence[str]) -> list[AcquisitionStrategy]:
    registry = plugins.registry()
    return [registry.get("acquisitions", name)() for name in names]


def active_model_class(name: str) -> Any:
    cls = plugins.registry().get("models", name)
    if task_of(cls) is not Task.EXPRESSION or not getattr(cls, "three_class", False) or not hasattr(cls, "fine_tune"):
        raise ConfigError(f"model {name!r} cannot drive anchor selection: it must be a 3-class expression model "
                          "with fine_tune/clone (like anchordrug)")
    return cls


def compound_moas(found: FoundSamples) -> dict[str, tuple[str, ...]]:
    """pert_id -> its MoA names (from the samples' labels)."""
    data, out = found.samples, {}
    for i, compound in enumerate(data.compound_ids):
        names = tuple(data.classes[k] for k in np.flatnonzero(data.y[i]))
        out[compound] = tuple(sorted(set(out.get(compound, ())) | set(names)))
    return out


def rows_where(expr: ExpressionData, keep: Sequence[bool]) -> ExpressionData:
    return expr.subset(np.flatnonzero(np.asarray(keep, dtype=bool)))


def pretrain(model_cls: Any, expr: ExpressionData, cell: str, config: TrainConfig) -> Any:
    """The model fitted on every cell line but ``cell`` (a seeded 15 % of compounds held out for
    early stopping)."""
    other = rows_where(expr, [c != cell for c in expr.cell_ids])
    if len(other.sample_ids) == 0:
        raise RunError(f"no other cell line than {cell!r} has profiles to pretrain on; load signatures of more "
                       "cell lines")
    compounds = sorted(set(other.compound_ids))
    rng = np.random.default_rng(config.seed)
    valid = set(rng.permutation(compounds)[: max(1, int(round(VALID_FRACTION * len(compounds))))].tolist())
    if len(valid) == len(compounds):
        valid = set()
    model = model_cls(len(expr.gene_ids), config.params)
    train = rows_where(other, [c not in valid for c in other.compound_ids])
    held = rows_where(other, [c in valid for c in other.compound_ids])
    model.fit(train, config, held if len(held.sample_ids) else None)
    return model


def run_simulation(model: Any, strategies: list[AcquisitionStrategy], expr: ExpressionData, options: AnchorOptions,
                   config: TrainConfig, moas: dict[str, tuple[str, ...]]) -> list[LearningCurve]:
    pool = rows_where(expr, [c == options.cell for c in expr.cell_ids])
    if len(pool.sample_ids) == 0:
        raise RunError(f"cell line {options.cell!r} has no profiled compound with a structure: a simulation needs "
                       f"its profiles (cell lines with profiles: {', '.join(sorted(set(expr.cell_ids))[:10])})")
    prints = pool_fingerprints(tuple(dict.fromkeys(pool.compound_ids)), expr.context)
    curves = []
    for strategy in strategies:
        for seed in range(options.seeds):
            logger.info("anchors: simulating %s on %s, seed %d", strategy.name, options.cell, seed)
            curves.append(simulate(model, strategy, pool, pool, options.budget, options.batch,
                                   replace(config, seed=seed), seed, expr.context, moas=moas, fingerprints=prints))
    return curves


def run_selection(model: Any, strategies: list[AcquisitionStrategy], expr: ExpressionData, options: AnchorOptions,
                  config: TrainConfig, moas: dict[str, tuple[str, ...]]) -> tuple[list[LearningCurve], Any]:
    """Picks for a real lab (see the module doc); the curves hold picks only (no metrics)."""
    profiled = rows_where(expr, [c == options.cell for c in expr.cell_ids])
    bought = tuple(dict.fromkeys(profiled.compound_ids))
    if bought:
        model = model.clone()
        model.fine_tune(profiled, config)
    smiles = expr.context.compound_smiles if expr.context else {}
    candidates = tuple(c for c in sorted(smiles) if smiles[c] and c not in set(bought))
    if not candidates:
        raise RunError(f"every compound with a structure is already profiled in {options.cell!r}: nothing to select")
    prints = pool_fingerprints(candidates + bought, expr.context)
    curves = []
    for strategy in strategies:
        rng = np.random.default_rng(config.seed)
        chosen: list[str] = []
        rounds: list[Any] = []
        budget = min(options.budget, len(candidates))
        while len(chosen) < budget:
            taken = set(chosen)
            pool = Pool(cell=options.cell, candidates=tuple(c for c in candidates if c not in taken),
                        bought=bought + tuple(chosen), fingerprints=prints, moas=moas, context=expr.context)
            picks = strategy.select(pool, model, min(options.batch, budget - len(chosen)), rng)
            chosen += [c for c, _ in picks]
            rounds.append(tuple(Pick(c, len(rounds) + 1, s) for c, s in picks))
        curves.append(curve_of_picks(strategy.name, options.cell, config.seed, rounds))
    return curves, model


def curve_of_picks(strategy: str, cell: str, seed: int, rounds: list[tuple[Pick, ...]]) -> LearningCurve:
    from toolkit.anchors.simulate import RoundResult

    results, total = [], 0
    for number, picks in enumerate(rounds, start=1):
        total += len(picks)
        results.append(RoundResult(number, total, picks, float("nan"), float("nan"), 0.0, 0))
    return LearningCurve(strategy=strategy, cell=cell, seed=seed, rounds=tuple(results))


def curve_metrics(curves: list[LearningCurve]) -> dict[str, float]:
    """``<strategy>.macro_f1_at_<budget>`` / ``pearson_at_<budget>`` (mean and ``_sd`` over seeds) and
    ``<strategy>.select_s`` (mean selection time per round)."""
    out: dict[str, float] = {}
    for name in dict.fromkeys(c.strategy for c in curves):
        mine = [c for c in curves if c.strategy == name]
        budgets = sorted({r.budget for c in mine for r in c.rounds})
        for budget in budgets:
            for metric in ("macro_f1", "pearson"):
                values = finite([getattr(r, metric) for c in mine for r in c.rounds if r.budget == budget])
                if values.size:
                    out[f"{name}.{metric}_at_{budget}"] = float(values.mean())
                    out[f"{name}.{metric}_at_{budget}_sd"] = float(values.std())
        times = [r.select_s for c in mine for r in c.rounds if r.picks]
        if times:
            out[f"{name}.select_s"] = float(np.mean(times))
    return out


def pick_rows(curves: list[LearningCurve], simulated: bool) -> list[dict[str, Any]]:
    rows = []
    for curve in curves:
        for rank, pick in enumerate(curve.picks, start=1):
            rows.append({"pert_id": pick.pert_id, "rank": rank, "round": pick.round, "score": float(pick.score),
                         "strategy": curve.strategy, "seed": curve.seed if simulated else None,
                         "simulated": simulated})
    return rows


def write_stages(graph: Graph, run_id: str, pretrained: Any, curve: LearningCurve, expr: ExpressionData,
                 cell: str, config: TrainConfig, top_genes: int) -> int:
    """The cell line's predictions before and after fine-tuning on ``curve``'s picks (the compounds
    profiled there; the picks of a selection when none is)."""
    bought = {p.pert_id for p in curve.picks}
    profiled = rows_where(expr, [c == cell for c in expr.cell_ids])
    tuned = pretrained.clone()
    known = rows_where(profiled, [c in bought for c in profiled.compound_ids])
    if len(known.sample_ids):
        tuned.fine_tune(known, config)
    compounds = sorted(set(profiled.compound_ids) - bought) or sorted(bought)
    pairs = [(c, cell) for c in compounds]
    sides = {(c, cell): ("anchor" if c in bought else "remaining") for c in compounds}
    return sum(write_pairs(graph, run_id, model, expr, pairs, sides, top_genes, stage)
               for stage, model in (("pretrained", pretrained), ("fine_tuned", tuned)))


def select_anchors(graph: Graph, settings: Settings, options: AnchorOptions, config: TrainConfig, *,
                   use_cache: bool = True) -> runs.RunRecord:
    """The anchors run of the module doc; the completed Run."""
    model_cls = active_model_class(options.model)
    strategies = strategies_of(options.strategies)
    found = expression_samples(graph, settings, use_cache=use_cache)
    expr = all_structures(graph, found.expression) if not options.simulate else found.expression
    moas = compound_moas(found)
    run = runs.RunRecord(
        run_id=runs.new_run_id("anchors"), kind="anchors", plugin=options.model, seed=config.seed,
        data_hash=found.prepared.data_hash,
        config={**asdict(options), **asdict(config), "params": dict(config.params), **found.options.to_config(),
                "samples": len(expr.sample_ids), "genes": len(expr.gene_ids), "gene_ids": list(expr.gene_ids),
                "pretrain_cells": sorted(set(expr.cell_ids) - {options.cell})},
    )
    run_dir = runs.manifest_path(settings.runs_dir, run.run_id).parent
    extra: dict[str, Any] = {}

    def work() -> dict[str, Any]:
        model = pretrain(model_cls, expr, options.cell, config)
        tune = replace(config, epochs=options.fine_tune_epochs)
        if options.simulate:
            curves = run_simulation(model, strategies, expr, options, tune, moas)
        else:
            curves, _ = run_selection(model, strategies, expr, options, tune, moas)
        rows = pick_rows(curves, options.simulate)
        graph.write(cypher.load("write/anchors"), run_id=run.run_id, cell=options.cell, rows=rows)
        written = write_stages(graph, run.run_id, model, curves[0], expr, options.cell, tune, options.top_genes)
        metrics = {**curve_metrics(curves), "anchors_written": len(rows), "predictions_written": written}
        extra["curves"] = [c.to_dict() for c in curves]
        write_outputs(run_dir, run.run_id, options, curves, metrics, expr.context)
        return metrics

    done = runs.execute(graph, settings.runs_dir, run, work)
    runs.add_to_manifest(settings.runs_dir, done.run_id, extra)
    logger.info("anchors run %s: %s", done.run_id, done.metrics)
    return done

