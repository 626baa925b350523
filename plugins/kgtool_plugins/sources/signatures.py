"""L1000 signatures (Level 5 z-scores, or Level 3 plates z-scored here) with their compounds, cell
lines and top up/down genes.

Inputs, told apart by content:

* matrices: GCTX (HDF5, cmapPy layout: ``/0/DATA/0/matrix`` of shape (signatures, genes),
  ``/0/META/COL/id`` = sig ids, ``/0/META/ROW/id`` = gene or probe ids, optional meta fields) or
  GCT 1.2/1.3 text (parsed with cmapPy; its column metadata may be embedded);
* signature metadata: CLUE 2020 ``siginfo_beta`` (``sig_id pert_id cmap_name pert_type cell_iname
  pert_dose pert_dose_unit pert_time pert_time_unit pert_idose pert_itime qc_pass nsample ...``) or
  LINCS 2017 ``sig_info`` (``sig_id pert_id pert_iname cell_id pert_idose pert_itime ...``). Without
  one, a matrix's embedded column metadata is used;
* gene tables: CLUE ``geneinfo_beta`` (``gene_id gene_symbol ... feature_space``), LINCS 2017
  ``gene_info`` (``pr_gene_id pr_gene_symbol pr_is_lm``) or the landmark list (``pr_gene_id``,
  ``pr_id`` probe ids, ``pr_is_lmark``).

Genes: a matrix row is a gene by its row meta ``pr_gene_id``, else its id if that is an integer
(Entrez), else its probe id looked up in a gene table's ``pr_id``. Only landmark rows are used
(row meta ``is_lm``/``pr_is_lm``/``pr_is_lmark``, else the gene tables' ``feature_space ==
landmark`` / ``pr_is_lm``; all rows if nothing says). **Every Signature's ``z`` lists the landmark
z-scores in ascending Entrez id order of the landmark genes of its matrix**; the order is not stored
per node (it would repeat 978 ids on every signature).

Harmonised metadata: ``dose_um`` from ``pert_dose`` + ``pert_dose_unit`` or from ``pert_idose``
(``10 uM``, ``10.0 um``, ``10 µM``, ``10 μM``, ``500 nM``, ...; non-molar doses and ``-666`` leave it
out); ``time_h`` from ``pert_time`` + unit or ``pert_itime`` (``24 h``, ``24H``, ``24``; ``6 h & 4 h``
takes the first and is reported as repaired); cell names upper-cased; Broad ids cut to 13
characters; ``pert_type`` lower-cased.

Yields Gene ``{entrez_id, symbol, is_landmark}``, CellLine ``{name}``, Compound ``{pert_id, name}``
(only these properties, so a load never overwrites structures; only for compound pert types,
``trt_cp``/``trt_poscon``/``ctl_vehicle``), then per slice of ``options.chunk_signatures`` columns:
Signature ``{sig_id, pert_id, pert_type, cell, dose_um, time_h, qc_pass, nsample, ... , z}``,
OF_COMPOUND, IN_CELL, and UPREGULATES / DOWNREGULATES ``{z, rank}`` to the ``options.top_k``
highest positive / lowest negative landmark genes (rank 1 = most extreme; ties by Entrez id).
``options.qc_only`` keeps signatures with ``qc_pass`` 1 only; ``options.min_cc_q75`` and
``options.exemplar_only`` keep signatures by ``cc_q75`` (``distil_cc_q75``) and ``is_exemplar``
(``is_exemplar_sig``, for 2017 metadata ``is_gold``), both also stored on the node (see
``_sigfilters``). ``options.consensus`` (``modz``/``mean``) writes one consensus Signature per
(pert_id, cell line) instead of the individual ones (see ``_sigconsensus``).

Level 3 (``options.zscore``, ``kgtool load --zscore``): ``none`` (default) loads the values as
they are (Level 4/5 z-scores). ``plate`` and ``vehicle`` turn Level 3 expression (QNORM log2,
one column per well) into robust z-scores per plate, as CMap's Level 4 (ZSPC) does: for every
landmark gene, ``z = (x - median) / (1.4826 * max(MAD, 0.1))``, clipped to ±10, where median and
MAD (median absolute deviation) are taken over all wells of the plate (``plate``) or over its
vehicle-control wells, ``pert_type`` ``ctl_vehicle`` in any case (``vehicle``). The MAD floor of
0.1 (log2 units) is cmapPy's ``robust_zscore`` default (``min_mad``): a near-constant gene gets
z near 0 instead of a huge value, and the result matches ``robust_zscore`` up to its rounding.
A plate is the column metadata's ``det_plate`` (the detection plate QNORM normalised together),
else ``rna_plate`` (embedded metadata or a siginfo table with those columns); a matrix without
either is one plate, named by its file. The statistics use the wells this load keeps (after
duplicate, metadata and ``qc_only`` checks) whose landmark values are all finite; a plate with
fewer than 3 such (vehicle) wells is an error naming the file, the plate and the fix. The
Signature nodes then hold z-scores in the same ``z`` layout, with the same top-k relationships,
plus ``zscore`` (``plate``/``vehicle``) and ``plate``. The statistics are computed one plate at a
time before the signatures are written, reading only that plate's columns (GCTX: an h5py slice,
or a point selection when the plate's columns are not contiguous); a GCT is in memory already.

Memory: a GCTX is read with h5py one contiguous slice of columns at a time, never whole. cmapPy's
``parse(path, cid=...)`` is not used for GCTX: when a slice has at least as many columns as the
matrix has rows (2,000 ≥ 978) it reads ``matrix[:, rows]`` — every signature — and it re-reads
all column metadata on each call. GCT is text and is parsed whole by cmapPy (with numpy < 2 and
pandas < 3, see DESIGN §6).

A matrix with no columns (0 signatures) is an error naming it (``lenient``: a warning and a report
line, nothing loaded from it). Errors (``lenient``: the signature is skipped and reported): matrix
column ids missing from the metadata (all counted, the first named in one error), a duplicate sig
id (in the matrix or the metadata; both places named), NaN/inf among a signature's landmark values, two landmark rows on
one gene. A quality value that is not a number (``cc_q75 = abc``) is an error naming file, line
and column (``lenient``: the value is left out and reported). Siginfo rows of signatures no
matrix has are counted and the first named in one report line (not an error: ``siginfo_beta``
lists every signature). All of these are found before the first write, NaN/inf by one extra read
of the matrix, a slice of columns at a time (:mod:`._sigchecks`), so a failed load changes
nothing. A corrupt or truncated HDF5 file is "not a readable GCTX/HDF5 file". The plate column
may be spelled ``det_plates``.
"""

