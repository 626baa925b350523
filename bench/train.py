"""Benchmark ``train``: every registered MoA model through the product path, with knowledge controls.

For each preset the generator writes the files (``toolkit.demo.generate_demo``, data seed 0), the
benchmark Neo4j is emptied and they are loaded with the loader ``kgtool load`` runs
(:func:`toolkit.load.load`: string, go, compounds, signatures — the demo workflow's order), and
every model is trained with :func:`toolkit.train.pipeline.train` and its DEFAULT options
(``TrainConfig(seed=s, device="cpu")``: 60 epochs, patience 10, the default aggregation,
25 % test); the figures are the completed Run's own metrics. Nothing is read from the files
behind the product's back.

Presets (``DemoSpec.preset(name, seed=0)``): ``demo`` (``DemoSpec()``, the easy set: a sanity
row where linear models reach ~1.0), ``realistic`` and ``realistic10x`` (the harder generator:
network-propagated mechanisms and Level 5 confounders; 10x has ten times the compounds).
Splits: ``cold_compound`` and ``scaffold``. Seeds 0, 1, 2 (split and training seed together,
``TrainConfig.seed``); each figure is the mean over seeds and ``_sd`` their standard
deviation (:func:`common.mean_and_sd`).

Metrics, per ``train.<model>.<split>.<preset>``: ``compound_macro_f1`` and
``compound_top1_accuracy`` (test side: ``test_compound_macro_f1`` / ``test_compound_top1_accuracy``
of the Run) and ``train_s`` (wall time of one ``train()`` call less its ``snapshot_s``: split,
fit, predictions and Run written; the graph export happens once per preset and is cached).
Per preset also ``train.<preset>.load_s`` and ``.samples`` / ``.classes`` (what the pipeline
trained on, after its aggregation).

Knowledge controls (:mod:`toolkit.train.controls`, passed as ``train(control=…)``) on the
``realistic`` preset, as ``train.<model>.<split>.realistic.<control>.<metric>``, the same seeds:

* ``string_permuted`` / ``go_shuffled`` for the knowledge-infused models (``requires_context``):
  the controls of the context parts the model declares in ``context_needs`` (``string``, ``go``),
  both when it declares none. A model that scores as well on them as on the real graph does not
  use that knowledge;
* ``labels_shuffled`` for every model: the floor a model reaches without the MoA signal.

Each control row also gets ``<key>.paired_gain`` (mean and ``_sd``): per seed, the real graph's
compound macro-F1 minus the control's on the same split and training seed. Per preset
``train.<preset>.seeds`` records how many seeds the figures average.

At the end a markdown table (model x split x preset, mean ± sd of ``compound_macro_f1``, and the
controls beside the real figures) goes to stderr for the README.

Runtime: long. ``realistic10x`` runs only :data:`MODELS_10X` by default (no knowledge-infused
model: gnn and multimodal take minutes per fit there); ``KGTOOL_BENCH_TRAIN_10X_MODELS=all`` runs
them all. Measured per fit on the ``demo`` preset (216 compound x cell samples) on 2 cores shared
with other jobs (load average 5-8): majority 2 s, logistic 8 s, linear_softmax 9 s, cmap_knn 10 s,
mlp 27 s, go_vnn 27-160 s, gnn 140-220 s, multimodal ~240 s; loading ``realistic`` (4,608
signatures) took 2 minutes, its graph export 40 s. Extrapolated to 2 idle cores, the default run
(3 seeds, both splits, all three presets, every control) takes about 4 hours, most of it the
knowledge-infused models and the controls on ``realistic``; restrict it with the variables below.

Environment (comma lists restrict the run; unset = all):

* ``KGTOOL_BENCH_TRAIN_MODELS``, ``KGTOOL_BENCH_TRAIN_PRESETS``, ``KGTOOL_BENCH_TRAIN_SPLITS``;
* ``KGTOOL_BENCH_TRAIN_CONTROLS``: the controls to run (``none``: no controls);
  ``KGTOOL_BENCH_TRAIN_CONTROL_PRESET``: the preset they run on (default ``realistic``);
* ``KGTOOL_BENCH_TRAIN_10X_MODELS``: the models of ``realistic10x`` (``all``: every model);
* ``KGTOOL_BENCH_TRAIN_SEEDS``: the number of seeds (default 3: seeds 0, 1, 2);
* ``KGTOOL_BENCH_HOME`` / ``KGTOOL_BENCH_BOLT_PORT`` / ``KGTOOL_BENCH_HTTP_PORT``: another managed
  server than ``common.server()``'s.

A run that raises is logged with its traceback and the others go on; ``run()`` then raises
:class:`common.BenchFailed` carrying the figures measured, so ``bench/run.py`` records them and
the failure and exits non-zero.

Quick run: ``KGTOOL_BENCH_TRAIN_MODELS=majority,logistic KGTOOL_BENCH_TRAIN_PRESETS=demo
KGTOOL_BENCH_TRAIN_SEEDS=1 .venv/bin/python bench/run.py train``.
"""

