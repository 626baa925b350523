"""STRING protein–protein interactions as ``(:Gene)-[:INTERACTS_WITH {score}]-(:Gene)``.

Inputs, told apart by their header (gzip or not):

* an Entrez-keyed edge table, tab-separated: ``entrez_a symbol_a entrez_b symbol_b ...
  combined_score`` (the symbol columns are optional; other score columns are ignored);
* STRING's own ``9606.protein.links[.detailed|.full].v12.0.txt``: space-separated
  ``protein1 protein2 [channel scores ...] combined_score`` on STRING ids (``9606.ENSP...``).
  These need ``9606.protein.aliases.v12.0.txt`` (``#string_protein_id alias source``) among the
  paths: integer aliases of sources that mention Entrez give the Entrez id (the one most sources
  name). ``9606.protein.info.v12.0.txt`` (``#string_protein_id preferred_name ...``) adds symbols.
  A links line with a tab in it (the file is space-separated) is an error naming the line
  (``lenient``: skipped and reported), and so is a last line without a line break (the file was
  cut there: ``combined_score`` 40 may be the first digits of 400).

The aliases file also gives each gene the identifiers other files name it by, so that those files
can be mapped to Entrez ids later (the go source maps ``goa_human.gaf`` through them):
``uniprot_ids`` (accessions of ``UniProt_AC`` and ``Ensembl_HGNC_uniprot_ids``, and ``UniProt_ID``
entry names where the name belongs to one gene), ``ensembl_ids`` (``Ensembl_gene``,
``Ensembl_HGNC_ensembl_gene_id``) and ``alias_symbols`` (HGNC previous and alias symbols), each a
sorted list; ``Ensembl_HGNC_symbol`` is the symbol where no info file names one. An accession
that names proteins of two genes stays on both (reported; lookups call it ambiguous).

Yields Gene nodes ``{entrez_id, symbol, string_id, uniprot_ids, ensembl_ids, alias_symbols}``
(what is known) for genes with a kept edge and for every gene of the aliases file, then one
INTERACTS_WITH per unordered pair, from the smaller to the larger Entrez id, with
``{score: int}`` = the largest ``combined_score`` seen for the pair (STRING lists both
directions). One pair of the file (the same two ids, either order) listed with different scores
is a conflict: reported with both lines, the larger score kept. Pairs scoring below
``min_score`` (``--min-score``) are left out; self-loops (also those that appear when two STRING proteins
map to one gene) are dropped and reported.

Edges are kept as packed int64 pair keys, int16 scores and the pair as written and its line for
conflict reports (22 bytes an edge line), so the full human STRING network (about 13.7 million
lines) fits in a few hundred MB.
"""

from __future__ import annotations

import logging
from array import array
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Optional, Sequence

from toolkit.errors import InputDataError
from toolkit.graph.batches import Batch
from toolkit.hookspecs import hookimpl
from toolkit.schema import NodeLabel, RelType
from toolkit.sources import LoadOptions, SourceOption

from ._idmap_string import _ProteinAliases
from .tables import DelimitedFile, Problems, ReportingSource, clean, node_batches, parse_int, rel_batches, sniff

if TYPE_CHECKING:
    import numpy as np

logger = logging.getLogger(__name__)

MAX_SCORE = 1000
_SHIFT = 32  # pair key = smaller id << 32 | larger id (Entrez ids are < 2**31)
_PROTEIN_PAIR = 1 << 62  # marks an origin key made of STRING protein numbers
ENTREZ_ID_SUFFIXES = ("entrez_id", "entrez_gene_id", "geneid")  # sources whose aliases must be Entrez ids