from __future__ import annotations

import logging
import math
import numbers
import re
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Optional, Sequence

from toolkit.errors import ConfigError, InputDataError
from toolkit.graph.batches import Batch
from toolkit.hookspecs import hookimpl
from toolkit.schema import NodeLabel
from toolkit.sources import LoadOptions

from ._sigchecks import UnmatchedRows, check_finite, check_ids, quality_value
from ._sigconsensus import check_mode, consensus_batches, drop_ungrouped
from ._sigfilters import CC_Q75_COLUMNS, EXEMPLAR_COLUMNS, QualityFilter, active_filters, apply_filters, check_columns
from ._siglinks import SigLinks, finite_or_reported, signature_batches
from ._tables import (
    HDF5_MAGIC,
    MISSING,
    DelimitedFile,
    GeneTable,
    Problems,
    ReportingSource,
    clean,
    file_magic,
    is_compound_pert_type,
    is_gene_table,
    node_batches,
    one_line,
    parse_int,
    pert_id,
    sniff,
)

if TYPE_CHECKING:
    import numpy as np

logger = logging.getLogger(__name__)

GCTX_DATA = "/0/DATA/0/matrix"
GCTX_COL = "/0/META/COL"
GCTX_ROW = "/0/META/ROW"
ROW_GENE_ID_FIELDS = ("pr_gene_id",)
ROW_SYMBOL_FIELDS = ("pr_gene_symbol", "gene_symbol")
ROW_LANDMARK_FIELDS = ("is_lm", "pr_is_lm", "pr_is_lmark")

