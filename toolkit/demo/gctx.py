"""Level-5-like signatures: the siginfo table and a GCTX matrix written in column chunks.

The GCTX follows cmapPy 4.0.1's ``write_gctx`` layout: attributes ``version`` (``b"GCTX1.0"``) and
``src``; ``/0/DATA/0/matrix`` float32 stored as (signatures, genes); ``/0/META/ROW/id`` and
``/0/META/COL/id`` as fixed-length byte strings, gzip level 6. Only ids are stored as metadata.

Each block of signatures draws its noise from its own random stream (seed, block), so the matrix
is identical whatever the machine, and never held in memory as a whole.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import h5py
import numpy as np

from toolkit.demo.spec import STREAM_NOISE, STREAM_SIGNATURES, rng_for
from toolkit.demo.world import Design

logger = logging.getLogger(__name__)

SIGINFO_HEADER = (
    "sig_id", "pert_id", "cmap_name", "pert_type", "cell_iname", "pert_dose", "pert_dose_unit",
    "pert_time", "pert_time_unit", "pert_idose", "pert_itime", "qc_pass", "nsample",
)  # fmt: skip
DATA_NODE = "/0/DATA/0/matrix"
ROW_ID_NODE = "/0/META/ROW/id"
COL_ID_NODE = "/0/META/COL/id"
GCTX_VERSION = "GCTX1.0"
CLIP = 10.0  # CMap clips level-5 z-scores to +-10
CELL_OFFSET_SD = 0.3  # cell-line-specific baseline shift per gene
QC_FAIL_RATE = 0.03
TIME_H = 24
CHUNKS_PER_BLOCK = 8  # HDF5 chunks written per block (one progress call per block)


def chunk_shape(n_signatures: int, n_genes: int) -> tuple[int, int]:
    """HDF5 chunk (signatures, genes), sized as cmapPy/cmapM size them (about 1 MB of float32)."""
    row_chunk = min(n_genes, 1000)
    col_chunk = (1024 * 256) // row_chunk
    return (max(1, min(col_chunk, n_signatures)), row_chunk)


def block_size(n_genes: int) -> int:
    """Signatures generated and written per block: whole HDF5 chunks, independent of the total."""
    return CHUNKS_PER_BLOCK * ((1024 * 256) // min(n_genes, 1000))


@dataclass(frozen=True)
class SignaturePlan:
    """What each GCTX column is: drives both siginfo.txt and the matrix."""

    sig_ids: np.ndarray  # bytes ('S'), one per signature
    cell: np.ndarray  # int index into design.cells
    moa: np.ndarray  # int index into the weight matrix (n_moas = filler, all-zero row)
    amplitude: np.ndarray  # float32: strength x dose factor x effect


def _fmt_dose(d: float) -> str:
    return f"{d:g}"


def write_siginfo(design: Design, path: Path) -> SignaturePlan:
    """Write siginfo.txt and return the per-signature plan (treated signatures, then filler)."""
    spec = design.spec
    n_treated = spec.n_treated_signatures
    n_total = spec.n_signatures
    meta_rng = rng_for(spec.seed, STREAM_SIGNATURES, 1)
    qc = np.where(meta_rng.random(n_treated) < QC_FAIL_RATE, 0, 1)
    nsample = meta_rng.integers(2, 7, size=n_treated)
    filler_rng = rng_for(spec.seed, STREAM_SIGNATURES, 2)
    f_cell = filler_rng.integers(0, spec.n_cells, size=spec.extra_signatures)
    f_qc = np.where(filler_rng.random(spec.extra_signatures) < QC_FAIL_RATE, 0, 1)
    f_nsample = filler_rng.integers(2, 7, size=spec.extra_signatures)

    cell = np.empty(n_total, dtype=np.int32)
    moa = np.empty(n_total, dtype=np.int32)
    amp = np.zeros(n_total, dtype=np.float32)
    ids: list[str] = []
    t = f"{TIME_H}"
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write("\t".join(SIGINFO_HEADER) + "\n")
        i = 0
        for comp in design.compounds:
            for c, cell_name in enumerate(design.cells):
                for d, dose in enumerate(spec.doses):
                    sig_id = f"DEMO001_{cell_name}_{t}H:{comp.pert_id}:{_fmt_dose(dose)}"
                    ids.append(sig_id)
                    cell[i], moa[i] = c, comp.moa
                    amp[i] = comp.strength * design.dose_factors[d] * spec.effect
                    fh.write(
                        f"{sig_id}\t{comp.pert_id}\t{comp.cmap_name}\ttrt_cp\t{cell_name}\t{_fmt_dose(dose)}\tuM\t"
                        f"{t}\th\t{_fmt_dose(dose)} uM\t{t} h\t{qc[i]}\t{nsample[i]}\n"
                    )
                    i += 1
        width = max(6, len(str(spec.extra_signatures)))
        for k in range(spec.extra_signatures):
            cell_name = design.cells[f_cell[k]]
            sig_id = f"DEMO002_{cell_name}_{t}H:DMSO:{k + 1:0{width}d}"
            ids.append(sig_id)
            cell[i], moa[i] = f_cell[k], len(design.moas)
            fh.write(
                f"{sig_id}\tDMSO\tDMSO\tctl_vehicle\t{cell_name}\t0\tuM\t{t}\th\t0 uM\t{t} h\t"
                f"{f_qc[k]}\t{f_nsample[k]}\n"
            )
            i += 1
    return SignaturePlan(sig_ids=np.array(ids, dtype="S"), cell=cell, moa=moa, amplitude=amp)


def cell_offsets(design: Design) -> np.ndarray:
    rng = rng_for(design.spec.seed, STREAM_SIGNATURES, 0)
    return (rng.standard_normal((len(design.cells), len(design.genes))) * CELL_OFFSET_SD).astype(np.float32)


def signature_block(
    design: Design, plan: SignaturePlan, block: int, weights: np.ndarray, offsets: np.ndarray
) -> np.ndarray:
    """The z-scores of block ``block`` (signatures x genes, float32)."""
    size = block_size(len(design.genes))
    lo = block * size
    hi = min(lo + size, plan.sig_ids.size)
    rng = rng_for(design.spec.seed, STREAM_NOISE, block)
    z = rng.standard_normal((hi - lo, len(design.genes)), dtype=np.float32)
    z *= np.float32(design.spec.noise)
    z += offsets[plan.cell[lo:hi]]
    z += plan.amplitude[lo:hi, None] * weights[plan.moa[lo:hi]]
    np.clip(z, -CLIP, CLIP, out=z)
    return z


def write_gctx(
    design: Design,
    plan: SignaturePlan,
    path: Path,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[int, int]:
    """Write the matrix block by block; ``progress(done, total)`` after each block. Returns its shape."""
    weights = design.weight_matrix()
    offsets = cell_offsets(design)
    return write_matrix(design, plan.sig_ids, lambda b: signature_block(design, plan, b, weights, offsets), path,
                        progress)


def write_matrix(
    design: Design,
    sig_ids: np.ndarray,
    make_block: Callable[[int], np.ndarray],
    path: Path,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[int, int]:
    """Write the GCTX from ``make_block(b)`` (signatures of block b x genes, see :func:`block_size`)."""
    n_sig = int(sig_ids.size)
    n_genes = len(design.genes)
    size = block_size(n_genes)
    n_blocks = -(-n_sig // size)
    with h5py.File(path, "w") as h5:
        h5.attrs["version"] = np.bytes_(GCTX_VERSION)
        h5.attrs["src"] = path.name
        chunks = chunk_shape(n_sig, n_genes)
        dset = h5.create_dataset(DATA_NODE, shape=(n_sig, n_genes), dtype=np.float32, chunks=chunks)
        for b in range(n_blocks):
            lo = b * size
            z = make_block(b)
            dset[lo : lo + z.shape[0]] = z
            if progress is not None:
                progress(lo + z.shape[0], n_sig)
            logger.debug("gctx block %d/%d written", b + 1, n_blocks)
        h5.create_dataset(COL_ID_NODE, data=sig_ids, compression="gzip", compression_opts=6)
        row_ids = np.array([str(e) for e in design.genes.entrez.tolist()], dtype="S")
        h5.create_dataset(ROW_ID_NODE, data=row_ids, compression="gzip", compression_opts=6)
    return n_sig, n_genes
