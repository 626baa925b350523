"""Turn the graph into a :class:`TaskData` snapshot (the only place training reads Neo4j).

The export pages through the graph (:func:`export_snapshot`): one query for the rows (ids, labels,
cells, QC; no vectors), then the z-vectors :data:`PAGE_SIZE` signatures per query on the
``Signature.sig_id`` index, each page copied straight into a preallocated float32 matrix (or the
snapshot cache's memory-mapped ``x.npy``). No query sorts or returns every vector at once, and the
client never holds more than two pages as Python values.

With ``with_context`` the snapshot also carries a :class:`GraphContext`: the STRING edges among
the landmark genes, their GO annotations propagated up ``IS_A``/``PART_OF`` (terms kept when
``go_min_genes <= annotated genes <= go_max_genes``), the GO hierarchy among the kept terms and
the compounds' SMILES and Murcko scaffolds.

Each signature's QC metadata (``qc_pass``, ``cc_q75``) comes with it as a
:class:`SignatureQuality` beside the :class:`TaskData` (:func:`export_snapshot`); the QC filter
itself is part of sample preparation (:mod:`toolkit.train.samples`).
"""

from __future__ import annotations

import hashlib
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional, Sequence

import numpy as np

from toolkit import cypher
from toolkit.errors import ConfigError, RunError
from toolkit.graph.db import Graph, Reader, translated_read_errors
from toolkit.models import GraphContext, TaskData

logger = logging.getLogger(__name__)

GO_MIN_GENES = 3
GO_MAX_GENES = 300
STRING_MAX_SCORE = 1000.0
# Which Signature nodes are samples: loaded ones ('signature'), consensus ones ('consensus', from
# `kgtool load signatures --consensus`), or 'auto': the loaded ones when the graph has both kinds.
SIGNATURE_LEVELS = ("auto", "signature", "consensus")
# Signatures whose z-vectors one query of the paged export reads (~8 MB of vectors at 978 genes).
PAGE_SIZE = 2_000


QC_UNKNOWN, QC_FAIL, QC_PASS = -1, 0, 1  # SignatureQuality.qc_pass codes


@dataclass(frozen=True)
class SignatureQuality:
    """QC metadata of a snapshot's rows: ``qc_pass`` as int8 codes (1 pass, 0 fail, -1 the
    signature has no ``qc_pass``) and ``cc_q75`` as float32 (NaN when absent)."""

    qc_pass: np.ndarray
    cc_q75: np.ndarray

    @classmethod
    def unknown(cls, n: int) -> "SignatureQuality":
        return cls(np.full(n, QC_UNKNOWN, dtype=np.int8), np.full(n, np.nan, dtype=np.float32))

    @property
    def has_qc_pass(self) -> bool:
        """Some signature carries a ``qc_pass`` value."""
        return bool((self.qc_pass != QC_UNKNOWN).any())

    @property
    def present(self) -> bool:
        """Some signature carries QC metadata at all."""
        return self.has_qc_pass or bool(np.isfinite(self.cc_q75).any())

    def subset(self, index: Sequence[int] | np.ndarray) -> "SignatureQuality":
        index = np.asarray(index, dtype=int)
        return SignatureQuality(self.qc_pass[index], self.cc_q75[index])


def _qc_code(value: Any) -> int:
    if value is None:
        return QC_UNKNOWN
    if isinstance(value, str):
        return QC_PASS if value.strip().lower() in ("1", "true", "yes") else QC_FAIL
    return QC_PASS if bool(value) else QC_FAIL


def _quality(rows: Sequence[Mapping[str, Any]]) -> SignatureQuality:
    return SignatureQuality(
        qc_pass=np.array([_qc_code(r.get("qc_pass")) for r in rows], dtype=np.int8),
        cc_q75=np.array([np.nan if r.get("cc_q75") is None else float(r["cc_q75"]) for r in rows],
                        dtype=np.float32))


def export_signatures(graph: Graph, with_context: bool = False, go_min_genes: int = GO_MIN_GENES,
                      go_max_genes: int = GO_MAX_GENES, level: str = "auto") -> TaskData:
    """Read the signatures of ``level`` (see :data:`SIGNATURE_LEVELS`) and, with ``with_context``,
    the graph knowledge around them."""
    return export_snapshot(graph, with_context, go_min_genes, go_max_genes, level)[0]


