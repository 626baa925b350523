"""Benchmark ``train``: every registered model on generated demo data, without the database.

Data (``toolkit.demo``, data seed 0, read from the files by :mod:`demo_tasks`):

* ``demo``: ``DemoSpec()`` — 432 signatures, 72 compounds; easy (linear models reach ~1.0);
* ``demohard``: ``DemoSpec(effect=1.2)`` — weaker planted signal, where models differ;
* ``demo10x``: ``DemoSpec(compounds_per_moa=120)`` — 4,320 signatures;
* ``demohard10x``: ``DemoSpec(effect=1.2, compounds_per_moa=120)``;
* ``demonoisy10x``: ``DemoSpec(noise=2.0, effect=1.0, compounds_per_moa=120)`` (at demo size this
  setting, like ``effect=0.8``, leaves every model near chance).

Splits (``toolkit.train.splits.make_split``, 25 % test, 15 % validation for early stopping):
``cold_compound``, ``random``, ``scaffold`` and ``cold_cell`` (3 cell lines: one is held out). On
the small sets every (split, model) runs with split and training seeds 0, 1, 2 and the metrics are
their mean (``*_sd``: standard deviation);
the 10x sets run seed 0. ``TrainConfig(device="cpu")`` with 60 epochs / patience 10 (small) or
40 / 8 (10x); model defaults, nothing tuned on these test splits (development used demo seed 1).

Metrics per ``train.<model>.<split>.<size>``: ``macro_f1`` (sklearn, signature level, top class vs
the first label), ``compound_macro_f1`` (probabilities averaged per compound), ``auroc`` (macro
one-vs-rest), ``epoch_s`` (fit wall time / epochs run) and ``samples_per_s`` (training rows x
epochs / fit time). ``multimodal`` predicts with the compounds (its structure input);
``multimodal_nostruct`` is the same fitted model predicting from the signature alone, as a caller
that passes only ``x`` gets it. ``gnn_sage`` / ``gnn_gat`` are the gnn with those convolutions
(``demohard``, cold_compound, seed 0 only).

Runtime: about 5 minutes on 2 idle cores (most of it gnn_gat and the 10x sets); several times that
when other processes share the cores, which also inflates ``epoch_s``.

Environment: ``KGTOOL_BENCH_TRAIN_MODELS`` / ``_SIZES`` (comma lists) restrict the run,
``KGTOOL_BENCH_TRAIN_SEEDS`` sets the number of seeds on the small sets (default 3).
"""

from __future__ import annotations

import inspect
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import common

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent / "tmp" / "train"
SPLITS = ("cold_compound", "random", "scaffold", "cold_cell")
SMALL_SEEDS = int(os.environ.get("KGTOOL_BENCH_TRAIN_SEEDS", "3"))


@dataclass(frozen=True)
class Size:
    spec_kwargs: dict[str, Any]
    splits: tuple[str, ...]
    seeds: int
    epochs: int
    patience: int


SIZES: dict[str, Size] = {
    "demo": Size({}, SPLITS, SMALL_SEEDS, 60, 10),
    "demohard": Size({"effect": 1.2}, SPLITS, SMALL_SEEDS, 60, 10),
    "demo10x": Size({"compounds_per_moa": 120}, SPLITS, 1, 40, 8),
    "demohard10x": Size({"effect": 1.2, "compounds_per_moa": 120}, ("cold_compound", "scaffold"), 1, 40, 8),
    "demonoisy10x": Size({"noise": 2.0, "effect": 1.0, "compounds_per_moa": 120}, ("cold_compound",), 1, 40, 8),
}
# extra entries: name -> (registered model, params, size, split)
VARIANTS: dict[str, tuple[str, dict[str, Any], str, str]] = {
    "gnn_sage": ("gnn", {"conv": "sage"}, "demohard", "cold_compound"),
    "gnn_gat": ("gnn", {"conv": "gat"}, "demohard", "cold_compound"),
}


def _wanted(env: str, known: list[str]) -> list[str]:
    raw = os.environ.get(env)
    return [k for k in known if k in raw.split(",")] if raw else known


