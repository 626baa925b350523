"""Run benchmarks: ``python bench/run.py [NAME…]``.

Each ``bench/<NAME>.py`` has ``run() -> list[tuple[metric, value, unit]]``. Results are printed
and appended as JSON lines to ``bench/results/<NAME>.jsonl`` with the machine, commit and time.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
AVAILABLE = sorted(p.stem for p in BENCH.glob("*.py") if p.stem not in {"run", "__init__", "common"})


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
    stamp = {"machine": machine(), "commit": commit()}
    for name in names:
        results = importlib.import_module(name).run()
        at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        with open(BENCH / "results" / f"{name}.jsonl", "a") as out:
            for metric, value, unit in results:
                line = json.dumps({"metric": metric, "value": value, "unit": unit, **stamp, "at": at})
                out.write(line + "\n")
                print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