# metadata field -> accepted column names (CLUE 2020 first, then LINCS 2017 and plate files)
META_FIELDS: dict[str, tuple[str, ...]] = {
    "pert_id": ("pert_id",),
    "name": ("cmap_name", "pert_iname", "pert_desc"),
    "cell": ("cell_iname", "cell_id"),
    "pert_type": ("pert_type",),
    "dose": ("pert_dose", "exp_pert_dose"),
    "dose_unit": ("pert_dose_unit", "exp_pert_dose_unit"),
    "idose": ("pert_idose",),
    "time": ("pert_time", "exp_pert_time"),
    "time_unit": ("pert_time_unit", "exp_pert_time_unit"),
    "itime": ("pert_itime",),
    "qc_pass": ("qc_pass",),
    "plate": ("det_plate", "det_plates", "rna_plate"),
}
# optional numeric quality fields copied onto Signature: property -> (columns, type)
QUALITY_FIELDS: dict[str, tuple[tuple[str, ...], type]] = {
    "nsample": (("nsample", "distil_nsample"), int),
    "tas": (("tas",), float),
    "distil_ss": (("distil_ss",), float),
    "cc_q75": (CC_Q75_COLUMNS, float),
    "pct_self_rank_q25": (("pct_self_rank_q25",), float),
    "is_gold": (("is_gold",), bool),
    "is_exemplar": (EXEMPLAR_COLUMNS, bool),
}

_DOSE_UNITS_UM = {"um": 1.0, "micromolar": 1.0, "nm": 1e-3, "pm": 1e-6, "mm": 1e3, "m": 1e6}
_TIME_UNITS_H = {"": 1.0, "h": 1.0, "hr": 1.0, "hrs": 1.0, "hour": 1.0, "hours": 1.0,
                 "m": 1 / 60, "min": 1 / 60, "mins": 1 / 60, "minutes": 1 / 60, "d": 24.0, "day": 24.0, "days": 24.0}
ZSCORE_MODES = ("none", "plate", "vehicle")
MIN_MAD = 0.1  # floor of the MAD before scaling (cmapPy robust_zscore's min_mad; CMap ZSPC)
MAD_TO_SD = 1.4826  # MAD x 1.4826 estimates the standard deviation of a normal distribution
Z_CLIP = 10.0  # z-scores are clipped to +-Z_CLIP, as CMap's Level 4/5 are
MIN_REFERENCE_WELLS = 3  # fewest wells a plate's median/MAD may come from

_NUMBER_UNIT = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


# ---------------------------------------------------------------------------------------------
# harmonising doses and times


def _unit_key(unit: str) -> str:
    return unit.strip().lower().replace("\u00b5", "u").replace("\u03bc", "u")


def parse_dose_um(value: str, unit: str = "", label: str = "") -> Optional[float]:
    """Dose in µM from ``value`` + ``unit`` (e.g. "10", "um") or a label ("10 uM", "500 nM").

    None for missing (``-666``, empty) or non-molar doses (``ng/ul``, ``%``, a bare number).
    """
    if value.strip() not in MISSING and unit.strip() not in MISSING:
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        factor = _DOSE_UNITS_UM.get(_unit_key(unit))
        if factor is not None and math.isfinite(number) and number != -666:
            return number * factor
    if label.strip() in MISSING:
        return None
    match = _NUMBER_UNIT.match(label.split("|")[0])
    if not match:
        return None
    factor = _DOSE_UNITS_UM.get(_unit_key(match.group(2)))
    number = float(match.group(1))
    if factor is None or number == -666:
        return None
    return number * factor


def parse_time_h(value: str, unit: str = "", label: str = "") -> tuple[Optional[float], bool]:
    """``(time in hours or None, several times were listed)`` from value + unit or a label.

    ``24 h``, ``24H`` and ``24`` are 24.0; ``6 h & 4 h`` gives ``(6.0, True)``.
    """
    if value.strip() not in MISSING:
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        factor = _TIME_UNITS_H.get("" if unit.strip() in MISSING else unit.strip().lower())
        if factor is not None and math.isfinite(number) and number != -666:
            return number * factor, False
    if label.strip() in MISSING:
        return None, False
    parts = [p for p in re.split(r"[&|,;]", label) if p.strip()]
    if not parts:
        return None, False
    match = _NUMBER_UNIT.match(parts[0])
    if not match:
        return None, False
    factor = _TIME_UNITS_H.get(match.group(2).lower())
    number = float(match.group(1))
    if factor is None or number == -666:
        return None, False
    return number * factor, len(parts) > 1


def _truthy(text: str) -> Optional[bool]:
    text = text.strip().lower()
    if text in MISSING:
        return None
    if text in ("1", "1.0", "true", "t", "yes"):
        return True
    if text in ("0", "0.0", "false", "f", "no"):
        return False
    return None


# ---------------------------------------------------------------------------------------------
# metadata


