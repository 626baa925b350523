"""``kgtool build MANIFEST``: the whole graph from a manifest of sources (:mod:`toolkit.load.manifest`)
in ONE ``neo4j-admin database import full`` run.

* Every source reads its files once, in manifest order; all their batches go into one bulk import
  (:func:`toolkit.load.bulk.bulk_import`, the plumbing of ``kgtool load --bulk``): contested
  properties ranked by source (:data:`toolkit.load.rules.PRECEDENCE`), MoA names with the preferred
  spelling of all sources. A source's lookups of the graph see what the sources before it in the
  manifest gave where that decides what it writes (:class:`EarlierGenes`: the gene ids a STRING
  aliases file gives map a GAF's UniProtKB ids, as when GO is loaded after STRING); the others are
  answered empty (the database is replaced). After the import the
  schema is applied and :func:`toolkit.load.rules.link_unresolved_targets` links the target symbols
  the genes resolve, so the graph equals loading the same sources one by one with ``kgtool load``
  (in any order).
* The database must be empty unless ``force``; the manifest is checked whole (sources, options,
  files) before anything is read, and a bad record stops the build before the server is touched
  (``lenient``: skipped and reported per source). A failed import leaves the database as it was.
* Recorded as ``(:Run {kind: 'build'})`` with the manifest text, each file's size and sha256 and
  the per-source reports, and a manifest in ``runs_dir``.
* With a server kgtool does not manage (``NEO4J_URI``) neo4j-admin cannot be run for it:
  :func:`build` writes the import folder and returns the exact command to run there.
"""

from __future__ import annotations

import logging
import shlex
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional

from toolkit import plugins, runs
from toolkit.graph.batches import Batch, LookupBatch, NodeBatch, SourceReport
from toolkit.graph.db import connect
from toolkit.load.bulk.admin import external_import_command
from toolkit.load.bulk.csv_files import write_csv
from toolkit.load.bulk.first_load import BULK_DIR_NAME, first_load_of, record_run
from toolkit.load.bulk.importer import bulk_import, planned
from toolkit.load.bulk.plan import gc_paused
from toolkit.load.manifest import BuildManifest, file_facts, read_build_manifest
from toolkit.load.report import LoadReport
from toolkit.load.rules import PRECEDENCE, link_unresolved_targets
from toolkit.schema import NodeLabel
from toolkit.server import managed_server
from toolkit.settings import Settings

logger = logging.getLogger(__name__)

Echo = Callable[[str], None]
EXTERNAL_DIR_NAME = "build-import"  # the import folder written for a server kgtool does not manage


@dataclass(frozen=True)
class BuildReport:
    """What a build did. ``command``: for a server kgtool does not manage, the neo4j-admin command to
    run over the CSV files in ``import_dir`` (nothing was imported); None after an import."""

    run_id: str
    status: str
    sources: tuple[LoadReport, ...]
    nodes: int
    relationships: int
    seconds: float
    targets_linked: int = 0
    import_dir: Optional[Path] = None
    command: Optional[str] = None

    @property
    def records(self) -> int:
        return self.nodes + self.relationships

    def summary(self) -> str:
        rate = self.records / self.seconds if self.seconds > 0 else 0.0
        done = "import folder written" if self.command else "imported"
        return (f"build {self.status}: {len(self.sources)} sources, {self.nodes} nodes and {self.relationships} "
                f"relationships {done} in {self.seconds:.1f} s ({rate:,.0f} records/s)")


class EarlierGenes:
    """The Gene ids of the sources read so far, answering the ``export/gene_ids`` lookups (the stored
    read's columns and filter) of a later source. Other lookups pass on (answered empty; target
    symbols are linked after the import instead). Holds four fields per gene, not the graph."""

    STATEMENT = "export/gene_ids"
    FIELDS = ("symbol", "uniprot_ids", "ensembl_ids", "alias_symbols")

    def __init__(self) -> None:
        self.genes: dict[int, dict[str, object]] = {}
        self._symbol_by: dict[int, str] = {}
        ranked = PRECEDENCE.get((NodeLabel.GENE, "symbol"), ())
        self._ranks = {source: len(ranked) - i for i, source in enumerate(ranked)}  # as the writer ranks

    def _better(self, entrez: int, source: str) -> bool:
        held = self._symbol_by.get(entrez)
        if held is None:
            return True
        held_rank, rank = self._ranks.get(held, -1), self._ranks.get(source, -1)
        return held_rank < rank or (held_rank == rank and held <= source)

    def note(self, source: str, batch: NodeBatch) -> None:
        for row in batch.rows:
            entrez = row[NodeLabel.GENE.key]
            gene = self.genes.setdefault(entrez, {})
            for name in self.FIELDS[1:]:
                if row.get(name) is not None:
                    gene[name] = row[name]
            if row.get("symbol") is not None and self._better(entrez, source):
                gene["symbol"], self._symbol_by[entrez] = row["symbol"], source

    def answer(self, batch: LookupBatch) -> None:
        batch.answer([{"entrez_id": entrez, **{name: gene.get(name) for name in self.FIELDS}}
                      for entrez, gene in sorted(self.genes.items()) if gene])

    def through(self, tagged: Iterable[tuple[str, Batch]]) -> Iterator[tuple[str, Batch]]:
        """``tagged`` with the gene rows noted and the ``export/gene_ids`` lookups answered."""
        for source, batch in tagged:
            if isinstance(batch, LookupBatch) and batch.statement == self.STATEMENT:
                self.answer(batch)
                continue
            if isinstance(batch, NodeBatch) and batch.label is NodeLabel.GENE:
                self.note(source, batch)
            yield source, batch


