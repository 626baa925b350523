"""Export benchmark: the training snapshot read from a graph of generated Level 5 signatures.

The demo generator (``toolkit.demo``, seed 7; the same files as ``bench/load.py``'s 200k GCTX)
writes N signatures once under ``bench/tmp/gctx<N/1000>k``; every demo source is loaded into the
benchmark server (``--top-k`` :data:`TOP_K`; the UPREGULATES/DOWNREGULATES edges are not read by
the export) unless the graph already holds exactly those N signatures. Each export then runs in a
child process (``toolkit.train.export``, no snapshot cache) whose wall time and peak RSS
(``VmHWM``) are reported:

* ``new``: the paged export (ids and labels first, then the z-vectors page by page on the
  ``Signature.sig_id`` key into a preallocated float32 array);
* ``old``: the single-query export it replaced (every z-vector in one result ``ORDER BY sig_id``,
  held as Python lists), at 20k only: at 200k it needs more than 4 GB in the client and the
  managed server's heap.

Both paths at 20k must give the same snapshot (same content hash), else the benchmark fails.

Metrics: ``export.20k_signatures_s``, ``export.old.20k_signatures_s``, ``export.20k_peak_rss_mb``,
``export.old.20k_peak_rss_mb``, ``export.200k_signatures_s``, ``export.200k_peak_rss_mb``, and
``export.signatures_per_s`` / ``export.peak_rss_mb`` for the largest size measured, and the
server's heap and page cache (``export.server_heap_mb``, ``export.server_pagecache_mb``).
``KGTOOL_BENCH_EXPORT_SIZES`` (comma list of ``200k``, ``20k``) picks the sizes (default both,
200k first so that a graph that already holds them is not reloaded).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import common

logger = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parent.parent
TMP = Path(__file__).resolve().parent / "tmp"
SIZES = {"200k": 200_000, "20k": 20_000}  # in this order: a graph left with 200k loaded is reused
OLD_PATH_SIZES = ("20k",)
TOP_K = 10

_CHILD = r"""
import hashlib, json, re, sys, time
from toolkit.graph.db import connect
from toolkit.settings import resolve
from toolkit.train import export

mode, home, bolt, http = sys.argv[1:5]
settings = resolve(env={"KGTOOL_HOME": home, "KGTOOL_BOLT_PORT": bolt, "KGTOOL_HTTP_PORT": http})
with connect(settings) as graph:
    with open("/proc/self/status") as status:
        before_kb = int(re.search(r"VmRSS:\s+(\d+) kB", status.read()).group(1))
    tic = time.perf_counter()
    if mode == "new":
        data, quality = export.export_snapshot(graph)
    else:
        data, quality = export.export_snapshot_unpaged(graph)
    wall = time.perf_counter() - tic
with open("/proc/self/status") as status:
    hwm_kb = int(re.search(r"VmHWM:\s+(\d+) kB", status.read()).group(1))
print(json.dumps({"wall_s": wall, "peak_rss_kb": hwm_kb, "rss_before_kb": before_kb, "rows": len(data.sample_ids),
                  "genes": len(data.gene_ids), "data_hash": export.data_hash(data, quality)}))
