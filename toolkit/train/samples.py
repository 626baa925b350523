"""The samples a run trains on, made in ONE place for ``train``, ``predict`` and ``explain``.

:func:`prepare` turns an exported snapshot into samples, in this order:

1. **QC filter** (``qc``): ``auto`` drops the signatures whose ``qc_pass`` is false when the graph
   has ``qc_pass`` on its signatures (else keeps all); ``pass`` keeps only ``qc_pass == true``
   (signatures without the property are dropped too; a graph without any ``qc_pass`` is an
   error); ``none`` keeps all.
2. **Per-cell-line centering** (``center="cell"``): from every signature, subtract its cell
   line's per-gene MEDIAN over ALL the kept signatures of that cell line (labelled or not, on
   every split side), as CMap-style per-cell normalisation does. It uses no label, but it does
   read the test signatures' values: the baseline is a property of the cell line, not of a
   compound. Signatures without a cell line are left as they are. ``none`` leaves values as loaded.
3. **Aggregation** (``aggregate``/``consensus``, :mod:`toolkit.train.aggregate`): one consensus
   per compound x cell line by default (:data:`toolkit.train.choices.DEFAULT_AGGREGATE`).

:func:`training_samples` exports (through the snapshot cache) and prepares exactly as the run
with a given config did. Its ``data_hash`` is the exported snapshot's hash BEFORE preparation:
the hash the Run records. Centering reads the whole current snapshot, so preparing again after
new signatures were loaded can move the baselines (the hash tells: it changes too).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Mapping, Optional

import numpy as np

from toolkit.errors import ConfigError, RunError
from toolkit.graph.db import Graph
from toolkit.models import TaskData, map_rows, release_pages
from toolkit.settings import Settings
from toolkit.train.aggregate import aggregate as aggregate_samples
from toolkit.train.choices import (AGGREGATE_LEVELS, CENTER_MODES, CONSENSUS_METHODS, DEFAULT_AGGREGATE,
                                   DEFAULT_CENTER, DEFAULT_QC, QC_MODES)
from toolkit.train.export import GO_MAX_GENES, GO_MIN_GENES, QC_FAIL, QC_PASS, SIGNATURE_LEVELS, SignatureQuality

logger = logging.getLogger(__name__)

__all__ = ["PreparedSamples", "SampleOptions", "SampleReport", "center_by_cell", "load_samples", "prepare",
           "qc_filter", "training_samples"]


def _check(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")


@dataclass(frozen=True)
class SampleOptions:
    """How a run reads and prepares its samples (part of the Run config, see :meth:`to_config`)."""

    signatures: str = "auto"  # toolkit.train.export.SIGNATURE_LEVELS
    qc: str = DEFAULT_QC
    center: str = DEFAULT_CENTER
    aggregate: str = DEFAULT_AGGREGATE
    consensus: str = "modz"
    with_context: bool = False
    go_min_genes: int = GO_MIN_GENES
    go_max_genes: int = GO_MAX_GENES

    def __post_init__(self) -> None:
        object.__setattr__(self, "aggregate", getattr(self.aggregate, "value", self.aggregate))
        object.__setattr__(self, "consensus", getattr(self.consensus, "value", self.consensus))
        _check("signatures", self.signatures, SIGNATURE_LEVELS)
        _check("qc", self.qc, QC_MODES)
        _check("center", self.center, CENTER_MODES)
        _check("aggregate", self.aggregate, AGGREGATE_LEVELS)
        _check("consensus", self.consensus, CONSENSUS_METHODS)

    def to_config(self) -> dict[str, Any]:
        """The Run config keys of these options (``context`` is ``with_context``)."""
        out = asdict(self)
        out["context"] = out.pop("with_context")
        return out

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "SampleOptions":
        """The options a run with ``config`` used. Keys older runs lack mean what those runs did:
        no QC filter, no centering, no aggregation, loaded signatures, MODZ."""
        return cls(signatures=config.get("signatures", "auto"), qc=config.get("qc", "none"),
                   center=config.get("center", "none"), aggregate=config.get("aggregate", "none"),
                   consensus=config.get("consensus", "modz"), with_context=bool(config.get("context", False)),
                   go_min_genes=int(config.get("go_min_genes", GO_MIN_GENES)),
                   go_max_genes=int(config.get("go_max_genes", GO_MAX_GENES)))

    def export_options(self) -> Any:
        """What the export reads (:class:`toolkit.train.cache.ExportOptions`)."""
        from toolkit.train.cache import ExportOptions

        return ExportOptions(with_context=self.with_context, go_min_genes=self.go_min_genes,
                             go_max_genes=self.go_max_genes, signatures=self.signatures)


@dataclass(frozen=True)
class SampleReport:
    """What preparation dropped and changed (counts)."""

    exported: int  # signatures in the snapshot
    qc_dropped: int  # signatures the QC filter dropped
    qc_unknown: int  # exported signatures without qc_pass (kept by auto, dropped by pass)
    centered_cells: int  # cell lines whose median was subtracted
    uncentered: int  # kept signatures left as they are (center none, or no cell line)
    samples: int  # rows after aggregation

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class PreparedSamples:
    """Prepared samples, what preparation did, and the snapshot's hash (before preparation)."""

    data: TaskData
    report: SampleReport
    data_hash: str = ""
    signature_compound_ids: tuple[str, ...] = ()  # the compound of each signature QC kept (before aggregation)


