"""Train-at-scale benchmark: ``kgtool train`` end to end (graph export -> samples -> fit) on
generated Level 5 signatures, and the peak memory of every built-in model on the realistic preset.

Scale (``train.<size>.*``): the generated signatures of ``bench/export.py`` (the same files, its
:func:`export.ensure_loaded`: loaded with ``--top-k`` :data:`export.TOP_K` unless the graph
already holds them). Each measurement is ONE child process running the ``kgtool`` command line
(``kgtool train mlp --device cpu --epochs EPOCHS``, the other options at their defaults: QC
filter, per-cell centering, one MODZ consensus per compound and cell line) on an emptied snapshot
cache, so it exports from the graph, writes the cached ``x.npy`` and trains; its wall time and
peak RSS (``ru_maxrss`` of that child, from ``os.wait4``) are reported:

* ``mapped``: the cached matrix read back memory-mapped (the default above 256 MB; forced here at
  every size), so preparation, splits and the training loop read it in chunks and mini-batches;
* ``in_memory``: the baseline in the same run: the cached matrix loaded whole
  (``toolkit.train.cache.MEMMAP_MIN_BYTES`` raised), every preparation step copying it.

Both must write the same metrics (test compound macro-F1 and the rest), else the benchmark fails.
``--aggregate none`` (every signature a sample: the loop reads its mini-batches from the map) is
measured too, as ``train.<size>.aggregate_none.*``.

Metrics: ``train.<size>.wall_s``, ``train.<size>.peak_rss_mb`` (mapped) and
``train.<size>.in_memory.wall_s`` / ``.peak_rss_mb``, the same under ``aggregate_none``, and
``train.<model>.realistic.peak_rss_mb`` / ``.wall_s`` per built-in model (``kgtool train MODEL
--device cpu`` with every default, on the realistic preset loaded as ``bench/train.py`` loads it).

Environment: ``KGTOOL_BENCH_TRAIN_SCALE_SIZES`` (comma list of ``200k``, ``50k``, ``20k``; default
``200k``), ``KGTOOL_BENCH_TRAIN_SCALE_EPOCHS`` (default 10), ``KGTOOL_BENCH_TRAIN_SCALE_MODELS``
(the realistic models, default every built-in one; ``none`` skips the preset), and the server
variables of ``common.use_server_from_env``.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import common
import export as export_bench

logger = logging.getLogger("bench.train_scale")

REPO = Path(__file__).resolve().parent.parent
SIZES = {"20k": 20_000, "50k": 50_000, "200k": 200_000}  # ascending: each load replaces the last
EPOCHS = int(os.environ.get("KGTOOL_BENCH_TRAIN_SCALE_EPOCHS", "10"))
PRESET = "realistic"
MODES = {"mapped": 0, "in_memory": 2**62}  # MEMMAP_MIN_BYTES of the child
TIMING = ("train_s", "epoch_s", "snapshot_s", "snapshot_cache_hit")

_CHILD = r"""
import atexit, resource, sys
import toolkit.train.cache as cache
from toolkit.cli import main

peak_file = sys.argv[2]
atexit.register(lambda: open(peak_file, "w").write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)))
cache.MEMMAP_MIN_BYTES = int(sys.argv[1])
sys.argv = ["kgtool", *sys.argv[3:]]
main()
"""


def _kgtool(args: list[str], memmap_min_bytes: int = MODES["mapped"]) -> dict[str, Any]:
    """Run ``kgtool ARGS`` in a child process; its wall time, peak RSS (its own ``ru_maxrss``,
    written at exit) and stdout."""
    import tempfile

    env = {**os.environ, "KGTOOL_HOME": str(common.HOME), "KGTOOL_BOLT_PORT": str(common.BOLT),
           "KGTOOL_HTTP_PORT": str(common.HTTP),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    with tempfile.TemporaryDirectory() as tmp:
        peak = Path(tmp) / "maxrss_kb"
        tic = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", _CHILD, str(memmap_min_bytes), str(peak), *args], env=env,
                             cwd=REPO, capture_output=True, text=True)
        wall = time.perf_counter() - tic
        if out.returncode != 0 or not peak.exists():
            tail = (out.stderr.strip().splitlines() or ["(no output)"])[-1]
            raise common.BenchFailed(f"kgtool {' '.join(args)} failed ({out.returncode}): {tail}")
        return {"wall_s": wall, "peak_rss_mb": int(peak.read_text()) / 1024, "stdout": out.stdout}


def _metrics(run_id: str) -> dict[str, Any]:
    """The Run's metrics without its timings (from its manifest)."""
    from toolkit.runs import manifest_path

    path = manifest_path(common.settings().runs_dir, run_id)
    metrics = json.loads(path.read_text()).get("metrics", {})
    return {k: v for k, v in metrics.items() if k not in TIMING}


