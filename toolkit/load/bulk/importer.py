"""The bulk path for FIRST loads: batches -> neo4j-admin CSV files -> ``database import full``
(:func:`bulk_import`).

The graph is the one :class:`toolkit.graph.writer.GraphWriter` would give on an empty database
(:mod:`toolkit.load.bulk.plan`); values a CSV file cannot express are set after the import with
stored Cypher, the same ``SET += `` the writer uses (:mod:`toolkit.load.bulk.columns`).

The import replaces the whole database, so it refuses a database that holds nodes unless
``force=True``. neo4j-admin writes into a staging data directory; only a successful import is
swapped in, so a failed import leaves the database as it was. The server is stopped for the import
(after the refusal check, in the background while the CSV files are written) and started again in
any case, also when writing the CSV files fails (:mod:`toolkit.server.offline`); then the schema
(constraints, indexes) is applied.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from toolkit import cypher
from toolkit.errors import ServerError
from toolkit.graph.batches import Batch
from toolkit.graph.db import Graph, connect
from toolkit.graph.writer import Precedence
from toolkit.graph.schema_init import apply_schema
from toolkit.load.bulk.admin import import_command, run_import
from toolkit.load.bulk.csv_files import CsvFiles, write_csv
from toolkit.load.bulk.plan import Plan, gc_paused
from toolkit.server.manager import ManagedNeo4j
from toolkit.server.offline import restarted_after, stopping_meanwhile, swap_in_database
from toolkit.settings import Settings

logger = logging.getLogger(__name__)

STAGING_DIR_NAME = "bulk-import-staging"
FIXUP_CHUNK = 10_000


@dataclass(frozen=True)
class BulkReport:
    """What one bulk import wrote and how long it took."""

    nodes: int
    relationships: int
    seconds_total: float
    seconds_import: float

    @property
    def records(self) -> int:
        return self.nodes + self.relationships


def _settings(server: ManagedNeo4j, database: str) -> Settings:
    """Settings that connect to ``database`` of the managed ``server``."""
    cfg = server.config
    return Settings(home=cfg.home, bolt_port=cfg.bolt_port, http_port=cfg.http_port, database=database,
                    heap=cfg.heap, pagecache=cfg.pagecache)


def _node_count(graph: Graph) -> int:
    return int(graph.read(cypher.load("export/node_count"))[0]["nodes"])


def _apply_fixups(graph: Graph, files: CsvFiles) -> None:
    """Set the values the CSV files could not hold, in chunks of :data:`FIXUP_CHUNK` rows."""
    for label, rows in files.node_fixups.items():
        statement = cypher.render("write/bulk_fix_nodes", label=label.value, key=label.key)
        for i in range(0, len(rows), FIXUP_CHUNK):
            graph.write(statement, rows=rows[i : i + FIXUP_CHUNK])
    for (rel_type, start, end), rows in files.rel_fixups.items():
        statement = cypher.render("write/bulk_fix_rels", start=start.value, start_key=start.key, end=end.value,
                                  end_key=end.key, rel=rel_type.value)
        for i in range(0, len(rows), FIXUP_CHUNK):
            graph.write(statement, rows=rows[i : i + FIXUP_CHUNK])
    n = sum(len(r) for r in files.node_fixups.values()) + sum(len(r) for r in files.rel_fixups.values())
    if n:
        logger.info("set the properties CSV cannot express on %d nodes/relationships with Cypher", n)


def planned(batches: Iterable[Batch], precedence: Optional[Precedence] = None) -> tuple[Plan, int, int]:
    """The plan of ``batches`` with its node and relationship counts (call it with the collector paused)."""
    plan = Plan(precedence={key: tuple(ranked) for key, ranked in (precedence or {}).items()})
    for batch in batches:
        plan.add(batch)
    return plan, sum(len(by_key) for by_key in plan.nodes.values()), sum(len(group) for group in plan.rels.values())


def bulk_import(
    server: ManagedNeo4j,
    batches: Iterable[Batch],
    work_dir: Path,
    database: str = "neo4j",
    *,
    force: bool = False,
    precedence: Optional[Precedence] = None,
) -> BulkReport:
    """Replace ``database`` with the graph of ``batches`` via ``neo4j-admin database import full``.

    ``precedence``: contested properties ranked by source (:class:`Plan`), for batches of several
    sources. The CSV files and the import report are left in ``work_dir``. Refuses (ServerError) when the
    database holds nodes, unless ``force``. Every failure is a one-line :class:`ServerError`; the
    server is running again afterwards either way.
    """
    started = time.perf_counter()
    work_dir = Path(work_dir).absolute()
    if "," in str(work_dir):
        raise ServerError(f"bulk import work directory {work_dir} contains a comma, which neo4j-admin reads as "
                          "a file separator; use another directory")
    settings = _settings(server, database)
    server.start()
    with connect(settings) as graph:
        existing = _node_count(graph)
    if existing and not force:
        raise ServerError(
            f"database {database!r} at {server.bolt_uri} already holds {existing} nodes and bulk import replaces "
            "the whole database; load with the graph writer instead, or pass force=True (`kgtool load --bulk "
            "--force`) to replace it"
        )

    tic = time.perf_counter()
    with gc_paused():  # until the plan is freed: a collection would walk all of it
        plan, n_nodes, n_rels = planned(batches, precedence)
        # the server shuts down (its own process, on the other core) while the CSV files are written
        with stopping_meanwhile(server, "writing the bulk import CSV files", "bulk-import-stop-neo4j") as stopping:
            files = write_csv(plan, work_dir)
            del plan
            seconds_csv = time.perf_counter() - tic
            logger.info("wrote %d node and %d relationship CSV files (%d nodes, %d relationships) to %s in %.1f s",
                        len(files.nodes), len(files.rels), n_nodes, n_rels, work_dir, seconds_csv)
            staging = server.neo4j_home / STAGING_DIR_NAME
            shutil.rmtree(staging, ignore_errors=True)
            cmd = import_command(server, files, database, staging, work_dir)
    logger.info("bulk import: %s", " ".join(cmd))
    stopped = time.perf_counter()
    stopping.wait()
    seconds_stop = time.perf_counter() - stopped
    with restarted_after(server, "neo4j-admin import") as outcome:
        try:
            outcome.failure, seconds_import = run_import(server, cmd, work_dir)
            if outcome.failure is None:
                swap_in_database(server, staging, database)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    if outcome.failure is not None:
        raise ServerError(
            f"neo4j-admin import failed: {outcome.failure}; the database was left as it was - see "
            f"{work_dir / 'import.log'} and the CSV files there, fix the data or load with the graph writer"
        )

    seconds_offline = time.perf_counter() - stopped
    tic = time.perf_counter()
    with connect(settings) as graph:
        apply_schema(graph)
        _apply_fixups(graph, files)
    seconds_schema = time.perf_counter() - tic
    report = BulkReport(nodes=n_nodes, relationships=n_rels, seconds_total=time.perf_counter() - started,
                        seconds_import=seconds_import)
    logger.info(
        "bulk import of %d nodes and %d relationships took %.1f s: CSV %.1f s (the server stopping meanwhile), "
        "then waiting for the stop + neo4j-admin + start %.1f s (stop %.1f s, neo4j-admin %.1f s), schema %.1f s",
        report.nodes, report.relationships, report.seconds_total, seconds_csv, seconds_offline, seconds_stop,
        report.seconds_import, seconds_schema,
    )
    return report
