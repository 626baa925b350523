"""Benchmark ``train_real``: every registered MoA model on the REAL fixtures in ``../shared/data``,
loaded into the benchmark Neo4j server with the same loaders a user runs and read back with the
pipeline's export.

Per fixture the graph is emptied and loaded as ``kgtool load`` would: ``string``
(``string_v12_landmark978_edges.tsv``), ``go`` (``go-basic`` 2021-12-15 + the landmark
``gene2go`` table), ``compounds`` (Drug Repurposing Hub 2020 drugs + samples: SMILES, scaffolds and
MoAs joined to the signatures by the 13-character BRD pert_id), then ``signatures``:

* ``real_ljp005``: the LJP005 A375 24 h Level 3 plate with ``--zscore plate`` (377 wells: 55
  kinase inhibitors x 6 doses, DMSO, positive controls); 40 compounds / 238 wells with a Hub MoA,
  30 classes;
* ``real_cpc006``: the CPC006 A375 6 h Level 3 plate with ``--zscore plate`` (371 wells, ~354
  compounds at 10 uM, one well each; ~175 with a Hub MoA, over 100 classes);
* ``real_cmapr``: the cmapR Level 5 MODZ matrix (272 signatures, 65 cell lines) as it is; only
  2 of its 6 BRD ids have Hub MoAs (RAF inhibitor, HMGCR inhibitor).

``toolkit.train.export.export_signatures(with_context=True)`` gives one snapshot per fixture.
Splits: ``cold_compound``, ``random``, ``scaffold``, ``cold_cell`` (25 % test, 15 % validation),
each where ``make_split`` finds labelled test rows (it refuses splits with nothing to test:
cold_cell on the one-cell plates, cold_compound on cmapR). Every (split, model) runs with split
and training seeds 0..N-1 (``KGTOOL_BENCH_TRAIN_REAL_SEEDS``, default 3) on CPU, 40 epochs /
patience 8, model defaults. ``go_vnn`` and ``logistic`` run seed 0 only
(``KGTOOL_BENCH_TRAIN_REAL_ONE_SEED``): on the real GO context (~2,700 terms of 3 to 300 landmark
genes) one go_vnn fit takes 2.5-5 minutes (12-25 s an epoch) on 2 cores, and logistic's L-BFGS
fits over its C grid take ~90 s on CPC006's 136 classes. The first full run took 67 minutes on 2
cores shared with other jobs (load average 4-6). Metrics per ``train.<model>.<split>.real_<name>``,
the mean over seeds (``_sd``: standard deviation): ``macro_f1`` and ``auroc`` (signature level, the pipeline's own
multi-label metrics, :func:`toolkit.train.pipeline.evaluate`, test side), ``compound_macro_f1``
(probabilities averaged per compound) and ``epoch_s`` (fit wall time / epochs run). Also per
fixture: ``train_real.real_<name>.signatures``, ``.labelled_compounds``, ``.classes`` and
``.load_s``.

Caveats — read these figures as a smoke test on real data, not as a model comparison:

* tiny data: tens of labelled compounds; a cold test side holds 8 compounds (LJP005) or a few
  dozen single wells (CPC006), so one compound moves macro-F1 by several points (see ``_sd``);
* singleton MoAs: most classes have one compound. A class with one compound never reaches a cold
  test side (it stays in training), so cold splits score only the shared classes, while the
  models still choose among all classes. Multi-label compounds are scored against all their labels;
* single plate, single replicate, one cell line (LJP005, CPC006): plate z-scores are not Level 5
  consensus signatures, dose series of one compound are near duplicates (``random`` leaks them
  across sides: it is optimistic), and plate effects cannot be separated from compound effects;
* cmapR: two labelled compounds, so ``random`` and ``cold_cell`` measure telling two drugs apart
  across cell lines; macro-F1 ~0.48 is the majority-class floor there;
* ``multimodal`` reads the compound's structure: where a compound sits on both sides (``random``)
  or a class is one compound (cmapR), the structure names the answer (macro-F1 0.67 / 1.0 there);
  its cold-split figures are the ones to read;
* CPC006 has one well per compound and mostly singleton classes (136 classes for 174 labelled
  compounds): every model is near chance there;
* ``epoch_s`` varies with the load on the machine's shared cores (the first full run shared 2
  cores with other jobs at load average ~4-6, which inflated the CPC006 timings several times).

Server: ``common.server()`` (``bench/tmp/home``, bolt 27687). ``KGTOOL_BENCH_HOME`` /
``KGTOOL_BENCH_BOLT_PORT`` / ``KGTOOL_BENCH_HTTP_PORT`` point this benchmark at another managed
server (e.g. while another benchmark holds the default one). ``KGTOOL_BENCH_TRAIN_REAL_MODELS`` /
``_FIXTURES`` / ``_SPLITS`` (comma lists) restrict the run. Without ``../shared/data`` it returns
no figures.
"""

from __future__ import annotations

import logging
import math
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

import common

