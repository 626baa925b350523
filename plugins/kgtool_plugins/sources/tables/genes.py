"""Gene tables (CLUE ``geneinfo_beta``, LINCS 2017 ``gene_info``, the landmark list): symbols and
probe ids to Entrez ids, and which genes are landmarks."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from .delimited import DelimitedFile
from .problems import Problems
from .text import Head
from .values import MISSING, parse_int

GENE_ID_COLUMNS = ("gene_id", "pr_gene_id", "entrez_id", "Entrez Gene ID")
GENE_SYMBOL_COLUMNS = ("gene_symbol", "pr_gene_symbol", "symbol", "Gene Symbol")
LANDMARK_FLAG_COLUMNS = ("pr_is_lm", "pr_is_lmark", "is_lm")
PROBE_COLUMNS = ("pr_id",)


def checked_entrez(problems: Problems, path: Path, record: str, text: str, what: str = "gene id") -> Optional[int]:
    """``text`` as a positive Entrez id, or None after reporting the record as a bad gene id
    (an error unless the load is lenient)."""
    entrez = parse_int(text)
    if entrez is None or entrez <= 0:
        problems.bad(path, record, f"{what} {text!r} is not an Entrez id", "use positive integer Entrez gene ids",
                     kind="bad gene id")
        return None
    return entrez


def is_gene_table(head: Head) -> bool:
    """A table of genes: an Entrez id column and a symbol column, and no compound or GO columns."""
    return (
        head.has_any(*GENE_ID_COLUMNS)
        and head.has_any(*GENE_SYMBOL_COLUMNS)
        and not head.has_any("pert_id", "sig_id", "go_id", "entrez_a")
    )


@dataclass
class GeneTable:
    """Entrez ids with symbols, probe ids and landmark flags, merged from one or more gene tables."""

    symbols: dict[int, str] = field(default_factory=dict)
    landmarks: set[int] = field(default_factory=set)
    has_landmark_info: bool = False
    probes: dict[str, int] = field(default_factory=dict)
    _by_symbol: Optional[dict[str, set[int]]] = field(default=None, repr=False)

    def read(self, path: Path, problems: Problems) -> None:
        """Add the genes of one table (see :data:`GENE_ID_COLUMNS` for the accepted layouts)."""
        table = DelimitedFile(path, problems)
        id_col = table.column(*GENE_ID_COLUMNS)
        sym_col = table.column(*GENE_SYMBOL_COLUMNS)
        space_col = table.column("feature_space", required=False)
        flag_col = table.column(*LANDMARK_FLAG_COLUMNS, required=False)
        probe_col = table.column(*PROBE_COLUMNS, required=False)
        if space_col or flag_col:
            self.has_landmark_info = True
        for row in table.rows():
            entrez = checked_entrez(problems, path, row.record, row.get(id_col))
            if entrez is None:
                continue
            symbol = row.get(sym_col)
            if symbol and symbol not in MISSING:
                self.symbols.setdefault(entrez, symbol)
            if space_col and row.get(space_col).lower() == "landmark":
                self.landmarks.add(entrez)
            if flag_col and row.get(flag_col).lower() in ("1", "1.0", "true", "yes"):
                self.landmarks.add(entrez)
            if probe_col and row.get(probe_col):
                self.probes.setdefault(row.get(probe_col), entrez)
        self._by_symbol = None

    def ids_for_symbol(self, symbol: str) -> set[int]:
        """Entrez ids whose symbol is ``symbol`` (case-insensitive)."""
        if self._by_symbol is None:
            index: dict[str, set[int]] = defaultdict(set)
            for entrez, sym in self.symbols.items():
                index[sym.upper()].add(entrez)
            self._by_symbol = dict(index)
        return self._by_symbol.get(symbol.strip().upper(), set())