def export_snapshot_unpaged(graph: Graph, with_context: bool = False, go_min_genes: int = GO_MIN_GENES,
                            go_max_genes: int = GO_MAX_GENES,
                            level: str = "auto") -> tuple[TaskData, SignatureQuality]:
    """The single-query export :func:`export_snapshot` replaced (every z-vector in one result,
    ``ORDER BY sig_id``, held as Python lists: gigabytes at 200k signatures, in the client and in
    the server's heap). Kept as the reference the paged export is tested and benchmarked against."""
    genes = graph.read(cypher.load("export/landmark_genes"))
    rows = graph.read(cypher.load("export/task_signatures"))
    if not rows:
        raise RunError("the graph holds no signatures linked to compounds; load some with "
                       "`kgtool load signatures …` (or run `kgtool demo`)")
    rows = select_level(rows, level)
    gene_ids = tuple(int(g["entrez_id"]) for g in genes)
    width = {len(r["z"]) for r in rows}
    if width != {len(gene_ids)}:
        raise RunError(f"signature vectors have lengths {sorted(width)} but the graph has {len(gene_ids)} "
                       "landmark genes; reload signatures against one gene set")
    y, classes = _labels(rows)
    compound_ids = tuple(r["pert_id"] for r in rows)
    context = None
    if with_context:
        context = export_context(graph, gene_ids, sorted(set(compound_ids)), go_min_genes, go_max_genes)
    data = TaskData(
        x=np.asarray([r["z"] for r in rows], dtype=np.float32).reshape(len(rows), len(gene_ids)),
        y=y,
        sample_ids=tuple(r["sig_id"] for r in rows),
        compound_ids=compound_ids,
        gene_ids=gene_ids,
        classes=classes,
        cell_ids=tuple(r["cell"] or "" for r in rows),
        context=context,
    )
    return data, _quality(rows)


def export_snapshot(graph: Graph, with_context: bool = False, go_min_genes: int = GO_MIN_GENES,
                    go_max_genes: int = GO_MAX_GENES, level: str = "auto", page_size: int = PAGE_SIZE,
                    x_path: Optional[Path] = None) -> tuple[TaskData, SignatureQuality]:
    """:func:`export_signatures` and the QC metadata of its rows, in bounded memory: the rows (ids,
    labels, cells, QC; no vectors) first, then the z-vectors ``page_size`` signatures at a time,
    looked up on the ``Signature.sig_id`` index and written straight into a preallocated float32
    array (a memory-mapped ``.npy`` file at ``x_path`` when given; the snapshot cache's entry). Gives
    the same snapshot as the single-query export (:func:`export_snapshot_unpaged`), row for row.
    A server that runs out of memory or goes away ends it with one line (:func:`translated_read_errors`)."""
    if page_size < 1:
        raise ConfigError(f"export page size must be at least 1, not {page_size}")
    with translated_read_errors(graph.settings, "exporting the training snapshot"):
        genes = graph.read(cypher.load("export/landmark_genes"))
        rows = graph.read_plain(cypher.load("export/task_signature_rows"))
        if not rows:
            raise RunError("the graph holds no signatures linked to compounds; load some with "
                           "`kgtool load signatures …` (or run `kgtool demo`)")
        rows = select_level(rows, level)
        gene_ids = tuple(int(g["entrez_id"]) for g in genes)
        y, classes = _labels(rows)
        sample_ids = tuple(r["sig_id"] for r in rows)
        compound_ids = tuple(r["pert_id"] for r in rows)
        cell_ids = tuple(r["cell"] or "" for r in rows)
        quality = _quality(rows)
        del rows
        shape = (len(sample_ids), len(gene_ids))
        if x_path is not None:
            x = np.lib.format.open_memmap(x_path, mode="w+", dtype=np.float32, shape=shape)
        else:
            x = np.empty(shape, dtype=np.float32)
        read_vectors(graph, sample_ids, x, page_size)
        if isinstance(x, np.memmap):
            x.flush()
        context = None
        if with_context:
            context = export_context(graph, gene_ids, sorted(set(compound_ids)), go_min_genes, go_max_genes)
    data = TaskData(x=x, y=y, sample_ids=sample_ids, compound_ids=compound_ids, gene_ids=gene_ids,
                    classes=classes, cell_ids=cell_ids, context=context)
    return data, quality