@dataclass(frozen=True, slots=True)
class SigMeta:
    """The harmonised metadata of one signature."""

    pert_id: str
    name: str
    cell: str
    pert_type: str
    dose_um: Optional[float]
    time_h: Optional[float]
    qc_pass: Optional[bool]
    quality: tuple[tuple[str, Any], ...]
    plate: str = ""  # det_plate, else rna_plate ("" when the metadata has neither)


class _MetaReader:
    """Turns one metadata record (a getter by column name) into :class:`SigMeta`."""

    def __init__(self, columns: Sequence[str], path: Path, problems: Problems) -> None:
        present = set(columns)
        self.path = path
        self.problems = problems
        self.cols = {f: next((c for c in names if c in present), None) for f, names in META_FIELDS.items()}
        self.quality = {
            prop: (col, typ)
            for prop, (names, typ) in QUALITY_FIELDS.items()
            for col in [next((c for c in names if c in present), None)]
            if col is not None
        }
        self._interned: dict[str, str] = {}

    @property
    def has_qc(self) -> bool:
        return self.cols["qc_pass"] is not None

    def _intern(self, text: str) -> str:
        return self._interned.setdefault(text, sys.intern(text) if len(text) < 64 else text)

    def make(self, get: Callable[[Optional[str]], str], sig_id: str, record: str = "") -> SigMeta:
        """The metadata of ``sig_id``; ``record`` says where it is (default: the signature)."""
        c = self.cols
        record = record or f"signature {sig_id}"
        dose = parse_dose_um(get(c["dose"]), get(c["dose_unit"]), get(c["idose"]))
        if dose is None:
            label = get(c["idose"])
            if label in MISSING:
                label = " ".join(v for v in (get(c["dose"]), get(c["dose_unit"])) if v not in MISSING)
            if label:
                self.problems.repair(self.path, f"signature {sig_id}",
                                     f"dose {label!r} is not a molar concentration; dose_um left out",
                                     kind="non-molar dose")
        time_h, several = parse_time_h(get(c["time"]), get(c["time_unit"]), get(c["itime"]))
        if several:
            self.problems.repair(self.path, f"signature {sig_id}",
                                 f"pert_itime {get(c['itime'])!r} lists several times; time_h = {time_h:g}",
                                 kind="several times")
        quality = []
        for prop, (col, typ) in self.quality.items():
            value = quality_value(get(col), col, typ, self.path, record, self.problems)
            if value is not None:
                quality.append((prop, value))
        name = get(c["name"])
        cell = get(c["cell"]).upper()
        plate = get(c["plate"])
        return SigMeta(
            pert_id=self._intern(pert_id(get(c["pert_id"]))),
            name=self._intern(name) if name not in MISSING else "",
            cell=self._intern(cell) if cell not in MISSING else "",
            pert_type=self._intern(get(c["pert_type"]).lower()),
            dose_um=dose,
            time_h=time_h,
            qc_pass=quality_value(get(c["qc_pass"]), c["qc_pass"], bool, self.path, record, self.problems)
            if c["qc_pass"] else None,
            quality=tuple(quality),
            plate=self._intern(plate) if plate not in MISSING else "",
        )


def _read_siginfo(path: Path, wanted: set[str], in_matrices: set[str], metas: dict[str, SigMeta],
                  origin: dict[str, tuple[Path, int]], problems: Problems) -> _MetaReader:
    """Add the metadata of the wanted sig ids found in one siginfo/sig_info table; rows of sig ids
    no matrix has are counted (see :mod:`._sigchecks`)."""
    table = DelimitedFile(path, problems)
    sig_col = table.column("sig_id")
    table.column("pert_id")
    reader = _MetaReader(table.columns, path, problems)
    unmatched = UnmatchedRows(path)
    for row in table.rows():
        sig_id = row.get(sig_col)
        if sig_id not in wanted:
            if sig_id not in in_matrices:
                unmatched.add(sig_id)
            continue
        if sig_id in metas:
            first_path, first_line = origin[sig_id]
            problems.bad(path, row.record, f"duplicate sig_id {sig_id!r}: also on {first_path.name} line {first_line}",
                         "keep one metadata row per sig_id", kind="duplicate sig_id")
            continue
        metas[sig_id] = reader.make(row.get, sig_id, f"signature {sig_id} (line {row.line})")
        origin[sig_id] = (path, row.line)
    unmatched.report(problems)
    return reader


