"""Run provenance: every load/train/explain run is a ``(:Run)`` node and a manifest file."""

from __future__ import annotations

import json
import logging
import platform
import secrets
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Mapping

from toolkit import __version__, cypher
from toolkit.graph.db import Graph

logger = logging.getLogger(__name__)

_PACKAGES = ("neo4j", "torch", "torch-geometric", "captum", "rdkit", "numpy", "pandas", "cmapPy", "pluggy")


def versions() -> dict[str, str]:
    """Versions of kgtool, Python and the libraries that shape a result."""
    out = {"kgtool": __version__, "python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return out


def new_run_id(kind: str) -> str:
    """Sortable by time: ``train-20261125T083000Z-1a2b3c``."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    return f"{kind}-{stamp}-{secrets.token_hex(3)}"


@dataclass(frozen=True)
class RunRecord:
    """What a run was asked to do, on which data, with which code, and what came out."""

    run_id: str
    kind: str  # load | train | explain
    plugin: str
    config: Mapping[str, Any]
    seed: int | None = None
    data_hash: str | None = None
    parent_run: str | None = None
    versions: Mapping[str, str] = field(default_factory=versions)
    created_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat())
    status: str = "running"
    metrics: Mapping[str, Any] = field(default_factory=dict)

    def with_result(self, status: str, metrics: Mapping[str, Any]) -> "RunRecord":
        return replace(self, status=status, metrics=dict(metrics))

    def node_properties(self) -> dict[str, Any]:
        """Neo4j stores no maps: config/metrics/versions go as JSON text; numeric metrics also flat."""
        props: dict[str, Any] = {
            "kind": self.kind, "plugin": self.plugin, "config": json.dumps(self.config, sort_keys=True),
            "versions": json.dumps(self.versions, sort_keys=True), "created_at": self.created_at,
            "metrics": json.dumps(self.metrics, sort_keys=True, default=str),
            "kgtool_version": self.versions.get("kgtool", __version__),
        }
        for key, value in (("seed", self.seed), ("data_hash", self.data_hash), ("parent_run", self.parent_run)):
            if value is not None:
                props[key] = value
        for key, value in self.metrics.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                props[f"metric_{key}"] = float(value)
        return props


def manifest_path(runs_dir: Path, run_id: str) -> Path:
    return runs_dir / run_id / "manifest.json"


def write_manifest(runs_dir: Path, run: RunRecord) -> Path:
    path = manifest_path(runs_dir, run.run_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(run), indent=2, sort_keys=True, default=str))
    return path


def read_manifest(runs_dir: Path, run_id: str) -> dict[str, Any]:
    return json.loads(manifest_path(runs_dir, run_id).read_text())


def add_to_manifest(runs_dir: Path, run_id: str, extra: Mapping[str, Any]) -> None:
    """Add what stays off the Run node (per-class tables, per-fold metrics, curves) to its manifest."""
    path = manifest_path(runs_dir, run_id)
    manifest = json.loads(path.read_text())
    manifest.update(extra)
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True, default=str))


def start(graph: Graph, run: RunRecord) -> None:
    graph.write(cypher.load("write/start_run"), run_id=run.run_id, props=run.node_properties())


def finish(graph: Graph, run: RunRecord) -> None:
    props = run.node_properties()
    graph.write(cypher.load("write/finish_run"), run_id=run.run_id, status=run.status, props=props)


def execute(graph: Graph, runs_dir: Path, run: RunRecord, work: Callable[[], Mapping[str, Any]]) -> RunRecord:
    """Record ``run`` as running, call ``work`` (returns metrics), then mark it completed or failed.

    The run node and the manifest always end in a final state; the exception is re-raised.
    """
    start(graph, run)
    try:
        metrics = work()
    except BaseException as exc:
        failed = run.with_result("failed", {"error": f"{type(exc).__name__}: {exc}"})
        finish(graph, failed)
        write_manifest(runs_dir, failed)
        raise
    done = run.with_result("completed", metrics)
    finish(graph, done)
    write_manifest(runs_dir, done)
    return done