def read_vectors(graph: Graph, sample_ids: Sequence[str], x: np.ndarray, page_size: int = PAGE_SIZE) -> None:
    """Fill row i of ``x`` with the z-vector of signature ``sample_ids[i]``, reading ``page_size``
    signatures per query (each id once, in the given order) on one :class:`Reader`, the next page
    read by a worker thread while this one is copied: at most two pages are ever held as Python values."""
    rows_of: dict[str, Any] = {}
    for i, sig in enumerate(sample_ids):
        seen = rows_of.get(sig)
        if seen is None:
            rows_of[sig] = i
        elif isinstance(seen, list):
            seen.append(i)
        else:
            rows_of[sig] = [seen, i]
    unique = list(rows_of)
    width = x.shape[1]
    statement = cypher.load("export/task_signature_vectors")
    filled = 0
    starts = range(0, len(unique), page_size)
    # one page ahead: the next page is read (server work, network) while this one is copied
    with graph.reading() as pages, ThreadPoolExecutor(max_workers=1) as worker:
        ahead = [worker.submit(vector_page, pages, statement, unique[start:start + page_size]) for start in starts[:1]]
        for k in range(len(starts)):
            records = ahead.pop().result()
            if k + 1 < len(starts):
                ahead.append(worker.submit(vector_page, pages, statement,
                                           unique[starts[k + 1]:starts[k + 1] + page_size]))
            lengths = {len(z) for _, z in records}
            if lengths - {width}:
                raise RunError(f"signature vectors have lengths {sorted(lengths)} but the graph has {width} "
                               "landmark genes; reload signatures against one gene set")
            index: list[int] = []
            values: list[Any] = []
            for sig, z in records:
                where = rows_of.get(sig)
                if where is None:
                    continue
                for i in (where if isinstance(where, list) else (where,)):
                    index.append(i)
                    values.append(z)
            if values:
                x[np.asarray(index, dtype=np.int64)] = np.asarray(values, dtype=np.float32).reshape(len(values), width)
            filled += len(index)
            del records, values
    if filled != len(sample_ids):
        raise RunError(f"{len(sample_ids) - filled} of {len(sample_ids)} signatures lost their z-vectors during "
                       "the export (the graph changed while it was read); run the command again")


def vector_page(pages: Reader, statement: cypher.Statement, sig_ids: Sequence[str]) -> list[tuple[str, list[float]]]:
    """One page of (sig_id, z-vector) in one read transaction (retried by the driver). The values are
    taken from the records as they are (:meth:`Reader.values`): ``Record.data()`` walks every float
    of every vector in Python, which made each page ten times slower."""
    return pages.values(statement, sig_ids=list(sig_ids))


def _labels(rows: Sequence[Mapping[str, Any]]) -> tuple[np.ndarray, tuple[str, ...]]:
    classes = tuple(sorted({m for r in rows for m in r["moas"]}))
    col = {name: i for i, name in enumerate(classes)}
    y = np.zeros((len(rows), len(classes)), dtype=np.float32)
    for i, r in enumerate(rows):
        for m in r["moas"]:
            y[i, col[m]] = 1.0
    return y, classes


def select_level(rows: list[dict[str, Any]], level: str) -> list[dict[str, Any]]:
    """The rows of one signature level; ``auto`` keeps the loaded signatures when both kinds are there."""
    if level not in SIGNATURE_LEVELS:
        raise ConfigError(f"signature level must be one of {', '.join(SIGNATURE_LEVELS)}, not {level!r}")
    present = {r["level"] for r in rows}
    if level == "auto":
        if len(present) == 1:
            return rows
        level = "signature"
        logger.warning("the graph holds loaded and consensus signatures; training on the %d loaded ones "
                       "(--signatures consensus picks the others)", sum(r["level"] == level for r in rows))
    kept = [r for r in rows if r["level"] == level]
    if not kept:
        raise RunError(f"the graph holds no {level} signatures linked to compounds (it has {', '.join(sorted(present))}); "
                       f"use --signatures {' or '.join(sorted(present))}, or load them "
                       f"(`kgtool load signatures{' --consensus modz' if level == 'consensus' else ''} …`)")
    return kept