def _scores(proba: np.ndarray, part: Any) -> dict[str, float]:
    from sklearn.metrics import f1_score, roc_auc_score

    from toolkit.train.metrics import compound_scores

    y = part.y
    labels = np.flatnonzero(y.sum(axis=0) > 0)
    compounds, scores = compound_scores(proba, part.compound_ids)
    truth = {c: row.argmax() for c, row in zip(part.compound_ids, y)}
    return {
        "macro_f1": float(f1_score(y.argmax(1), proba.argmax(1), average="macro", labels=labels)),
        "compound_macro_f1": float(f1_score([truth[c] for c in compounds], scores.argmax(1), average="macro",
                                            labels=labels)),
        "auroc": float(roc_auc_score(y[:, labels], proba[:, labels], average="macro")),
    }


def _takes_compounds(model: Any) -> bool:
    return "compound_ids" in inspect.signature(model.predict_proba).parameters


def run_one(cls: Any, params: dict[str, Any], data: Any, split: Any, size: Size,
            seed: int) -> dict[str, dict[str, float]]:
    """Scores of one fit: ``{"": scores}`` plus ``{"_nostruct": ...}`` for models that take compounds."""
    from toolkit.models import TrainConfig

    train, valid, test = data.subset(split.train), data.subset(split.valid), data.subset(split.test)
    config = TrainConfig(epochs=size.epochs, patience=size.patience, seed=seed, device="cpu")
    model = cls(data.x.shape[1], len(data.classes), dict(params))
    tic = time.perf_counter()
    history = model.fit(train, config, valid)
    fit_s = time.perf_counter() - tic
    epochs = max(int(history.get("epochs_run") or 0), 1)
    out: dict[str, dict[str, float]] = {}
    if _takes_compounds(model):
        out[""] = _scores(model.predict_proba(test.x, compound_ids=test.compound_ids), test)
        out["_nostruct"] = _scores(model.predict_proba(test.x), test)
    else:
        out[""] = _scores(model.predict_proba(test.x), test)
    out[""].update(epoch_s=fit_s / epochs, samples_per_s=len(train.sample_ids) * epochs / fit_s)
    return out


def _summarise(key: str, runs: list[dict[str, dict[str, float]]]) -> list[tuple[str, float, str]]:
    rows = []
    for suffix in runs[0]:
        name, _, rest = key.partition(".")
        prefix = f"train.{name}{suffix}.{rest}"
        for metric in runs[0][suffix]:
            values = np.array([r[suffix][metric] for r in runs])
            unit = {"epoch_s": "s", "samples_per_s": "samples/s"}.get(metric, "fraction")
            rows += common.mean_and_sd(f"{prefix}.{metric}", values, unit)
    return rows


def run() -> list[tuple[str, float, str]]:
    import torch

    from demo_tasks import make_demo_task

    from toolkit import plugins
    from toolkit.demo import DemoSpec
    from toolkit.train.splits import make_split

    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("toolkit.train.splits").setLevel(logging.WARNING)
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    models = plugins.registry().items["models"]
    entries = {name: (name, {}) for name in sorted(models)}
    names = _wanted("KGTOOL_BENCH_TRAIN_MODELS", sorted(models) + sorted(VARIANTS))
    results: list[tuple[str, float, str]] = []
    for size_name in _wanted("KGTOOL_BENCH_TRAIN_SIZES", list(SIZES)):
        size = SIZES[size_name]
        data = make_demo_task(ROOT / size_name, DemoSpec(**size.spec_kwargs))
        for split_name in size.splits:
            splits = [make_split(data, split_name, seed=seed) for seed in range(size.seeds)]
            todo = [(n, *entries[n]) for n in names if n in entries]
            todo += [(n, VARIANTS[n][0], VARIANTS[n][1]) for n in names
                     if n in VARIANTS and VARIANTS[n][2:] == (size_name, split_name)]
            for name, model_name, params in todo:
                tic = time.perf_counter()
                seeds = splits[:1] if name in VARIANTS else splits
                runs = [run_one(models[model_name], params, data, split, size, seed)
                        for seed, split in enumerate(seeds)]
                key = f"{name}.{split_name}.{size_name}"
                results += _summarise(key, runs)
                logger.warning("%s: macro-F1 %.3f AUROC %.3f (%d seed(s), %.1f s)", key,
                               np.mean([r[""]["macro_f1"] for r in runs]), np.mean([r[""]["auroc"] for r in runs]),
                               len(runs), time.perf_counter() - tic)
    return results
