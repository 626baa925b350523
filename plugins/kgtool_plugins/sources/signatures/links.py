"""The batches of one slice of Signature nodes: the nodes, OF_COMPOUND, IN_CELL and the top-k
UPREGULATES / DOWNREGULATES ``{z, rank}`` genes (rank 1 = most extreme; among equal z the smaller
Entrez id ranks first). Shared by per-signature and consensus loads."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Sequence

from toolkit.graph.batches import Batch
from toolkit.schema import NodeLabel, RelType

from ..tables import Problems, node_batches, rel, rel_batches

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True, slots=True)
class SigLinks:
    """Where one Signature node points: its compound ("" for none) and cell line ("" for none)."""

    sig_id: str
    compound: str
    cell: str


def signature_batches(rows: list[dict[str, Any]], links: Sequence[SigLinks], block: np.ndarray,
                      entrez: np.ndarray, k: int, size: int) -> Iterator[Batch]:
    """Node batches of ``rows``, then their links; ``block`` (len(rows), landmarks) ranks the genes."""
    import numpy as np

    yield from node_batches(NodeLabel.SIGNATURE, rows, size)
    del rows
    yield from rel_batches(RelType.OF_COMPOUND, NodeLabel.SIGNATURE, NodeLabel.COMPOUND,
                           (rel(s.sig_id, s.compound) for s in links if s.compound), size)
    yield from rel_batches(RelType.IN_CELL, NodeLabel.SIGNATURE, NodeLabel.CELL_LINE,
                           (rel(s.sig_id, s.cell) for s in links if s.cell), size)
    if k == 0:
        return
    sig_ids = [s.sig_id for s in links]
    # stable sorts: among equal z the smaller Entrez id (earlier column) ranks first
    up_order = np.argsort(-block, axis=1, kind="stable")[:, :k]
    down_order = np.argsort(block, axis=1, kind="stable")[:, :k]
    directions = ((RelType.UPREGULATES, up_order, 1.0), (RelType.DOWNREGULATES, down_order, -1.0))
    for rel_type, order, sign in directions:
        yield from rel_batches(rel_type, NodeLabel.SIGNATURE, NodeLabel.GENE,
                               ranked(sig_ids, block, order, sign, entrez), size)


def ranked(sig_ids: list[str], block: np.ndarray, order: np.ndarray, sign: float,
           entrez: np.ndarray) -> Iterator[dict[str, Any]]:
    """UP/DOWN rows: genes in ``order`` per signature while ``sign * z > 0``, ranked from 1."""
    for i, sig_id in enumerate(sig_ids):
        for rank, g in enumerate(order[i], start=1):
            z = float(block[i, g])
            if z * sign <= 0:
                break
            yield rel(sig_id, int(entrez[g]), z=z, rank=rank)


def finite_or_reported(vector: np.ndarray, path: Path, sig_id: str, entrez: np.ndarray, problems: Problems) -> bool:
    """True when all of a signature's landmark values are finite; otherwise reported (an error
    unless lenient) and False."""
    import numpy as np

    bad = np.flatnonzero(~np.isfinite(vector))
    if not len(bad):
        return True
    problems.bad(path, f"signature {sig_id}", f"{len(bad)} NaN/inf values (first at gene {int(entrez[bad[0]])})",
                 "recompute or remove this signature", kind="NaN/inf values")
    return False
