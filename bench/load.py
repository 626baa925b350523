"""Benchmark ``load``: how fast the graph gets written.

* ``load.unwind_nodes_per_s``: GraphWriter (UNWIND + MERGE, default chunk size) writing Gene nodes.
* ``load.unwind_rels_per_s``: the default GraphWriter writing INTERACTS_WITH relationships between
  the genes it just created (only the relationship writing is timed), after one untimed pass of each
  variant that warms the server's JIT. The genes are new in this load, so the writer CREATEs them;
  ``load.unwind_rels_create_per_s`` and ``load.unwind_rels_merge_per_s`` (``create_new=False``) are
  the two paths on the same data in the same run (means of ``ROUNDS`` alternating rounds),
  ``load.unwind_create_vs_merge_ratio`` compares them.
* ``load.unwind_rels_concurrent_per_s``: the CREATE path as ``CALL { … } IN CONCURRENT
  TRANSACTIONS`` (``cypher/bench/create_rels_concurrent``), the genes hashed into ``PARTITIONS``
  groups and the rows bucketed by the groups of their two ends, so that the buckets of one call
  (one transaction each) touch disjoint genes; ``load.unwind_rels_concurrent_failed`` is 1 when the
  server refused or failed it (a deadlock included). Not used by the writer: its one run so far
  (2026-12-03, load average 13.7 on the 2-core VM from other test runs) gave 14,780 rels/s, no
  deadlock, against 8,089 CREATE and 7,685 MERGE; on a machine that busy more server threads simply
  take a larger share of the CPUs, so it is to be measured again on a quiet machine before use.
* ``load.explain_writeback_edges_per_s``: :func:`toolkit.explain.writeback.write_rows` of a new
  explain run (``new_run=True``: CREATE, nothing cleared) writing ``WRITEBACK_EDGES`` gene EXPLAINS
  edges to ``WRITEBACK_PREDICTIONS`` predictions on a graph holding only them (a warm-up run first);
  ``bench/explain.py`` measures ``explain.writeback_edges_per_s`` as the graph fills up.
* ``load.per_row_rels_per_s``: the baseline, one ``cypher/write/create_rel_per_row`` statement per
  row, each its own auto-commit transaction; ``load.unwind_vs_per_row_ratio`` compares the two.
* ``load.bulk_records_per_s``: (nodes + relationships) / wall time of ``bulk_import`` (CSV writing,
  server stop, neo4j-admin, server start, schema) at 1.1 M records; ``load.bulk_import_only_records_per_s``:
  the neo4j-admin step alone; ``load.bulk_5m_*`` the same at 5.5 M records.
* ``load.gctx_200k_signatures_per_s`` / ``load.gctx_200k_peak_rss_mb``: ``kgtool load signatures`` of a
  generated 200,000 x 978 Level 5 GCTX (+ siginfo, geneinfo) in a child process, whose peak RSS is
  reported; ``--top-k`` is ``GCTX_TOP_K`` (recorded as ``load.gctx_200k_top_k``).

Issue targets: UNWIND >= 50,000 rels/s and >= 20x per-row; bulk >= 200,000 records/s.
``KGTOOL_BENCH_LOAD_STAGES`` (comma list of ``unwind,bulk,gctx``) runs only those stages.
"""

from __future__ import annotations

import logging
import os
import random
import statistics
import time
from dataclasses import replace

import common

logger = logging.getLogger(__name__)

N_GENES = 20_000
N_RELS = 200_000
N_PER_ROW = 3_000
# A fresh JVM compiles the write path during its first ~200k rows (36k rels/s cold against 42-47k
# warm on the 2-core VM): one full pass first, so the figure is the steady-state rate of a long load.
WARMUP_RELS = N_RELS
# (relationships, metric suffix); genes = relationships / 10. The larger size shows how the fixed
# costs (server stop/start, JVM starts) amortise and what the CSV writing costs at scale.
BULK_SIZES = ((1_000_000, ""), (5_000_000, "_5m"))
GCTX_SIGNATURES = 200_000
GCTX_TOP_K = int(os.environ.get("KGTOOL_BENCH_GCTX_TOP_K", "10"))
SEED = 20240229
ROUNDS = 2
PARTITIONS = 4
STAGES = ("unwind", "bulk", "gctx")
WRITEBACK_PREDICTIONS = 2_000
WRITEBACK_EDGES = 200_000


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
    tic = time.perf_counter()
    graph.run_each(statement, rows)
    seconds = time.perf_counter() - tic
    return len(rows) / seconds


def run() -> list[tuple[str, float, str]]:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    common.use_server_from_env()
    stages = common.wanted("KGTOOL_BENCH_LOAD_STAGES", STAGES)
    server = common.server()
    server.start(timeout=300)
    # other work on the machine skews every figure here: record how busy it was
    results: list[tuple[str, float, str]] = [("load.loadavg_1m_at_start", round(os.getloadavg()[0], 2), "procs")]
    try:
        if "unwind" in stages:
            results += unwind_stage()
        if "bulk" in stages:
            for n_rels, suffix in BULK_SIZES:
                results += bulk_stage(server, n_rels, suffix)
        if "gctx" in stages:
            with common.empty_graph():  # the GCTX load starts on an empty graph
                pass
            results += gctx_stage()
    finally:
        server.stop()
    return results


