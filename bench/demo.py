"""Benchmark ``demo``: managed-server first/warm start and the end-to-end demo slice.

First start = a fresh kgtool home: jars copied by Maven from its (warm) local repository, config
written, initial password set, server started and answering Bolt and the Browser URL.
"""

from __future__ import annotations

import time

import common


def run() -> list[tuple[str, float, str]]:
    from toolkit.demo.workflow import run_demo

    server = common.server(fresh=True)
    results: list[tuple[str, float, str]] = []
    try:
        tic = time.perf_counter()
        server.start(timeout=300)
        results.append(("db.first_start_s", round(time.perf_counter() - tic, 2), "s"))
        server.stop()
        tic = time.perf_counter()
        server.start(timeout=300)
        results.append(("db.warm_start_s", round(time.perf_counter() - tic, 2), "s"))
        with common.empty_graph() as graph:
            tic = time.perf_counter()
            result = run_demo(graph, common.settings(), common.HOME / "demo", say=print)
            wall = time.perf_counter() - tic
        results.append(("demo.wall_s", round(wall, 2), "s"))
        results += [(f"demo.{stage}", round(s, 2), "s") for stage, s in result.timings.items()]
        results.append(("demo.target_gene_precision_at_20", round(result.target_gene_precision_at_20, 4), "fraction"))
        results.append(("demo.random_gene_precision_at_20", round(result.random_precision_at_20, 4), "fraction"))
        results.append(("demo.test_compound_macro_f1",
                        round(result.metrics.get("test_compound_macro_f1", 0.0), 4), "fraction"))
    finally:
        server.stop()
    return results
