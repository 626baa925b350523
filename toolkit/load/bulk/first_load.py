"""``kgtool load SOURCE FILE… --bulk``: a FIRST load through ``neo4j-admin database import full``
(:mod:`toolkit.load.bulk.importer`) instead of the transactional writer: for big sources (a Level 5 GCTX,
the full STRING network) into an empty database.

* The managed server only: it is stopped for the import and started again, in any case.
* The database must be empty; ``force`` replaces whatever it holds (the import replaces the whole
  database). A failed import leaves the database as it was.
* The graph is the one :func:`toolkit.load.load` gives on an empty database: a contested property
  (:data:`toolkit.load.rules.PRECEDENCE`) records the source that set it in ``<property>_source``, so
  later loads through the writer rank against it; MoA names are normalised over the whole load
  (:mod:`toolkit.names`), so the MoA batches are held back and imported last with the preferred
  spelling of each name.
* The run is recorded like any load (``(:Run {kind: 'load'})`` and a manifest, ``config.bulk =
  true``) in the imported database, or in the old one when the import failed.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from pathlib import Path
from typing import Iterable, Iterator, Optional, Sequence

from toolkit import plugins, runs
from toolkit import progress as progress_bars
from toolkit.errors import InputDataError
from toolkit.graph.batches import Batch, LookupBatch, NodeBatch, SourceReport
from toolkit.graph.db import connect
from toolkit.graph.writer import source_property
from toolkit.load.bulk.importer import bulk_import
from toolkit.load.report import LoadReport
from toolkit.load.rules import PRECEDENCE, LoadMoaNames
from toolkit.load.run_status import start_load_run
from toolkit.schema import NodeLabel
from toolkit.server import managed_server
from toolkit.settings import Settings
from toolkit.sources import LoadOptions

logger = logging.getLogger(__name__)

BULK_DIR_NAME = "bulk-import"  # the CSV files and the import report, under the kgtool home


def _moa_spellings(batch: Batch) -> list[str]:
    if isinstance(batch, NodeBatch):
        return [row["name"] for row in batch.rows] if batch.label is NodeLabel.MOA else []
    return [row["end"] for row in batch.rows] if batch.end is NodeLabel.MOA else []


def _with_source(batch: Batch, source: str) -> Batch:
    """Node rows of a contested property with ``<property>_source``, as the ranked writer sets it."""
    if not isinstance(batch, NodeBatch):
        return batch
    contested = [prop for (label, prop) in PRECEDENCE if label is batch.label]
    if not contested:
        return batch
    rows = tuple({**row, **{source_property(p): source for p in contested if row.get(p) is not None}}
                 for row in batch.rows)
    return NodeBatch(batch.label, rows)


def first_load_batches(batches: Iterable[Batch], source: str) -> Iterator[Batch]:
    """``batches`` as :func:`toolkit.load.load` would write them into an empty database."""
    return first_load_of((source, batch) for batch in batches)


def first_load_of(tagged: Iterable[tuple[str, Batch]]) -> Iterator[Batch]:
    """``(source, batch)`` pairs of one or several sources as loading them one by one into an empty
    database would write them: lookups find nothing, contested properties carry their source, and
    MoA batches are held back to the end, named with the preferred spelling of all the sources."""
    held: list[tuple[str, Batch]] = []
    for source, batch in tagged:
        if isinstance(batch, LookupBatch):  # the database is empty or replaced: nothing to find
            batch.answer([])
            continue
        if _moa_spellings(batch):
            held.append((source, batch))
        else:
            yield _with_source(batch, source)
    names = LoadMoaNames(s for _, batch in held for s in _moa_spellings(batch))
    for source, batch in held:
        yield _with_source(names.apply(batch), source)


def bulk_load(settings: Settings, source_name: str, paths: Sequence[Path], options: Optional[LoadOptions] = None,
              *, force: bool = False, progress: bool = False) -> LoadReport:
    """Import ``paths`` read by the named source into the managed server's (empty) database."""
    options = options or LoadOptions()
    server = managed_server(settings, "--bulk imports with neo4j-admin into the managed server's files; "
                                      "load without --bulk")
    source = plugins.registry().get("sources", source_name)
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        raise InputDataError(missing[0], "-", "file not found", "check the path")
    run = runs.RunRecord(run_id=runs.new_run_id("load"), kind="load", plugin=source_name,
                         config={"paths": [str(p) for p in paths], "options": asdict(options), "bulk": True})
    report = LoadReport(run_id=run.run_id, source=source_name, paths=[str(p) for p in paths], bulk=True)
    source_report = SourceReport(source=source_name)
    batches: Iterable[Batch] = source.read([Path(p) for p in paths], options, source_report)
    bar = progress_bars.for_load([Path(p) for p in paths], f"read {source_name}") if progress else None
    try:
        with progress_bars.tracking(bar):
            imported = bulk_import(server, first_load_batches(_counted(batches, source_report), source_name),
                                   settings.home / BULK_DIR_NAME, settings.database, force=force,
                                   precedence=PRECEDENCE)
    except BaseException as exc:
        report.status = "failed"
        report.take(source_report)
        try:
            record_run(settings, run.with_result("failed", {**report.metrics(), "error": f"{type(exc).__name__}: {exc}"}))
        except Exception as record_exc:  # noqa: BLE001 - the import's error is the one to report
            logger.warning("could not record the failed bulk load run %s: %s", run.run_id, record_exc)
        raise
    report.status = "completed"
    report.take(source_report)
    report.counts.nodes_created, report.counts.relationships_created = imported.nodes, imported.relationships
    record_run(settings, run.with_result("completed", {
        **report.metrics(), "seconds": round(imported.seconds_total, 2),
        "seconds_neo4j_admin": round(imported.seconds_import, 2)}))
    plugins.plugin_manager().hook.kgtool_after_load(report=report)
    logger.info(report.summary())
    return report


def _counted(batches: Iterable[Batch], source_report: SourceReport) -> Iterator[Batch]:
    """``batches``, telling the progress bar (if it counts records) how many rows were read."""
    for batch in batches:
        yield batch
        progress_bars.records_done(source_report.rows_read)


def record_run(settings: Settings, run: runs.RunRecord) -> None:
    """The run node (in the database as it now is) and the manifest."""
    runs.write_manifest(settings.runs_dir, run)
    with connect(settings) as graph:
        start_load_run(graph, run)
        runs.finish(graph, run)
