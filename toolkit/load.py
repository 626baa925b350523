"""``kgtool load``: run a source plugin over files and write its batches, recorded as a load run."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence

from toolkit import plugins, runs
from toolkit.errors import InputDataError
from toolkit.graph.batches import SourceReport
from toolkit.graph.db import Graph
from toolkit.graph.writer import GraphWriter, WriteCounts
from toolkit.settings import Settings
from toolkit.sources import LoadOptions

logger = logging.getLogger(__name__)

MAX_REPORTED = 50  # dropped/repaired lines kept on the run node; all go to the manifest


@dataclass
class LoadReport:
    run_id: str
    source: str
    paths: list[str]
    status: str = "running"
    rows_read: int = 0
    counts: WriteCounts = field(default_factory=WriteCounts)
    dropped: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)

    def summary(self) -> str:
        rels = sum(v for k, v in self.counts.rows.items() if k.isupper())
        nodes = sum(v for k, v in self.counts.rows.items() if not k.isupper())
        return (f"{self.source}: {self.status}; {self.rows_read} rows read, {nodes} node rows and {rels} "
                f"relationship rows written ({self.counts.nodes_created} nodes and "
                f"{self.counts.relationships_created} relationships new); {len(self.dropped)} dropped, "
                f"{len(self.repaired)} repaired")


def load(graph: Graph, settings: Settings, source_name: str, paths: Sequence[Path],
         options: Optional[LoadOptions] = None, progress: bool = False) -> LoadReport:
    """Load ``paths`` with the named source. A failure marks the run failed and re-raises."""
    options = options or LoadOptions()
    source = plugins.registry().get("sources", source_name)
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        raise InputDataError(missing[0], "-", "file not found", "check the path")
    run = runs.RunRecord(run_id=runs.new_run_id("load"), kind="load", plugin=source_name,
                         config={"paths": [str(p) for p in paths], "options": asdict(options)})
    report = LoadReport(run_id=run.run_id, source=source_name, paths=[str(p) for p in paths])
    source_report = SourceReport(source=source_name)
    writer = GraphWriter(graph)

    def work() -> dict[str, Any]:
        batches = source.read([Path(p) for p in paths], options, source_report)
        if progress:
            from tqdm import tqdm

            batches = tqdm(batches, desc=f"load {source_name}", unit="batch", leave=False)
        for batch in batches:
            writer.write(batch)
        report.rows_read = source_report.rows_read
        return {"rows_read": source_report.rows_read, "rows_written": dict(writer.counts.rows),
                "nodes_created": writer.counts.nodes_created,
                "relationships_created": writer.counts.relationships_created,
                "dropped": len(source_report.dropped), "repaired": len(source_report.repaired),
                "dropped_lines": source_report.dropped[:MAX_REPORTED],
                "repaired_lines": source_report.repaired[:MAX_REPORTED]}

    try:
        done = runs.execute(graph, settings.runs_dir, run, work)
        report.status = done.status
    except BaseException:
        report.status = "failed"
        raise
    finally:
        report.counts = writer.counts
        report.dropped, report.repaired = source_report.dropped, source_report.repaired
        plugins.plugin_manager().hook.kgtool_after_load(report=report)
    logger.info(report.summary())
    return report