"""


def _files(n: int):
    """The generated Level 5 files of ``n`` signatures (made once, under bench/tmp)."""
    from toolkit.demo import DemoFiles, DemoSpec, generate_demo

    spec = DemoSpec(seed=7)
    spec = replace(spec, extra_signatures=n - spec.n_treated_signatures)
    root = TMP / f"gctx{n // 1000}k"
    files = DemoFiles.under(root)
    if not files.ground_truth.exists():
        tic = time.perf_counter()
        generate_demo(root, spec)
        logger.info("generated %d signatures in %.0f s", n, time.perf_counter() - tic)
    return root


def _signature_count(graph) -> int:
    from toolkit import cypher

    return int(graph.read(cypher.load("bench/signatures_with_vectors"))[0]["n"])


def ensure_loaded(n: int) -> float | None:
    """The graph holds the ``n`` generated signatures (loaded now unless it already did); the load's
    seconds, or None when nothing was loaded."""
    from toolkit.demo.workflow import demo_loads
    from toolkit.graph.db import connect
    from toolkit.load import load
    from toolkit.sources import LoadOptions

    root = _files(n)
    with connect(common.settings()) as graph:
        if _signature_count(graph) == n:
            logger.info("the graph already holds %d signatures; not reloading", n)
            return None
    tic = time.perf_counter()
    with common.empty_graph() as graph:
        for source, paths in demo_loads(root):
            load(graph, common.settings(), source, paths, options=LoadOptions.from_values(top_k=TOP_K))
        if _signature_count(graph) != n:
            raise common.BenchFailed(f"loaded {_signature_count(graph)} signatures, expected {n}")
    seconds = time.perf_counter() - tic
    print(f"export: loaded {n} signatures in {seconds:.0f} s", file=sys.stderr)
    return seconds


def _export(mode: str) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    out = subprocess.run([sys.executable, "-c", _CHILD, mode, str(common.HOME), str(common.BOLT), str(common.HTTP)],
                         env=env, cwd=REPO, capture_output=True, text=True)
    if out.returncode != 0:
        tail = (out.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise common.BenchFailed(f"{mode} export failed: {tail}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"export: {mode}: {result}", file=sys.stderr)
    return result


def _server_memory() -> list[tuple[str, float, str]]:
    """The running benchmark server's heap and page cache, in MB (from its settings)."""
    from toolkit import cypher
    from toolkit.graph.db import connect

    sizes = {"server.memory.heap.max_size": "export.server_heap_mb",
             "server.memory.pagecache.size": "export.server_pagecache_mb"}
    out = []
    with connect(common.settings()) as graph:
        for record in graph.read(cypher.load("bench/server_settings"), names=list(sizes)):
            value = str(record["value"]).strip().lower().removesuffix("ib").removesuffix("b")  # '1.00GiB', '512m'
            units = {"k": 1 / 1024, "m": 1, "g": 1024, "t": 1024 * 1024}
            mb = float(value[:-1]) * units[value[-1]] if value[-1:] in units else float(value) / 2**20
            out.append((sizes[record["name"]], round(mb), "MB"))
    return out


def run() -> list[tuple[str, float, str]]:
    common.use_server_from_env()
    logging.basicConfig(level=logging.INFO)
    sizes = common.wanted("KGTOOL_BENCH_EXPORT_SIZES", list(SIZES))
    server = common.server()
    server.start(timeout=240)
    results: list[tuple[str, float, str]] = _server_memory()
    largest = None
    try:
        for size in sizes:
            n = SIZES[size]
            loaded = ensure_loaded(n)
            if loaded is not None:
                results.append((f"export.{size}_load_s", round(loaded, 1), "s"))
            new = _export("new")
            if new["rows"] != n:
                raise common.BenchFailed(f"new export read {new['rows']} rows, expected {n}", results)
            results += [(f"export.{size}_signatures_s", round(new["wall_s"], 2), "s"),
                        (f"export.{size}_signatures_per_s", round(n / new["wall_s"]), "signatures/s"),
                        (f"export.{size}_peak_rss_mb", round(new["peak_rss_kb"] / 1024), "MB"),
                        (f"export.{size}_rss_before_mb", round(new["rss_before_kb"] / 1024), "MB")]
            if size in OLD_PATH_SIZES:
                old = _export("old")
                results += [(f"export.old.{size}_signatures_s", round(old["wall_s"], 2), "s"),
                            (f"export.old.{size}_signatures_per_s", round(n / old["wall_s"]), "signatures/s"),
                            (f"export.old.{size}_peak_rss_mb", round(old["peak_rss_kb"] / 1024), "MB")]
                if old["data_hash"] != new["data_hash"]:
                    raise common.BenchFailed(f"old and new export differ at {size}", results)
                results.append((f"export.{size}_same_as_old", 1, "bool"))
            if largest is None or n > largest[0]:
                largest = (n, new)
    except common.BenchFailed:
        raise
    except Exception as exc:  # noqa: BLE001 - keep what was measured
        raise common.BenchFailed(f"{type(exc).__name__}: {exc}", results) from exc
    if largest is not None:
        n, new = largest
        results += [("export.signatures_per_s", round(n / new["wall_s"]), "signatures/s"),
                    ("export.peak_rss_mb", round(new["peak_rss_kb"] / 1024), "MB"),
                    ("export.measured_at_signatures", n, "signatures")]
    return results


if __name__ == "__main__":  # `python bench/export.py load N`: generate and load only
    sys.path.insert(0, str(REPO))
    common.use_server_from_env()
    logging.basicConfig(level=logging.INFO)
    if sys.argv[1:2] == ["load"]:
        common.server().start(timeout=240)
        print(ensure_loaded(int(sys.argv[2])))
