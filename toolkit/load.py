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
  ``interrupted`` in the graph (:func:`mark_interrupted_loads`), with the error from the manifest.
  A ``running`` run is stale when it was started on this host by a process that no longer exists
  (a killed ``kgtool load`` too), or by this process for a load no longer in progress; runs
  started on other hosts are left alone.
* **Any load order gives the same graph.** Nodes several sources write are MERGEd by key, and
  the properties two sources may disagree on follow one rule, independent of order:

  - a source never erases a value: sources drop missing values (``None``/NaN) from their rows;
  - a property several sources give is *contested* (:data:`PRECEDENCE`): the better-ranked source
    wins, whichever is loaded first; a worse-ranked source only fills it where it is missing; the
    same source overwrites it (a re-load with a corrected file updates it); a source not listed
    ranks below the listed ones, and of two unlisted sources the larger name wins. The winner is recorded
    in ``<property>_source`` (e.g. ``Gene.symbol_source = 'string'``). ``Gene.symbol``: STRING and
    GO carry NCBI Gene's symbols (the authority for the Entrez ids we key on), the L1000 tables
    CMap's frozen 2015-2017 symbols (``PAPD7``, ``HIST2H2BE``), so string > go > signatures >
    compounds. ``Compound.name``: the curated compound tables (compounds) over the names in
    signature metadata (signatures);
  - other properties have one source (structures: compounds; ``is_landmark``, z-vectors:
    signatures; ``string_id``: string; GO terms: go).
  - cross-references a load cannot resolve yet wait in the graph: target symbols of compounds
    loaded before their genes stay in ``Compound.unresolved_targets``, and every load that writes
    Gene or Compound nodes ends with :func:`link_unresolved_targets`, which links those the graph
    now resolves (the summary and the Run's ``targets_linked`` say how many), so compounds then
    STRING gives the TARGETS that STRING then compounds gives.

  The ranks apply to writes through :func:`load`; other writers (and ``toolkit.graph.bulk``) set
  every property they are given. ``tests/test_load_order.py`` loads the four real sources forward,
  backward and shuffled twice and compares the canonical dumps.
* **One MoA node per mechanism, however it is spelled.** CLUE, LINCS and the Repurposing Hub spell
  one MoA differently (``Melatonin receptor agonist`` / ``melatonin receptor agonist``, trailing
  spaces, en dashes). :func:`toolkit.names.label_key` is the normalised name (Unicode NFKC, dashes as ``-``,
  whitespace collapsed, case-folded); the node's ``name`` is the preferred spelling
  (:func:`toolkit.names.preferred_label`: fewest Capitalised words, then most capitals, so ``EGFR inhibitor``
  over ``EGFR Inhibitor`` and ``egfr inhibitor``: the Hub's style) among all spellings the graph
  and the load have seen. A load that brings a better spelling of a known MoA renames its node
  (its relationships stay), so the name does not depend on the order of loads either.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import threading
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator, Optional, Sequence

from toolkit import cypher, plugins, runs
from toolkit import progress as progress_bars
from toolkit.errors import GraphConnectionError, InputDataError
from toolkit.graph.batches import Batch, NodeBatch, RelBatch, SourceReport
from toolkit.graph.db import Graph
from toolkit.graph.writer import GraphWriter, WriteCounts
from toolkit.names import label_key, preferred_label, tidy_label
from toolkit.schema import NodeLabel
from toolkit.settings import Settings
from toolkit.sources import LoadOptions

logger = logging.getLogger(__name__)

MAX_REPORTED = 50  # dropped/repaired lines kept on the run node; all go to the manifest

# Properties several sources give, with the sources from best to worst (see the module doc).
PRECEDENCE: dict[tuple[NodeLabel, str], tuple[str, ...]] = {
    (NodeLabel.GENE, "symbol"): ("string", "go", "signatures", "compounds"),
    (NodeLabel.COMPOUND, "name"): ("compounds", "signatures"),
}

LINK_TARGETS = "write/link_unresolved_targets"
LINKS_AFTER = frozenset({NodeLabel.GENE.value, NodeLabel.COMPOUND.value})  # rows of these: link afterwards
INTERRUPTED = "interrupted"
HOST = socket.gethostname()
_ACTIVE: set[str] = set()  # run ids of the loads in progress in this process
_MAX_RUNS_SCANNED = 1_000_000


def better_spelling(held: Optional[str], spelling: str) -> str:
    """The name of an MoA node that has name ``held`` (None: no node yet) and is also spelled ``spelling``."""
    return tidy_label(spelling) if held is None else preferred_label([held, spelling])


class MoaNames:
    """Maps each MoA spelling of a load to the one node name of its :func:`label_key`."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self._by_key: Optional[dict[str, str]] = None

    def _known(self) -> dict[str, str]:
        if self._by_key is None:
            self._by_key = {}
            for row in self.graph.read(cypher.load("export/moa_names")):
                key = label_key(row["name"])
                held = self._by_key.get(key)
                self._by_key[key] = row["name"] if held is None else preferred_label([held, row["name"]])
        return self._by_key

    def name(self, spelling: str) -> str:
        known = self._known()
        key = label_key(spelling)
        held = known.get(key)
        best = better_spelling(held, spelling)
        if held is not None and best != held:
            self.graph.write(cypher.load("write/rename_moa"), old=held, new=best)
            logger.info("MoA %r renamed to the preferred spelling %r", held, best)
        known[key] = best
        return best

    def apply(self, batch: Batch) -> Batch:
        if isinstance(batch, NodeBatch) and batch.label is NodeLabel.MOA:
            rows = tuple({**row, "name": self.name(row["name"])} for row in batch.rows)
            return NodeBatch(batch.label, rows)
        if isinstance(batch, RelBatch) and batch.end is NodeLabel.MOA:
            rows = tuple({**row, "end": self.name(row["end"])} for row in batch.rows)
            return RelBatch(batch.rel_type, batch.start, batch.end, rows)
        return batch


# -- runs -------------------------------------------------------------------------------------


def _process_gone(run: dict[str, Any]) -> bool:
    """Whether the process that started ``run`` (a Run node's properties) has ended."""
    pid = run.get("pid")
    if run.get("host") != HOST or not isinstance(pid, int):
        return False  # another machine (or an old run without host/pid): cannot tell
    if pid == os.getpid():
        return run.get("run_id") not in _ACTIVE
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


def link_unresolved_targets(graph: Graph) -> int:
    """Link the ``Compound.unresolved_targets`` the graph's genes now resolve; the number linked.

    One write transaction (``cypher/write/link_unresolved_targets``: a symbol of exactly one gene,
    else an alias symbol of exactly one gene; ambiguous and unknown symbols stay on the list).
    """
    statement = cypher.load(LINK_TARGETS)
    params = statement.check({})

    def work(tx: Any) -> int:
        record = tx.run(statement.text, params).single()
        return int(record["linked"] or 0) if record is not None else 0

    with graph.session() as session:
        linked = session.execute_write(work)
    if linked:
        logger.info("%d target symbols of earlier compound loads linked to genes of the graph", linked)
    return linked


def start_load_run(graph: Graph, run: runs.RunRecord) -> None:
    props = {**run.node_properties(), "host": HOST, "pid": os.getpid()}
    graph.write(cypher.load("write/start_run"), run_id=run.run_id, props=props)


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


# -- load -------------------------------------------------------------------------------------


@dataclass
class LoadReport:
    """What a load did. ``dropped`` / ``repaired`` are the (capped) report lines; the counts are exact."""

    run_id: str
    source: str
    paths: list[str]
    status: str = "running"
    rows_read: int = 0
    counts: WriteCounts = field(default_factory=WriteCounts)
    dropped: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)
    bulk: bool = False  # imported with neo4j-admin (toolkit.load_bulk), not written by the writer
    dropped_by_reason: dict[str, int] = field(default_factory=dict)
    repaired_by_reason: dict[str, int] = field(default_factory=dict)
    read_by_file: dict[str, int] = field(default_factory=dict)
    n_dropped: int = 0
    n_repaired: int = 0
    targets_linked: int = 0  # Compound.unresolved_targets linked after this load (link_unresolved_targets)

    def take(self, source_report: SourceReport) -> None:
        """The read side of ``source_report``: rows read, dropped and repaired (exact) and the lines."""
        self.rows_read = source_report.rows_read
        self.dropped, self.repaired = source_report.dropped, source_report.repaired
        self.dropped_by_reason = dict(source_report.dropped_by_reason)
        self.repaired_by_reason = dict(source_report.repaired_by_reason)
        self.read_by_file = dict(source_report.read_by_file)
        self.n_dropped, self.n_repaired = source_report.n_dropped, source_report.n_repaired

    def summary(self) -> str:
        if self.bulk:
            return (f"{self.source}: {self.status} (bulk import); {self.rows_read} rows read, "
                    f"{self.counts.nodes_created} nodes and {self.counts.relationships_created} relationships "
                    f"imported; {self._problems()}")
        rels = sum(v for k, v in self.counts.rows.items() if k.isupper())
        nodes = sum(v for k, v in self.counts.rows.items() if not k.isupper())
        linked = (f"; {self.targets_linked} target symbols left unresolved by earlier compound loads linked"
                  if self.targets_linked else "")
        return (f"{self.source}: {self.status}; {self.rows_read} rows read, {nodes} node rows and {rels} "
                f"relationship rows written ({self.counts.nodes_created} nodes and "
                f"{self.counts.relationships_created} relationships new); {self._problems()}{linked}")

    def _problems(self) -> str:
        return f"{self.n_dropped} dropped{_reasons(self.dropped_by_reason)}, " \
               f"{self.n_repaired} repaired{_reasons(self.repaired_by_reason)}"

    def details(self) -> list[str]:
        """Exact counts per file and per label / relationship type, one line each (for the CLI)."""
        out = [f"read {n} rows from {path}" for path, n in self.read_by_file.items()]
        out += [f"wrote {n} {name} rows" for name, n in sorted(self.counts.rows.items())]
        return out

    def metrics(self) -> dict[str, Any]:
        """The exact counts as Run metrics (the report lines capped at :data:`MAX_REPORTED`)."""
        return {"rows_read": self.rows_read, "rows_read_by_file": dict(self.read_by_file),
                "rows_written": dict(self.counts.rows), "nodes_created": self.counts.nodes_created,
                "relationships_created": self.counts.relationships_created,
                "dropped": self.n_dropped, "repaired": self.n_repaired, "targets_linked": self.targets_linked,
                "dropped_by_reason": dict(self.dropped_by_reason),
                "repaired_by_reason": dict(self.repaired_by_reason),
                "dropped_lines": self.dropped[:MAX_REPORTED], "repaired_lines": self.repaired[:MAX_REPORTED]}


def _reasons(by_reason: dict[str, int]) -> str:
    if not by_reason:
        return ""
    return " (" + ", ".join(f"{reason}: {n}" for reason, n in sorted(by_reason.items(), key=lambda kv: -kv[1])) + ")"


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
    _ACTIVE.add(run.run_id)
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
        _ACTIVE.discard(run.run_id)
        report.take(source_report)
        report.counts = writer.counts
        plugins.plugin_manager().hook.kgtool_after_load(report=report)
    logger.info(report.summary())
    return report
