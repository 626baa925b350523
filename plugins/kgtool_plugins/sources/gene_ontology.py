"""Gene Ontology terms, their is_a/part_of hierarchy, and gene annotations.

Paths may mix kinds, told apart by name and first line:

* the ontology, OBO 1.2 (``.obo`` or ``.obo.gz``, or a first line ``format-version:``), parsed with
  ``obonet`` (pronto rejects the real go-basic file). Exactly one per load. Each stanza is checked
  first: a [Term] without ``id:`` or ``name:`` (as a file cut mid-stanza ends), a last stanza whose
  last line has no line break (a file cut mid-line: ``name: big pro``) and an id defined twice are
  errors naming the file and the stanza's line (``lenient``: the stanza is dropped, the first
  definition of an id kept, and reported); definitions are never merged.
* GAF 2.1/2.2 annotation files (first line ``!gaf-version: 2.x``; 17 tab-separated columns; a file
  without that line is read as GAF 2.2 and reported). Rows of DB ``NCBIGene`` give the Entrez id
  in column 2; ``UniProtKB`` (as EBI's ``goa_human.gaf.gz``), ``Ensembl`` and ``HGNC`` ids are mapped
  to Entrez ids through the graph (the ``Gene.uniprot_ids``/``ensembl_ids``/``alias_symbols`` a
  STRING load with its aliases file wrote) and the mapping files given with the annotations (HGNC
  complete set, NCBI ``gene_info``, UniProt ``HUMAN_9606_idmapping``; see ``_idmap``): an id with
  several Entrez ids is reported as ambiguous, never guessed; when nothing maps a row's database
  (no gene in the graph has such ids and no mapping file was given) the load stops before writing
  anything, saying what to load first. The graph is asked once, through a ``LookupBatch`` yielded
  before the first such row. The report gets one exact count line per file (rows read, on Entrez
  ids, mapped, unmapped, ambiguous); a file whose rows are all dropped is an error. An evidence code that is
  not one of GO's (:data:`GO_EVIDENCE_CODES`) is an error (``lenient``: the row is dropped). A last
  line without a line break (a cut file) is an error too (``lenient``: dropped and reported).
* long gene→GO tables: ``entrez_gene_id`` (or ``gene_id``/``GeneID``), ``go_id`` (or ``GO_ID``),
  optional ``gene_symbol``, ``evidence``/``Evidence``/``annotation_type``, ``qualifier`` (NCBI's
  ``gene2go`` fits);
* wide tables (dhimmel/gene-ontology): ``go_id ... gene_ids [gene_symbols]`` with pipe-separated
  Entrez ids (and symbols in the same order), ``annotation_type`` as the evidence.

Yields GOTerm nodes ``{go_id, name, namespace, obsolete, alt_ids}`` for every term (obsolete ones
too, flagged), IS_A and PART_OF from child to parent between live terms, Gene nodes
``{entrez_id, symbol}`` and ANNOTATED_WITH ``{evidence}``: one per gene–term pair, ``evidence``
being the pair's evidence codes joined by ``|`` in sorted order (the GAF evidence code, or a
table's annotation type, ``unspecified`` when a table has none).

Annotation GO ids are resolved against the ontology: an ``alt_id`` goes to its primary term and an
obsolete term with ``replaced_by`` to its replacement (both reported as repaired); an obsolete term
without replacement, or an id the ontology does not define, is dropped with a report line. Rows
with a ``NOT`` qualifier are dropped (reported). With ``options.propagate`` (default
False) every gene is also annotated, ``{evidence: "propagated"}``, to all ancestors of its
terms through is_a and part_of, where it has no direct annotation.

A parent id no term defines, or an is_a/part_of cycle, is an error naming the term (``lenient``:
the edge is dropped and reported).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional, Sequence

from toolkit.errors import InputDataError
from toolkit.graph.batches import Batch, LookupBatch
from toolkit.hookspecs import hookimpl
from toolkit.schema import NodeLabel, RelType
from toolkit.sources import LoadOptions

from ._idmap import IdMap, mapping_kind, read_mapping
from ._idmap_gaf import AMBIGUOUS, ENTREZ_DBS, OTHER_DB, UNMAPPED, WHAT_TO_LOAD, GeneIds, MappingCounts
from ._tables import (
    DelimitedFile,
    Head,
    Problems,
    ReportingSource,
    Row,
    clean,
    iter_lines,
    node_batches,
    one_line,
    parse_int,
    rel,
    rel_batches,
    sniff,
)

logger = logging.getLogger(__name__)

HIERARCHY = {"is_a": RelType.IS_A, "part_of": RelType.PART_OF}
PROPAGATED = "propagated"
UNSPECIFIED = "unspecified"
GAF_COLUMNS = (
    "db", "db_object_id", "db_object_symbol", "qualifier", "go_id", "db_reference", "evidence_code",
    "with_from", "aspect", "db_object_name", "db_object_synonym", "db_object_type", "taxon", "date",
    "assigned_by", "annotation_extension", "gene_product_form_id",
)
GAF1_COLUMNS = GAF_COLUMNS[:15]
# http://geneontology.org/docs/guide-go-evidence-codes/ (IMR and NR: retired codes old files still carry)
GO_EVIDENCE_CODES = frozenset({
    "EXP", "IDA", "IPI", "IMP", "IGI", "IEP", "HTP", "HDA", "HMP", "HGI", "HEP", "IBA", "IBD", "IKR", "IRD",
    "ISS", "ISO", "ISA", "ISM", "IGC", "RCA", "TAS", "NAS", "IC", "ND", "IEA", "IMR", "NR",
})
_MAX_REPLACEMENT_HOPS = 20


@dataclass(frozen=True)
class Term:
    go_id: str
    name: str
    namespace: str
    obsolete: bool
    alt_ids: tuple[str, ...]
    replaced_by: tuple[str, ...]


@dataclass
class Ontology:
    """The parsed ontology: terms, the alt_id map and the checked (acyclic) live hierarchy."""

    path: Path
    terms: dict[str, Term]
    alt_to_primary: dict[str, str]
    parents: dict[str, list[tuple[str, str]]]  # child -> [(parent, "is_a"|"part_of")], live terms only
    _ancestors: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)

    def resolve(self, go_id: str) -> tuple[Optional[str], str]:
        """``(live primary id or None, why)``; why is "" for a live primary id."""
        current = go_id
        steps: list[str] = []
        for _ in range(_MAX_REPLACEMENT_HOPS):
            if current not in self.terms and current in self.alt_to_primary:
                primary = self.alt_to_primary[current]
                steps.append(f"{current} is an alt_id of {primary}")
                current = primary
                continue
            term = self.terms.get(current)
            if term is None:
                return None, "; ".join(steps + [f"{current} is not defined in {self.path.name}"])
            if not term.obsolete:
                return current, "; ".join(steps)
            if not term.replaced_by:
                return None, "; ".join(steps + [f"{current} is obsolete and has no replaced_by"])
            steps.append(f"{current} is obsolete, replaced_by {term.replaced_by[0]}")
            current = term.replaced_by[0]
        return None, f"{go_id}: the alt_id/replaced_by chain is longer than {_MAX_REPLACEMENT_HOPS} (circular?)"

    def ancestors(self, go_id: str) -> frozenset[str]:
        """All ancestors of a live term through is_a and part_of (not the term itself)."""
        cached = self._ancestors.get(go_id)
        if cached is not None:
            return cached
        # iterative post-order so deep hierarchies cannot hit the recursion limit
        stack = [(go_id, False)]
        while stack:
            node, done = stack.pop()
            if node in self._ancestors:
                continue
            parents = [p for p, _ in self.parents.get(node, ())]
            if done:
                acc: set[str] = set()
                for p in parents:
                    acc.add(p)
                    acc |= self._ancestors[p]
                self._ancestors[node] = frozenset(acc)
            else:
                stack.append((node, True))
                stack.extend((p, False) for p in parents if p not in self._ancestors)
        return self._ancestors[go_id]


def is_obo(path: Path, head: Head) -> bool:
    name = path.name.lower()
    return (name.endswith(".obo") or name.endswith(".obo.gz") or head.first_line.startswith("format-version:")
            or head.first_line.startswith("[Term]"))


class _Stanza:
    """One OBO stanza as read: its type line, where it starts, its lines, its id and name."""

    def __init__(self, kind: str, line: int) -> None:
        self.kind, self.line = kind, line
        self.lines: list[str] = []
        self.id = self.name = ""

    def add(self, text: str) -> None:
        self.lines.append(text)
        tag, _, value = text.partition(":")
        value = value.split(" !")[0].strip()
        if tag == "id" and not self.id:
            self.id = value
        elif tag == "name" and not self.name:
            self.name = value


class CheckedObo:
    """The lines of an OBO file, stanza by stanza, for obonet, with incomplete and repeated stanzas
    turned into errors (``lenient``: left out and reported; the first definition of an id is kept)."""

    def __init__(self, path: Path, problems: Problems) -> None:
        self.path, self.problems = path, problems
        self._seen: dict[tuple[str, str], int] = {}
        self._cut_line: Optional[int] = None  # the last line, when it has no line break (a cut file)

    def __enter__(self) -> CheckedObo:
        return self

    def __exit__(self, *exc_info: object) -> bool:
        return False

    def __iter__(self) -> Iterator[str]:
        stanza: Optional[_Stanza] = None
        header: list[str] = []
        for line_no, text in iter_lines(self.path, on_unterminated=self._note_cut):
            if text.startswith("[") and text.rstrip().endswith("]"):
                if stanza is not None:
                    yield from self._checked(stanza, at_end=False)
                elif header:
                    yield from (h + "\n" for h in header + [""])
                stanza = _Stanza(text.strip(), line_no)
            elif stanza is None:
                if text.strip():
                    header.append(text)
            elif text.strip():
                stanza.add(text)
        if stanza is None:
            yield from (h + "\n" for h in header)
        else:
            yield from self._checked(stanza, at_end=True)

    def _note_cut(self, line_no: int) -> None:
        self._cut_line = line_no

    def _checked(self, stanza: _Stanza, at_end: bool) -> Iterator[str]:
        missing = [tag for tag, value in (("id", stanza.id), ("name", stanza.name))
                   if not value and (tag == "id" or stanza.kind == "[Term]")]
        record = f"line {stanza.line}"
        if missing and stanza.kind in ("[Term]", "[Typedef]"):
            what = f"the {stanza.kind} stanza{' ' + stanza.id if stanza.id else ''} has no {' or '.join(missing)}: line"
            if at_end:
                what += " and ends the file: the file is cut mid-stanza"
            self.problems.bad(self.path, record, what,
                              "download the ontology again (or complete the stanza)", kind="incomplete stanza")
            return
        if at_end and self._cut_line is not None:
            # OBO writers end every line: a last line without a line break is where the file was cut
            # (a stanza that looks complete: "name: big pro" is a name), so the stanza is not trusted
            self.problems.bad(
                self.path, record,
                f"the {stanza.kind} stanza{' ' + stanza.id if stanza.id else ''} ends the file at line "
                f"{self._cut_line} without a line break: the file is cut mid-stanza",
                "download the ontology again (if the file is complete, end its last line with a line break)",
                kind="incomplete stanza",
            )
            return
        if stanza.id:
            first = self._seen.setdefault((stanza.kind, stanza.id), stanza.line)
            if first != stanza.line:
                self.problems.bad(
                    self.path, record,
                    f"{stanza.id} is defined twice (the {stanza.kind} stanzas at lines {first} and {stanza.line}); "
                    "the definitions are not merged", "keep one stanza per id (--lenient keeps the first)",
                    kind="duplicate term",
                )
                return
        yield stanza.kind + "\n"
        yield from (line + "\n" for line in stanza.lines)
        yield "\n"


def load_ontology(path: Path, problems: Problems) -> Ontology:
    """Parse an OBO file with obonet (after :class:`CheckedObo`) and check its is_a/part_of hierarchy."""
    import obonet  # local: networkx is slow to import and only a GO load needs it

    try:
        graph = obonet.read_obo(CheckedObo(path, problems), ignore_obsolete=False)
    except InputDataError:
        raise
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise InputDataError(path, "stanza", f"not a readable OBO file ({one_line(exc)})",
                             "check the file is OBO 1.2 (e.g. go-basic.obo)") from None
    default_ns = graph.graph.get("default-namespace", "")
    if isinstance(default_ns, list):
        default_ns = default_ns[0] if default_ns else ""
    terms: dict[str, Term] = {}
    alt: dict[str, str] = {}
    for go_id, data in graph.nodes(data=True):
        if not data:  # created only as the target of an edge: not defined by a stanza
            continue
        term = Term(
            go_id=go_id,
            name=str(data.get("name", "")),
            namespace=str(data.get("namespace", default_ns)),
            obsolete=str(data.get("is_obsolete", "false")).lower() == "true",
            alt_ids=tuple(data.get("alt_id", ())),
            replaced_by=tuple(data.get("replaced_by", ())),
        )
        terms[go_id] = term
        for a in term.alt_ids:
            alt.setdefault(a, go_id)
    problems.report.rows_read += len(terms)
    if not terms:
        raise InputDataError(path, "file", "no [Term] stanzas found", "check this is an OBO ontology file")

    parents: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for child, parent, key in sorted(graph.edges(keys=True)):
        if key not in HIERARCHY or child not in terms:
            continue
        record = f"term {child}"
        if parent not in terms:
            problems.bad(path, record, f"{key} parent {parent} is not defined in the ontology",
                         f"add a [Term] stanza for {parent} or remove the '{key}' line of {child}",
                         kind="undefined parent")
            continue
        if terms[child].obsolete or terms[parent].obsolete:
            problems.drop(path, record, f"{key} {parent} involves an obsolete term; edge not loaded",
                          kind="edge to obsolete term")
            continue
        parents[child].append((parent, key))
    _break_cycles(path, terms, parents, problems)
    return Ontology(path=path, terms=terms, alt_to_primary=alt, parents=dict(parents))


def _break_cycles(path: Path, terms: dict[str, Term], parents: dict[str, list[tuple[str, str]]],
                  problems: Problems) -> None:
    """Find is_a/part_of cycles by depth-first search: error, or (lenient) drop the closing edge."""
    white, grey, black = 0, 1, 2
    colour: dict[str, int] = defaultdict(int)
    for root in sorted(parents):
        if colour[root] != white:
            continue
        colour[root] = grey
        trail = [root]
        stack = [(root, iter(list(parents.get(root, ()))))]
        while stack:
            node, it = stack[-1]
            step = next(it, None)
            if step is None:
                colour[node] = black
                stack.pop()
                trail.pop()
                continue
            parent, key = step
            if colour[parent] == grey:
                cycle = trail[trail.index(parent):] + [parent]
                problems.bad(
                    path, f"term {node}",
                    f"'{key} {parent}' closes a cycle in is_a/part_of: {' -> '.join(cycle)}",
                    "remove one is_a/part_of line on that cycle", kind="cycle",
                )
                parents[node].remove((parent, key))
            elif colour[parent] == white:
                colour[parent] = grey
                trail.append(parent)
                stack.append((parent, iter(list(parents.get(parent, ())))))


@dataclass
class _Annotations:
    """Resolved direct annotations: (entrez, go_id) -> evidence codes, and gene symbols."""

    pairs: dict[tuple[int, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    symbols: dict[int, str] = field(default_factory=dict)

    def add(self, onto: Ontology, problems: Problems, path: Path, record: str, entrez: int,
            go_id: str, evidence: str, symbol: str = "") -> None:
        primary, why = onto.resolve(go_id)
        if primary is None:
            problems.drop(path, record, f"annotation of gene {entrez}: {why}",
                          kind="obsolete term" if "obsolete" in why else "unknown GO id")
            return
        if why:
            problems.repair(path, record, f"annotation of gene {entrez}: {why}; mapped to {primary}",
                            kind="alt_id" if "alt_id" in why else "replaced_by")
        self.pairs[(entrez, primary)].add(evidence or UNSPECIFIED)
        if symbol:
            self.symbols.setdefault(entrez, symbol)


def _is_not(qualifier: str) -> bool:
    return any(q.strip().upper().startswith("NOT") for q in qualifier.split("|"))


def _gaf_entrez(path: Path, row: Row, gene_ids: GeneIds, counts: MappingCounts, problems: Problems) -> Optional[int]:
    """The Entrez id of a GAF row (column 1 DB, column 2 id), or None (reported, and counted)."""
    db, obj, symbol = row["db"].strip(), row["db_object_id"].strip(), row["db_object_symbol"].strip()
    if db.lower() in ENTREZ_DBS:
        entrez = parse_int(obj.split(":")[-1])
        if entrez is None or entrez <= 0:
            counts.invalid += 1
            problems.bad(path, row.record, f"DB object id {obj!r} is not an Entrez id",
                         "NCBIGene rows need the integer Entrez id in column 2", kind="bad gene id")
            return None
        counts.entrez += 1
        return entrez
    if not gene_ids.can_map(db):
        raise InputDataError(path, f"{row.record} ({db}:{obj})",
                             f"nothing maps {db} ids to Entrez ids: the graph has no gene with {db} ids "
                             "and no mapping file was given", WHAT_TO_LOAD)
    found = gene_ids.resolve(db, obj, symbol)
    counts.add(found.status)
    if found.status == OTHER_DB:
        problems.drop(path, row.record, f"{db}:{obj}: no mapping from {db} ids to Entrez ids", kind=f"{db} rows")
    elif found.status == UNMAPPED:
        problems.drop(path, row.record, f"{db}:{obj} (symbol {symbol!r}) maps to no Entrez id that "
                      f"{' or '.join(gene_ids.sources) or 'the graph or a mapping file'} knows", kind="unmapped id")
    elif found.status == AMBIGUOUS:
        problems.drop(path, row.record, f"{db}:{obj} (symbol {symbol!r}) maps to {len(found.candidates)} Entrez ids "
                      f"({', '.join(map(str, found.candidates))}); ambiguous, not guessed", kind="ambiguous id")
    return found.entrez


def _read_gaf(path: Path, head: Head, onto: Ontology, ann: _Annotations, problems: Problems,
              gene_ids: GeneIds) -> Iterator[LookupBatch]:
    """Read a GAF into ``ann``; yields the graph lookup before the first row whose id needs it."""
    version = head.first_line.split(":", 1)[1].strip() if ":" in head.first_line else "2.2"
    names = GAF1_COLUMNS if version.startswith("1") else GAF_COLUMNS
    table = DelimitedFile(path, problems, names=names, complete_lines=True)  # a cut last line: reported
    counts = MappingCounts()
    for row in table.rows():
        counts.rows += 1
        evidence = row["evidence_code"].strip()
        if evidence not in GO_EVIDENCE_CODES:
            counts.invalid += 1
            problems.bad(path, row.record, f"evidence code {evidence!r} is not a GO evidence code",
                         f"use one of {', '.join(sorted(GO_EVIDENCE_CODES))}", kind="unknown evidence code")
            continue
        if not gene_ids.asked_graph and row["db"].strip().lower() not in ENTREZ_DBS:
            yield gene_ids.lookup()
        entrez = _gaf_entrez(path, row, gene_ids, counts, problems)
        if entrez is None:
            continue
        if _is_not(row["qualifier"]):
            problems.drop(path, row.record, f"qualifier {row['qualifier'].strip()!r} negates the annotation",
                          kind="NOT qualifier")
            continue
        ann.add(onto, problems, path, row.record, entrez, row["go_id"].strip(), evidence,
                row["db_object_symbol"].strip())
    if counts.foreign or counts.other_db:
        problems.repair(path, "gene ids", counts.line(), kind="gene ids mapped", rows=counts.mapped_total)


def _read_long(path: Path, onto: Ontology, ann: _Annotations, problems: Problems) -> None:
    table = DelimitedFile(path, problems)
    gene_col = table.column("entrez_gene_id", "gene_id", "GeneID", "entrez_id")
    go_col = table.column("go_id", "GO_ID")
    sym_col = table.column("gene_symbol", "symbol", "Symbol", required=False)
    ev_col = table.column("evidence", "evidence_code", "Evidence", "annotation_type", required=False)
    qual_col = table.column("qualifier", "Qualifier", required=False)
    for row in table.rows():
        entrez = parse_int(row.get(gene_col))
        if entrez is None or entrez <= 0:
            problems.bad(path, row.record, f"gene id {row.get(gene_col)!r} is not an Entrez id",
                         f"use positive integer Entrez ids in {gene_col}", kind="bad gene id")
            continue
        if qual_col and _is_not(row.get(qual_col)):
            problems.drop(path, row.record, f"qualifier {row.get(qual_col)!r} negates the annotation",
                          kind="NOT qualifier")
            continue
        ann.add(onto, problems, path, row.record, entrez, row.get(go_col), row.get(ev_col),
                row.get(sym_col))


def _read_wide(path: Path, onto: Ontology, ann: _Annotations, problems: Problems) -> None:
    table = DelimitedFile(path, problems)
    go_col = table.column("go_id")
    ids_col = table.column("gene_ids")
    syms_col = table.column("gene_symbols", required=False)
    ev_col = table.column("annotation_type", "evidence", required=False)
    for row in table.rows():
        go_id = row.get(go_col)
        id_texts = [t.strip() for t in row.get(ids_col).split("|") if t.strip()]
        symbols = [t.strip() for t in row.get(syms_col).split("|")] if syms_col and row.get(syms_col) else []
        if symbols and len(symbols) != len(id_texts):
            problems.bad(path, f"{row.record} ({go_id})",
                         f"{len(id_texts)} gene_ids but {len(symbols)} gene_symbols",
                         "list one symbol per gene id, in the same order", kind="ids/symbols mismatch")
            continue
        entrez_ids = [parse_int(t) for t in id_texts]
        if any(e is None or e <= 0 for e in entrez_ids):
            bad = next(t for t, e in zip(id_texts, entrez_ids) if e is None or e <= 0)
            problems.bad(path, f"{row.record} ({go_id})", f"gene id {bad!r} is not an Entrez id",
                         "use pipe-separated integer Entrez ids in gene_ids", kind="bad gene id")
            continue
        evidence = row.get(ev_col)
        for i, entrez in enumerate(entrez_ids):
            ann.add(onto, problems, path, f"{row.record} ({go_id})", entrez, go_id, evidence,
                    symbols[i] if symbols else "")


class GeneOntologySource(ReportingSource):
    """GO terms, is_a/part_of, and gene annotations (GAF or gene→GO tables)."""

    name = "go"
    description = "Gene Ontology (OBO via obonet) with GAF or gene2go-table annotations; optional propagation"

    def _read(self, paths: Sequence[Path], options: LoadOptions, problems: Problems) -> Iterator[Batch]:
        obo_paths: list[Path] = []
        annotation_files: list[tuple[str, Path, Head]] = []
        mapping_files: list[tuple[str, Path]] = []
        for path in map(Path, paths):
            head = sniff(path, skip_prefixes=("!",))
            if is_obo(path, head):
                obo_paths.append(path)
            elif head.first_line.lower().startswith("!gaf-version"):
                annotation_files.append(("gaf", path, head))
            elif mapping_kind(head):
                mapping_files.append((str(mapping_kind(head)), path))
            elif head.has("go_id", "gene_ids"):
                annotation_files.append(("wide", path, head))
            elif head.has_any("go_id", "GO_ID") and head.has_any("entrez_gene_id", "gene_id", "GeneID", "entrez_id"):
                annotation_files.append(("long", path, head))
            elif len(head.fields) in (15, 16, 17) and head.fields[4].startswith("GO:"):
                problems.repair(path, "line 1", "no '!gaf-version' header line; read as GAF 2.2 (17 columns)",
                                kind="no gaf-version header")
                annotation_files.append(("gaf", path, Head("!gaf-version: 2.2", head.fields)))
            else:
                raise InputDataError(
                    path, "header", f"not an OBO, GAF or gene-to-GO table (starts {head.first_line[:60]!r})",
                    "pass go.obo / go-basic.obo, a GAF 2.x file, or a table with go_id and gene id columns",
                )
        if len(obo_paths) != 1:
            where = obo_paths[1] if obo_paths else (annotation_files[0][1] if annotation_files else Path("."))
            raise InputDataError(
                where, "paths", f"{len(obo_paths)} ontology files given; the go source needs exactly one",
                "pass one OBO file (e.g. go-basic.obo) together with the annotation files",
            )
        onto = load_ontology(obo_paths[0], problems)
        files = IdMap()
        for kind, path in mapping_files:
            read_mapping(kind, path, files, problems)
        gene_ids = GeneIds(files)

        # every annotation is read (and checked) before the first write: a failing load writes nothing
        ann = _Annotations()
        for kind, path, head in annotation_files:
            if kind == "gaf":
                yield from _read_gaf(path, head, onto, ann, problems, gene_ids)
            elif kind == "long":
                _read_long(path, onto, ann, problems)
            else:
                _read_wide(path, onto, ann, problems)
        yield from self._ontology_batches(onto, options)
        if not ann.pairs:
            return
        evidence = {pair: "|".join(sorted(codes)) for pair, codes in ann.pairs.items()}
        if options.propagate:
            by_gene: dict[int, set[str]] = defaultdict(set)
            for entrez, go_id in ann.pairs:
                by_gene[entrez].add(go_id)
            for entrez, go_ids in by_gene.items():
                for go_id in go_ids:
                    for anc in onto.ancestors(go_id):
                        evidence.setdefault((entrez, anc), PROPAGATED)
        genes = sorted({entrez for entrez, _ in evidence})
        yield from node_batches(
            NodeLabel.GENE, (clean({"entrez_id": g, "symbol": ann.symbols.get(g)}) for g in genes), options.batch_size
        )
        rows = (rel(entrez, go_id, evidence=ev) for (entrez, go_id), ev in sorted(evidence.items()))
        yield from rel_batches(RelType.ANNOTATED_WITH, NodeLabel.GENE, NodeLabel.GO_TERM, rows, options.batch_size)

    @staticmethod
    def _ontology_batches(onto: Ontology, options: LoadOptions) -> Iterator[Batch]:
        term_rows = (
            {"go_id": t.go_id, "name": t.name, "namespace": t.namespace, "obsolete": t.obsolete,
             "alt_ids": list(t.alt_ids)}
            for t in sorted(onto.terms.values(), key=lambda t: t.go_id)
        )
        yield from node_batches(NodeLabel.GO_TERM, term_rows, options.batch_size)
        for key, rel_type in HIERARCHY.items():
            rows = (
                rel(child, parent)
                for child in sorted(onto.parents)
                for parent, k in sorted(onto.parents[child])
                if k == key
            )
            yield from rel_batches(rel_type, NodeLabel.GO_TERM, NodeLabel.GO_TERM, rows, options.batch_size)


@hookimpl
def kgtool_register_sources(register) -> None:  # type: ignore[no-untyped-def]
    register(GeneOntologySource())
