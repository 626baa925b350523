"""``kgtool load``: run a source plugin over files and write its batches, recorded as a load run.

What a load guarantees:

* **One transaction a batch.** The writer sends each batch (at most ``chunk_size`` rows) in one
  transaction, so a failure never leaves a half-written batch: the batch in flight is rolled back,
  the batches before it stay. Writes are MERGEs on keys, so a re-run of the same load writes only
  what is missing and completes it; nothing already in the graph is removed.
* **A failed load is marked.** The run is a ``(:Run {kind: 'load'})`` node (status ``running``,
  then ``completed`` or ``failed``, with ``host`` and ``pid``) and a manifest in ``runs_dir``. When
  the connection to Neo4j is lost mid-way (server killed, network gone; the driver first retries
  the batch for up to 30 s) the run cannot be marked in the graph: the load raises a one-line
  :class:`GraphConnectionError` that says what to do (restart the server, re-run the same
  command) and writes the manifest as ``interrupted``; the next load marks the run
  ``interrupted`` in the graph (:func:`toolkit.load.run_status.mark_interrupted_loads`), with the
  error from the manifest.
* **Any load order gives the same graph**, and **one MoA node per mechanism, however it is
  spelled**: contested properties rank their sources and cross-references wait until they resolve
  (:mod:`toolkit.load.rules`).
"""

from __future__ import annotations

import logging
import signal
import threading
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any, Iterator, Optional, Sequence

from toolkit import plugins, runs
from toolkit import progress as progress_bars
from toolkit.errors import ConfigError, GraphConnectionError, InputDataError
from toolkit.graph.batches import SourceReport
from toolkit.graph.db import Graph
from toolkit.graph.writer import GraphWriter, WriteCounts
from toolkit.load.report import LoadReport
from toolkit.load.rules import LINKS_AFTER, PRECEDENCE, MoaNames, link_unresolved_targets
from toolkit.load.run_status import ACTIVE, INTERRUPTED, mark_interrupted_loads, start_load_run
from toolkit.settings import Settings
from toolkit.sources import LoadOptions

logger = logging.getLogger(__name__)


def _connection_errors() -> tuple[type[BaseException], ...]:
    from neo4j.exceptions import ServiceUnavailable, SessionExpired

    return ServiceUnavailable, SessionExpired


def _lost(graph: Graph, source: str, run_id: str, counts: WriteCounts, batches: int, exc: BaseException) -> str:
    uri = graph.settings.bolt_uri
    fix = ("restart the managed server (`kgtool db start`)" if graph.settings.managed
           else f"check that the server at {uri} runs")
    rows = sum(counts.rows.values())
    return (f"lost the connection to Neo4j at {uri} while loading {source} (run {run_id}; "
            f"{type(exc).__name__}): {batches} batches ({rows} rows) were committed, each batch whole or not "
            f"at all, and nothing else changed; {fix}, then re-run the same `kgtool load` command to complete "
            f"the load (the run is marked {INTERRUPTED})")


def _committed(batches: int, writer: GraphWriter) -> str:
    return (f"{batches} batches ({sum(writer.counts.rows.values())} rows) written before the error stay in the "
            "graph; re-running the load with the file fixed completes it")


class LoadTerminated(BaseException):
    """The load process was asked to stop (SIGTERM / SIGHUP): the run is marked before it exits."""


class _Termination:
    """SIGTERM / SIGHUP during a load (main thread only) become :class:`LoadTerminated`, so a killed
    load marks its run ``interrupted`` at once instead of leaving it ``running``. A signal that
    arrives while a batch is being written is held until the write returns: raised inside the
    driver's I/O it would leave the Bolt connection half-read and the rollback would fail."""

    def __init__(self) -> None:
        self.pending: Optional[str] = None
        self.writing = False

    def _handler(self, signum: int, _frame: object) -> None:
        self.pending = f"terminated by signal {signal.Signals(signum).name}"
        if not self.writing:
            self.check()

    def check(self) -> None:
        """Raise :class:`LoadTerminated` when a signal came in."""
        if self.pending is not None:
            raise LoadTerminated(self.pending)

    @contextmanager
    def write(self) -> Iterator[None]:
        """Hold signals while the block runs; raise a held one after it."""
        self.writing = True
        try:
            yield
        finally:
            self.writing = False
        self.check()

    @contextmanager
    def installed(self) -> Iterator["_Termination"]:
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        old = {sig: signal.signal(sig, self._handler) for sig in (signal.SIGTERM, signal.SIGHUP)}
        try:
            yield self
        finally:
            for sig, previous in old.items():
                signal.signal(sig, previous)