def export_context(graph: Graph, gene_ids: Sequence[int], compound_ids: Iterable[str],
                   go_min_genes: int = GO_MIN_GENES, go_max_genes: int = GO_MAX_GENES) -> GraphContext:
    """The graph knowledge around the landmark genes and the given compounds."""
    if go_min_genes < 1 or go_max_genes < go_min_genes:
        raise RunError(f"GO term size bounds {go_min_genes}..{go_max_genes} are empty; "
                       "use 1 <= go_min_genes <= go_max_genes")
    edges = graph.read(cypher.load("export/landmark_edges"))
    gene_edges, edge_weight = string_edges(gene_ids, [(e["a"], e["b"], e["score"]) for e in edges])
    annotations = [(int(r["entrez_id"]), r["go_id"]) for r in graph.read(cypher.load("export/landmark_annotations"))]
    hierarchy = [(r["child"], r["parent"]) for r in graph.read(cypher.load("export/go_hierarchy"))]
    candidate_ids, gene_go, go_edges = go_matrix(gene_ids, annotations, hierarchy, go_min_genes, go_max_genes)
    terms = {r["go_id"]: r for r in graph.read(cypher.load("export/go_terms"), go_ids=list(candidate_ids))}
    keep = [i for i, t in enumerate(candidate_ids) if t in terms and not terms[t]["obsolete"]]
    if len(keep) != len(candidate_ids):  # annotated to a term the ontology lacks (or marks obsolete)
        go_ids = [candidate_ids[i] for i in keep]
        gene_go = gene_go[:, keep]
        go_edges = _reindex_edges(go_edges, keep)
    else:
        go_ids = list(candidate_ids)
    wanted = set(compound_ids)
    smiles: dict[str, str] = {}
    scaffold: dict[str, str] = {}
    for r in graph.read(cypher.load("export/compound_structures")):
        if r["pert_id"] in wanted:
            if r["smiles"]:
                smiles[r["pert_id"]] = r["smiles"]
            if r["scaffold"]:
                scaffold[r["pert_id"]] = r["scaffold"]
    logger.info("context: %d STRING edges, %d GO terms (%d..%d genes), %d GO edges, %d compounds with scaffolds",
                gene_edges.shape[1], len(go_ids), go_min_genes, go_max_genes, go_edges.shape[1], len(scaffold))
    return GraphContext(
        gene_edges=gene_edges, edge_weight=edge_weight, go_ids=tuple(go_ids),
        go_names=tuple(terms[t]["name"] for t in go_ids), gene_go=gene_go, go_edges=go_edges,
        compound_smiles=smiles, compound_scaffold=scaffold,
    )


def string_edges(gene_ids: Sequence[int], pairs: Iterable[tuple[int, int, float]]) -> tuple[np.ndarray, np.ndarray]:
    """STRING pairs as a (2, E) index array in both directions, sorted by (target, source), and
    weights score/1000. Pairs touching genes outside ``gene_ids`` and self-loops are left out."""
    index = {int(g): i for i, g in enumerate(gene_ids)}
    best: dict[tuple[int, int], float] = {}
    for a, b, score in pairs:
        i, j = index.get(int(a)), index.get(int(b))
        if i is None or j is None or i == j:
            continue
        w = float(score) / STRING_MAX_SCORE
        for key in ((i, j), (j, i)):
            best[key] = max(best.get(key, w), w)
    order = sorted(best, key=lambda ij: (ij[1], ij[0]))
    edge_index = np.array(order, dtype=np.int64).reshape(-1, 2).T.copy()
    return edge_index, np.array([best[k] for k in order], dtype=np.float32)