def _run_id(stdout: str) -> str:
    for line in stdout.splitlines():
        if line.startswith("run: "):
            return line.split()[1]
    raise common.BenchFailed(f"no run id in the output of kgtool train: {stdout[-300:]!r}")


def _train(size: str, aggregate: str, mode: str) -> dict[str, Any]:
    from toolkit.train.cache import clear

    clear(common.settings().cache_dir)  # export from the graph every time
    args = ["train", "mlp", "--device", "cpu", "--epochs", str(EPOCHS), "--aggregate", aggregate]
    out = _kgtool(args, MODES[mode])
    out["metrics"] = _metrics(_run_id(out["stdout"]))
    logger.info("%s %s %s: %.1f s, peak RSS %.0f MB", size, aggregate, mode, out["wall_s"], out["peak_rss_mb"])
    return out


def scale(size: str) -> list[tuple[str, float, str]]:
    n = SIZES[size]
    results: list[tuple[str, float, str]] = []
    loaded = export_bench.ensure_loaded(n)
    if loaded is not None:
        results.append((f"train.{size}.load_s", round(loaded, 1), "s"))
    for aggregate, prefix in (("compound_cell", f"train.{size}"), ("none", f"train.{size}.aggregate_none")):
        runs = {}
        for mode in ("mapped", "in_memory"):
            runs[mode] = out = _train(size, aggregate, mode)
            key = prefix if mode == "mapped" else f"{prefix}.{mode}"
            results += [(f"{key}.wall_s", round(out["wall_s"], 1), "s"),
                        (f"{key}.peak_rss_mb", round(out["peak_rss_mb"]), "MB")]
        if runs["mapped"]["metrics"] != runs["in_memory"]["metrics"]:
            raise common.BenchFailed(f"{prefix}: the memory-mapped and in-memory runs differ: "
                                     f"{runs['mapped']['metrics']} vs {runs['in_memory']['metrics']}", results)
        results.append((f"{prefix}.same_as_in_memory", 1, "bool"))
    return results


def builtin_models() -> list[str]:
    """The models of the built-in plugins (``kgtool_plugins``), not third parties'."""
    from toolkit import plugins

    models = plugins.registry().items["models"]
    return sorted(name for name, cls in models.items() if cls.__module__.startswith("kgtool_plugins."))


def realistic(models: list[str]) -> list[tuple[str, float, str]]:
    import train as train_bench

    results: list[tuple[str, float, str]] = []
    with common.empty_graph() as graph:
        results.append((f"train.{PRESET}.load_s", round(train_bench.load_preset(graph, common.settings(), PRESET), 1),
                        "s"))
    for model in models:
        out = _kgtool(["train", model, "--device", "cpu"])
        logger.info("%s on %s: %.1f s, peak RSS %.0f MB", model, PRESET, out["wall_s"], out["peak_rss_mb"])
        results += [(f"train.{model}.{PRESET}.peak_rss_mb", round(out["peak_rss_mb"]), "MB"),
                    (f"train.{model}.{PRESET}.wall_s", round(out["wall_s"], 1), "s")]
    return results


def run() -> list[tuple[str, float, str]]:
    common.use_server_from_env()
    logging.basicConfig(level=logging.INFO)
    raw_sizes = os.environ.get("KGTOOL_BENCH_TRAIN_SCALE_SIZES")
    sizes = common.wanted("KGTOOL_BENCH_TRAIN_SCALE_SIZES", list(SIZES)) if raw_sizes else ["200k"]
    raw = os.environ.get("KGTOOL_BENCH_TRAIN_SCALE_MODELS")
    common.server().start(timeout=240)
    results: list[tuple[str, float, str]] = []
    try:
        for size in sizes:
            results += scale(size)
        models = builtin_models() if raw is None else [m for m in raw.split(",") if m and m != "none"]
        if models:
            results += realistic(models)
    except common.BenchFailed as exc:
        raise common.BenchFailed(str(exc), [*results, *exc.results]) from exc
    except Exception as exc:  # noqa: BLE001 - keep what was measured
        raise common.BenchFailed(f"{type(exc).__name__}: {exc}", results) from exc
    return results
