"""Values and identifiers of LINCS/CLUE tables: missing-value tokens, integers, Broad ids, lists."""

from __future__ import annotations

import math
from typing import Any, Optional

# Values that mean "no value" in LINCS/CLUE tables (CMap writes -666 for missing metadata).
MISSING = frozenset({"", "-666", "-666.0", "NA", "N/A", "na", "nan", "NaN", "null", "None"})


def is_missing(value: Any) -> bool:
    """True for None, NaN and the missing-value tokens of LINCS tables (``-666``, ``NA``, ...)."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value) or value == -666.0
    if isinstance(value, int) and not isinstance(value, bool):
        return value == -666
    return str(value).strip() in MISSING


def parse_int(text: str) -> Optional[int]:
    """``text`` as an int ("12", "12.0" and " 12 " are fine); None if it is not one."""
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        try:
            value = float(text)
        except ValueError:
            return None
        return int(value) if value.is_integer() else None


def pert_id(raw: str) -> str:
    """The 13-character LINCS pert_id of a Broad id (``BRD-K12345678-001-01-1`` → ``BRD-K12345678``)."""
    text = raw.strip()
    if len(text) > 13 and text[:4].upper() == "BRD-":
        return text[:13]
    return text


COMPOUND_PERT_TYPES = ("trt_cp", "trt_poscon", "ctl_vehicle")


def is_compound_pert_type(pert_type: str) -> bool:
    """True for LINCS perturbagen types that are small molecules (``trt_cp``, ``ctl_vehicle``, ...)."""
    return pert_type.strip().lower().split(".")[0] in COMPOUND_PERT_TYPES


def split_list(text: str, seps: str = "|;") -> list[str]:
    """Split a multi-valued cell on any of ``seps``; strip, drop empties, keep order, no repeats."""
    for sep in seps[1:]:
        text = text.replace(sep, seps[0])
    out: list[str] = []
    for part in text.split(seps[0]):
        part = part.strip()
        if part and part not in MISSING and part not in out:
            out.append(part)
    return out
