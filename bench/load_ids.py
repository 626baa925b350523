"""Benchmark ``load_ids``: GO annotations keyed by UniProtKB accessions, mapped through STRING aliases.

On the fixture of ``tests/sources/test_id_mapping.py`` (a GAF 2.2 with ``UniProtKB`` ids and a
STRING ``9606.protein.aliases`` file with ``UniProt_AC`` rows, built from the real landmark
annotations and genes in ``../shared/data``; accessions made up in UniProt's format), through the
product path: ``kgtool load string ALIASES`` then ``kgtool load go OBO GAF`` (``toolkit.load.load``,
what the CLI runs).

* ``load.go.uniprot_gaf_rows_mapped_pct``: of the mappable rows (accession in the aliases file,
  not shared by two genes, GO id live or resolvable through alt_id/replaced_by in the ontology),
  the percentage whose (gene, term) annotation is in the graph afterwards. Target: 100.
* ``load.go.uniprot_gaf_rows``, ``..._unmapped_rows``, ``..._ambiguous_rows``: the fixture's rows,
  and the rows the load reported as unmapped and ambiguous (exact counts of the report; they must
  equal the fixture's held-out and shared-accession rows).
* ``load.go.uniprot_gaf_load_s``: wall time of the GO load (ontology + annotations).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import common


def run() -> list[tuple[str, object, str]]:
    from tests.sources.test_id_mapping import annotated_pairs, build_uniprot_fixture, expected_pairs
    from toolkit.load import load

    common.use_server_from_env()
    common.server().start(timeout=240)
    with tempfile.TemporaryDirectory() as tmp, common.empty_graph() as graph:
        fixture = build_uniprot_fixture(Path(tmp))
        settings = common.settings()
        load(graph, settings, "string", [fixture.aliases])
        started = time.perf_counter()
        report = load(graph, settings, "go", [fixture.obo, fixture.gaf])
        seconds = time.perf_counter() - started
        want, mappable_rows = expected_pairs(fixture)
        have = annotated_pairs(graph)
        loaded_rows = 0
        from kgtool_plugins.sources.tables import Problems
        from kgtool_plugins.sources.gene_ontology import load_ontology
        from toolkit.graph.batches import SourceReport

        onto = load_ontology(fixture.obo, Problems(SourceReport("go"), lenient=False))
        for entrez, go_id in fixture.mappable:
            primary, _ = onto.resolve(go_id)
            loaded_rows += primary is not None and (entrez, primary) in have
    return [
        ("load.go.uniprot_gaf_rows_mapped_pct", round(100.0 * loaded_rows / mappable_rows, 3), "%"),
        ("load.go.uniprot_gaf_rows", fixture.rows, "rows"),
        ("load.go.uniprot_gaf_mappable_rows", mappable_rows, "rows"),
        ("load.go.uniprot_gaf_unmapped_rows", report.dropped_by_reason.get("unmapped id", 0), "rows"),
        ("load.go.uniprot_gaf_ambiguous_rows", report.dropped_by_reason.get("ambiguous id", 0), "rows"),
        ("load.go.uniprot_gaf_expected_pairs_missing", len(want - have), "pairs"),
        ("load.go.uniprot_gaf_load_s", round(seconds, 1), "s"),
    ]