from __future__ import annotations

import inspect
import logging
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import common

logger = logging.getLogger("bench.train")

ROOT = Path(__file__).resolve().parent / "tmp" / "train"
PRESETS = ("demo", "realistic", "realistic10x")
SPLITS = ("cold_compound", "scaffold")
DATA_SEED = 0
SEEDS = int(os.environ.get("KGTOOL_BENCH_TRAIN_SEEDS", "3"))
CONTROL_PRESET = os.environ.get("KGTOOL_BENCH_TRAIN_CONTROL_PRESET", "realistic")
KNOWLEDGE_CONTROLS = {"string": "string_permuted", "go": "go_shuffled"}  # context part -> its control
LABEL_CONTROL = "labels_shuffled"
# realistic10x by default: the models without graph knowledge (the knowledge-infused ones, gnn and
# multimodal above all, take minutes per fit at 10x on CPU; KGTOOL_BENCH_TRAIN_10X_MODELS=all)
MODELS_10X = ("majority", "nearest_centroid", "shrunken_centroid", "network_centroid", "logistic", "linear_softmax",
              "cmap_knn", "mlp")
METRICS = {"compound_macro_f1": "test_compound_macro_f1", "compound_top1_accuracy": "test_compound_top1_accuracy"}


@dataclass(frozen=True)
class Entry:
    """One benchmark row: a model on a split of a preset, under a control (``none``: the real graph)."""

    model: str
    split: str
    preset: str
    control: str = "none"

    @property
    def key(self) -> str:
        tail = "" if self.control == "none" else f".{self.control}"
        return f"train.{self.model}.{self.split}.{self.preset}{tail}"


# -- adapters to the product API -----------------------------------------------------------------

def demo_spec(preset: str, seed: int = DATA_SEED) -> Any:
    """The generator's spec of ``preset`` (``demo`` is ``DemoSpec()``, the easy spec)."""
    from toolkit.demo import DemoSpec

    return DemoSpec.preset(preset, seed=seed)


def train_once(graph: Any, settings: Any, entry: Entry, seed: int) -> Any:
    """One ``kgtool train`` run with default options (plus the control); the completed Run."""
    from toolkit.models import TrainConfig
    from toolkit.train.pipeline import train

    extra = {} if entry.control == "none" else {"control": entry.control}
    return train(graph, settings, entry.model, TrainConfig(seed=seed, device="cpu"), entry.split, **extra)


def check_api(presets: Sequence[str], controls: Sequence[str]) -> None:
    """Fail before the first long run when the product lacks what the requested rows need."""
    from toolkit.train.pipeline import train

    for preset in presets:
        demo_spec(preset)  # an unknown preset fails here, not after the first preset's runs
    if controls and "control" not in inspect.signature(train).parameters:
        raise RuntimeError("toolkit.train.pipeline.train() takes no control=: set KGTOOL_BENCH_TRAIN_CONTROLS=none")


# -- plan ----------------------------------------------------------------------------------------

def knowledge_controls(cls: Any) -> list[str]:
    """The knowledge controls that apply to model class ``cls`` (none unless it reads the context)."""
    if not getattr(cls, "requires_context", False):
        return []
    needs = tuple(getattr(cls, "context_needs", ()) or KNOWLEDGE_CONTROLS)
    return [KNOWLEDGE_CONTROLS[n] for n in needs if n in KNOWLEDGE_CONTROLS]