def _stream(manifest: BuildManifest, reports: list[LoadReport], run_id: str,
            echo: Optional[Echo]) -> Iterator[tuple[str, Batch]]:
    """Every source's batches in manifest order, tagged with the source; fills ``reports`` as it reads."""
    registry = plugins.registry()
    for entry in manifest.sources:
        paths = list(entry.paths)
        report = LoadReport(run_id=run_id, source=entry.name, paths=[str(p) for p in paths], bulk=True)
        source_report = SourceReport(source=entry.name)
        reports.append(report)
        if echo:
            echo(f"reading {entry.where}: {', '.join(p.name for p in paths)}")
        tic = time.perf_counter()
        try:
            for batch in registry.get("sources", entry.name).read(paths, entry.options, source_report):
                yield entry.name, batch
        finally:
            report.take(source_report)
        if echo:
            echo(f"  {entry.name}: {report.rows_read} rows read in {time.perf_counter() - tic:.1f} s, "
                 f"{report.n_dropped} dropped, {report.n_repaired} repaired")


def _metrics(reports: Iterable[LoadReport]) -> dict[str, dict]:
    return {f"{i}:{r.source}": r.metrics() for i, r in enumerate(reports, start=1)}


def build(settings: Settings, manifest: BuildManifest | Path, *, force: bool = False, lenient: bool = False,
          echo: Optional[Echo] = None) -> BuildReport:
    """Build the graph of ``manifest`` (a path is read with :func:`read_build_manifest`) in one bulk
    import into the managed server's database; see the module doc. ``echo`` receives progress lines."""
    started = time.perf_counter()
    if not isinstance(manifest, BuildManifest):
        manifest = read_build_manifest(manifest, lenient=lenient)
    run = runs.RunRecord(
        run_id=runs.new_run_id("build"), kind="build", plugin="build",
        config={"manifest": manifest.text, "manifest_path": str(manifest.path), "files": file_facts(manifest),
                "sources": [{"name": e.name, "paths": [str(p) for p in e.paths], "options": asdict(e.options)}
                            for e in manifest.sources]},
    )
    reports: list[LoadReport] = []
    batches = first_load_of(EarlierGenes().through(_stream(manifest, reports, run.run_id, echo)))
    if not settings.managed:
        return _external(settings, manifest, run, batches, reports, started)
    server = managed_server(settings, "build writes the import folder only for an external server")
    try:
        imported = bulk_import(server, batches, settings.home / BULK_DIR_NAME, settings.database, force=force,
                               precedence=PRECEDENCE)
        with connect(settings) as graph:
            linked = link_unresolved_targets(graph)
    except BaseException as exc:
        for report in reports:
            report.status = "failed"
        failed = run.with_result("failed", {"sources": _metrics(reports), "error": f"{type(exc).__name__}: {exc}"})
        try:
            record_run(settings, failed)
        except Exception as record_exc:  # noqa: BLE001 - the build's error is the one to report
            logger.warning("could not record the failed build run %s: %s", run.run_id, record_exc)
        raise
    for report in reports:
        report.status = "completed"
    result = BuildReport(run_id=run.run_id, status="completed", sources=tuple(reports), nodes=imported.nodes,
                         relationships=imported.relationships, seconds=time.perf_counter() - started,
                         targets_linked=linked)
    record_run(settings, run.with_result("completed", {
        "sources": _metrics(reports), "nodes_created": imported.nodes,
        "relationships_created": imported.relationships, "targets_linked": linked,
        "seconds": round(result.seconds, 2), "seconds_neo4j_admin": round(imported.seconds_import, 2)}))
    for report in reports:
        plugins.plugin_manager().hook.kgtool_after_load(report=report)
    logger.info(result.summary())
    return result


def _external(settings: Settings, manifest: BuildManifest, run: runs.RunRecord, batches: Iterable[Batch],
              reports: list[LoadReport], started: float) -> BuildReport:
    """The import folder and the neo4j-admin command for a server kgtool does not manage; the run's
    manifest (status ``prepared``) goes to ``runs_dir``, nothing to the graph."""
    work_dir = (settings.home / EXTERNAL_DIR_NAME).absolute()
    work_dir.mkdir(parents=True, exist_ok=True)
    with gc_paused():
        plan, n_nodes, n_rels = planned(batches, PRECEDENCE)
        files = write_csv(plan, work_dir)
        del plan
    command = " ".join(shlex.quote(arg) for arg in external_import_command(files, settings.database, work_dir))
    for report in reports:
        report.status = "prepared"
    result = BuildReport(run_id=run.run_id, status="prepared", sources=tuple(reports), nodes=n_nodes,
                         relationships=n_rels, seconds=time.perf_counter() - started, import_dir=work_dir,
                         command=command)
    runs.write_manifest(settings.runs_dir, run.with_result("prepared", {
        "sources": _metrics(reports), "nodes": n_nodes, "relationships": n_rels, "command": command,
        "import_dir": str(work_dir)}))
    if files.node_fixups or files.rel_fixups:
        logger.warning("%d values CSV cannot hold are not in the import folder; load those through the writer",
                       sum(map(len, files.node_fixups.values())) + sum(map(len, files.rel_fixups.values())))
    return result
