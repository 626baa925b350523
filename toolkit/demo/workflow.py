"""The end-to-end slice behind ``kgtool demo``: generate → load → train → explain → query."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from toolkit.graph.db import Graph
from toolkit.models import TrainConfig
from toolkit.settings import Settings

logger = logging.getLogger(__name__)

HYPOTHESIS = "compound_mechanism"


@dataclass(frozen=True)
class DemoResult:
    data_dir: Path
    load_runs: tuple[str, ...]
    train_run: str
    explain_run: str
    metrics: dict[str, Any]
    target_gene_precision_at_20: float
    random_precision_at_20: float  # what a random ranking of the genes is expected to get
    hypothesis_compound: str
    hypothesis_rows: list[dict[str, Any]]
    timings: dict[str, float] = field(default_factory=dict)


def demo_loads(data_dir: Path) -> list[tuple[str, list[Path]]]:
    """Which source reads which demo files, in a sensible order (any order gives the same graph)."""
    from toolkit.demo import DemoFiles

    f = DemoFiles.under(data_dir)
    return [
        ("string", [f.string_edges]),
        ("go", [f.go_obo, f.gaf]),
        ("compounds", [f.compounds, f.geneinfo]),
        ("signatures", [f.gctx, f.siginfo, f.geneinfo]),
    ]


def planted_precision(graph: Graph, explain_run: str, truth: Any, k: int = 20) -> dict[str, float]:
    """Per explained compound: the fraction of its top-k genes that lie in the planted pathway
    (targets included) of its true MoA, read back from the graph's EXPLAINS edges."""
    from toolkit import cypher

    rows = graph.read(cypher.load("export/explained_genes"), run_id=explain_run)
    by_compound: dict[str, list[int]] = {}
    for r in rows:
        if r["rank"] <= k:
            by_compound.setdefault(r["pert_id"], []).append(r["entrez_id"])
    out = {}
    for compound, genes in sorted(by_compound.items()):
        moa = truth.true_moa_of(compound)
        if moa is not None:
            out[compound] = len(set(truth.moa(moa).pathway_entrez).intersection(genes)) / k
    return out


def run_demo(graph: Graph, settings: Settings, data_dir: Path, spec: Any = None, epochs: int = 60, seed: int = 0,
             say: Callable[[str], None] = logger.info) -> DemoResult:
    from toolkit.demo import DemoSpec, generate_demo, load_ground_truth
    from toolkit.explain.pipeline import explain
    from toolkit.graph.schema_init import apply_schema
    from toolkit.load import load
    from toolkit.queries import run_hypothesis
    from toolkit.sources import LoadOptions
    from toolkit.train.pipeline import train

    timings: dict[str, float] = {}
    tic = time.perf_counter()
    spec = spec or DemoSpec(seed=seed)
    files = generate_demo(data_dir, spec)
    truth = load_ground_truth(files.ground_truth)
    timings["generate_s"] = time.perf_counter() - tic
    say(f"demo data with {len(truth.moas)} planted mechanisms written to {data_dir}")

    tic = time.perf_counter()
    apply_schema(graph)
    load_runs = []
    for source, paths in demo_loads(data_dir):
        report = load(graph, settings, source, paths, LoadOptions())
        load_runs.append(report.run_id)
        say(report.summary())
    timings["load_s"] = time.perf_counter() - tic

    tic = time.perf_counter()
    run = train(graph, settings, "mlp", TrainConfig(epochs=epochs, seed=seed))
    timings["train_s"] = time.perf_counter() - tic
    say(f"trained mlp (run {run.run_id}): held-out compounds accuracy "
        f"{run.metrics.get('test_compound_accuracy', float('nan')):.3f}, macro-F1 "
        f"{run.metrics.get('test_compound_macro_f1', float('nan')):.3f}")

    tic = time.perf_counter()
    explained = explain(graph, settings, run.run_id, "integrated_gradients", top_k=20, seed=seed)
    timings["explain_s"] = time.perf_counter() - tic
    per_compound = planted_precision(graph, explained.run_id, truth)
    precision = sum(per_compound.values()) / max(len(per_compound), 1)
    random_precision = spec.pathway_size / spec.n_genes
    say(f"explained {len(per_compound)} predictions (run {explained.run_id}): {precision:.2f} of the top-20 genes "
        f"are planted "
        f"mechanism genes (random ranking: {random_precision:.3f})")

    labelled = {c for m in truth.moas for c in m.compounds}
    compound = next(c for c in per_compound if c in labelled)  # a held-out compound that was explained
    rows = run_hypothesis(graph, HYPOTHESIS, {"compound": compound, "top": 20, "limit": 5})
    return DemoResult(
        data_dir=data_dir, load_runs=tuple(load_runs), train_run=run.run_id, explain_run=explained.run_id,
        metrics=dict(run.metrics), target_gene_precision_at_20=precision, random_precision_at_20=random_precision,
        hypothesis_compound=compound, hypothesis_rows=rows, timings=timings,
    )