# ---------------------------------------------------------------------------------------------
# matrices


def _num_text(value: Any) -> str:
    """A metadata value as text: bytes decoded, integral numbers without ".0", NaN as ""."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
        number = float(value)
        return "" if math.isnan(number) else (str(int(number)) if number.is_integer() else repr(number))
    return str(value)


class _Matrix:
    """A signature matrix: column (sig) ids, row ids and row meta, and slices of columns."""

    path: Path
    col_ids: list[str]
    row_ids: list[str]
    row_meta: dict[str, list[str]]

    def block(self, start: int, stop: int) -> np.ndarray:
        """Columns ``start:stop`` as an array of shape (stop - start, n_rows)."""
        raise NotImplementedError

    def col_meta(self) -> Optional[tuple[list[str], Callable[[int], Callable[[Optional[str]], str]]]]:
        """Embedded column metadata: (field names, column index -> getter), or None."""
        raise NotImplementedError

    def columns(self, index: np.ndarray) -> np.ndarray:
        """The columns at ascending ``index`` as an array of shape (len(index), n_rows)."""
        raise NotImplementedError

    def close(self) -> None:
        pass


class _Gctx(_Matrix):
    def __init__(self, path: Path) -> None:
        import h5py  # local: only GCTX loads need it

        self.path = path
        try:
            self._h5 = h5py.File(path, "r")
        except OSError as exc:
            raise self._unreadable(exc) from None
        try:
            for node in (GCTX_DATA, f"{GCTX_COL}/id", f"{GCTX_ROW}/id"):
                if node not in self._h5:
                    raise InputDataError(path, node, f"not a GCTX file: no {node} dataset",
                                         "write the matrix in cmapPy's GCTX layout (cmapPy write_gctx)")
            self._data = self._h5[GCTX_DATA]
            self.col_ids = self._strings(self._h5[f"{GCTX_COL}/id"])
            self.row_ids = self._strings(self._h5[f"{GCTX_ROW}/id"])
            if self._data.ndim != 2 or tuple(self._data.shape) != (len(self.col_ids), len(self.row_ids)):
                raise InputDataError(
                    path, GCTX_DATA,
                    f"matrix shape {tuple(self._data.shape)} does not match {len(self.col_ids)} column ids x "
                    f"{len(self.row_ids)} row ids",
                    "store the matrix as (signatures, genes), as cmapPy's write_gctx does",
                )
            self.row_meta = {
                name: self._strings(ds)
                for name, ds in self._h5[GCTX_ROW].items()
                if name != "id" and getattr(ds, "shape", None) == (len(self.row_ids),)
            }
        except OSError as exc:
            self.close()
            raise self._unreadable(exc) from None
        except InputDataError:
            self.close()
            raise

    def _unreadable(self, exc: BaseException) -> InputDataError:
        return InputDataError(self.path, "file", f"not a readable GCTX/HDF5 file ({one_line(exc)})",
                              "download or write the file again (it may be truncated)")

    @staticmethod
    def _strings(ds: Any) -> list[str]:
        if ds.dtype.kind in ("S", "O"):
            return [str(v) for v in ds.asstr()[()]]
        return [_num_text(v) for v in ds[()]]

    def block(self, start: int, stop: int) -> np.ndarray:
        import numpy as np

        try:
            return np.asarray(self._data[start:stop, :], dtype=np.float32)
        except OSError as exc:
            raise InputDataError(self.path, f"columns {start + 1}..{stop}",
                                 f"not a readable GCTX/HDF5 file ({one_line(exc)})",
                                 "download or write the file again (it may be truncated)") from None

    def columns(self, index: np.ndarray) -> np.ndarray:
        import numpy as np

        index = np.asarray(index, dtype=np.int64)
        if len(index) and index[-1] - index[0] + 1 == len(index):  # contiguous: one slice
            return self.block(int(index[0]), int(index[-1]) + 1)
        try:  # h5py point selection along the column axis: only these columns are read
            return np.asarray(self._data[index.tolist(), :], dtype=np.float32)
        except OSError as exc:
            raise InputDataError(self.path, f"{len(index)} columns from {int(index[0]) + 1}",
                                 f"not a readable GCTX/HDF5 file ({one_line(exc)})",
                                 "download or write the file again (it may be truncated)") from None

    def col_meta(self) -> Optional[tuple[list[str], Callable[[int], Callable[[Optional[str]], str]]]]:
        fields = {
            name: self._strings(ds)
            for name, ds in self._h5[GCTX_COL].items()
            if name != "id" and getattr(ds, "shape", None) == (len(self.col_ids),)
        }
        if not fields:
            return None

        def getter(j: int) -> Callable[[Optional[str]], str]:
            return lambda name: fields[name][j].strip() if name in fields else ""

        return list(fields), getter

    def close(self) -> None:
        h5 = getattr(self, "_h5", None)
        if h5 is not None:
            try:
                h5.close()
            except Exception:  # noqa: BLE001 - closing a broken file must not hide the real error
                pass


class _Gct(_Matrix):
    def __init__(self, path: Path) -> None:
        from cmapPy.pandasGEXpress import parse_gct  # local: cmapPy imports pandas

        self.path = path
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)  # cmapPy's to_numeric(errors="ignore")
                gct = parse_gct.parse(str(path))
        except Exception as exc:  # noqa: BLE001 - cmapPy raises bare Exception on malformed GCT
            raise InputDataError(path, "file", f"not a readable GCT file ({one_line(exc)})",
                                 "check the #1.2/#1.3 header, the dimensions line and the column counts") from None
        import numpy as np

        data = gct.data_df
        self.col_ids = [str(c) for c in data.columns]
        self.row_ids = [str(r) for r in data.index]
        self._values = data.to_numpy(dtype=np.float32)  # (rows, cols)
        self.row_meta = {str(k): [_num_text(v) for v in gct.row_metadata_df[k].tolist()]
                         for k in gct.row_metadata_df.columns}
        self._col_meta = gct.col_metadata_df

    def block(self, start: int, stop: int) -> np.ndarray:
        return self._values[:, start:stop].T

    def columns(self, index: np.ndarray) -> np.ndarray:
        return self._values[:, index].T

    def col_meta(self) -> Optional[tuple[list[str], Callable[[int], Callable[[Optional[str]], str]]]]:
        df = self._col_meta
        if df is None or df.shape[1] == 0:
            return None
        fields = {str(k): [_num_text(v) for v in df[k].tolist()] for k in df.columns}

        def getter(j: int) -> Callable[[Optional[str]], str]:
            return lambda name: fields[name][j].strip() if name in fields else ""

        return list(fields), getter


def _open_matrix(path: Path, kind: str) -> _Matrix:
    return _Gctx(path) if kind == "gctx" else _Gct(path)


@dataclass(frozen=True)
class _Genes:
    """The landmark rows of one matrix, in ascending Entrez order."""

    rows: np.ndarray  # row indices into the matrix
    entrez: list[int]
    symbols: list[Optional[str]]


def _landmark_rows(matrix: _Matrix, genes: GeneTable, problems: Problems) -> _Genes:
    import numpy as np

    n = len(matrix.row_ids)
    id_field = next((f for f in ROW_GENE_ID_FIELDS if f in matrix.row_meta), None)
    sym_field = next((f for f in ROW_SYMBOL_FIELDS if f in matrix.row_meta), None)
    lm_field = next((f for f in ROW_LANDMARK_FIELDS if f in matrix.row_meta), None)
    entrez: list[Optional[int]] = []
    for i, rid in enumerate(matrix.row_ids):
        value = parse_int(matrix.row_meta[id_field][i]) if id_field else parse_int(rid)
        if value is None:
            value = genes.probes.get(rid)
        if value is None or value <= 0:
            raise InputDataError(
                matrix.path, f"row {i + 1} ({rid})", "row id is not an Entrez id and has no pr_gene_id",
                "use Entrez ids as row ids, add pr_gene_id row metadata, or pass the landmark gene table "
                "(pr_id, pr_gene_id) with the matrix",
            )
        entrez.append(value)
    if lm_field:
        mask = [_truthy(v) is True for v in matrix.row_meta[lm_field]]
    elif genes.has_landmark_info:
        mask = [e in genes.landmarks for e in entrez]
    else:
        mask = [True] * n
        if n > 978:
            logger.warning("%s: %d rows and no landmark information; using all rows (pass geneinfo_beta "
                           "to keep the 978 landmarks)", matrix.path, n)
    picked: dict[int, int] = {}
    for i in range(n):
        if not mask[i]:
            continue
        e = entrez[i]
        if e in picked:
            problems.bad(matrix.path, f"row {i + 1} ({matrix.row_ids[i]})",
                         f"landmark gene {e} also on row {picked[e] + 1}",
                         "keep one row per gene", kind="duplicate gene row")
            continue
        picked[e] = i
    if not picked:
        raise InputDataError(matrix.path, "rows", "no landmark gene rows in the matrix",
                             "pass the gene table that marks landmarks (feature_space / pr_is_lm) or a landmark matrix")
    order = sorted(picked)
    rows = np.array([picked[e] for e in order], dtype=np.int64)

    def symbol(e: int) -> Optional[str]:
        if sym_field:
            s = matrix.row_meta[sym_field][picked[e]].strip()
            if s and s not in MISSING:
                return s
        return genes.symbols.get(e)

    return _Genes(rows=rows, entrez=order, symbols=[symbol(e) for e in order])


# ---------------------------------------------------------------------------------------------
# Level 3 -> robust z-scores per plate


@dataclass(frozen=True)
class _PlateStats:
    """Per-plate robust location and scale of one matrix's landmark rows."""

    mode: str  # "plate" or "vehicle"
    names: list[str]  # plate names
    of_column: np.ndarray  # matrix column -> plate index (-1: column not loaded)
    median: np.ndarray  # (plates, landmarks)
    scale: np.ndarray  # (plates, landmarks): MAD_TO_SD * max(MAD, MIN_MAD)
    references: list[int]  # wells each plate's statistics come from

    def apply(self, block: np.ndarray, cols: Sequence[int]) -> np.ndarray:
        """Robust z-scores of ``block`` (rows = matrix columns ``cols``), clipped to +-Z_CLIP."""
        import numpy as np

        plates = self.of_column[np.asarray(cols, dtype=np.int64)]
        z = (block - self.median[plates]) / self.scale[plates]
        return np.clip(z, -Z_CLIP, Z_CLIP, out=z)


