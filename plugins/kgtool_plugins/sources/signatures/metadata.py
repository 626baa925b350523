"""Signature metadata: siginfo / sig_info tables and embedded column metadata, harmonised into
:class:`~.base.SigMeta` (doses in µM, times in hours, cell names upper-cased, Broad ids cut)."""

from __future__ import annotations

import math
import re
import sys
from pathlib import Path
from typing import Optional, Sequence

from ..tables import MISSING, DelimitedFile, Problems, pert_id
from .records import MetaGetter, SigMeta
from .checks import UnmatchedRows, quality_value
from .filters import CC_Q75_COLUMNS, EXEMPLAR_COLUMNS

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

DOSE_UNITS_UM = {"um": 1.0, "micromolar": 1.0, "nm": 1e-3, "pm": 1e-6, "mm": 1e3, "m": 1e6}
TIME_UNITS_H = {"": 1.0, "h": 1.0, "hr": 1.0, "hrs": 1.0, "hour": 1.0, "hours": 1.0,
                "m": 1 / 60, "min": 1 / 60, "mins": 1 / 60, "minutes": 1 / 60, "d": 24.0, "day": 24.0, "days": 24.0}

NUMBER_UNIT = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


# ---------------------------------------------------------------------------------------------
# harmonising doses and times


def unit_key(unit: str) -> str:
    """A unit as a lookup key: lower-case, micro signs (µ, μ) as ``u``."""
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
        factor = DOSE_UNITS_UM.get(unit_key(unit))
        if factor is not None and math.isfinite(number) and number != -666:
            return number * factor
    if label.strip() in MISSING:
        return None
    match = NUMBER_UNIT.match(label.split("|")[0])
    if not match:
        return None
    factor = DOSE_UNITS_UM.get(unit_key(match.group(2)))
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
        factor = TIME_UNITS_H.get("" if unit.strip() in MISSING else unit.strip().lower())
        if factor is not None and math.isfinite(number) and number != -666:
            return number * factor, False
    if label.strip() in MISSING:
        return None, False
    parts = [p for p in re.split(r"[&|,;]", label) if p.strip()]
    if not parts:
        return None, False
    match = NUMBER_UNIT.match(parts[0])
    if not match:
        return None, False
    factor = TIME_UNITS_H.get(match.group(2).lower())
    number = float(match.group(1))
    if factor is None or number == -666:
        return None, False
    return number * factor, len(parts) > 1


class MetaReader:
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

    def make(self, get: MetaGetter, sig_id: str, record: str = "") -> SigMeta:
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


def read_siginfo(path: Path, wanted: set[str], in_matrices: set[str], metas: dict[str, SigMeta],
                  origin: dict[str, tuple[Path, int]], problems: Problems) -> MetaReader:
    """Add the metadata of the wanted sig ids found in one siginfo/sig_info table; rows of sig ids
    no matrix has are counted (see :mod:`.checks`)."""
    table = DelimitedFile(path, problems)
    sig_col = table.column("sig_id")
    table.column("pert_id")
    reader = MetaReader(table.columns, path, problems)
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