def plan(models: dict[str, Any], presets: Sequence[str], splits: Sequence[str], controls: Sequence[str],
         models_10x: Sequence[str]) -> list[Entry]:
    """Every row to run, in order: per preset and split, each model then its controls."""
    entries = []
    for preset in presets:
        names = [m for m in models if preset != "realistic10x" or m in models_10x]
        for split in splits:
            for name in names:
                entries.append(Entry(name, split, preset))
                if preset == CONTROL_PRESET:
                    wanted = knowledge_controls(models[name]) + [LABEL_CONTROL]
                    entries += [Entry(name, split, preset, c) for c in wanted if c in controls]
    return entries


# -- measure -------------------------------------------------------------------------------------

def load_preset(graph: Any, settings: Any, preset: str) -> float:
    """Generate ``preset`` and load it into the (emptied) graph as ``kgtool load`` does; seconds."""
    from toolkit.demo import generate_demo
    from toolkit.demo.workflow import demo_loads
    from toolkit.load import load
    from toolkit.sources import LoadOptions

    tic = time.perf_counter()
    data_dir = ROOT / preset
    generate_demo(data_dir, demo_spec(preset))
    for source, paths in demo_loads(data_dir):
        report = load(graph, settings, source, paths, LoadOptions())
        logger.info("%s: %s", preset, report.summary())
    return time.perf_counter() - tic


def measure(graph: Any, settings: Any, entry: Entry, seed: int) -> tuple[dict[str, float], Any]:
    tic = time.perf_counter()
    run = train_once(graph, settings, entry, seed)
    out = {name: float(run.metrics[key]) for name, key in METRICS.items() if key in run.metrics}
    missing = sorted(set(METRICS) - set(out))
    if missing:
        raise RuntimeError(f"run {run.run_id} ({entry.key}, seed {seed}) has no {missing} metrics")
    out["train_s"] = time.perf_counter() - tic - float(run.metrics.get("snapshot_s", 0.0))
    return out, run


def paired_gain(entry: Entry, by_seed: dict[Entry, dict[int, float]]) -> list[tuple[str, float, str]]:
    """For a control row: the real graph's macro-F1 minus the control's, per seed (the same split
    and training seed), as ``<key>.paired_gain`` mean and ``_sd`` (empty for a real-graph row)."""
    if entry.control == "none":
        return []
    real = by_seed.get(Entry(entry.model, entry.split, entry.preset), {})
    control = by_seed.get(entry, {})
    gains = [real[s] - control[s] for s in sorted(set(real) & set(control))]
    return common.mean_and_sd(f"{entry.key}.paired_gain", gains, "fraction") if gains else []


def summarise(key: str, runs: Sequence[dict[str, float]]) -> list[tuple[str, float, str]]:
    rows: list[tuple[str, float, str]] = []
    for metric in runs[0]:
        rows += common.mean_and_sd(f"{key}.{metric}", [r[metric] for r in runs],
                                   "s" if metric.endswith("_s") else "fraction")
    return rows


# -- report --------------------------------------------------------------------------------------

def _cell(values: dict[str, float], key: str) -> str:
    mean = values.get(f"{key}.compound_macro_f1")
    if mean is None:
        return "—"
    sd = values.get(f"{key}.compound_macro_f1_sd")
    return f"{mean:.3f}" + (f" ± {sd:.3f}" if sd is not None else "")


