"""Benchmark ``load``: how fast the graph gets written.

* ``load.unwind_nodes_per_s``: GraphWriter (UNWIND + MERGE, default chunk size) writing Gene nodes.
* ``load.unwind_rels_per_s``: GraphWriter writing INTERACTS_WITH relationships between those
  existing genes (only the relationship writing is timed).
* ``load.unwind_rels_sorted_per_s``: the same, with the rows stably sorted by (smaller key, larger
  key) first (sorting timed too): a proposed writer change, same graph, better locality.
* ``load.per_row_rels_per_s``: the baseline, one ``cypher/write/create_rel_per_row`` statement per
  row, each its own auto-commit transaction; ``load.unwind_vs_per_row_ratio`` compares the two.
* ``load.bulk_records_per_s``: (nodes + relationships) / wall time of ``bulk_import`` (CSV writing,
  server stop, neo4j-admin, server start, schema); ``load.bulk_import_only_records_per_s``: the
  neo4j-admin step alone.

Issue targets: UNWIND >= 50,000 rels/s and >= 20x per-row; bulk >= 200,000 records/s.
"""

from __future__ import annotations

import logging
import os
import random
import time
from dataclasses import replace

import common

logger = logging.getLogger(__name__)

N_GENES = 20_000
N_RELS = 200_000
N_PER_ROW = 3_000
WARMUP_RELS = 20_000
BULK_GENES = 100_000
BULK_RELS = 1_000_000
SEED = 20240229


def gene_batch(n: int):
    from toolkit.graph.batches import NodeBatch
    from toolkit.schema import NodeLabel

    return NodeBatch(NodeLabel.GENE, tuple(
        {"entrez_id": i, "symbol": f"G{i}", "is_landmark": i % 10 == 0} for i in range(1, n + 1)
    ))


def random_pairs(n_genes: int, n_pairs: int, rng: random.Random, exclude: set | None = None) -> list[tuple[int, int]]:
    """``n_pairs`` distinct unordered gene pairs (smaller key first), none of them in ``exclude``."""
    seen: set[tuple[int, int]] = set()
    exclude = exclude or set()
    while len(seen) < n_pairs:
        a, b = rng.randint(1, n_genes), rng.randint(1, n_genes)
        if a == b:
            continue
        pair = (a, b) if a < b else (b, a)
        if pair not in exclude:
            seen.add(pair)
    return list(seen)


def interaction_batch(pairs, rng: random.Random):
    from toolkit.graph.batches import RelBatch
    from toolkit.schema import NodeLabel, RelType

    # random orientation: the writer canonicalises undirected pairs itself
    rows = tuple(
        {"start": a, "end": b, "props": {"score": rng.randint(150, 999)}} if rng.random() < 0.5
        else {"start": b, "end": a, "props": {"score": rng.randint(150, 999)}}
        for a, b in pairs
    )
    return RelBatch(RelType.INTERACTS_WITH, NodeLabel.GENE, NodeLabel.GENE, rows)


def per_row_rate(graph, batch) -> float:
    """Rows per second, one auto-commit transaction per row with the stored per-row template."""
    from toolkit import cypher

    statement = cypher.render(
        "write/create_rel_per_row", start=batch.start.value, start_key=batch.start.key, end=batch.end.value,
        end_key=batch.end.key, rel=batch.rel_type.value,
    )
    rows = [{"start": min(r["start"], r["end"]), "end": max(r["start"], r["end"]), "props": r["props"]}
            for r in batch.rows]
    with graph.session() as session:
        tic = time.perf_counter()
        for row in rows:
            session.run(statement.text, statement.check(row)).consume()
        seconds = time.perf_counter() - tic
    return len(rows) / seconds


def sorted_batch(batch):
    """``batch`` with undirected pairs canonicalised and rows stably sorted (so the last duplicate still wins)."""
    rows = [r if r["start"] <= r["end"] else {**r, "start": r["end"], "end": r["start"]} for r in batch.rows]
    return replace(batch, rows=tuple(sorted(rows, key=lambda r: (r["start"], r["end"]))))


def run() -> list[tuple[str, float, str]]:
    from toolkit.graph.bulk import bulk_import
    from toolkit.graph.writer import GraphWriter

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    rng = random.Random(SEED)
    genes = gene_batch(N_GENES)
    pairs = random_pairs(N_GENES, N_RELS, rng)
    rels = interaction_batch(pairs, rng)
    per_row = interaction_batch(random_pairs(N_GENES, N_PER_ROW, rng, exclude=set(pairs)), rng)

    server = common.server()
    server.start(timeout=300)
    # other work on the machine skews every figure here: record how busy it was
    results: list[tuple[str, float, str]] = [("load.loadavg_1m_at_start", round(os.getloadavg()[0], 2), "procs")]
    try:
        with common.empty_graph() as graph:  # warm the server's JIT on the same statements first
            writer = GraphWriter(graph)
            writer.write(genes)
            writer.write(replace(rels, rows=rels.rows[:WARMUP_RELS]))
        with common.empty_graph() as graph:
            writer = GraphWriter(graph)
            tic = time.perf_counter()
            writer.write(genes)
            node_s = time.perf_counter() - tic
            tic = time.perf_counter()
            writer.write(rels)
            rel_s = time.perf_counter() - tic
            assert writer.counts.relationships_created == N_RELS, writer.counts
            per_row_per_s = per_row_rate(graph, per_row)
        with common.empty_graph() as graph:
            writer = GraphWriter(graph)
            writer.write(genes)
            tic = time.perf_counter()
            writer.write(sorted_batch(rels))
            sorted_s = time.perf_counter() - tic
            assert writer.counts.relationships_created == N_RELS, writer.counts
        unwind_nodes = N_GENES / node_s
        unwind_rels = N_RELS / rel_s
        results += [
            ("load.unwind_nodes_per_s", round(unwind_nodes), "nodes/s"),
            ("load.unwind_rels_per_s", round(unwind_rels), "rels/s"),
            ("load.unwind_rels_sorted_per_s", round(N_RELS / sorted_s), "rels/s"),
            ("load.per_row_rels_per_s", round(per_row_per_s), "rels/s"),
            ("load.unwind_vs_per_row_ratio", round(unwind_rels / per_row_per_s, 1), "x"),
        ]
        logger.info("UNWIND: %.0f nodes/s, %.0f rels/s; per-row %.0f rels/s", unwind_nodes, unwind_rels,
                    per_row_per_s)

        bulk_rng = random.Random(SEED + 1)
        bulk_batches = [gene_batch(BULK_GENES),
                        interaction_batch(random_pairs(BULK_GENES, BULK_RELS, bulk_rng), bulk_rng)]
        tic = time.perf_counter()
        report = bulk_import(server, bulk_batches, common.HOME.parent / "bulk-work", force=True)
        wall = time.perf_counter() - tic
        assert report.records == BULK_GENES + BULK_RELS, report
        results += [
            ("load.bulk_records_per_s", round(report.records / wall), "records/s"),
            ("load.bulk_import_only_records_per_s", round(report.records / report.seconds_import), "records/s"),
            ("load.bulk_wall_s", round(wall, 2), "s"),
            ("load.bulk_import_only_s", round(report.seconds_import, 2), "s"),
        ]
    finally:
        server.stop()
    return results