def qc_filter(data: TaskData, quality: Optional[SignatureQuality], mode: str) -> tuple[TaskData, int]:
    """``data`` without the signatures ``mode`` drops, and how many it dropped."""
    _check("qc", mode, QC_MODES)
    n = len(data.sample_ids)
    if mode == "none" or (mode == "auto" and (quality is None or not quality.has_qc_pass)):
        return data, 0
    if quality is None or not quality.has_qc_pass:
        raise RunError(f"--qc pass needs the signatures' qc_pass, and none of the {n} signatures has one; load "
                       "signatures with QC metadata (the 2020 siginfo_beta has qc_pass) or use --qc auto")
    if len(quality.qc_pass) != n:
        raise ValueError(f"QC metadata has {len(quality.qc_pass)} rows, the snapshot {n}")
    keep = quality.qc_pass != QC_FAIL if mode == "auto" else quality.qc_pass == QC_PASS
    if not keep.any():
        raise RunError(f"the QC filter (--qc {mode}) drops all {n} signatures; use --qc none to keep them")
    dropped = int(n - keep.sum())
    return (data.subset(np.flatnonzero(keep)) if dropped else data), dropped


def center_by_cell(data: TaskData) -> tuple[TaskData, int, int]:
    """``data`` with each cell line's per-gene median subtracted from its signatures; also the
    number of cell lines centred and of signatures left as they are (no cell line). The medians
    read one cell line's rows at a time and the subtraction runs in chunks (:func:`map_rows`), so
    a memory-mapped matrix gives a memory-mapped result and is never held whole."""
    n = len(data.sample_ids)
    if not data.cell_ids or n == 0:
        return data, 0, n
    cells = np.asarray(data.cell_ids, dtype=object)
    names = sorted(set(data.cell_ids) - {""})
    code = np.zeros(n, dtype=np.int64)  # 0: no cell line (offset 0), else 1 + the cell's position in names
    offsets = np.zeros((len(names) + 1, data.x.shape[1]), dtype=np.float32)
    for number, cell in enumerate(names, start=1):
        rows = np.flatnonzero(cells == cell)
        code[rows] = number
        offsets[number] = np.median(data.x[rows], axis=0).astype(np.float32)  # one cell's rows at a time
        release_pages(data.x)
    x = map_rows(data.x, np.arange(n), lambda block, rows: block.astype(np.float32, copy=False) - offsets[code[rows]])
    return replace(data, x=x), len(names), int((cells == "").sum())


def prepare(data: TaskData, options: SampleOptions, quality: Optional[SignatureQuality] = None) -> PreparedSamples:
    """QC filter, then per-cell-line centering, then aggregation (see the module doc). ``quality``
    is the snapshot's QC metadata (None: no signature has any)."""
    exported = len(data.sample_ids)
    qc_unknown = exported if quality is None else int((~np.isin(quality.qc_pass, (QC_PASS, QC_FAIL))).sum())
    data, dropped = qc_filter(data, quality, options.qc)
    kept_compounds = data.compound_ids
    if options.center == "cell":
        data, centered, uncentered = center_by_cell(data)
    else:
        centered, uncentered = 0, len(data.sample_ids)
    data = aggregate_samples(data, options.aggregate, options.consensus)
    report = SampleReport(exported=exported, qc_dropped=dropped, qc_unknown=qc_unknown, centered_cells=centered,
                          uncentered=uncentered, samples=len(data.sample_ids))
    logger.info("samples: %d signatures exported, %d dropped by QC (--qc %s), %d cell lines centred "
                "(--center %s, %d signatures left as loaded), %d samples (--aggregate %s)", exported, dropped,
                options.qc, centered, options.center, uncentered, report.samples, options.aggregate)
    return PreparedSamples(data=data, report=report, signature_compound_ids=tuple(kept_compounds))


def load_samples(graph: Graph, options: SampleOptions, cache_dir: Optional[Path]) -> tuple[PreparedSamples, Any]:
    """Export the snapshot (from ``cache_dir`` when it holds it; None: no cache) and prepare it;
    also the :class:`toolkit.train.cache.Snapshot`."""
    from toolkit.train.cache import snapshot

    snap = snapshot(graph, cache_dir, options.export_options())
    prepared = prepare(snap.data, options, snap.quality)
    return replace(prepared, data_hash=snap.data_hash), snap


def training_samples(graph: Graph, config: Mapping[str, Any], settings: Optional[Settings] = None,
                     use_cache: bool = True) -> PreparedSamples:
    """The samples the train run with ``config`` trained on (its Run config), prepared as it did;
    ``data_hash`` is the snapshot hash the Run records. The cache folder is ``settings``' (default:
    the graph's settings)."""
    options = SampleOptions.from_config(config)
    cache_dir = (settings or graph.settings).cache_dir if use_cache else None
    return load_samples(graph, options, cache_dir)[0]
