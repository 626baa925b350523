"""Gene identifier harmonisation: UniProtKB, Ensembl and HGNC ids and gene symbols → Entrez ids.

An :class:`IdMap` holds, per namespace, every Entrez id any source gives an identifier. It is
filled from

* what the graph knows: ``Gene.uniprot_ids``, ``Gene.ensembl_ids``, ``Gene.symbol`` and
  ``Gene.alias_symbols``, which a STRING load writes from ``9606.protein.aliases.v12.0.txt``
  (:func:`add_graph_genes`);
* mapping files the user passes (:func:`mapping_kind` tells them apart by their header):
  the HGNC complete set (``hgnc_id symbol ... entrez_id ... uniprot_ids ensembl_gene_id
  prev_symbol alias_symbol``, multi-values ``|``-separated, maybe quoted), NCBI ``gene_info``
  (``#tax_id GeneID Symbol ... Synonyms dbXrefs ...``; human rows only) and UniProt's
  ``HUMAN_9606_idmapping.dat`` (no header; ``accession<TAB>type<TAB>value``; ``GeneID`` rows, and
  ``UniProtKB-ID`` rows for entry names).

Lookups never guess: an identifier with one Entrez id maps, one with several is *ambiguous*,
one with none is *unmapped*. Symbols resolve in tiers, current symbol, then previous, then alias
(case-insensitive); the first tier that knows the symbol decides, and several Entrez ids there
are ambiguous too. Different sources are merged as a union, so two sources that disagree make an
identifier ambiguous rather than one of them winning.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Any, Iterable, Optional

from .tables import MISSING, DelimitedFile, Head, Problems, parse_int, split_list

UNIPROT = "UniProtKB"
ENSEMBL = "Ensembl"
HGNC = "HGNC"
SYMBOL = "symbol"
PREV_SYMBOL = "previous symbol"
ALIAS_SYMBOL = "alias symbol"
SYMBOL_TIERS = (SYMBOL, PREV_SYMBOL, ALIAS_SYMBOL)
HUMAN_TAXON = "9606"

# UniProt's accession format (https://www.uniprot.org/help/accession_numbers)
_ACCESSION = re.compile(r"^(?:[OPQ][0-9][A-Z0-9]{3}[0-9]|[A-NR-Z][0-9](?:[A-Z][A-Z0-9]{2}[0-9]){1,2})$")
_ENTRY_NAME = re.compile(r"^[A-Z0-9]{1,11}_[A-Z0-9]{1,5}$")
IDMAPPING_TYPES = frozenset({
    "UniProtKB-ID", "GeneID", "Gene_Name", "Gene_Synonym", "Ensembl", "Ensembl_PRO", "Ensembl_TRS",
    "RefSeq", "RefSeq_NT", "HGNC", "GI", "PDB", "UniRef100", "UniRef90", "UniRef50", "UniParc",
    "EMBL", "EMBL-CDS", "STRING", "KEGG", "GeneCards", "neXtProt", "BioGRID", "ChEMBL", "MIM",
})


def is_uniprot_accession(text: str) -> bool:
    return bool(_ACCESSION.match(text))


def is_uniprot_entry_name(text: str) -> bool:
    return bool(_ENTRY_NAME.match(text))


def _key(namespace: str, value: str) -> str:
    value = value.strip()
    if namespace == ENSEMBL:
        return value.split(".")[0].upper()  # ENSG00000141510.17 -> ENSG00000141510
    if namespace == HGNC:
        return value.upper() if value.upper().startswith("HGNC:") else f"HGNC:{value}"
    return value.upper()


class IdMap:
    """Identifier → Entrez ids, per namespace (see the module doc for the rules)."""

    def __init__(self) -> None:
        self._ids: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
        self.sources: list[str] = []  # what filled it, for messages

    def __bool__(self) -> bool:
        return any(self._ids.values())

    def has(self, namespace: str) -> bool:
        """Whether any identifier of ``namespace`` is known."""
        return bool(self._ids.get(namespace))

    def add(self, namespace: str, value: str, entrez: int) -> None:
        if value and value.strip() not in MISSING:
            self._ids[namespace][_key(namespace, value)].add(entrez)

    def ids(self, namespace: str, value: str) -> frozenset[int]:
        """All Entrez ids of ``value`` in ``namespace`` (a UniProt isoform falls back to its entry)."""
        table = self._ids.get(namespace)
        if not table:
            return frozenset()
        key = _key(namespace, value)
        found = table.get(key)
        if found is None and namespace == UNIPROT and "-" in key:
            found = table.get(key.split("-")[0])  # P12345-2 -> P12345
        return frozenset(found or ())

    def symbol(self, symbol: str) -> tuple[frozenset[int], str]:
        """``(Entrez ids, tier)`` of a gene symbol: the first of current/previous/alias that knows it."""
        for tier in SYMBOL_TIERS:
            found = self.ids(tier, symbol)
            if found:
                return found, tier
        return frozenset(), ""


# -- the graph ---------------------------------------------------------------------------------


def add_graph_genes(idmap: IdMap, rows: Iterable[dict[str, Any]]) -> int:
    """Add the graph's genes (rows of ``export/gene_ids``); return how many had an identifier."""
    n = 0
    for row in rows:
        entrez = row["entrez_id"]
        if not isinstance(entrez, int) or isinstance(entrez, bool):
            continue
        n += 1
        if row.get("symbol"):
            idmap.add(SYMBOL, row["symbol"], entrez)
        for acc in row.get("uniprot_ids") or ():
            idmap.add(UNIPROT, acc, entrez)
        for ens in row.get("ensembl_ids") or ():
            idmap.add(ENSEMBL, ens, entrez)
        for alias in row.get("alias_symbols") or ():
            idmap.add(ALIAS_SYMBOL, alias, entrez)
    if n:
        idmap.sources.append(f"{n} genes in the graph")
    return n