def markdown_tables(entries: Sequence[Entry], results: Sequence[tuple[str, float, str]]) -> str:
    """Compound macro-F1 (mean ± sd over seeds): model x (preset, split), then the controls."""
    values = {name: value for name, value, _ in results}
    models = list(dict.fromkeys(e.model for e in entries))
    columns = list(dict.fromkeys((e.preset, e.split) for e in entries))
    lines = ["Test compound macro-F1, mean ± sd over seeds:", "",
             "| model | " + " | ".join(f"{p} {s}" for p, s in columns) + " |",
             "|---" * (len(columns) + 1) + "|"]
    for m in models:
        lines.append(f"| {m} | " + " | ".join(_cell(values, Entry(m, s, p).key) for p, s in columns) + " |")
    controls = list(dict.fromkeys(e.control for e in entries if e.control != "none"))
    splits = list(dict.fromkeys(e.split for e in entries if e.control != "none"))
    if controls:
        cols = [(s, c) for s in splits for c in ["none", *controls]]
        lines += ["", f"Knowledge controls on {CONTROL_PRESET} (none = the real graph and labels):", "",
                  "| model | " + " | ".join(f"{s} {c}" for s, c in cols) + " |", "|---" * (len(cols) + 1) + "|"]
        for m in models:
            lines.append(f"| {m} | " + " | ".join(_cell(values, Entry(m, s, CONTROL_PRESET, c).key)
                                                 for s, c in cols) + " |")
    return "\n".join(lines)


def run() -> list[tuple[str, float, str]]:
    import torch

    from toolkit import plugins
    from toolkit.tasks import Task, task_of

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s")
    logger.setLevel(logging.INFO)
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    common.use_server_from_env()
    registered = {n: c for n, c in sorted(plugins.registry().items["models"].items()) if task_of(c) is Task.MOA}
    models = {n: registered[n] for n in common.wanted("KGTOOL_BENCH_TRAIN_MODELS", list(registered))}
    presets = common.wanted("KGTOOL_BENCH_TRAIN_PRESETS", PRESETS)
    splits = common.wanted("KGTOOL_BENCH_TRAIN_SPLITS", SPLITS)
    controls = common.wanted("KGTOOL_BENCH_TRAIN_CONTROLS", [*KNOWLEDGE_CONTROLS.values(), LABEL_CONTROL])
    raw_10x = os.environ.get("KGTOOL_BENCH_TRAIN_10X_MODELS")
    models_10x = list(models) if raw_10x == "all" else (raw_10x.split(",") if raw_10x else list(MODELS_10X))
    entries = plan(models, presets, splits, controls, models_10x)
    check_api(presets, controls)
    seeds = list(range(SEEDS))
    logger.info("%d rows x %d seed(s): models %s, presets %s, splits %s, controls %s", len(entries), len(seeds),
                ",".join(models), ",".join(presets), ",".join(splits), ",".join(controls) or "-")
    results: list[tuple[str, float, str]] = []
    failures: list[str] = []
    start = time.perf_counter()
    by_seed: dict[Entry, dict[int, float]] = {}  # compound macro-F1 per row and seed
    server = common.server()
    server.start(timeout=300)
    try:
        for preset in presets:
            with common.empty_graph() as graph:
                settings = common.settings()
                results.append((f"train.{preset}.load_s", round(load_preset(graph, settings, preset), 2), "s"))
                sized = False
                for entry in (e for e in entries if e.preset == preset):
                    runs = []
                    by_seed[entry] = {}
                    for seed in seeds:
                        try:
                            scores, record = measure(graph, settings, entry, seed)
                        except Exception as exc:  # noqa: BLE001 - logged, counted, re-raised at the end
                            logger.exception("%s seed %d failed", entry.key, seed)
                            failures.append(f"{entry.key} seed {seed}: {type(exc).__name__}: {exc}")
                            continue
                        runs.append(scores)
                        by_seed[entry][seed] = scores["compound_macro_f1"]
                        if not sized:
                            results += [(f"train.{preset}.seeds", len(seeds), "count"),
                                        (f"train.{preset}.samples", record.config["samples"], "count"),
                                        (f"train.{preset}.classes", len(record.config["classes"]), "count")]
                            sized = True
                        logger.info("%s seed %d: compound macro-F1 %.3f top-1 %.3f (%.1f s; %.0f s elapsed)",
                                    entry.key, seed, scores["compound_macro_f1"], scores["compound_top1_accuracy"],
                                    scores["train_s"], time.perf_counter() - start)
                    if runs:
                        results += summarise(entry.key, runs) + paired_gain(entry, by_seed)
    finally:
        server.stop()
    print(markdown_tables(entries, results), file=sys.stderr, flush=True)
    if failures:
        raise common.BenchFailed(f"{len(failures)} train run(s) failed: " + "; ".join(failures), results)
    return results
