"""Benchmark ``anchors``: every acquisition strategy in ``kgtool select-anchors --simulate``, through
the product path, on the realistic preset (and the real cmapR fixture).

The data are loaded into the emptied benchmark graph with the loaders ``kgtool load`` runs (the
``expression`` benchmark's :func:`expression.load_data`). For each cell line of
``KGTOOL_BENCH_ANCHORS_CELLS`` (default: the first cell line of the realistic preset, in name
order) ONE :func:`toolkit.anchors.pipeline.select_anchors` run simulates every registered strategy
with seeds 0, 1, 2: the ``anchordrug`` model is pretrained on the other five cell lines (default
settings, 60 epochs, seed 0), then each strategy buys compounds of the held-out cell line in rounds
of 10 up to 50, fine-tuning (20 epochs) after each round and scoring the compounds not bought yet.

Metrics, from the run's own metrics: ``anchors.<strategy>.<cell>.macro_f1_at_<budget>`` for
budgets 0 (the pretrained model), 10, 30 and 50 with ``_sd`` over seeds;
``anchors.<strategy>.<cell>.pearson_at_30``; ``anchors.<strategy>.select_s`` (mean seconds per
selection round); and ``anchors.<strategy>.<cell>.gain_over_random_at_30`` (mean macro-F1 at 30 less
random's). On ``real_cmapr`` (6 compounds per cell line at most) the cell line with the most
profiled compounds runs with budget 4 in rounds of 2, as ``anchors.<strategy>.real_cmapr.*``.

Environment: ``KGTOOL_BENCH_ANCHORS_STRATEGIES`` / ``_CELLS`` / ``_DATA`` (comma lists),
``KGTOOL_BENCH_ANCHORS_SEEDS`` (default 3) and the usual ``KGTOOL_BENCH_HOME`` / ``_BOLT_PORT`` /
``_HTTP_PORT``. A markdown table goes to stderr.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

import common

logger = logging.getLogger("bench.anchors")

SEEDS = int(os.environ.get("KGTOOL_BENCH_ANCHORS_SEEDS", "3"))
BUDGETS = {"realistic": (50, 10, (0, 10, 30, 50)), "real_cmapr": (4, 2, (0, 2, 4))}  # budget, batch, reported


def run() -> list[tuple[str, float, str]]:
    from toolkit import plugins
    from toolkit.anchors.pipeline import AnchorOptions, select_anchors
    from toolkit.models import TrainConfig

    from expression import load_data

    common.use_server_from_env()
    strategies = common.wanted("KGTOOL_BENCH_ANCHORS_STRATEGIES", sorted(plugins.registry().items["acquisitions"]))
    datasets = common.wanted("KGTOOL_BENCH_ANCHORS_DATA", ["realistic", "real_cmapr"])
    results: list[tuple[str, float, str]] = []
    server = common.server()
    server.start(timeout=300)
    try:
        for data in datasets:
            with common.empty_graph() as graph:
                settings = common.settings()
                load_data(graph, settings, data)
                budget, batch, reported = BUDGETS[data]
                for cell in chosen_cells(graph, data):
                    options = AnchorOptions(cell=cell, budget=budget, strategies=tuple(strategies), batch=batch,
                                            simulate=True, seeds=SEEDS)
                    run = select_anchors(graph, settings, options, TrainConfig(seed=0, device="cpu"))
                    label = cell if data == "realistic" else data
                    results += figures(run.metrics, strategies, label, reported)
    finally:
        server.stop()
    print(markdown(results), file=sys.stderr)
    return results


def chosen_cells(graph: Any, data: str) -> list[str]:
    """The realistic cells of ``KGTOOL_BENCH_ANCHORS_CELLS`` (default the first by name); for cmapR
    the cell line with the most profiled compounds."""
    from toolkit import cypher

    rows = graph.read(cypher.load("bench/cells_by_compounds"))
    if data != "realistic":
        return [rows[0]["cell"]]
    names = sorted(r["cell"] for r in rows)
    wanted = common.wanted("KGTOOL_BENCH_ANCHORS_CELLS", names)
    return wanted if os.environ.get("KGTOOL_BENCH_ANCHORS_CELLS") else names[:1]


def figures(metrics: dict[str, Any], strategies: list[str], label: str, reported: tuple[int, ...]
            ) -> list[tuple[str, float, str]]:
    out: list[tuple[str, float, str]] = []
    for name in strategies:
        for budget in reported:
            for suffix in ("", "_sd"):
                key = f"{name}.macro_f1_at_{budget}{suffix}"
                if key in metrics:
                    out.append((f"anchors.{name}.{label}.macro_f1_at_{budget}{suffix}", round(metrics[key], 4),
                                "fraction"))
        middle = reported[2] if len(reported) > 2 else reported[-1]
        for suffix in ("", "_sd"):
            key = f"{name}.pearson_at_{middle}{suffix}"
            if key in metrics:
                out.append((f"anchors.{name}.{label}.pearson_at_{middle}{suffix}", round(metrics[key], 4), "fraction"))
        if f"{name}.select_s" in metrics:
            out.append((f"anchors.{name}.select_s", round(metrics[f"{name}.select_s"], 3), "s"))
        random_key = f"random.macro_f1_at_{middle}"
        if random_key in metrics and f"{name}.macro_f1_at_{middle}" in metrics:
            gain = metrics[f"{name}.macro_f1_at_{middle}"] - metrics[random_key]
            out.append((f"anchors.{name}.{label}.gain_over_random_at_{middle}", round(gain, 4), "fraction"))
    return out


def markdown(results: list[tuple[str, float, str]]) -> str:
    values = {n: v for n, v, _ in results}
    rows = sorted({tuple(n.split(".")[1:3]) for n in values if ".macro_f1_at_" in n})
    budgets = sorted({int(n.rsplit("_", 1)[-1]) for n in values if ".macro_f1_at_" in n and not n.endswith("_sd")})
    lines = ["| strategy | cell | " + " | ".join(f"macro-F1 @{b}" for b in budgets) + " |",
             "|" + "---|" * (2 + len(budgets))]
    for strategy, label in rows:
        cells = []
        for b in budgets:
            mean = values.get(f"anchors.{strategy}.{label}.macro_f1_at_{b}")
            sd = values.get(f"anchors.{strategy}.{label}.macro_f1_at_{b}_sd", 0.0)
            cells.append("–" if mean is None else f"{mean:.3f} ± {sd:.3f}")
        lines.append(f"| {strategy} | {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
