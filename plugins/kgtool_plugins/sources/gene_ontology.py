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
with a ``NOT`` qualifier are dropped (reported). With ``propagate`` (``--propagate``) (default
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
from toolkit.sources import LoadOptions, SourceOption

from ._idmap import IdMap, mapping_kind, read_mapping
from ._idmap_gaf import AMBIGUOUS, ENTREZ_DBS, OTHER_DB, UNMAPPED, WHAT_TO_LOAD, GeneIds, MappingCounts
from .go_ontology import HIERARCHY, Ontology, is_obo, load_ontology
from .tables import (
    DelimitedFile,
    Head,
    Problems,
    ReportingSource,
    Row,
    clean,
    node_batches,
    parse_int,
    rel,
    rel_batches,
    sniff,
)

logger = logging.getLogger(__name__)

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


PROPAGATE = SourceOption[bool]("propagate", bool, False, "GO: annotate genes to every ancestor term too.")


class GeneOntologySource(ReportingSource):
    """GO terms, is_a/part_of, and gene annotations (GAF or gene→GO tables)."""

    name = "go"
    description = "Gene Ontology (OBO via obonet) with GAF or gene2go-table annotations; optional propagation"
    options = (PROPAGATE,)

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
        if options.get(PROPAGATE):
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