logger = logging.getLogger(__name__)

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
L1000 = SHARED / "l1000_signatures"
HUB = SHARED / "drug_repurposing_hub"
CONTEXT = [
    ("string", [SHARED / "string" / "string_v12_landmark978_edges.tsv"], {}),
    ("go", [SHARED / "gene_ontology" / "go-basic_releases-2021-12-15.obo.gz",
            SHARED / "gene_ontology" / "landmark978_gene2go_direct_expev.tsv"], {}),
    ("compounds", [HUB / "repurposing_drugs_20200324.txt", HUB / "repurposing_samples_20200324.txt"], {}),
]
FIXTURES: dict[str, tuple[Path, str]] = {  # name -> (matrix, zscore mode)
    "ljp005": (L1000 / "cmapPy_test_l1000_LJP005_A375_24H_level3_n377x978.gct", "plate"),
    "cpc006": (L1000 / "cmapM_gctv13_01_CPC006_A375_6H_level3_n371x978.gct", "plate"),
    "cmapr": (L1000 / "cmapR_ds_level5_modz_n272x978.gct", "none"),
}
SPLITS = ("cold_compound", "random", "scaffold", "cold_cell")
SEEDS = int(os.environ.get("KGTOOL_BENCH_TRAIN_REAL_SEEDS", "3"))
ONE_SEED = tuple(os.environ.get("KGTOOL_BENCH_TRAIN_REAL_ONE_SEED", "go_vnn,logistic").split(","))  # slow models
EPOCHS, PATIENCE = 40, 8


def load_fixture(graph: Any, name: str) -> float:
    """Load one fixture (with STRING, GO and the Hub) into the emptied graph; seconds taken."""
    from toolkit.load import load
    from toolkit.sources import LoadOptions

    matrix, zscore = FIXTURES[name]
    settings = common.settings()
    tic = time.perf_counter()
    for source, paths, options in [*CONTEXT, ("signatures", [matrix], {"zscore": zscore})]:
        load(graph, settings, source, paths, LoadOptions.from_values(**options))
    return time.perf_counter() - tic


def run_one(cls: Any, data: Any, split: Any, seed: int) -> dict[str, float]:
    """Fit on the split's train side (valid for early stopping), score its test side as ``kgtool train`` does."""
    from toolkit.models import TrainConfig
    from toolkit.train.pipeline import evaluate

    config = TrainConfig(epochs=EPOCHS, patience=PATIENCE, seed=seed, device="cpu")
    model = cls(data.x.shape[1], len(data.classes), {})
    tic = time.perf_counter()
    history = model.fit(data.subset(split.train), config, data.subset(split.valid))
    fit_s = time.perf_counter() - tic
    proba = model.predict_proba(data.x, compounds=data.compound_ids)
    metrics = evaluate(proba, data, split, ("test",)).metrics
    return {
        "macro_f1": metrics["test_signature_macro_f1"],
        "compound_macro_f1": metrics["test_compound_macro_f1"],
        "auroc": metrics.get("test_signature_auroc", math.nan),
        "epoch_s": fit_s / max(int(history.get("epochs_run") or 0), 1),
    }


def _summarise(prefix: str, runs: list[dict[str, float]]) -> list[tuple[str, Any, str]]:
    rows: list[tuple[str, Any, str]] = []
    for metric in runs[0]:
        values = np.array([r[metric] for r in runs], dtype=float)
        values = values[np.isfinite(values)]
        if not len(values):
            logger.warning("%s.%s: undefined on every seed; not reported", prefix, metric)
            continue
        rows += common.mean_and_sd(f"{prefix}.{metric}", values, "s" if metric == "epoch_s" else "fraction")
    return rows


def run() -> list[tuple[str, Any, str]]:
    import torch

    from toolkit import plugins
    from toolkit.errors import ConfigError
    from toolkit.tasks import Task, task_of
    from toolkit.train.export import export_signatures
    from toolkit.train.splits import make_split

    logging.basicConfig(level=logging.WARNING)
    if not SHARED.exists():
        logger.warning("train_real: %s is not present; nothing to measure", SHARED)
        return []
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    common.use_server_from_env()
    models = {n: c for n, c in sorted(plugins.registry().items["models"].items()) if task_of(c) is Task.MOA}
    names = common.wanted("KGTOOL_BENCH_TRAIN_REAL_MODELS", list(models))
    results: list[tuple[str, Any, str]] = []
    server = common.server()
    server.start(timeout=300)
    try:
        for fixture in common.wanted("KGTOOL_BENCH_TRAIN_REAL_FIXTURES", list(FIXTURES)):
            tag = f"real_{fixture}"
            with common.empty_graph() as graph:
                load_s = load_fixture(graph, fixture)
                data = export_signatures(graph, with_context=True)
            labelled = {c for c, ok in zip(data.compound_ids, data.labelled) if ok}
            results += [(f"train_real.{tag}.signatures", len(data.sample_ids), "count"),
                        (f"train_real.{tag}.labelled_compounds", len(labelled), "count"),
                        (f"train_real.{tag}.classes", len(data.classes), "count"),
                        (f"train_real.{tag}.load_s", round(load_s, 2), "s")]
            for split_name in common.wanted("KGTOOL_BENCH_TRAIN_REAL_SPLITS", list(SPLITS)):
                try:
                    splits = [make_split(data, split_name, seed=seed) for seed in range(SEEDS)]
                except ConfigError as exc:
                    logger.warning("%s %s: infeasible (%s)", tag, split_name, exc)
                    continue
                for name in names:
                    tic = time.perf_counter()
                    seeds = splits[:1] if name in ONE_SEED else splits
                    runs = [run_one(models[name], data, split, seed) for seed, split in enumerate(seeds)]
                    key = f"train.{name}.{split_name}.{tag}"
                    results += _summarise(key, runs)
                    logger.warning("%s: macro-F1 %.3f AUROC %.3f (%d seeds, %.1f s)", key,
                                   np.mean([r["macro_f1"] for r in runs]), np.nanmean([r["auroc"] for r in runs]),
                                   len(runs), time.perf_counter() - tic)
    finally:
        server.stop()
    return results
