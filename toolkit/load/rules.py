"""How a load merges what several sources say, so that any load order gives the same graph.

Nodes several sources write are MERGEd by key, and the properties two sources may disagree on
follow one rule, independent of order:

- a source never erases a value: sources drop missing values (``None``/NaN) from their rows;
- a property several sources give is *contested* (:data:`PRECEDENCE`): the better-ranked source
  wins, whichever is loaded first; a worse-ranked source only fills it where it is missing; the
  same source overwrites it (a re-load with a corrected file updates it); a source not listed
  ranks below the listed ones, and of two unlisted sources the larger name wins. The winner is recorded
  in ``<property>_source`` (e.g. ``Gene.symbol_source = 'string'``). ``Gene.symbol``: STRING and
  GO carry NCBI Gene's symbols (the authority for the Entrez ids we key on), the L1000 tables
  CMap's frozen 2015-2017 symbols (``PAPD7``, ``HIST2H2BE``), so string > go > signatures >
  compounds. ``Compound.name``: the curated compound tables (compounds) over the names in
  signature metadata (signatures);
- other properties have one source (structures: compounds; ``is_landmark``, z-vectors:
  signatures; ``string_id``: string; GO terms: go).
- cross-references a load cannot resolve yet wait in the graph: target symbols of compounds
  loaded before their genes stay in ``Compound.unresolved_targets``, and every load that writes
  Gene or Compound nodes ends with :func:`link_unresolved_targets`, which links those the graph
  now resolves (the summary and the Run's ``targets_linked`` say how many), so compounds then
  STRING gives the TARGETS that STRING then compounds gives.

The ranks apply to writes through :func:`toolkit.load.load`; other writers (and the bulk import,
:mod:`toolkit.load.bulk`) set every property they are given. ``tests/test_load_order.py`` loads the
four real sources forward, backward and shuffled twice and compares the canonical dumps.

**One MoA node per mechanism, however it is spelled.** CLUE, LINCS and the Repurposing Hub spell
one MoA differently (``Melatonin receptor agonist`` / ``melatonin receptor agonist``, trailing
spaces, en dashes). :func:`toolkit.names.label_key` is the normalised name (Unicode NFKC, dashes as ``-``,
whitespace collapsed, case-folded); the node's ``name`` is the preferred spelling
(:func:`toolkit.names.preferred_label`: fewest Capitalised words, then most capitals, so ``EGFR inhibitor``
over ``EGFR Inhibitor`` and ``egfr inhibitor``: the Hub's style) among all spellings the graph
and the load have seen (:class:`MoaNames`). A load that brings a better spelling of a known MoA
renames its node (its relationships stay), so the name does not depend on the order of loads either.
"""

from __future__ import annotations

import logging
from typing import Iterable, Optional

from toolkit import cypher
from toolkit.graph.batches import Batch, NodeBatch, RelBatch
from toolkit.graph.db import Graph
from toolkit.names import label_key, preferred_label, tidy_label
from toolkit.schema import NodeLabel

logger = logging.getLogger(__name__)

# Properties several sources give, with the sources from best to worst (see the module doc).
PRECEDENCE: dict[tuple[NodeLabel, str], tuple[str, ...]] = {
    (NodeLabel.GENE, "symbol"): ("string", "go", "signatures", "compounds"),
    (NodeLabel.COMPOUND, "name"): ("compounds", "signatures"),
}

LINK_TARGETS = "write/link_unresolved_targets"
LINKS_AFTER = frozenset({NodeLabel.GENE.value, NodeLabel.COMPOUND.value})  # rows of these: link afterwards


def better_spelling(held: Optional[str], spelling: str) -> str:
    """The name of an MoA node that has name ``held`` (None: no node yet) and is also spelled ``spelling``."""
    return tidy_label(spelling) if held is None else preferred_label([held, spelling])


class MoaNames:
    """Maps each MoA spelling of a load to the one node name of its :func:`label_key`."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self._by_key: Optional[dict[str, str]] = None

    def _known(self) -> dict[str, str]:
        if self._by_key is None:
            self._by_key = {}
            for row in self.graph.read(cypher.load("export/moa_names")):
                key = label_key(row["name"])
                held = self._by_key.get(key)
                self._by_key[key] = row["name"] if held is None else preferred_label([held, row["name"]])
        return self._by_key

    def name(self, spelling: str) -> str:
        known = self._known()
        key = label_key(spelling)
        held = known.get(key)
        best = better_spelling(held, spelling)
        if held is not None and best != held:
            self.graph.write(cypher.load("write/rename_moa"), old=held, new=best)
            logger.info("MoA %r renamed to the preferred spelling %r", held, best)
        known[key] = best
        return best

    def apply(self, batch: Batch) -> Batch:
        if isinstance(batch, NodeBatch) and batch.label is NodeLabel.MOA:
            rows = tuple({**row, "name": self.name(row["name"])} for row in batch.rows)
            return NodeBatch(batch.label, rows)
        if isinstance(batch, RelBatch) and batch.end is NodeLabel.MOA:
            rows = tuple({**row, "end": self.name(row["end"])} for row in batch.rows)
            return RelBatch(batch.rel_type, batch.start, batch.end, rows)
        return batch


class LoadMoaNames(MoaNames):
    """MoA names from the spellings of one load only (the database is empty or replaced)."""

    def __init__(self, spellings: Iterable[str]) -> None:
        self._by_key = {}
        for spelling in spellings:
            key = label_key(spelling)
            self._by_key[key] = better_spelling(self._by_key.get(key), spelling)

    def name(self, spelling: str) -> str:
        return self._by_key[label_key(spelling)]


def link_unresolved_targets(graph: Graph) -> int:
    """Link the ``Compound.unresolved_targets`` the graph's genes now resolve; the number linked.

    One write transaction (``cypher/write/link_unresolved_targets``: a symbol of exactly one gene,
    else an alias symbol of exactly one gene; ambiguous and unknown symbols stay on the list).
    """
    records = graph.write_records(cypher.load(LINK_TARGETS))
    linked = int(records[0]["linked"] or 0) if records else 0
    if linked:
        logger.info("%d target symbols of earlier compound loads linked to genes of the graph", linked)
    return linked
