"""A throwaway managed Neo4j for benchmarks: its own home (bench/tmp/home) and ports."""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Sequence

HOME = Path(__file__).resolve().parent / "tmp" / "home"
BOLT, HTTP = 27687, 27474


class BenchFailed(RuntimeError):
    """A benchmark some of whose runs failed; ``results`` holds the figures it did measure
    (``bench/run.py`` records them, then the failure)."""

    def __init__(self, message: str, results: Sequence[tuple[str, Any, str]] = ()) -> None:
        super().__init__(message)
        self.results = list(results)


def use_server_from_env() -> None:
    """Point this module at another managed server when ``KGTOOL_BENCH_HOME`` /
    ``KGTOOL_BENCH_BOLT_PORT`` / ``KGTOOL_BENCH_HTTP_PORT`` name one."""
    global HOME, BOLT, HTTP
    if os.environ.get("KGTOOL_BENCH_HOME"):
        HOME = Path(os.environ["KGTOOL_BENCH_HOME"])
    if os.environ.get("KGTOOL_BENCH_BOLT_PORT"):
        BOLT = int(os.environ["KGTOOL_BENCH_BOLT_PORT"])
    if os.environ.get("KGTOOL_BENCH_HTTP_PORT"):
        HTTP = int(os.environ["KGTOOL_BENCH_HTTP_PORT"])


def wanted(env: str, known: Sequence[str]) -> list[str]:
    """``known`` restricted to the comma list in environment variable ``env`` (all when unset)."""
    raw = os.environ.get(env)
    return [k for k in known if k in raw.split(",")] if raw else list(known)


def server(fresh: bool = False):
    """The benchmark server (``fresh``: stopped and its home deleted first)."""
    from toolkit.server import ManagedNeo4j, ServerConfig

    managed = ManagedNeo4j(ServerConfig(home=HOME, bolt_port=BOLT, http_port=HTTP))
    if fresh and HOME.exists():
        managed.stop()
        shutil.rmtree(HOME)
    return managed


def settings():
    from toolkit.settings import resolve

    return resolve(env={"KGTOOL_HOME": str(HOME), "KGTOOL_BOLT_PORT": str(BOLT), "KGTOOL_HTTP_PORT": str(HTTP)})


@contextmanager
def empty_graph() -> Iterator[object]:
    """Connect to the running benchmark server, empty the graph and apply the schema."""
    from toolkit.graph.db import connect
    from toolkit.graph.schema_init import apply_schema

    with connect(settings()) as graph:
        graph.delete_everything()
        apply_schema(graph)
        yield graph


def mean_and_sd(name: str, values: Sequence[float], unit: str) -> list[tuple[str, float, str]]:
    """The mean over seeds as metric ``name``, and for fractions measured on several seeds their
    standard deviation as ``<name>_sd``."""
    import numpy as np

    rows = [(name, round(float(np.mean(values)), 4), unit)]
    if len(values) > 1 and unit == "fraction":
        rows.append((f"{name}_sd", round(float(np.std(values)), 4), unit))
    return rows


# Peak RSS from /proc/self/status VmHWM (of this program's memory map only). Not ru_maxrss: it
# survives exec, so it reported the benchmark parent's size at fork (4.6 GB with the 5.5 M bulk
# records in memory, against 498 MB for the load itself measured in a fresh process).
_CHILD = """
import re, sys, time
from toolkit.cli import cli
tic = time.perf_counter()
try:
    cli.main(sys.argv[1:], standalone_mode=False)
finally:
    with open("/proc/self/status") as status:
        hwm = re.search(r"VmHWM:\\s+(\\d+) kB", status.read()).group(1)
    print("WALL", time.perf_counter() - tic, "MAXRSS_KB", hwm)
"""


def run_kgtool(*argv: str) -> tuple[float, float, str]:
    """Run ``kgtool ARGV`` in a fresh child process against the benchmark server: (wall s, peak
    RSS MB of the child, its output)."""
    import subprocess
    import sys

    env = {**os.environ, "KGTOOL_HOME": str(HOME), "KGTOOL_BOLT_PORT": str(BOLT), "KGTOOL_HTTP_PORT": str(HTTP)}
    env.pop("NEO4J_URI", None)
    out = subprocess.run([sys.executable, "-c", _CHILD, *argv], env=env, capture_output=True, text=True, check=True)
    last = out.stdout.strip().splitlines()[-1].split()
    return float(last[1]), int(last[3]) / 1024, out.stdout
