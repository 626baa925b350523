"""Target symbols of the compound tables -> Entrez ids of genes, for TARGETS.

A symbol (matched after NFKC normalisation, without spaces, case-insensitively) resolves, first
rule that applies:

1. through a gene table passed with the compound tables (``geneinfo_beta``, ``gene_info``, the
   landmark list): the user's explicit mapping;
2. through the genes already in the graph (STRING, GO, signatures loaded before), by their
   ``symbol``: the graph is asked during the load (:class:`LookupBatch`, the stored read
   ``export/genes_by_symbol``, symbols as parameters), before the first write of this load;
3. through the graph genes' ``alias_symbols`` (where a source stored them), reported as repaired.

A symbol that names two or more genes at the first rule that finds it is ambiguous: reported,
never guessed. Unresolved and ambiguous symbols get no TARGETS, with one report line each (the
lines are capped, the counts per reason exact), and one log line gives the totals.

Loads work in any order: the symbols a compound could not link (unresolved and ambiguous) stay on
the node as ``Compound.unresolved_targets`` (sorted, as written), and after every load that writes
Gene or Compound nodes :func:`toolkit.load.load` runs ``cypher/write/link_unresolved_targets``
(:func:`toolkit.load.link_unresolved_targets`), which links those
the graph's genes now resolve by rules 2 and 3 (one gene, never a guess) and takes them off the
list (an emptied list is removed). Compounds loaded before STRING thus get the TARGETS they get
when loaded after it.
"""

from __future__ import annotations

import logging
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Mapping, Optional, Sequence

from toolkit.graph.batches import LookupBatch

from .tables import GeneTable, Problems

logger = logging.getLogger(__name__)

LOOKUP = "export/genes_by_symbol"
LOOKUP_CHUNK = 5_000  # symbols per graph lookup


def symbol_key(text: str) -> str:
    """A target symbol as matched: NFKC (full-width letters, odd dashes), no spaces, upper-case."""
    return "".join(unicodedata.normalize("NFKC", text).split()).upper()


@dataclass
class GraphGenes:
    """Genes of the graph by upper-cased symbol and by upper-cased alias symbol (filled by lookups)."""

    by_symbol: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    by_alias: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))

    def add(self, records: list[dict]) -> None:
        for r in records:
            if r.get("entrez_id") is None:
                continue
            if r.get("symbol"):
                self.by_symbol[r["symbol"]].add(r["entrez_id"])
            for alias in r.get("aliases") or ():
                self.by_alias[alias].add(r["entrez_id"])

    def lookups(self, keys: Sequence[str]) -> Iterator[LookupBatch]:
        """The reads that fill this object for ``keys`` (upper-cased symbols)."""
        for i in range(0, len(keys), LOOKUP_CHUNK):
            yield LookupBatch(LOOKUP, {"symbols": list(keys[i:i + LOOKUP_CHUNK])}, self.add)


@dataclass(frozen=True)
class Resolved:
    """Entrez id per resolved symbol (as written), and how many symbols each rule resolved."""

    ids: Mapping[str, int]
    via_table: int
    via_graph: int
    via_alias: int
    unresolved: int
    ambiguous: int
    not_linked: frozenset[str] = frozenset()  # the unresolved and ambiguous symbols (as written)


def resolve(symbols: Sequence[str], table: Optional[GeneTable], graph: GraphGenes,
            seen: Mapping[str, tuple[Path, str]], problems: Problems) -> Resolved:
    """Resolve ``symbols`` (as written; ``seen`` says where each first appears) by the rules above."""
    ids: dict[str, int] = {}
    not_linked: set[str] = set()
    tally = {"table": 0, "graph": 0, "alias": 0, "unresolved": 0, "ambiguous": 0}
    for sym in symbols:
        key = symbol_key(sym)
        where = seen[sym]
        rules = (("table", table.ids_for_symbol(key) if table else set(), "the gene table"),
                 ("graph", graph.by_symbol.get(key, set()), "the graph's gene symbols"),
                 ("alias", graph.by_alias.get(key, set()), "the graph's alias symbols"))
        for rule, found, name in rules:
            if len(found) == 1:
                ids[sym] = next(iter(found))
                tally[rule] += 1
                if rule == "alias":
                    problems.repair(*where, f"target symbol {sym!r} is an alias symbol of gene {ids[sym]}; "
                                    "TARGETS linked to it", kind="target via alias symbol")
                break
            if found:
                tally["ambiguous"] += 1
                not_linked.add(sym)
                problems.drop(*where, f"target symbol {sym!r} is ambiguous in {name} (Entrez ids "
                              f"{', '.join(map(str, sorted(found)))}); TARGETS not loaded (kept in "
                              "Compound.unresolved_targets)", kind="ambiguous target")
                break
        else:
            tally["unresolved"] += 1
            not_linked.add(sym)
            where_looked = "in the gene table or" if table else "(no gene table passed) or"
            problems.drop(*where, f"target symbol {sym!r} is not {where_looked} among the graph's genes; "
                          "TARGETS not loaded (kept in Compound.unresolved_targets: linked when a later load "
                          "brings the gene)", kind="unresolved target")
    result = Resolved(ids, tally["table"], tally["graph"], tally["alias"], tally["unresolved"], tally["ambiguous"],
                      frozenset(not_linked))
    logger.info("targets: %d symbols: %d linked (%d through the gene table, %d through the graph's symbols, %d "
                "through alias symbols), %d unresolved, %d ambiguous", len(symbols), len(ids), result.via_table,
                result.via_graph, result.via_alias, result.unresolved, result.ambiguous)
    return result