def check_option_names(options: LoadOptions) -> None:
    """Raise ConfigError for a source option no registered source declares (a misspelt name would
    otherwise be ignored and the load run with the default)."""
    declared = {o.name for source in plugins.registry().items["sources"].values() for o in source.options}
    unknown = sorted(set(options.source_options) - declared)
    if unknown:
        raise ConfigError(f"unknown source option {unknown[0]!r}: no registered source declares it (declared: "
                          f"{', '.join(sorted(declared))}); check the spelling")


def load(graph: Graph, settings: Settings, source_name: str, paths: Sequence[Path],
         options: Optional[LoadOptions] = None, progress: bool = False) -> LoadReport:
    """Load ``paths`` with the named source (see the module doc for what is guaranteed).

    A failure marks the run failed and re-raises; a lost connection raises
    :class:`GraphConnectionError` (the run is marked interrupted by the next load); a SIGTERM or
    SIGHUP marks it interrupted and raises :class:`LoadTerminated`. ``progress``: a bar (records
    or bytes of total, rate, ETA) on a terminal (:mod:`toolkit.progress`).
    """
    options = options or LoadOptions()
    source = plugins.registry().get("sources", source_name)
    check_option_names(options)
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        raise InputDataError(missing[0], "-", "file not found", "check the path")
    run = runs.RunRecord(run_id=runs.new_run_id("load"), kind="load", plugin=source_name,
                         config={"paths": [str(p) for p in paths], "options": asdict(options)})
    report = LoadReport(run_id=run.run_id, source=source_name, paths=[str(p) for p in paths])
    source_report = SourceReport(source=source_name)
    writer = GraphWriter(graph, source=source_name, precedence=PRECEDENCE)
    moa_names = MoaNames(graph)
    lost = _connection_errors()
    written = 0  # batches committed

    def metrics() -> dict[str, Any]:
        report.take(source_report)
        report.counts = writer.counts
        return {**report.metrics(), "batches_written": written}

    try:
        mark_interrupted_loads(graph, settings.runs_dir)
        start_load_run(graph, run)
    except lost as exc:
        raise GraphConnectionError(_lost(graph, source_name, run.run_id, writer.counts, 0, exc)) from None
    ACTIVE.add(run.run_id)
    bar = progress_bars.for_load([Path(p) for p in paths], f"load {source_name}") if progress else None
    try:
        with _Termination().installed() as termination, progress_bars.tracking(bar):
            for batch in source.read([Path(p) for p in paths], options, source_report):
                with termination.write():
                    writer.write(moa_names.apply(batch))
                    written += 1
                progress_bars.records_done(source_report.rows_read)
            if LINKS_AFTER & {name for name, n in writer.counts.rows.items() if n}:
                with termination.write():
                    report.targets_linked = link_unresolved_targets(graph)
        done = run.with_result("completed", metrics())
        runs.finish(graph, done)
        runs.write_manifest(settings.runs_dir, done)
        report.status = done.status
    except lost as exc:
        # the server is gone: the run stays 'running' in the graph until the next load marks it
        message = _lost(graph, source_name, run.run_id, writer.counts, written, exc)
        report.status = INTERRUPTED
        runs.write_manifest(settings.runs_dir, run.with_result(INTERRUPTED, {**metrics(), "error": message}))
        raise GraphConnectionError(message) from None
    except BaseException as exc:
        report.status = INTERRUPTED if isinstance(exc, (LoadTerminated, KeyboardInterrupt)) else "failed"
        error = f"{type(exc).__name__}: {exc}" + (f" ({_committed(written, writer)})" if written else "")
        failed = run.with_result(report.status, {**metrics(), "error": error})
        try:
            runs.finish(graph, failed)
        except lost:
            logger.warning("could not mark load run %s failed: the connection to Neo4j is lost", run.run_id)
        runs.write_manifest(settings.runs_dir, failed)
        if written and isinstance(exc, InputDataError):
            raise InputDataError(exc.path, exc.record, exc.problem, f"{exc.fix} ({_committed(written, writer)})") \
                from None
        raise
    finally:
        ACTIVE.discard(run.run_id)
        report.take(source_report)
        report.counts = writer.counts
        plugins.plugin_manager().hook.kgtool_after_load(report=report)
    logger.info(report.summary())
    return report