def _is_vehicle(pert_type: str) -> bool:
    return pert_type.split(".")[0] == "ctl_vehicle"


def _plate_stats(m: _Matrix, flags: list[bool], layout: _Genes, metas: dict[str, SigMeta],
                 mode: str) -> _PlateStats:
    """Median and scaled MAD of every landmark gene over each plate's wells (``plate``) or its
    vehicle-control wells (``vehicle``), reading one plate's columns at a time.

    The wells are the matrix columns this load keeps whose landmark values are all finite.
    """
    import numpy as np

    groups: dict[str, list[int]] = {}
    for j, sig_id in enumerate(m.col_ids):
        if flags[j]:
            groups.setdefault(metas[sig_id].plate or m.path.name, []).append(j)
    of_column = np.full(len(m.col_ids), -1, dtype=np.int64)
    medians, scales, references = [], [], []
    for p, (plate, cols) in enumerate(groups.items()):
        index = np.asarray(cols, dtype=np.int64)
        of_column[index] = p
        values = m.columns(index)[:, layout.rows].astype(np.float64)
        usable = np.isfinite(values).all(axis=1)
        if mode == "vehicle":
            usable &= np.array([_is_vehicle(metas[m.col_ids[j]].pert_type) for j in cols], dtype=bool)
        reference = values[usable]
        del values
        if len(reference) < MIN_REFERENCE_WELLS:
            what = "vehicle-control wells (pert_type ctl_vehicle)" if mode == "vehicle" else "wells"
            fix = ("use --zscore plate to z-score against all wells of the plate" if mode == "vehicle" else
                   "load the whole plate in one matrix (z-scores need the plate population), or use --zscore none")
            raise InputDataError(m.path, f"plate {plate}",
                                 f"{len(reference)} {what} with finite values; --zscore {mode} needs at least "
                                 f"{MIN_REFERENCE_WELLS}", fix)
        median = np.median(reference, axis=0)
        mad = np.median(np.abs(reference - median), axis=0)
        medians.append(median)
        scales.append(MAD_TO_SD * np.maximum(mad, MIN_MAD))
        references.append(len(reference))
    n = len(layout.rows)
    return _PlateStats(
        mode=mode, names=list(groups), of_column=of_column,
        median=np.array(medians, dtype=np.float64).reshape(-1, n),
        scale=np.array(scales, dtype=np.float64).reshape(-1, n), references=references,
    )


