"""Signature matrices: GCTX read with h5py a slice of columns at a time, GCT parsed with cmapPy,
and the landmark gene rows of a matrix."""

from __future__ import annotations

import logging
import math
import numbers
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional

from toolkit.errors import InputDataError

from ..tables import MISSING, GeneTable, Problems, one_line, parse_int
from .records import LandmarkGenes, Matrix, MetaGetter

if TYPE_CHECKING:
    import numpy as np

logger = logging.getLogger(__name__)

GCTX_DATA = "/0/DATA/0/matrix"
GCTX_COL = "/0/META/COL"
GCTX_ROW = "/0/META/ROW"
ROW_GENE_ID_FIELDS = ("pr_gene_id",)
ROW_SYMBOL_FIELDS = ("pr_gene_symbol", "gene_symbol")
ROW_LANDMARK_FIELDS = ("is_lm", "pr_is_lm", "pr_is_lmark")


def truthy(text: str) -> Optional[bool]:
    """A landmark flag as True/False (None when missing or not a flag)."""
    text = text.strip().lower()
    if text in MISSING:
        return None
    if text in ("1", "1.0", "true", "t", "yes"):
        return True
    if text in ("0", "0.0", "false", "f", "no"):
        return False
    return None


def num_text(value: Any) -> str:
    """A metadata value as text: bytes decoded, integral numbers without ".0", NaN as ""."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
        number = float(value)
        return "" if math.isnan(number) else (str(int(number)) if number.is_integer() else repr(number))
    return str(value)


class Gctx(Matrix):
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
        return [num_text(v) for v in ds[()]]

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

    def col_meta(self) -> Optional[tuple[list[str], Callable[[int], MetaGetter]]]:
        fields = {
            name: self._strings(ds)
            for name, ds in self._h5[GCTX_COL].items()
            if name != "id" and getattr(ds, "shape", None) == (len(self.col_ids),)
        }
        if not fields:
            return None

        def getter(j: int) -> MetaGetter:
            return lambda name: fields[name][j].strip() if name in fields else ""

        return list(fields), getter

    def close(self) -> None:
        h5 = getattr(self, "_h5", None)
        if h5 is not None:
            try:
                h5.close()
            except Exception:  # noqa: BLE001 - closing a broken file must not hide the real error
                pass


class Gct(Matrix):
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
        self.row_meta = {str(k): [num_text(v) for v in gct.row_metadata_df[k].tolist()]
                         for k in gct.row_metadata_df.columns}
        self._col_meta = gct.col_metadata_df

    def block(self, start: int, stop: int) -> np.ndarray:
        return self._values[:, start:stop].T

    def columns(self, index: np.ndarray) -> np.ndarray:
        return self._values[:, index].T

    def col_meta(self) -> Optional[tuple[list[str], Callable[[int], MetaGetter]]]:
        df = self._col_meta
        if df is None or df.shape[1] == 0:
            return None
        fields = {str(k): [num_text(v) for v in df[k].tolist()] for k in df.columns}

        def getter(j: int) -> MetaGetter:
            return lambda name: fields[name][j].strip() if name in fields else ""

        return list(fields), getter


def open_matrix(path: Path, kind: str) -> Matrix:
    return Gctx(path) if kind == "gctx" else Gct(path)


def landmark_rows(matrix: Matrix, genes: GeneTable, problems: Problems) -> LandmarkGenes:
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
        mask = [truthy(v) is True for v in matrix.row_meta[lm_field]]
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

    return LandmarkGenes(rows=rows, entrez=order, symbols=[symbol(e) for e in order])
