"""The contract for source plugins: turn files into typed node and relationship batches."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Iterator, Optional, Sequence

from toolkit.graph.batches import Batch, SourceReport


@dataclass(frozen=True)
class LoadOptions:
    """Options every source receives. Sources ignore the ones that do not apply to them."""

    lenient: bool = False  # skip bad records with a report instead of failing
    batch_size: int = 5_000  # rows per yielded batch
    min_score: int = 0  # STRING: keep interactions with combined_score >= min_score (0..1000)
    top_k: int = 50  # signatures: up/down-regulated genes linked per signature
    chunk_signatures: int = 2_000  # signatures: GCTX columns read per slice
    qc_only: bool = False  # signatures: keep qc_pass == 1 only
    min_cc_q75: Optional[float] = None  # signatures: keep cc_q75 (2017: distil_cc_q75) >= this
    exemplar_only: bool = False  # signatures: keep is_exemplar_sig == 1 (2017: is_gold == 1)
    consensus: str = "none"  # signatures: "none", or one "modz"/"mean" node per (pert_id, cell)
    zscore: str = "none"  # signatures: "none" (values are z-scores already), "plate" or "vehicle" (Level 3)
    propagate: bool = False  # go: also annotate every ancestor term (evidence "propagated")


class Source(ABC):
    """A data source. ``read`` yields batches; nodes of a label before relationships that use it.

    Malformed input raises :class:`toolkit.errors.InputDataError` naming file, record and fix,
    unless ``options.lenient``, in which case the record is skipped and noted in ``report.dropped``.
    """

    name: ClassVar[str]
    description: ClassVar[str]

    @abstractmethod
    def read(self, paths: Sequence[Path], options: LoadOptions, report: SourceReport) -> Iterator[Batch]:
        """Yield batches read from ``paths``."""