# ---------------------------------------------------------------------------------------------
# the source


class SignaturesSource(ReportingSource):
    """L1000 Level 5 signatures (or Level 3 plates, z-scored) from GCTX/GCT with siginfo and geneinfo metadata."""

    name = "signatures"
    description = "L1000 signatures (GCTX/GCT + siginfo/sig_info + geneinfo): landmark z vectors, top-k up/down genes"

    def _read(self, paths: Sequence[Path], options: LoadOptions, problems: Problems) -> Iterator[Batch]:
        matrices: list[_Matrix] = []
        try:
            yield from self._read_matrices(paths, options, problems, matrices)
        finally:
            for m in matrices:
                m.close()

    def _read_matrices(self, paths: Sequence[Path], options: LoadOptions, problems: Problems,
                       matrices: list[_Matrix]) -> Iterator[Batch]:
        qc_only = options.qc_only
        size = options.batch_size
        if options.zscore not in ZSCORE_MODES:
            raise ConfigError(f"unknown zscore mode {options.zscore!r}; use one of {', '.join(ZSCORE_MODES)}")
        check_mode(options.consensus)
        filters = active_filters(options)
        siginfo_paths: list[Path] = []
        genes = GeneTable()
        for path in map(Path, paths):
            kind = self._kind(path)
            if kind in ("gctx", "gct"):
                matrices.append(_open_matrix(path, kind))
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

        layouts = [_landmark_rows(m, genes, problems) for m in matrices]
        if len({tuple(g.entrez) for g in layouts}) > 1:
            logger.warning("signatures: the matrices have different landmark gene sets; z vectors of "
                           "different matrices are not aligned")
        stats: list[Optional[_PlateStats]] = [None] * len(matrices)
        if options.consensus != "none":  # z-score statistics first: the controls count, then leave
            stats = [self._stats(m, flags, layout, metas, options.zscore) for m, flags, layout
                     in zip(matrices, keep, layouts)]
            for m, flags in zip(matrices, keep):
                drop_ungrouped(m, flags, metas, problems)

        for m, flags, layout in zip(matrices, keep, layouts):  # before the first write: a failure changes nothing
            check_finite(m, flags, layout, options.chunk_signatures, options.lenient)

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

        if options.consensus != "none":
            yield from consensus_batches(matrices, keep, layouts, stats, metas, options.consensus,
                                         max(0, options.top_k), options.chunk_signatures, size, problems)
            return
        for m, flags, layout in zip(matrices, keep, layouts):
            plate_stats = self._stats(m, flags, layout, metas, options.zscore)
            yield from self._signature_batches(m, flags, layout, metas, options, problems, plate_stats)
            m.close()

    @staticmethod
    def _stats(m: _Matrix, flags: list[bool], layout: _Genes, metas: dict[str, SigMeta],
               zscore: str) -> Optional[_PlateStats]:
        if zscore == "none":
            return None
        stats = _plate_stats(m, flags, layout, metas, zscore)
        logger.info("%s: robust z-scores against %s on %d plate(s): %s", m.path.name,
                    "all wells" if stats.mode == "plate" else "the vehicle wells", len(stats.names),
                    ", ".join(f"{n} ({k} wells)" for n, k in zip(stats.names, stats.references)))
        return stats

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
    def _metadata(matrices: list[_Matrix], keep: list[list[bool]], siginfo_paths: list[Path], qc_only: bool,
                  filters: list[QualityFilter], problems: Problems) -> dict[str, SigMeta]:
        metas: dict[str, SigMeta] = {}
        if siginfo_paths:
            wanted = {sig for m, flags in zip(matrices, keep) for sig, f in zip(m.col_ids, flags) if f}
            in_matrices = {sig for m in matrices for sig in m.col_ids}
            origin: dict[str, tuple[Path, int]] = {}
            readers = [_read_siginfo(p, wanted, in_matrices, metas, origin, problems) for p in siginfo_paths]
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
            reader = _MetaReader(fields, m.path, problems)
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
    def _signature_batches(m: _Matrix, flags: list[bool], layout: _Genes, metas: dict[str, SigMeta],
                           options: LoadOptions, problems: Problems,
                           stats: Optional[_PlateStats] = None) -> Iterator[Batch]:
        import numpy as np

        size = options.batch_size
        chunk = max(1, int(options.chunk_signatures))
        k = max(0, int(options.top_k))
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


def _rows(sig_ids: list[str], metas: list[SigMeta], block: np.ndarray, stats: Optional[_PlateStats],
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
