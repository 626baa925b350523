"""An example third-party source with an option of its own: ``kgtool load gene_tags FILE --gene-tag T``.

It reads a tab-separated table with an ``entrez_id`` column and writes one Gene node per row with
the property ``tag`` set to the ``--gene-tag`` value (default ``example``). It is built with the
source toolkit (:mod:`kgtool_plugins.sources.tables`), like the built-in sources.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator, Sequence

from kgtool_plugins.sources.tables import DelimitedFile, Problems, ReportingSource, checked_entrez, node_batches
from toolkit.graph.batches import Batch
from toolkit.schema import NodeLabel
from toolkit.sources import LoadOptions, SourceOption

GENE_TAG = SourceOption[str]("gene_tag", str, "example", "Example gene_tags: the tag written on every listed Gene.")


class GeneTagsSource(ReportingSource):
    """Tags the genes a table lists: Gene {entrez_id, tag}."""

    name = "gene_tags"
    description = "example third-party source: tags the genes of an entrez_id table (--gene-tag)"
    options = (GENE_TAG,)

    def _read(self, paths: Sequence[Path], options: LoadOptions, problems: Problems) -> Iterator[Batch]:
        tag = options.get(GENE_TAG)
        rows = []
        for path in paths:
            table = DelimitedFile(path, problems)
            column = table.column("entrez_id")
            for row in table.rows():
                entrez = checked_entrez(problems, path, row.record, row.get(column), "entrez_id")
                if entrez is None:
                    continue
                rows.append({"entrez_id": entrez, "tag": tag})
        yield from node_batches(NodeLabel.GENE, rows, options.batch_size)
