"""Per-compound-per-cell consensus signatures on load (``kgtool load signatures --consensus``).

With ``modz`` or ``mean`` the source writes ONE Signature node per (pert_id, cell line) group of
the kept treatment signatures instead of the individual ones (after the duplicate, metadata,
``qc_only``, quality-filter and ``zscore`` steps; doses and times are pooled):

``Signature {sig_id: 'consensus:<pert_id>:<cell>', level: 'consensus', consensus: 'modz'|'mean',
pert_id, cell, n_members, member_sig_ids, z, pert_type / dose_um / time_h / zscore when all
members agree}`` with the same OF_COMPOUND, IN_CELL and top-k UP/DOWNREGULATES links as a
per-signature node. ``z`` is in the same layout (ascending Entrez ids of the landmark genes).

The vectors come from :func:`toolkit.consensus.consensus`: ``mean`` is the plain mean; ``modz``
weights each member by its mean Spearman correlation to the other members (clipped at 0.01,
normalised to sum to one). A group of one member is that member's vector; a group of two is the
plain mean of both (their correlation to each other is the same number, so the weights are equal).

Signatures without a pert_id or a cell line, and controls (``pert_type`` not ``trt_*``), belong
to no group: they are dropped with a reason. Groups are processed in sorted (pert_id, cell)
order, members in sig_id order, so the result does not depend on the order of the columns or
files. Memory: the member columns of consecutive groups are read together, at most
``chunk_signatures`` columns at a time (a single larger group is read whole), never the matrix.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator, Optional, Sequence

from toolkit.consensus import ConsensusMethod, consensus
from toolkit.errors import ConfigError, InputDataError
from toolkit.graph.batches import Batch

from .links import SigLinks, finite_or_reported, signature_batches
from ..tables import Problems, clean, is_compound_pert_type

if TYPE_CHECKING:
    import numpy as np

    from .records import LandmarkGenes, Matrix, SigMeta
    from .zscore import PlateStats

CONSENSUS_MODES = ("none", *(m.value for m in ConsensusMethod))
LEVEL = "consensus"

Key = tuple[str, str]  # (pert_id, cell)
Member = tuple[int, int]  # (matrix index, column index)


def check_mode(mode: str) -> None:
    if mode not in CONSENSUS_MODES:
        raise ConfigError(f"unknown consensus mode {mode!r}; use one of {', '.join(CONSENSUS_MODES)}")


def consensus_sig_id(key: Key) -> str:
    return f"{LEVEL}:{key[0]}:{key[1]}"


def _no_group_reason(meta: SigMeta) -> Optional[str]:
    if meta.pert_type and not meta.pert_type.startswith("trt"):
        return f"control signature (pert_type {meta.pert_type})"
    if not meta.pert_id:
        return "no pert_id"
    if not meta.cell:
        return "no cell line"
    return None


def drop_ungrouped(m: Matrix, flags: list[bool], metas: dict[str, SigMeta], problems: Problems) -> None:
    """Unset the flags of signatures that belong to no (pert_id, cell) treatment group, reported."""
    for j, sig_id in enumerate(m.col_ids):
        if not flags[j]:
            continue
        reason = _no_group_reason(metas[sig_id])
        if reason is not None:
            flags[j] = False
            problems.drop(m.path, f"signature {sig_id}", f"{reason}: in no (pert_id, cell) group; skipped "
                          "(consensus)", kind="consensus: no group")


def _groups(matrices: Sequence[Matrix], keep: Sequence[list[bool]], metas: dict[str, SigMeta]
            ) -> list[tuple[Key, list[Member]]]:
    groups: dict[Key, list[Member]] = {}
    for mi, (m, flags) in enumerate(zip(matrices, keep)):
        for j, sig_id in enumerate(m.col_ids):
            if flags[j]:
                meta = metas[sig_id]
                groups.setdefault((meta.pert_id, meta.cell), []).append((mi, j))
    return [(key, sorted(members, key=lambda g: matrices[g[0]].col_ids[g[1]]))
            for key, members in sorted(groups.items())]


def _chunks(groups: list[tuple[Key, list[Member]]], columns: int) -> Iterator[list[tuple[Key, list[Member]]]]:
    """Consecutive groups with at most ``columns`` members together (a larger group alone)."""
    chunk: list[tuple[Key, list[Member]]] = []
    n = 0
    for key, members in groups:
        if chunk and n + len(members) > columns:
            yield chunk
            chunk, n = [], 0
        chunk.append((key, members))
        n += len(members)
    if chunk:
        yield chunk


def _read_members(members: list[Member], matrices: Sequence[Matrix], layouts: Sequence[LandmarkGenes],
                  stats: Sequence[Optional[PlateStats]]) -> dict[Member, np.ndarray]:
    """Landmark vectors (z-scored when ``stats``) of ``members``, each matrix's columns read at once."""
    import numpy as np

    out: dict[Member, np.ndarray] = {}
    for mi in sorted({mi for mi, _ in members}):
        cols = sorted(j for i, j in members if i == mi)
        block = matrices[mi].columns(np.asarray(cols, dtype=np.int64))[:, layouts[mi].rows].astype(np.float64)
        if stats[mi] is not None:
            block = stats[mi].apply(block, cols)
        out.update(((mi, j), block[r]) for r, j in enumerate(cols))
    return out


