"""Quality filters of the signatures source: ``--min-cc-q75`` and ``--exemplar-only``.

Both read a quality property of :class:`~kgtool_plugins.sources.signatures.records.SigMeta` that the
metadata reader fills from the first of these columns a metadata source has:

* ``cc_q75`` (replicate correlation, the 75th percentile of the pairwise Spearman correlations of
  a signature's replicates): ``cc_q75`` in the CLUE 2020 ``siginfo_beta``, ``distil_cc_q75`` in
  LINCS 2017 ``sig_metrics`` / ``sig_info`` and in GCT/GCTX column metadata. ``min_cc_q75`` keeps
  signatures with ``cc_q75 >= min_cc_q75``.
* ``is_exemplar``: ``is_exemplar_sig`` in the 2020 ``siginfo_beta``; 2017 metadata has no exemplar
  flag, so its ``is_gold`` (CMap's "gold" signatures: reproducible and distinct, the 2017 notion
  of the signatures to use) stands in for it. ``exemplar_only`` keeps ``is_exemplar == 1``.

A filter whose column no metadata source has is an error (the fix names the file to pass); a
signature whose value is missing or not a number is dropped with its reason; the signatures a
filter rejects are counted in one dropped line per matrix.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Sequence

from toolkit.errors import InputDataError
from toolkit.sources import LoadOptions

from ..tables import Problems
from .options import EXEMPLAR_ONLY, MIN_CC_Q75

if TYPE_CHECKING:
    from .records import SigMeta

CC_Q75_COLUMNS = ("cc_q75", "distil_cc_q75")  # 2020 siginfo_beta, then 2017 sig_metrics / GCT
EXEMPLAR_COLUMNS = ("is_exemplar_sig", "is_gold")  # 2020 siginfo_beta, then 2017 (is_gold stands in)


@dataclass(frozen=True)
class QualityFilter:
    """One quality filter: the SigMeta quality property it reads and the threshold it keeps."""

    option: str  # the source option, as reports and errors name it
    prop: str  # the quality property of SigMeta (and of the Signature node)
    columns: tuple[str, ...]  # metadata columns the property is read from, preferred first
    minimum: Optional[float]  # keep prop >= minimum; None: keep prop is True
    fix: str  # how to get the column

    def keeps(self, value: Any) -> bool:
        if self.minimum is None:
            return value is True
        return float(value) >= self.minimum

    def rule(self) -> str:
        return f"{self.prop} >= {self.minimum:g}" if self.minimum is not None else f"{self.prop} == 1"


def active_filters(options: LoadOptions) -> list[QualityFilter]:
    """The quality filters ``options`` asks for."""
    filters = []
    min_cc_q75 = options.get(MIN_CC_Q75)
    if min_cc_q75 is not None:
        filters.append(QualityFilter(
            "min_cc_q75", "cc_q75", CC_Q75_COLUMNS, float(min_cc_q75),
            "pass the 2020 siginfo_beta (cc_q75) or the 2017 sig_metrics (distil_cc_q75), or load without "
            "--min-cc-q75"))
    if options.get(EXEMPLAR_ONLY):
        filters.append(QualityFilter(
            "exemplar_only", "is_exemplar", EXEMPLAR_COLUMNS, None,
            "pass the 2020 siginfo_beta (is_exemplar_sig) or 2017 metadata with is_gold, or load without "
            "--exemplar-only"))
    return filters


def check_columns(filters: Sequence[QualityFilter], present: Sequence[set[str]], path: Path, record: str) -> None:
    """Raise when a filter's property has a column in none of the metadata sources.

    ``present`` holds, per metadata source, the quality properties it has a column for.
    """
    for f in filters:
        if not any(f.prop in props for props in present):
            raise InputDataError(path, record, f"{f.option} needs a {' or '.join(f.columns)} column", f.fix)


def apply_filters(path: Path, col_ids: Sequence[str], flags: list[bool], metas: dict[str, SigMeta],
                  filters: Sequence[QualityFilter], problems: Problems) -> None:
    """Unset the flags of the signatures a filter rejects, and report them."""
    for f in filters:
        rejected = 0
        for j, sig_id in enumerate(col_ids):
            if not flags[j]:
                continue
            value = dict(metas[sig_id].quality).get(f.prop)
            if value is None:
                flags[j] = False
                problems.drop(path, f"signature {sig_id}",
                              f"no {f.prop} value ({'/'.join(f.columns)} missing or not a number); "
                              f"skipped ({f.option})", kind=f"{f.option}: no value")
            elif not f.keeps(value):
                flags[j] = False
                rejected += 1
        if rejected:
            problems.drop(path, f.option, f"{rejected} signatures without {f.rule()} skipped ({f.option})",
                          kind=f.option, rows=rejected)
