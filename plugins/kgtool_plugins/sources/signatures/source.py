"""The signatures source: tells its inputs apart, runs the checks before the first write and
yields Gene, CellLine, Compound and Signature batches (see ``docs/signatures.md``)."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Optional, Sequence

from toolkit.errors import ConfigError, InputDataError
from toolkit.graph.batches import Batch
from toolkit.hookspecs import hookimpl
from toolkit.schema import NodeLabel
from toolkit.sources import LoadOptions

from ..tables import (
    HDF5_MAGIC,
    GeneTable,
    Problems,
    ReportingSource,
    clean,
    file_magic,
    is_compound_pert_type,
    is_gene_table,
    node_batches,
    sniff,
)
from .records import LandmarkGenes, Matrix, SigMeta
from .checks import check_finite, check_ids
from .consensus import check_mode, consensus_batches, drop_ungrouped
from .filters import QualityFilter, active_filters, apply_filters, check_columns
from .links import SigLinks, finite_or_reported, signature_batches
from .metadata import MetaReader, read_siginfo
from .options import CHUNK_SIGNATURES, CONSENSUS, OPTIONS, QC_ONLY, TOP_K, ZSCORE
from .readers import landmark_rows, open_matrix
from .zscore import ZSCORE_MODES, PlateStats, stats_for

if TYPE_CHECKING:
    import numpy as np

logger = logging.getLogger(__name__)


class SignaturesSource(ReportingSource):
    """L1000 Level 5 signatures (or Level 3 plates, z-scored) from GCTX/GCT with siginfo and geneinfo metadata."""

    name = "signatures"
    description = "L1000 signatures (GCTX/GCT + siginfo/sig_info + geneinfo): landmark z vectors, top-k up/down genes"
    options = OPTIONS

    def _read(self, paths: Sequence[Path], options: LoadOptions, problems: Problems) -> Iterator[Batch]:
        matrices: list[Matrix] = []
        try:
            yield from self._read_matrices(paths, options, problems, matrices)
        finally:
            for m in matrices:
                m.close()

    def _read_matrices(self, paths: Sequence[Path], options: LoadOptions, problems: Problems,
                       matrices: list[Matrix]) -> Iterator[Batch]:
        qc_only = options.get(QC_ONLY)
        zscore = options.get(ZSCORE)
        consensus = options.get(CONSENSUS)
        chunk = options.get(CHUNK_SIGNATURES)
        size = options.batch_size
        if zscore not in ZSCORE_MODES:
            raise ConfigError(f"unknown zscore mode {zscore!r}; use one of {', '.join(ZSCORE_MODES)}")
        check_mode(consensus)
        filters = active_filters(options)
        siginfo_paths: list[Path] = []
        genes = GeneTable()
        for path in map(Path, paths):
            kind = self._kind(path)
            if kind in ("gctx", "gct"):
                matrices.append(open_matrix(path, kind))
            elif kind == "siginfo":
                siginfo_paths.append(path)
            else:
                genes.read(path, problems)
        if not matrices:
            raise InputDataError(
                Path(paths[0]) if paths else Path("."), "paths", "no GCTX or GCT matrix among the paths",
                "pass the level 5 matrix (.gctx or .gct) with its siginfo and geneinfo files",
            )
        for m in [m for m in matrices if not m.col_ids]:  # a matrix without signatures: nothing to load
            what = f"0 signatures: the matrix has no columns ({len(m.row_ids)} rows)"
            if not problems.lenient:
                raise InputDataError(m.path, "columns", what, "check that the file is complete and is the one meant")
            problems.empty(m.path, what)
            matrices.remove(m)
            m.close()
        if not matrices:
            return

        # which columns to load: unique ids, with metadata
        seen: dict[str, tuple[Path, int]] = {}
        keep: list[list[bool]] = []
        for m in matrices:
            flags = []
            for j, sig_id in enumerate(m.col_ids):
                if sig_id in seen:
                    first_path, first_column = seen[sig_id]
                    problems.bad(m.path, f"column {j + 1} ({sig_id})",
                                 f"duplicate sig id {sig_id!r}: also column {first_column} of {first_path.name}",
                                 "keep one column per signature", kind="duplicate sig id")
                    flags.append(False)
                    continue
                seen[sig_id] = (m.path, j + 1)
                flags.append(True)
            keep.append(flags)
        metas = self._metadata(matrices, keep, siginfo_paths, qc_only, filters, problems)
        for m, flags in zip(matrices, keep):
            check_ids(m, flags, metas, ", ".join(p.name for p in siginfo_paths) or "the matrix's column metadata",
                      problems)
            if qc_only:
                failed = 0
                for j, sig_id in enumerate(m.col_ids):
                    if flags[j] and metas[sig_id].qc_pass is not True:
                        flags[j] = False
                        failed += 1
                if failed:
                    problems.drop(m.path, "qc_only", f"{failed} signatures without qc_pass == 1 skipped (qc_only)",
                                  kind="qc_only", rows=failed)
            apply_filters(m.path, m.col_ids, flags, metas, filters, problems)

        layouts = [landmark_rows(m, genes, problems) for m in matrices]
        if len({tuple(g.entrez) for g in layouts}) > 1:
            logger.warning("signatures: the matrices have different landmark gene sets; z vectors of "
                           "different matrices are not aligned")
        stats: list[Optional[PlateStats]] = [None] * len(matrices)
        if consensus != "none":  # z-score statistics first: the controls count, then leave
            stats = [stats_for(m, flags, layout, metas, zscore) for m, flags, layout
                     in zip(matrices, keep, layouts)]
            for m, flags in zip(matrices, keep):
                drop_ungrouped(m, flags, metas, problems)

        for m, flags, layout in zip(matrices, keep, layouts):  # before the first write: a failure changes nothing
            check_finite(m, flags, layout, chunk, options.lenient)

        # nodes every signature points at
        gene_rows: dict[int, dict[str, Any]] = {}
        for layout in layouts:
            for e, s in zip(layout.entrez, layout.symbols):
                gene_rows.setdefault(e, clean({"entrez_id": e, "symbol": s, "is_landmark": True}))
        yield from node_batches(NodeLabel.GENE, (gene_rows[e] for e in sorted(gene_rows)), size)
        kept = [metas[sig] for m, flags in zip(matrices, keep) for sig, f in zip(m.col_ids, flags) if f]
        cells = sorted({meta.cell for meta in kept if meta.cell})
        yield from node_batches(NodeLabel.CELL_LINE, ({"name": c} for c in cells), size)
        compounds: dict[str, str] = {}
        for meta in kept:
            if meta.pert_id and is_compound_pert_type(meta.pert_type or "trt_cp"):
                if not compounds.get(meta.pert_id):
                    compounds[meta.pert_id] = meta.name
        del kept
        yield from node_batches(
            NodeLabel.COMPOUND,
            (clean({"pert_id": p, "name": compounds[p] or None}) for p in sorted(compounds)),
            size,
        )

        if consensus != "none":
            yield from consensus_batches(matrices, keep, layouts, stats, metas, consensus,
                                         max(0, options.get(TOP_K)), chunk, size, problems)
            return
        for m, flags, layout in zip(matrices, keep, layouts):
            plate_stats = stats_for(m, flags, layout, metas, zscore)
            yield from self._signature_batches(m, flags, layout, metas, options, problems, plate_stats)
            m.close()

    @staticmethod
    def _kind(path: Path) -> str:
        if file_magic(path) == HDF5_MAGIC:
            return "gctx"
        head = sniff(path)
        if path.suffix.lower() == ".gct" or re.match(r"^#1\.[23]\b", head.first_line):
            return "gct"
        if "sig_id" in head.fields:
            return "siginfo"
        if is_gene_table(head):
            return "genes"
        raise InputDataError(
            path, "header", f"not a GCTX/GCT matrix, siginfo or gene table (starts {head.first_line[:60]!r})",
            "pass level5 .gctx/.gct, siginfo_beta (or sig_info) and geneinfo_beta (or gene_info)",
        )

    @staticmethod
    def _metadata(matrices: list[Matrix], keep: list[list[bool]], siginfo_paths: list[Path], qc_only: bool,
                  filters: list[QualityFilter], problems: Problems) -> dict[str, SigMeta]:
        metas: dict[str, SigMeta] = {}
        if siginfo_paths:
            wanted = {sig for m, flags in zip(matrices, keep) for sig, f in zip(m.col_ids, flags) if f}
            in_matrices = {sig for m in matrices for sig in m.col_ids}
            origin: dict[str, tuple[Path, int]] = {}
            readers = [read_siginfo(p, wanted, in_matrices, metas, origin, problems) for p in siginfo_paths]
            del in_matrices
            if qc_only and not any(r.has_qc for r in readers):
                raise InputDataError(siginfo_paths[0], "header", "qc_only needs a qc_pass column",
                                     "pass the 2020 siginfo_beta (it has qc_pass), or load without qc_only")
            check_columns(filters, [set(r.quality) for r in readers], siginfo_paths[0], "header")
            return metas
        for m, flags in zip(matrices, keep):
            embedded = m.col_meta()
            if embedded is None:
                continue
            fields, getter = embedded
            reader = MetaReader(fields, m.path, problems)
            if "pert_id" not in fields:
                raise InputDataError(m.path, "column metadata", "no siginfo given and the matrix has no pert_id "
                                     "column metadata", "pass the siginfo_beta (or sig_info) file with the matrix")
            if qc_only and not reader.has_qc:
                raise InputDataError(m.path, "column metadata", "qc_only needs a qc_pass column",
                                     "pass the 2020 siginfo_beta (it has qc_pass), or load without qc_only")
            check_columns(filters, [set(reader.quality)], m.path, "column metadata")
            for j, sig_id in enumerate(m.col_ids):
                if flags[j]:
                    metas[sig_id] = reader.make(getter(j), sig_id)
        return metas

    @staticmethod
    def _signature_batches(m: Matrix, flags: list[bool], layout: LandmarkGenes, metas: dict[str, SigMeta],
                           options: LoadOptions, problems: Problems,
                           stats: Optional[PlateStats] = None) -> Iterator[Batch]:
        import numpy as np

        size = options.batch_size
        chunk = max(1, options.get(CHUNK_SIGNATURES))
        k = max(0, options.get(TOP_K))
        entrez = np.asarray(layout.entrez, dtype=np.int64)
        for start in range(0, len(m.col_ids), chunk):
            stop = min(start + chunk, len(m.col_ids))
            cols = [j for j in range(start, stop) if flags[j]]
            if not cols:
                continue
            block = m.block(start, stop)[np.asarray(cols) - start][:, layout.rows]  # (n, landmarks)
            finite = np.isfinite(block).all(axis=1)
            good = [i for i, j in enumerate(cols)
                    if finite[i] or finite_or_reported(block[i], m.path, m.col_ids[j], entrez, problems)]
            if not good:
                continue
            block = block[good].astype(np.float64)
            if stats is not None:
                block = stats.apply(block, [cols[i] for i in good])
            sig_ids = [m.col_ids[cols[i]] for i in good]
            sig_metas = [metas[s] for s in sig_ids]
            problems.report.rows_read += len(sig_ids)

            yield from signature_batches(_rows(sig_ids, sig_metas, block, stats, m.path.name),
                                         [_links(s, meta) for s, meta in zip(sig_ids, sig_metas)],
                                         block, entrez, k, size)


def _rows(sig_ids: list[str], metas: list[SigMeta], block: np.ndarray, stats: Optional[PlateStats],
          plate: str) -> list[dict[str, Any]]:
    """Signature node rows; ``plate`` names the plate of signatures whose metadata has none."""
    rows = []
    for sig_id, meta, z in zip(sig_ids, metas, block):
        props = {"sig_id": sig_id, "pert_id": meta.pert_id or None, "pert_type": meta.pert_type or None,
                 "cell": meta.cell or None, "dose_um": meta.dose_um, "time_h": meta.time_h,
                 "qc_pass": meta.qc_pass}
        props.update(meta.quality)
        if stats is not None:
            props["zscore"] = stats.mode
            props["plate"] = meta.plate or plate
        props["z"] = z.tolist()
        rows.append(clean(props))
    return rows


def _links(sig_id: str, meta: SigMeta) -> SigLinks:
    compound = meta.pert_id if meta.pert_id and is_compound_pert_type(meta.pert_type or "trt_cp") else ""
    return SigLinks(sig_id, compound, meta.cell)


@hookimpl
def kgtool_register_sources(register) -> None:  # type: ignore[no-untyped-def]
    register(SignaturesSource())