def _agreed(values: list[Any]) -> Any:
    """The value all members share, else None."""
    return values[0] if values and all(v == values[0] for v in values) else None


def _node(key: Key, method: str, sig_ids: list[str], metas: list[SigMeta], z: np.ndarray,
          zscore: Optional[str]) -> dict[str, Any]:
    return clean({
        "sig_id": consensus_sig_id(key), "level": LEVEL, "consensus": method, "pert_id": key[0], "cell": key[1],
        "pert_type": _agreed([m.pert_type for m in metas]) or None, "dose_um": _agreed([m.dose_um for m in metas]),
        "time_h": _agreed([m.time_h for m in metas]), "zscore": zscore, "n_members": len(sig_ids),
        "member_sig_ids": sig_ids, "z": z.tolist(),
    })


def consensus_batches(matrices: Sequence[Matrix], keep: Sequence[list[bool]], layouts: Sequence[LandmarkGenes],
                      stats: Sequence[Optional[PlateStats]], metas: dict[str, SigMeta], mode: str,
                      top_k: int, chunk_signatures: int, size: int, problems: Problems) -> Iterator[Batch]:
    """Consensus Signature nodes and their links, a chunk of groups at a time."""
    import numpy as np

    if len({tuple(g.entrez) for g in layouts}) > 1:
        raise InputDataError(matrices[1].path, "rows", "the matrices have different landmark gene sets, so their "
                             "signatures cannot be combined into consensus signatures",
                             "load matrices with the same landmark genes together, or load without --consensus")
    entrez = np.asarray(layouts[0].entrez, dtype=np.int64)
    zscore = next((s.mode for s in stats if s is not None), None)
    for chunk in _chunks(_groups(matrices, keep, metas), max(1, chunk_signatures)):
        vectors = _read_members([m for _, members in chunk for m in members], matrices, layouts, stats)
        rows, links, block = [], [], []
        for key, members in chunk:
            good = [(mi, j) for mi, j in members if finite_or_reported(
                vectors[(mi, j)], matrices[mi].path, matrices[mi].col_ids[j], entrez, problems)]
            if not good:
                continue
            problems.report.rows_read += len(good)
            sig_ids = [matrices[mi].col_ids[j] for mi, j in good]
            z = consensus(np.stack([vectors[g] for g in good]), method=mode)
            member_metas = [metas[s] for s in sig_ids]
            rows.append(_node(key, mode, sig_ids, member_metas, z, zscore))
            compound = key[0] if any(is_compound_pert_type(m.pert_type or "trt_cp") for m in member_metas) else ""
            links.append(SigLinks(consensus_sig_id(key), compound, key[1]))
            block.append(z)
        del vectors
        if rows:
            yield from signature_batches(rows, links, np.stack(block), entrez, top_k, size)
