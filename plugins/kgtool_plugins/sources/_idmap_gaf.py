"""Entrez ids for annotation rows whose gene is named by another database (GAF column 1/2).

:class:`GeneIds` maps ``(DB, DB object id, DB object symbol)`` to one Entrez id through an
:class:`~._idmap.IdMap` filled from the mapping files of the load and, the first time a row needs it,
from the graph the load writes to (a :class:`LookupBatch` of the stored read ``export/gene_ids``,
which the source yields before it resolves the first foreign id, so before its first write). The
id decides; only an id that nothing maps falls back to the symbol (current, previous, alias). One Entrez id: mapped; several: ambiguous (never guessed); none: unmapped.

:class:`MappingCounts` counts every row of a file, exactly, whatever the report's line cap.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Optional

from toolkit.graph.batches import LookupBatch

from ._idmap import ENSEMBL, HGNC, UNIPROT, IdMap, add_graph_genes

logger = logging.getLogger(__name__)

LOOKUP = "export/gene_ids"
ENTREZ_DBS = frozenset({"ncbigene", "entrezgene", "geneid", "ncbi_gene"})
DB_NAMESPACES = {"uniprotkb": UNIPROT, "uniprot": UNIPROT, "swiss-prot": UNIPROT, "trembl": UNIPROT,
                 "ensembl": ENSEMBL, "hgnc": HGNC}

MAPPED, BY_SYMBOL, UNMAPPED, AMBIGUOUS, OTHER_DB = "mapped", "mapped by symbol", "unmapped", "ambiguous", "other DB"
WHAT_TO_LOAD = ("load STRING with its aliases file first (`kgtool load string ... "
                "9606.protein.aliases.v12.0.txt.gz`), or pass a mapping file with the annotations: HGNC "
                "hgnc_complete_set.txt, NCBI gene_info or UniProt HUMAN_9606_idmapping.dat")


@dataclass(frozen=True)
class Resolution:
    status: str  # MAPPED, BY_SYMBOL, UNMAPPED, AMBIGUOUS or OTHER_DB
    entrez: Optional[int] = None
    candidates: tuple[int, ...] = ()


@dataclass
class MappingCounts:
    """Rows of one annotation file, by what happened to their gene id."""

    rows: int = 0  # data rows read
    invalid: int = 0  # malformed rows (bad evidence code, bad Entrez id), errors unless lenient
    entrez: int = 0  # rows that name an Entrez id themselves
    mapped: int = 0  # ids mapped to one Entrez id (through the id)
    mapped_by_symbol: int = 0  # ids nothing maps whose symbol maps to one Entrez id
    unmapped: int = 0
    ambiguous: int = 0
    other_db: int = 0  # databases without a mapping (ComplexPortal, RNAcentral, ...)

    @property
    def mapped_total(self) -> int:
        return self.mapped + self.mapped_by_symbol

    @property
    def foreign(self) -> int:
        """Rows with a mappable database's id (UniProtKB, Ensembl, HGNC)."""
        return self.mapped + self.mapped_by_symbol + self.unmapped + self.ambiguous

    def add(self, status: str) -> None:
        field = {MAPPED: "mapped", BY_SYMBOL: "mapped_by_symbol", UNMAPPED: "unmapped",
                 AMBIGUOUS: "ambiguous", OTHER_DB: "other_db"}[status]
        setattr(self, field, getattr(self, field) + 1)

    def line(self) -> str:
        return (f"{self.rows} rows read: {self.entrez} on Entrez ids, {self.mapped_total} mapped to Entrez "
                f"ids ({self.mapped} by id, {self.mapped_by_symbol} by symbol), {self.unmapped} unmapped, "
                f"{self.ambiguous} ambiguous, {self.other_db} of databases without a mapping, "
                f"{self.invalid} invalid")


class GeneIds:
    """Resolves foreign gene ids (see the module doc)."""

    def __init__(self, files: IdMap) -> None:
        self._map = files
        self.asked_graph = False

    def lookup(self) -> LookupBatch:
        """The read of the graph's gene ids (yield it before the first foreign id is resolved)."""
        self.asked_graph = True
        return LookupBatch(LOOKUP, {}, self._add_graph_genes)

    def _add_graph_genes(self, records: list[dict[str, Any]]) -> None:
        n = add_graph_genes(self._map, records)
        logger.info("gene ids: %d genes of the graph can map annotation ids", n)

    @property
    def sources(self) -> list[str]:
        return self._map.sources

    def can_map(self, db: str) -> bool:
        """Whether anything (graph or mapping file) maps ids of ``db``; True for databases without a mapping
        (their rows are dropped one by one)."""
        namespace = DB_NAMESPACES.get(db.lower())
        return namespace is None or self._map.has(namespace)

    def resolve(self, db: str, obj_id: str, symbol: str) -> Resolution:
        namespace = DB_NAMESPACES.get(db.lower())
        if namespace is None:
            return Resolution(OTHER_DB)
        found = self._map.ids(namespace, obj_id)
        status = MAPPED
        if not found and symbol:
            found, _ = self._map.symbol(symbol)
            status = BY_SYMBOL
        if not found:
            return Resolution(UNMAPPED)
        if len(found) > 1:
            return Resolution(AMBIGUOUS, candidates=tuple(sorted(found)))
        return Resolution(status, entrez=next(iter(found)))