# -- mapping files -----------------------------------------------------------------------------


def mapping_kind(head: Head) -> Optional[str]:
    """``"hgnc"``, ``"gene_info"``, ``"idmapping"`` or None, from a file's first lines."""
    if head.has("hgnc_id", "symbol", "entrez_id"):
        return "hgnc"
    if head.has("tax_id", "GeneID", "Symbol"):
        return "gene_info"
    if len(head.fields) == 3 and head.fields[1] in IDMAPPING_TYPES and not head.has("alias", "source"):
        return "idmapping"
    return None


def read_mapping(kind: str, path: Path, idmap: IdMap, problems: Problems) -> None:
    {"hgnc": _read_hgnc, "gene_info": _read_gene_info, "idmapping": _read_idmapping}[kind](path, idmap, problems)
    idmap.sources.append(path.name)


def _entrez(path: Path, record: str, text: str, problems: Problems, column: str) -> Optional[int]:
    """An Entrez id from a mapping file: None for an empty cell; a bad one is an error (lenient: dropped)."""
    if text in MISSING or text == "-":
        return None
    entrez = parse_int(text)
    if entrez is None or entrez <= 0:
        problems.bad(path, record, f"{column} {text!r} is not an Entrez id",
                     f"use positive integer Entrez gene ids in {column}", kind="bad Entrez id")
        return None
    return entrez


def _read_hgnc(path: Path, idmap: IdMap, problems: Problems) -> None:
    table = DelimitedFile(path, problems, unquote=True)
    cols = {name: table.column(name, required=False) for name in
            ("hgnc_id", "symbol", "uniprot_ids", "ensembl_gene_id", "prev_symbol", "alias_symbol")}
    entrez_col = table.column("entrez_id")
    tiers = {"symbol": SYMBOL, "prev_symbol": PREV_SYMBOL, "alias_symbol": ALIAS_SYMBOL,
             "uniprot_ids": UNIPROT, "ensembl_gene_id": ENSEMBL, "hgnc_id": HGNC}
    for row in table.rows():
        entrez = _entrez(path, row.record, row.get(entrez_col), problems, "entrez_id")
        if entrez is None:
            continue
        for name, namespace in tiers.items():
            for value in split_list(row.get(cols[name]), "|"):
                idmap.add(namespace, value, entrez)


def _read_gene_info(path: Path, idmap: IdMap, problems: Problems) -> None:
    table = DelimitedFile(path, problems)
    tax_col, id_col, sym_col = table.column("tax_id"), table.column("GeneID"), table.column("Symbol")
    syn_col = table.column("Synonyms", required=False)
    xref_col = table.column("dbXrefs", required=False)
    authority_col = table.column("Symbol_from_nomenclature_authority", required=False)
    for row in table.rows():
        if row.get(tax_col) != HUMAN_TAXON:
            continue
        entrez = _entrez(path, row.record, row.get(id_col), problems, "GeneID")
        if entrez is None:
            continue
        idmap.add(SYMBOL, row.get(sym_col), entrez)
        authority = row.get(authority_col)
        if authority and authority != "-":
            idmap.add(SYMBOL, authority, entrez)
        for synonym in split_list(row.get(syn_col), "|"):
            if synonym != "-":
                idmap.add(ALIAS_SYMBOL, synonym, entrez)
        for xref in split_list(row.get(xref_col), "|"):
            db, _, value = xref.partition(":")
            if db == "Ensembl":
                idmap.add(ENSEMBL, value, entrez)
            elif db == "HGNC":
                idmap.add(HGNC, value, entrez)  # "HGNC:HGNC:5" -> "HGNC:5"


def _read_idmapping(path: Path, idmap: IdMap, problems: Problems) -> None:
    table = DelimitedFile(path, problems, names=("accession", "type", "value"))
    entry_names: dict[str, set[str]] = defaultdict(set)  # accession -> entry names
    gene_ids: dict[str, set[int]] = defaultdict(set)
    for row in table.rows():
        kind = row.get("type")
        if kind == "GeneID":
            entrez = _entrez(path, row.record, row.get("value"), problems, "GeneID value")
            if entrez is not None:
                gene_ids[row.get("accession")].add(entrez)
        elif kind == "UniProtKB-ID":
            entry_names[row.get("accession")].add(row.get("value"))
    for accession, entrez_ids in gene_ids.items():
        for entrez in entrez_ids:
            idmap.add(UNIPROT, accession, entrez)
            for name in entry_names.get(accession, ()):
                idmap.add(UNIPROT, name, entrez)