def _timed_load(genes, rels, create_new: bool, then=None) -> tuple[float, float]:
    """(gene seconds, relationship seconds) of one writer on an empty graph; ``then(graph)`` runs after."""
    from toolkit.graph.writer import GraphWriter

    with common.empty_graph() as graph:
        writer = GraphWriter(graph, create_new=create_new)
        tic = time.perf_counter()
        writer.write(genes)
        node_s = time.perf_counter() - tic
        tic = time.perf_counter()
        writer.write(rels)
        rel_s = time.perf_counter() - tic
        if then is not None:
            then(graph)
    assert writer.counts.relationships_created == len(rels.rows), writer.counts
    assert writer.counts.relationship_rows_created == (len(rels.rows) if create_new else 0), writer.counts
    return node_s, rel_s


def unwind_stage() -> list[tuple[str, float, str]]:
    rng = random.Random(SEED)
    genes = gene_batch(N_GENES)
    pairs = random_pairs(N_GENES, N_RELS, rng)
    rels = interaction_batch(pairs, rng)
    per_row = interaction_batch(random_pairs(N_GENES, N_PER_ROW, rng, exclude=set(pairs)), rng)
    for create_new in (False, True):  # warm the server's JIT on both statements first
        _timed_load(genes, replace(rels, rows=rels.rows[:WARMUP_RELS]), create_new)
    node_s: list[float] = []
    rel_s: dict[bool, list[float]] = {False: [], True: []}
    per_row_per_s: list[float] = []
    for round_ in range(ROUNDS):
        for create_new in (False, True):
            last = round_ == ROUNDS - 1 and create_new  # per-row baseline on that graph, as before
            then = (lambda graph: per_row_per_s.append(per_row_rate(graph, per_row))) if last else None
            nodes, seconds = _timed_load(genes, rels, create_new, then)
            node_s.append(nodes)
            rel_s[create_new].append(seconds)
    unwind_nodes = N_GENES / statistics.mean(node_s)
    create, merge = (N_RELS / statistics.mean(rel_s[c]) for c in (True, False))
    results = [
        ("load.unwind_nodes_per_s", round(unwind_nodes), "nodes/s"),
        ("load.unwind_rels_per_s", round(create), "rels/s"),  # the default writer: CREATE here
        ("load.unwind_rels_create_per_s", round(create), "rels/s"),
        ("load.unwind_rels_merge_per_s", round(merge), "rels/s"),
        ("load.unwind_create_vs_merge_ratio", round(create / merge, 2), "x"),
        ("load.per_row_rels_per_s", round(per_row_per_s[0]), "rels/s"),
        ("load.unwind_vs_per_row_ratio", round(create / per_row_per_s[0], 1), "x"),
    ]
    logger.info("UNWIND: %.0f nodes/s; rels CREATE %.0f/s, MERGE %.0f/s; per-row %.0f rels/s", unwind_nodes,
                create, merge, per_row_per_s[0])
    return results + concurrent_stage(genes, rels) + writeback_stage(genes)


def writeback_stage(genes) -> list[tuple[str, float, str]]:
    """Gene EXPLAINS edges of new explain runs through the write-back (the second run timed)."""
    from toolkit.explain.writeback import Level, write_rows
    from toolkit.graph.batches import NodeBatch
    from toolkit.graph.writer import GraphWriter
    from toolkit.schema import NodeLabel

    rng = random.Random(SEED + 2)
    per = WRITEBACK_EDGES // WRITEBACK_PREDICTIONS
    predictions = NodeBatch(NodeLabel.PREDICTION, tuple({"prediction_id": f"p{i}"} for i in range(WRITEBACK_PREDICTIONS)))
    rows = [{"prediction_id": f"p{i}", "entrez_id": gene, "score": rng.random(), "rank": rank}
            for i in range(WRITEBACK_PREDICTIONS)
            for rank, gene in enumerate(rng.sample(range(1, N_GENES + 1), per), start=1)]
    with common.empty_graph() as graph:
        writer = GraphWriter(graph)
        writer.write(genes)
        writer.write(predictions)
        for run_id in ("bench-warm", "bench-timed"):
            tic = time.perf_counter()
            counts = write_rows(graph, Level.GENE, run_id, "synthetic", rows, new_run=True)
            seconds = time.perf_counter() - tic
            assert counts.relationships_created == len(rows), counts
    rate = len(rows) / seconds
    logger.info("explain write-back: %.0f edges/s", rate)
    return [("load.explain_writeback_edges_per_s", round(rate), "edges/s")]


