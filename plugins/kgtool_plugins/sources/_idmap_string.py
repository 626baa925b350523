"""The identifiers of STRING proteins besides Entrez ids, from ``9606.protein.aliases.v12.0.txt``.

Rows of these alias sources are kept (every other source is ignored):

* UniProt accessions: ``UniProt_AC`` and ``Ensembl_HGNC_uniprot_ids`` (a value that is not an
  accession is dropped with a report line);
* UniProt entry names (``TP53_HUMAN``): ``UniProt_ID``, kept only where the name belongs to the
  proteins of one gene;
* Ensembl gene ids: ``Ensembl_gene``, ``Ensembl_HGNC_ensembl_gene_id`` (``ENSG...``);
* previous and alias symbols: ``Ensembl_HGNC_prev_symbol``, ``Ensembl_HGNC_alias_symbol``;
* the HGNC symbol: ``Ensembl_HGNC_symbol``.

:meth:`_ProteinAliases.by_gene` gathers them per Entrez id (proteins mapped by the aliases file's
Entrez rows) as sorted lists: ``uniprot_ids``, ``ensembl_ids``, ``alias_symbols`` and ``symbol``.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from ._idmap import is_uniprot_accession, is_uniprot_entry_name
from .tables import Problems, Row

ACCESSION_SOURCES = frozenset({"UniProt_AC", "Ensembl_HGNC_uniprot_ids"})
ENTRY_NAME_SOURCES = frozenset({"UniProt_ID"})
ENSEMBL_GENE_SOURCES = frozenset({"Ensembl_gene", "Ensembl_HGNC_ensembl_gene_id"})
ALIAS_SYMBOL_SOURCES = frozenset({"Ensembl_HGNC_prev_symbol", "Ensembl_HGNC_alias_symbol"})
SYMBOL_SOURCES = frozenset({"Ensembl_HGNC_symbol"})

_FIELDS = {**{s: "uniprot_ids" for s in ACCESSION_SOURCES}, **{s: "entry_names" for s in ENTRY_NAME_SOURCES},
           **{s: "ensembl_ids" for s in ENSEMBL_GENE_SOURCES}, **{s: "alias_symbols" for s in ALIAS_SYMBOL_SOURCES},
           **{s: "symbol" for s in SYMBOL_SOURCES}}


class _ProteinAliases:
    """Per STRING protein: its accessions, entry names, Ensembl gene ids and symbols."""

    def __init__(self) -> None:
        self._by_protein: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self.path = Path("protein.aliases")  # the (last) aliases file, for report lines

    def add(self, path: Path, row: Row, protein: str, source: str, value: str, problems: Problems) -> None:
        self.path = path
        name = _FIELDS.get(source)
        if name is None or not value:
            return
        if name == "uniprot_ids" and not is_uniprot_accession(value):
            problems.drop(path, row.record, f"{source} alias {value!r} of {protein} is not a UniProt accession",
                          kind="bad UniProt accession")
            return
        if name == "entry_names" and not is_uniprot_entry_name(value):
            return
        if name == "ensembl_ids" and not value.startswith("ENSG"):
            return  # LRG and other non-gene ids
        self._by_protein[protein][name].add(value)

    def by_gene(self, entrez_of: dict[str, int], problems: Problems) -> dict[int, dict[str, Any]]:
        """Sorted id lists per Entrez id (every Entrez id of ``entrez_of``); entry names and
        accessions that several genes share are reported."""
        merged: dict[int, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        for entrez in entrez_of.values():
            merged[entrez]  # every gene of the file, with ids or not
        for protein, fields in self._by_protein.items():
            entrez = entrez_of.get(protein)
            if entrez is None:
                continue
            for name, values in fields.items():
                merged[entrez][name] |= values
        genes_of: dict[tuple[str, str], set[int]] = defaultdict(set)
        for entrez, fields in merged.items():
            for name in ("uniprot_ids", "entry_names"):
                for value in fields.get(name, ()):
                    genes_of[(name, value)].add(entrez)
        shared = {key for key, genes in genes_of.items() if len(genes) > 1}
        out: dict[int, dict[str, Any]] = {}
        for entrez, fields in sorted(merged.items()):
            names = {v for v in fields.get("entry_names", ()) if ("entry_names", v) not in shared}
            row: dict[str, Any] = {
                "uniprot_ids": sorted(fields.get("uniprot_ids", set()) | names),
                "ensembl_ids": sorted(fields.get("ensembl_ids", ())),
                "alias_symbols": sorted(fields.get("alias_symbols", set()) - fields.get("symbol", set())),
            }
            if fields.get("symbol"):
                row["symbol"] = sorted(fields["symbol"])[0]
            out[entrez] = {k: v for k, v in row.items() if v}
        for kind in ("uniprot_ids", "entry_names"):
            n = sum(1 for name, _ in shared if name == kind)
            if n:
                what = ("UniProt accessions name proteins of several genes; each stays on all of them (a GO "
                        "load reports rows with them as ambiguous)" if kind == "uniprot_ids" else
                        "UniProt entry names name proteins of several genes; not stored (ambiguous)")
                problems.repair(self.path, "aliases", f"{n} {what}", kind=f"shared {kind}", rows=n)
        return out