def ancestors(term: str, parents: Mapping[str, Sequence[str]], memo: dict[str, frozenset[str]]) -> frozenset[str]:
    """A term's ancestors (itself excluded) in a child -> parents DAG; safe on cycles."""
    if term not in memo:
        seen: set[str] = set()
        todo = list(parents.get(term, ()))
        while todo:
            parent = todo.pop()
            if parent in seen:
                continue
            seen.add(parent)
            if parent in memo:  # already resolved: take its ancestors whole
                seen |= memo[parent]
            else:
                todo.extend(parents.get(parent, ()))
        memo[term] = frozenset(seen - {term})
    return memo[term]


def go_matrix(gene_ids: Sequence[int], annotations: Iterable[tuple[int, str]],
              hierarchy: Iterable[tuple[str, str]], min_genes: int = GO_MIN_GENES,
              max_genes: int = GO_MAX_GENES) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Propagate gene annotations up the GO DAG and keep terms with ``min_genes..max_genes`` genes.

    Returns the kept term ids (sorted), the (n_genes, n_terms) 0/1 matrix and the (2, P) child ->
    parent edges among kept terms (direct edges of the hierarchy only).
    """
    parents: dict[str, list[str]] = {}
    for child, parent in hierarchy:
        parents.setdefault(child, []).append(parent)
    memo: dict[str, frozenset[str]] = {}
    index = {int(g): i for i, g in enumerate(gene_ids)}
    genes_of: dict[str, set[int]] = {}
    for entrez, go_id in annotations:
        i = index.get(int(entrez))
        if i is None:
            continue
        for term in (go_id, *ancestors(go_id, parents, memo)):
            genes_of.setdefault(term, set()).add(i)
    go_ids = sorted(t for t, genes in genes_of.items() if min_genes <= len(genes) <= max_genes)
    matrix = np.zeros((len(gene_ids), len(go_ids)), dtype=np.float32)
    for k, term in enumerate(go_ids):
        matrix[sorted(genes_of[term]), k] = 1.0
    term_index = {t: k for k, t in enumerate(go_ids)}
    edges = sorted({(term_index[c], term_index[p]) for c, ps in parents.items() if c in term_index
                    for p in ps if p in term_index})
    return go_ids, matrix, np.array(edges, dtype=np.int64).reshape(-1, 2).T.copy()


def _reindex_edges(edges: np.ndarray, keep: Sequence[int]) -> np.ndarray:
    new = {old: new for new, old in enumerate(keep)}
    pairs = [(new[a], new[b]) for a, b in edges.T.tolist() if a in new and b in new]
    return np.array(pairs, dtype=np.int64).reshape(-1, 2).T.copy()


def data_hash(data: TaskData, quality: Optional[SignatureQuality] = None) -> str:
    """Content hash of a snapshot: ids, labels, values, cell lines, graph context and QC metadata
    (goes into every run manifest). Snapshots without cells, context or QC metadata hash as before
    those existed."""
    h = hashlib.sha256()
    for part in (data.sample_ids, data.compound_ids, data.gene_ids, data.classes):
        _text(h, part)
    h.update(np.ascontiguousarray(data.x))  # the buffer itself: no copy of a large (memory-mapped) matrix
    h.update(np.ascontiguousarray(data.y).tobytes())
    if data.cell_ids:
        h.update(b"cells")
        _text(h, data.cell_ids)
    ctx = data.context
    if ctx is not None:
        h.update(b"context")
        for array in (ctx.gene_edges, ctx.edge_weight, ctx.gene_go, ctx.go_edges):
            h.update(str(array.shape).encode())
            h.update(np.ascontiguousarray(array).tobytes())
        _text(h, ctx.go_ids)
        _text(h, ctx.go_names)
        for mapping in (ctx.compound_smiles, ctx.compound_scaffold):
            _text(h, [f"{k}\x1d{mapping[k]}" for k in sorted(mapping)])
    if quality is not None and quality.present:
        h.update(b"quality")
        h.update(np.ascontiguousarray(quality.qc_pass, dtype=np.int8).tobytes())
        h.update(np.ascontiguousarray(quality.cc_q75, dtype=np.float32).tobytes())
    return h.hexdigest()


def _text(h: Any, part: Iterable[object]) -> None:
    h.update("\x1f".join(map(str, part)).encode())
    h.update(b"\x1e")
