"""Run benchmarks: ``python bench/run.py [NAME…]``.

Each ``bench/<NAME>.py`` has ``run() -> list[tuple[metric, value, unit]]``. Results are printed
and appended as JSON lines to ``bench/results/<NAME>.jsonl`` with the machine, commit, whether the
working tree had uncommitted changes (``dirty``; ``bench/results`` and ``bench/tmp`` do not count)
and time. A benchmark that raises is recorded as metric ``<NAME>.failed`` (value 1, the error in
``error``, the traceback on stderr), after the figures it did measure when it raised
``common.BenchFailed``; the others still run and the exit status is then 1.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import subprocess
import sys
import traceback
from datetime import datetime, timezone
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
AVAILABLE = sorted(p.stem for p in BENCH.glob("*.py") if p.stem not in {"run", "__init__", "common"})
NOT_DIRTY = ("bench/results/", "bench/tmp/")  # what benchmarks write themselves


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{platform.node()} {os.cpu_count()} cores {cpu} {mem_gb:.0f} GiB {platform.system()}"


def commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def dirty() -> bool | None:
    """Whether the working tree has changes outside :data:`NOT_DIRTY` (None: git cannot tell)."""
    try:
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=REPO,
                                capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    paths = [line[3:].split(" -> ")[-1].strip('"') for line in status.splitlines() if line.strip()]
    return any(not path.startswith(NOT_DIRTY) for path in paths)


def _write(name: str, rows: list[dict[str, object]]) -> None:
    with open(BENCH / "results" / f"{name}.jsonl", "a") as out:
        for row in rows:
            line = json.dumps(row)
            out.write(line + "\n")
            print(line, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default all): {', '.join(AVAILABLE)}")
    args = parser.parse_args(argv)
    names = args.names or AVAILABLE
    unknown = set(names) - set(AVAILABLE)
    if unknown:
        parser.error(f"unknown benchmarks {sorted(unknown)}; available: {AVAILABLE}")
    sys.path.insert(0, str(REPO))
    sys.path.insert(0, str(BENCH))
    (BENCH / "results").mkdir(exist_ok=True)
    stamp = {"machine": machine(), "commit": commit(), "dirty": dirty()}
    failed = []
    for name in names:
        try:
            results = importlib.import_module(name).run()
        except Exception as exc:  # noqa: BLE001 - reported as a result line, the run exits non-zero
            traceback.print_exc()
            at = datetime.now(timezone.utc).isoformat(timespec="seconds")
            partial = [{"metric": metric, "value": value, "unit": unit, **stamp, "at": at}
                       for metric, value, unit in getattr(exc, "results", [])]  # common.BenchFailed
            _write(name, [*partial, {"metric": f"{name}.failed", "value": 1, "unit": "count", **stamp, "at": at,
                                     "error": f"{type(exc).__name__}: {exc}"}])
            failed.append(name)
            continue
        at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        _write(name, [{"metric": metric, "value": value, "unit": unit, **stamp, "at": at}
                      for metric, value, unit in results])
    if failed:
        print(f"failed benchmarks: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
