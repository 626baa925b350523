"""The ``(:Run {kind: 'load'})`` node of a load: started with the host and pid of its process, and
runs a gone process left ``running`` marked ``interrupted``.

A ``running`` run is stale when it was started on this host by a process that no longer exists
(a killed ``kgtool load`` too), or by this process for a load no longer in progress (:data:`ACTIVE`);
runs started on other hosts are left alone.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from pathlib import Path
from typing import Any

from toolkit import cypher, runs
from toolkit.graph.db import Graph

logger = logging.getLogger(__name__)

INTERRUPTED = "interrupted"
HOST = socket.gethostname()
ACTIVE: set[str] = set()  # run ids of the loads in progress in this process
_MAX_RUNS_SCANNED = 1_000_000


def start_load_run(graph: Graph, run: runs.RunRecord) -> None:
    """Write the run's node, status ``running``, with this host and process id."""
    props = {**run.node_properties(), "host": HOST, "pid": os.getpid()}
    graph.write(cypher.load("write/start_run"), run_id=run.run_id, props=props)


def _process_gone(run: dict[str, Any]) -> bool:
    """Whether the process that started ``run`` (a Run node's properties) has ended."""
    pid = run.get("pid")
    if run.get("host") != HOST or not isinstance(pid, int):
        return False  # another machine (or an old run without host/pid): cannot tell
    if pid == os.getpid():
        return run.get("run_id") not in ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def mark_interrupted_loads(graph: Graph, runs_dir: Path) -> list[str]:
    """Mark load runs left ``running`` by a process that is gone as ``interrupted``; return their ids.

    The error and counts come from the run's manifest when this machine has it.
    """
    marked = []
    for row in graph.read(cypher.load("export/runs"), kind="load", limit=_MAX_RUNS_SCANNED):
        if row["status"] != "running":
            continue
        found = graph.read(cypher.load("export/run"), run_id=row["run_id"])
        if not found or not _process_gone(found[0]["run"]):
            continue
        try:
            manifest = runs.read_manifest(runs_dir, row["run_id"])
        except (OSError, ValueError):
            manifest = {}
        metrics = dict(manifest.get("metrics") or {})
        metrics.setdefault("error", "the load process ended before it finished (server or process lost)")
        status = manifest.get("status") if manifest.get("status") in ("failed", INTERRUPTED) else INTERRUPTED
        props = {"metrics": json.dumps(metrics, sort_keys=True, default=str), "error": str(metrics["error"])}
        graph.write(cypher.load("write/finish_run"), run_id=row["run_id"], status=status, props=props)
        logger.warning("load run %s was left running by a process that is gone; marked %s", row["run_id"], status)
        marked.append(row["run_id"])
    return marked