@dataclass
class _StringIds:
    """STRING protein id → Entrez id and symbol, from protein.aliases and protein.info files, and the
    other ids of each protein (:class:`_ProteinAliases`)."""

    entrez: dict[str, int] = field(default_factory=dict)
    symbols: dict[str, str] = field(default_factory=dict)
    aliases: _ProteinAliases = field(default_factory=lambda: _ProteinAliases())

    def read_aliases(self, path: Path, problems: Problems) -> None:
        table = DelimitedFile(path, problems)
        id_col = table.column("string_protein_id", "protein_external_id")
        alias_col = table.column("alias")
        source_col = table.column("source")
        votes: dict[str, Counter[int]] = defaultdict(Counter)
        for row in table.rows():
            source = row.get(source_col)
            if "entrez" not in source.lower():
                self.aliases.add(path, row, row.get(id_col), source, row.get(alias_col), problems)
                continue
            entrez = parse_int(row.get(alias_col))
            if entrez is None or entrez <= 0:
                if source.lower().endswith(ENTREZ_ID_SUFFIXES):
                    problems.drop(path, row.record, f"Entrez alias {row.get(alias_col)!r} is not an integer id",
                                  kind="bad Entrez alias")
                # other Entrez-named sources (Ensembl_EntrezGene, ..._trans_name) hold names: not ids
                continue
            votes[row.get(id_col)][entrez] += 1
        ambiguous = 0
        for string_id, counter in votes.items():
            # the id named by most alias sources, then the smallest: deterministic
            best = min(counter.items(), key=lambda kv: (-kv[1], kv[0]))[0]
            ambiguous += len(counter) > 1
            self.entrez.setdefault(string_id, best)
        if ambiguous:
            problems.repair(path, "aliases", f"{ambiguous} STRING ids have several Entrez aliases; "
                            "kept the one most alias sources name (then the smallest id)", kind="ambiguous",
                            rows=ambiguous)

    def gene_ids(self, problems: Problems) -> dict[int, dict[str, Any]]:
        """Per Entrez id of the aliases file: symbol (HGNC), uniprot_ids, ensembl_ids, alias_symbols."""
        return self.aliases.by_gene(self.entrez, problems)

    def read_info(self, path: Path, problems: Problems) -> None:
        table = DelimitedFile(path, problems)
        id_col = table.column("string_protein_id", "protein_external_id")
        name_col = table.column("preferred_name")
        for row in table.rows():
            if row.get(name_col):
                self.symbols.setdefault(row.get(id_col), row.get(name_col))


class _Edges:
    """Undirected scored edges, compact: packed pair keys and scores in growable arrays, with the
    pair as the file wrote it (``origins``: Entrez pair, or STRING protein pair numbers with bit 62
    set) and its line, to find one pair listed with different scores."""

    def __init__(self) -> None:
        self.keys = array("q")
        self.scores = array("h")
        self.origins = array("q")
        self.lines = array("i")
        self.files: list[tuple[int, Path]] = []  # (first edge index, file)
        self.proteins: dict[str, int] = {}  # STRING protein id -> number (for origins)
        self.symbols: dict[int, str] = {}
        self.string_ids: dict[int, str] = {}

    def start_file(self, path: Path) -> None:
        self.files.append((len(self.keys), path))

    def protein(self, string_id: str) -> int:
        return self.proteins.setdefault(string_id, len(self.proteins))

    def add(self, a: int, b: int, score: int, line: int, origin: Optional[tuple[int, int]] = None) -> None:
        if a > b:
            a, b = b, a
        self.keys.append((a << _SHIFT) | b)
        self.scores.append(score)
        if origin is None:
            self.origins.append((a << _SHIFT) | b)
        else:
            x, y = sorted(origin)
            self.origins.append(_PROTEIN_PAIR | (x << _SHIFT) | y)
        self.lines.append(line)

    def _where(self, index: int) -> tuple[Path, int]:
        path = next(p for start, p in reversed(self.files) if start <= index)
        return path, self.lines[index]

    def _pair(self, origin: int) -> str:
        x, y = (origin & ~_PROTEIN_PAIR) >> _SHIFT, origin & ((1 << _SHIFT) - 1)
        if origin & _PROTEIN_PAIR:
            names = {n: s for s, n in self.proteins.items() if n in (x, y)}
            return f"STRING proteins {names[x]} and {names[y]}"
        return f"genes {x} and {y}"

    def report_conflicts(self, problems: Problems) -> None:
        """One report line per pair of the files listed with different scores (both lines named)."""
        import numpy as np

        if len(self.origins) < 2:
            return
        origins = np.frombuffer(self.origins, dtype=np.int64)
        scores = np.frombuffer(self.scores, dtype=np.int16)
        order = np.lexsort((-np.arange(len(origins)), scores, origins))  # the max of a pair: its first line
        sorted_origins = origins[order]
        first = np.ones(len(order), dtype=bool)
        first[1:] = sorted_origins[1:] != sorted_origins[:-1]
        starts = np.flatnonzero(first)
        ends = np.append(starts[1:], len(order)) - 1
        differ = scores[order[starts]] != scores[order[ends]]
        for lo_i, hi_i in zip(order[starts[differ]].tolist(), order[ends[differ]].tolist()):
            (lo_path, lo_line), (hi_path, hi_line) = self._where(lo_i), self._where(hi_i)
            lo_at = f"line {lo_line}" if lo_path == hi_path else f"{lo_path} line {lo_line}"
            problems.repair(
                hi_path, f"line {hi_line}",
                f"{self._pair(int(origins[hi_i]))} are listed with combined_score {scores[hi_i]} (line {hi_line}) "
                f"and {scores[lo_i]} ({lo_at}); kept the larger, {scores[hi_i]}",
                kind="pair listed with different scores",
            )

    def unique(self, min_score: int) -> tuple[np.ndarray, np.ndarray]:
        """Sorted unique pair keys with their largest score, those below ``min_score`` left out."""
        import numpy as np

        keys = np.frombuffer(self.keys, dtype=np.int64) if len(self.keys) else np.empty(0, np.int64)
        scores = np.frombuffer(self.scores, dtype=np.int16) if len(self.scores) else np.empty(0, np.int16)
        order = np.lexsort((scores, keys))  # by key, then score: the last of each key is its max
        keys, scores = keys[order], scores[order]
        last = np.ones(len(keys), dtype=bool)
        if len(keys) > 1:
            last[:-1] = keys[:-1] != keys[1:]
        keys, scores = keys[last], scores[last]
        keep = scores >= min_score
        return keys[keep], scores[keep]