def buckets_by_partition(rows: list[list], n: int) -> list[list[list]]:
    """Rounds of buckets of flat rows ``[start, end, ...]``: a row goes to the bucket of the
    (unordered) pair of partitions (``key % n``) of its ends, and no partition appears in two
    buckets of one round, so the buckets of a round touch disjoint nodes."""
    buckets: dict[tuple[int, int], list[list]] = {}
    for row in rows:
        pair = tuple(sorted((row[0] % n, row[1] % n)))
        buckets.setdefault(pair, []).append(row)  # type: ignore[arg-type]
    rounds: list[tuple[set[int], list[list[list]]]] = []
    for pair, bucket in sorted(buckets.items(), key=lambda kv: -len(kv[1])):
        for used, chosen in rounds:
            if not used & set(pair):
                used.update(pair)
                chosen.append(bucket)
                break
        else:
            rounds.append((set(pair), [bucket]))
    return [chosen for _, chosen in rounds]


def concurrent_stage(genes, rels) -> list[tuple[str, float, str]]:
    """The CREATE path as CALL IN CONCURRENT TRANSACTIONS on node-disjoint buckets."""
    from toolkit import cypher
    from toolkit.graph.writer import GraphWriter

    statement = cypher.load("bench/create_rels_concurrent")
    rows = sorted([min(r["start"], r["end"]), max(r["start"], r["end"]), r["props"]["score"]] for r in rels.rows)
    rounds = buckets_by_partition(rows, PARTITIONS)
    try:
        for timed in (False, True):  # once to warm the statement
            with common.empty_graph() as graph:
                GraphWriter(graph).write(genes)
                tic = time.perf_counter()
                for buckets in rounds:
                    graph.run_autocommit(statement, buckets=buckets)
                seconds = time.perf_counter() - tic
                written = {r["name"]: r["count"] for r in graph.read(cypher.load("export/counts")) if r["kind"] == "rel"}
            assert written.get("INTERACTS_WITH") == N_RELS, written
    except Exception as exc:  # noqa: BLE001 - a refused or failed variant is a figure too
        logger.warning("CALL IN CONCURRENT TRANSACTIONS failed: %s", exc)
        return [("load.unwind_rels_concurrent_failed", 1, "count")]
    rate = N_RELS / seconds
    logger.info("CONCURRENT (%d rounds of up to %d buckets): %.0f rels/s", len(rounds), max(map(len, rounds)), rate)
    return [("load.unwind_rels_concurrent_per_s", round(rate), "rels/s"),
            ("load.unwind_rels_concurrent_failed", 0, "count")]


def bulk_stage(server, n_rels: int, suffix: str) -> list[tuple[str, float, str]]:
    """``bulk_import`` of n_rels / 10 genes and n_rels interactions (the generation is not timed)."""
    from toolkit.load.bulk import bulk_import

    n_genes = n_rels // 10
    rng = random.Random(SEED + 1)
    batches = [gene_batch(n_genes), interaction_batch(random_pairs(n_genes, n_rels, rng), rng)]
    tic = time.perf_counter()
    report = bulk_import(server, batches, common.HOME.parent / "bulk-work", force=True)
    wall = time.perf_counter() - tic
    assert report.records == n_genes + n_rels, report
    logger.info("bulk %d records: %.0f records/s (%.1f s; neo4j-admin %.1f s)", report.records,
                report.records / wall, wall, report.seconds_import)
    return [
        (f"load.bulk{suffix}_records_per_s", round(report.records / wall), "records/s"),
        (f"load.bulk{suffix}_import_only_records_per_s", round(report.records / report.seconds_import), "records/s"),
        (f"load.bulk{suffix}_wall_s", round(wall, 2), "s"),
        (f"load.bulk{suffix}_import_only_s", round(report.seconds_import, 2), "s"),
        (f"load.bulk{suffix}_records", report.records, "records"),
    ]


def gctx_stage() -> list[tuple[str, float, str]]:
    """Generate (once) a 200k-signature GCTX and load it with the CLI in a child process."""
    from toolkit.demo import DemoFiles, DemoSpec, generate_demo

    spec = DemoSpec(seed=7)
    spec = replace(spec, extra_signatures=GCTX_SIGNATURES - spec.n_treated_signatures)
    root = common.HOME.parent / "gctx200k"
    files = DemoFiles.under(root)
    if not files.ground_truth.exists():
        generate_demo(root, spec)
    argv = ["load", "signatures", str(files.gctx), str(files.siginfo), str(files.geneinfo), "--top-k", str(GCTX_TOP_K)]
    wall, rss_mb, output = common.run_kgtool(*argv)
    logger.info("GCTX 200k: %s", output.strip().splitlines()[-3:])
    return [("load.gctx_200k_signatures_per_s", round(GCTX_SIGNATURES / wall), "signatures/s"),
            ("load.gctx_200k_peak_rss_mb", round(rss_mb), "MB"),
            ("load.gctx_200k_wall_s", round(wall, 1), "s"),
            ("load.gctx_200k_top_k", GCTX_TOP_K, "genes")]
