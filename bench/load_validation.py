"""Benchmark ``load_validation``: what all-or-nothing validation costs a signature load (issue 11).

A strict load (the default) validates the whole input before its first write, so a failed load
changes nothing: matrix column ids against the metadata, every quality value (``cc_q75 = abc``)
and, the expensive part, one extra pass over the matrix, a slice of columns at a time, for
NaN/inf landmark values (``plugins/kgtool_plugins/sources/signatures/checks.py``). ``--lenient`` streams
without that pass (a bad signature is skipped while writing, earlier batches stay).

The validation cost is on the read side, so this measures the **source's read pass only**:
iterating the batches the signatures source yields (node and relationship rows, top-k genes
included) for a generated Level 5 GCTX (978 landmark genes, float32, with its siginfo and gene
table, ``toolkit.demo``: the same files as ``bench/load.py``'s 200k load), without writing. Both
modes run in the same benchmark run, each in its own child process (so its peak RSS is its own),
strict first, then lenient, alternating (50k: twice each, the faster run counts; 200k: once each,
for time). Wall and CPU time (user + system of the child) are both reported: on a machine shared
with other work the CPU figure is the steadier one. A full load also spends the write time
(minutes for 200k signatures), so the overhead of a whole ``kgtool load`` is smaller than the
read-pass figure reported here.

Metrics, for 200,000 signatures (``_50k``: the same for 50,000, a separate file):

* ``load.validation_overhead_pct``: (strict read - lenient read) / lenient read, in percent, wall
  time (``..._overhead_cpu_pct``: the same on CPU time);
* ``load.validation_strict_read_s`` / ``load.validation_streaming_read_s``: the two read passes;
* ``load.validation_strict_peak_rss_mb`` / ``load.validation_streaming_peak_rss_mb``: peak RSS
  (``VmHWM``) of each child: the streaming memory bound holds when both stay far below the matrix
  size (``load.validation_matrix_mb``), as neither reads the matrix whole.

``KGTOOL_BENCH_VALIDATION_SIZES`` (comma list of ``50k``, ``200k``) picks the sizes (default both).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import common

logger = logging.getLogger(__name__)

SIZES = {"50k": 50_000, "200k": 200_000}
REPEATS = {"50k": 2, "200k": 1}  # runs per mode, alternating; the faster one counts
REPO = Path(__file__).resolve().parent.parent

_CHILD = """
import json, re, resource, sys, time
from pathlib import Path
from toolkit import plugins
from toolkit.graph.batches import LookupBatch, SourceReport
from toolkit.sources import LoadOptions

mode, paths = sys.argv[1], [Path(p) for p in sys.argv[2:]]
source = plugins.registry().get("sources", "signatures")
report = SourceReport("signatures")
rows = 0
tic = time.perf_counter()
for batch in source.read(paths, LoadOptions(lenient=(mode == "lenient")), report):
    if isinstance(batch, LookupBatch):
        batch.answer([])
    else:
        rows += len(batch.rows)
wall = time.perf_counter() - tic
usage = resource.getrusage(resource.RUSAGE_SELF)
with open("/proc/self/status") as status:
    hwm_kb = int(re.search(r"VmHWM:\\s+(\\d+) kB", status.read()).group(1))
print(json.dumps({"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_kb": hwm_kb,
                  "rows": rows, "rows_read": report.rows_read}))
"""


def _files(n: int):
    """The generated Level 5 files of ``n`` signatures (made once, under bench/tmp)."""
    from toolkit.demo import DemoFiles, DemoSpec, generate_demo

    spec = DemoSpec(seed=7)
    spec = replace(spec, extra_signatures=n - spec.n_treated_signatures)
    root = common.HOME.parent / ("gctx200k" if n == 200_000 else f"gctx{n // 1000}k")  # bench/load.py's 200k
    files = DemoFiles.under(root)
    if not files.ground_truth.exists():
        generate_demo(root, spec)
    return files


def _read_pass(mode: str, paths: list[Path]) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    out = subprocess.run([sys.executable, "-c", _CHILD, mode, *map(str, paths)], env=env, cwd=REPO,
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise common.BenchFailed(f"{mode} read pass failed: {out.stderr.strip().splitlines()[-1:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    logger.info("%s read pass: %s", mode, result)
    print(f"load_validation: {mode} read pass of {paths[0].parent.name}: {result}", file=sys.stderr)
    return result


def measure(n: int, suffix: str, repeats: int) -> list[tuple[str, float, str]]:
    files = _files(n)
    paths = [files.gctx, files.siginfo, files.geneinfo]
    runs: dict[str, list[dict]] = {"strict": [], "lenient": []}
    for _ in range(repeats):
        for mode in ("strict", "lenient"):
            runs[mode].append(_read_pass(mode, paths))
    strict = min(runs["strict"], key=lambda r: r["wall_s"])
    lenient = min(runs["lenient"], key=lambda r: r["wall_s"])
    if strict["rows_read"] != lenient["rows_read"] or strict["rows"] != lenient["rows"]:
        raise common.BenchFailed(f"the two modes read different batches: {strict} vs {lenient}")
    overhead = 100 * (strict["wall_s"] - lenient["wall_s"]) / lenient["wall_s"]
    m = f"load.validation{suffix}"
    cpu = 100 * (strict["cpu_s"] - lenient["cpu_s"]) / lenient["cpu_s"]
    return [(f"{m}_overhead_pct", round(overhead, 1), "percent"),
            (f"{m}_overhead_cpu_pct", round(cpu, 1), "percent"),
            (f"{m}_strict_read_cpu_s", round(strict["cpu_s"], 1), "s"),
            (f"{m}_streaming_read_cpu_s", round(lenient["cpu_s"], 1), "s"),
            (f"{m}_strict_read_s", round(strict["wall_s"], 1), "s"),
            (f"{m}_streaming_read_s", round(lenient["wall_s"], 1), "s"),
            (f"{m}_strict_peak_rss_mb", round(max(r["peak_rss_kb"] for r in runs["strict"]) / 1024), "MB"),
            (f"{m}_streaming_peak_rss_mb", round(max(r["peak_rss_kb"] for r in runs["lenient"]) / 1024), "MB"),
            (f"{m}_matrix_mb", round(files.gctx.stat().st_size / 2**20), "MB"),
            (f"{m}_signatures", n, "signatures")]


def run() -> list[tuple[str, float, str]]:
    results: list[tuple[str, float, str]] = []
    for size in common.wanted("KGTOOL_BENCH_VALIDATION_SIZES", list(SIZES)):
        try:
            results += measure(SIZES[size], "" if size == "200k" else f"_{size}", REPEATS[size])
        except common.BenchFailed as exc:
            raise common.BenchFailed(str(exc), results) from None
    return results