MIN_SCORE = SourceOption[int]("min_score", int, 0, "STRING: minimum combined score (0-1000).")


class StringSource(ReportingSource):
    """STRING interactions on Entrez gene ids."""

    name = "string"
    description = "STRING protein interactions (Entrez edge table, or STRING links + aliases) as INTERACTS_WITH {score}"
    options = (MIN_SCORE,)

    def _read(self, paths: Sequence[Path], options: LoadOptions, problems: Problems) -> Iterator[Batch]:
        entrez_tables: list[Path] = []
        links: list[Path] = []
        ids = _StringIds()
        aliases: list[Path] = []
        for path in map(Path, paths):
            head = sniff(path)
            if head.has("entrez_a", "entrez_b"):
                entrez_tables.append(path)
            elif head.has("protein1", "protein2"):
                links.append(path)
            elif head.has("alias", "source"):
                aliases.append(path)
                ids.read_aliases(path, problems)
            elif head.has("preferred_name"):
                ids.read_info(path, problems)
            else:
                raise InputDataError(
                    path, "header", f"not a STRING table (header starts {', '.join(head.fields[:5])!r})",
                    "pass an edge table with entrez_a/entrez_b/combined_score columns, or STRING's "
                    "protein.links file with its protein.aliases (and protein.info) files",
                )
        if links and not ids.entrez:
            raise InputDataError(
                links[0], "header", "STRING protein ids (protein1/protein2) cannot be mapped to Entrez ids",
                "add STRING's 9606.protein.aliases.v12.0.txt[.gz] to the paths"
                + (" (the aliases file given has no Entrez rows)" if aliases else ""),
            )
        edges = _Edges()
        for path in entrez_tables:
            edges.start_file(path)
            self._read_entrez_table(path, edges, problems)
        for path in links:
            edges.start_file(path)
            self._read_links(path, ids, edges, problems, tabbed=("\t" in sniff(path).first_line))
        edges.report_conflicts(problems)
        # string_id and symbol for genes met through STRING ids (also for Entrez tables, if given)
        for string_id, entrez in sorted(ids.entrez.items()):
            edges.string_ids.setdefault(entrez, string_id)
            if string_id in ids.symbols:
                edges.symbols.setdefault(entrez, ids.symbols[string_id])
        alias_ids = ids.gene_ids(problems)

        import numpy as np

        min_score = options.get(MIN_SCORE)
        keys, scores = edges.unique(min_score)
        logger.info("string: %d unique pairs with score >= %d (from %d edge lines)",
                    len(keys), min_score, len(edges.keys))
        starts = (keys >> _SHIFT).astype(np.int64)
        ends = (keys & ((1 << _SHIFT) - 1)).astype(np.int64)
        genes = np.unique(np.concatenate([starts, ends, np.array(sorted(alias_ids), dtype=np.int64)]))
        gene_rows = (
            clean({"entrez_id": g, "symbol": edges.symbols.get(g, alias_ids.get(g, {}).get("symbol")),
                   "string_id": edges.string_ids.get(g),
                   **{k: v for k, v in alias_ids.get(g, {}).items() if k != "symbol"}})
            for g in genes.tolist()
        )
        yield from node_batches(NodeLabel.GENE, gene_rows, options.batch_size)
        rel_rows = (
            {"start": int(a), "end": int(b), "props": {"score": int(s)}}
            for a, b, s in zip(starts.tolist(), ends.tolist(), scores.tolist())
        )
        yield from rel_batches(RelType.INTERACTS_WITH, NodeLabel.GENE, NodeLabel.GENE, rel_rows, options.batch_size)

    @staticmethod
    def _score(path: Path, record: str, text: str, problems: Problems) -> Optional[int]:
        score = parse_int(text)
        if score is None:
            problems.bad(path, record, f"combined_score {text!r} is not an integer",
                         "use integer scores 0..1000 as STRING writes them", kind="non-numeric score")
            return None
        if not 0 <= score <= MAX_SCORE:
            problems.bad(path, record, f"combined_score {score} is outside 0..{MAX_SCORE}",
                         "use STRING's integer scores (0..1000), not probabilities or other scales",
                         kind="score out of range")
            return None
        return score

    def _read_entrez_table(self, path: Path, edges: _Edges, problems: Problems) -> None:
        table = DelimitedFile(path, problems)
        col_a = table.column("entrez_a")
        col_b = table.column("entrez_b")
        col_score = table.column("combined_score")
        sym_a = table.column("symbol_a", required=False)
        sym_b = table.column("symbol_b", required=False)
        for row in table.rows():
            a, b = parse_int(row.get(col_a)), parse_int(row.get(col_b))
            if a is None or b is None or a <= 0 or b <= 0:
                bad = row.get(col_a) if a is None or a <= 0 else row.get(col_b)
                problems.bad(path, row.record, f"gene id {bad!r} is not an Entrez id",
                             "use positive integer Entrez gene ids in entrez_a/entrez_b", kind="bad gene id")
                continue
            score = self._score(path, row.record, row.get(col_score), problems)
            if score is None:
                continue
            if a == b:
                problems.drop(path, row.record, f"self-loop on gene {a}", kind="self-loop")
                continue
            if sym_a and row.get(sym_a):
                edges.symbols.setdefault(a, row.get(sym_a))
            if sym_b and row.get(sym_b):
                edges.symbols.setdefault(b, row.get(sym_b))
            edges.add(a, b, score, row.line)

    def _read_links(self, path: Path, ids: _StringIds, edges: _Edges, problems: Problems, tabbed: bool) -> None:
        table = (DelimitedFile(path, problems, sep=None, complete_lines=True) if tabbed
                 else _SpaceSeparated(path, problems))
        col_a = table.column("protein1")
        col_b = table.column("protein2")
        col_score = table.column("combined_score")
        for row in table.rows():
            score = self._score(path, row.record, row.get(col_score), problems)
            if score is None:
                continue
            p1, p2 = row.get(col_a), row.get(col_b)
            a, b = ids.entrez.get(p1), ids.entrez.get(p2)
            if a is None or b is None:
                missing = p1 if a is None else p2
                problems.drop(path, row.record, f"STRING protein {missing} has no Entrez id in the aliases file",
                              kind="unmapped STRING id")
                continue
            if a == b:
                problems.drop(path, row.record, f"self-loop on gene {a} ({p1}, {p2})", kind="self-loop")
                continue
            edges.add(a, b, score, row.line, (edges.protein(p1), edges.protein(p2)))


class _SpaceSeparated(DelimitedFile):
    """A space-separated STRING file (split on whitespace) in which a line holding a tab is an error
    (``lenient``: skipped and reported): a tab means the line was written by another tool."""

    def __init__(self, path: Path, problems: Problems) -> None:
        super().__init__(path, problems, sep=None, complete_lines=True)
        self._lines = self._without_tabs(self._lines)

    def _without_tabs(self, lines: Iterator[tuple[int, str]]) -> Iterator[tuple[int, str]]:
        for line_no, text in lines:
            if "\t" in text:
                self._problems.bad(self.path, f"line {line_no}", "tab-separated values in a space-separated file",
                                   "separate the columns with single spaces, as STRING writes them",
                                   kind="tab in a space-separated file")
                continue
            yield line_no, text


@hookimpl
def kgtool_register_sources(register) -> None:  # type: ignore[no-untyped-def]
    register(StringSource())
