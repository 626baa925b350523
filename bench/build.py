"""Benchmark ``build``: ``kgtool build MANIFEST`` (one neo4j-admin import of every source) against
``kgtool load`` of the same sources one at a time through the transactional writer, in the same run.

* ``build.records_per_s``: (nodes + relationships) / wall time of ``kgtool build --force`` of the
  demo preset ``PRESET`` (its four sources, ``TOP_K`` genes a signature), in a child process;
  ``build.peak_rss_mb`` its peak RSS (VmHWM), ``build.wall_s`` and ``build.records``.
* ``build.load_one_by_one_wall_s``: the four ``kgtool load`` runs after ``kgtool db reset --yes``,
  each in a child process (summed wall time; ``build.load_peak_rss_mb`` the largest peak RSS);
  ``build.speedup_vs_load`` = load wall / build wall. ``build.same_graph`` is 1 when both give the
  same node and relationship counts (Run nodes left out: one build run against one run per load).

Fixed costs (server stop and start, JVM starts, schema) dominate at this size (on the default demo,
51k records, the build took 111 s against 48 s for the four loads on the shared 2-core VM); ``bench/load.py``
measures the bulk path at 1.1 M and 5.5 M records. ``KGTOOL_BENCH_BUILD_PRESET`` picks another
demo preset (``realistic10x``: about ten times the compounds).
"""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path

import common

logger = logging.getLogger(__name__)

PRESET = os.environ.get("KGTOOL_BENCH_BUILD_PRESET", "realistic")
TOP_K = 50
SEED = 7

def _counts() -> tuple[int, int]:
    from toolkit import cypher
    from toolkit.graph.db import connect

    with connect(common.settings()) as graph:
        nodes = int(graph.read(cypher.load("export/node_count"))[0]["nodes"])
        rels = int(graph.read(cypher.load("bench/rel_count"))[0]["rels"])
    return nodes, rels


def run() -> list[tuple[str, float, str]]:
    from toolkit.demo import DemoFiles, DemoSpec, generate_demo
    from toolkit.demo.workflow import demo_loads

    common.use_server_from_env()
    root = Path(__file__).resolve().parent / "tmp" / f"build-{PRESET}"  # generated once, kept
    if not DemoFiles.under(root).ground_truth.exists():
        generate_demo(root, DemoSpec.preset(PRESET, seed=SEED))
    loads = demo_loads(root)
    manifest = root / "graph.toml"
    manifest.write_text("".join(
        f"[[source]]\nname = {json.dumps(name)}\nfiles = {json.dumps([str(f) for f in files])}\n"
        + (f"options = {{ top_k = {TOP_K} }}\n" if name == "signatures" else "") + "\n"
        for name, files in loads), encoding="utf-8")
    common.server().start()

    build_wall, build_rss, output = common.run_kgtool("build", str(manifest), "--force")
    found = re.search(r"(\d+) nodes and (\d+) relationships imported", output)
    if found is None:
        raise common.BenchFailed(f"no summary line in the build output: {output[-400:]}")
    records = int(found.group(1)) + int(found.group(2))
    built = _counts()

    common.run_kgtool("db", "reset", "--yes")
    load_wall, load_rss = 0.0, 0.0
    for name, files in loads:
        extra = ["--top-k", str(TOP_K)] if name == "signatures" else []
        wall, rss, _ = common.run_kgtool("load", name, *map(str, files), *extra)
        load_wall, load_rss = load_wall + wall, max(load_rss, rss)
    loaded = _counts()
    built, loaded = (built[0] - 1, built[1]), (loaded[0] - len(loads), loaded[1])  # without the Run nodes
    logger.info("build %.1f s (%d records), load one by one %.1f s; counts %s vs %s", build_wall, records,
                load_wall, built, loaded)
    return [
        ("build.records_per_s", round(records / build_wall), "records/s"),
        ("build.peak_rss_mb", round(build_rss), "MB"),
        ("build.wall_s", round(build_wall, 2), "s"),
        ("build.records", records, "records"),
        ("build.load_one_by_one_wall_s", round(load_wall, 2), "s"),
        ("build.load_peak_rss_mb", round(load_rss), "MB"),
        ("build.speedup_vs_load", round(load_wall / build_wall, 2), "x"),
        ("build.same_graph", int(built == loaded), "bool"),
    ]
