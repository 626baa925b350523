"""Realistic presets: the Level 5 screen around the mechanisms, with the confounders real data has.

Each signature sits on a detection plate (one cell line, time point and replicate; the compound x
dose layout is the same on every plate, as with real perturbagen plates) read with one bead batch.
A signature is ``cell baseline + plate offset + bead-batch offset + noise + amplitude x compound
effect``, where the amplitude is ``effect x responsiveness(cell, MoA) x Hill(dose; EC50, slope)``
and the compound effect (:func:`toolkit.demo.mechanism.compound_effects`) depends on the time point.
One bead batch is noisier; one plate failed (all its signatures are noise); a share of the other
signatures is pure noise too. QC columns (``cc_q75``, ``pct_self_rank_q25``, ``qc_pass``,
``is_exemplar_sig``) follow what each signature really is, with the odd disagreement real QC has.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from toolkit.demo.gctx import CLIP, SIGINFO_HEADER, block_size
from toolkit.demo.mechanism import compound_effects
from toolkit.demo.spec import STREAM_NOISE, STREAM_SCREEN, rng_for
from toolkit.demo.world import Design

SCREEN_HEADER = SIGINFO_HEADER + ("det_plate", "bead_batch", "cc_q75", "pct_self_rank_q25", "is_exemplar_sig")
CELL_BASELINE_SD = 0.5
PLATE_OFFSET_SD = 0.3
BEAD_OFFSET_SD = 0.25
BAD_BEAD_NOISE = 2.0  # noise multiplier of the bad bead batch
FAILED_PLATE_NOISE = 1.3
GOOD_QC_FAIL = 0.05  # good signatures that still fail QC
NOISE_QC_PASS = 0.15  # noise signatures (off the failed plate) that still pass QC
ROWS = "ABCDEFGHIJKLMNOP"


@dataclass(frozen=True)
class ScreenPlan:
    """What each GCTX column is (signatures in compound, cell, dose, time, replicate order)."""

    sig_ids: np.ndarray  # bytes ('S')
    compound: np.ndarray  # index into design.compounds
    cell: np.ndarray
    time: np.ndarray  # index into spec.times
    plate: np.ndarray  # index into plates
    batch: np.ndarray  # bead batch index
    amplitude: np.ndarray  # float32, 0 for noise signatures
    noise_sd: np.ndarray  # float32
    is_noise: np.ndarray  # bool
    plates: tuple[str, ...]
    batches: tuple[str, ...]
    failed_plate: int
    bad_batch: int


def hill(dose: float, ec50: float, slope: float) -> float:
    """Fraction of the full response at ``dose`` (Hill curve, maximum 1)."""
    return dose**slope / (dose**slope + ec50**slope)


def _qc(plan_noise: np.ndarray, failed: np.ndarray, rel: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    n = rel.size
    u = rng.random((4, n))
    cc = np.where(plan_noise, -0.1 + 0.3 * u[0], 0.3 + 0.5 * np.clip(0.6 * rel + 0.4 * u[0], 0, 1))
    cc = np.where(failed, -0.1 + 0.2 * u[0], cc)
    rank = np.where(plan_noise, 20 + 60 * u[1], 10 * u[1] * (1 - 0.5 * rel))
    qc = np.where(plan_noise, u[2] < NOISE_QC_PASS, u[2] >= GOOD_QC_FAIL) & ~failed
    nsample = 2 + (u[3] * 5).astype(np.int64)
    return {"cc": np.round(cc, 4), "rank": np.round(rank, 3), "qc": qc.astype(np.int64), "nsample": nsample}


def write_screen_siginfo(design: Design, path: Path) -> ScreenPlan:
    """Lay the signatures out on plates, pick the noise ones, write siginfo.txt; return the plan."""
    spec = design.spec
    rng = rng_for(spec.seed, STREAM_SCREEN, 3)
    n_comp, n_cell, n_dose, n_time, n_rep = (len(design.compounds), spec.n_cells, len(spec.doses),
                                             len(spec.times), spec.replicates)
    comp, cell, dose, time, rep = (a.ravel() for a in np.indices((n_comp, n_cell, n_dose, n_time, n_rep)))
    n = comp.size

    # one layout of (compound, dose) over wells, the same on every plate; plates per (cell, time, replicate)
    layout = rng.permutation(n_comp * n_dose)
    slot = np.empty_like(layout)
    slot[layout] = np.arange(layout.size)
    position = slot[comp * n_dose + dose]
    chunk, well = position // spec.plate_size, position % spec.plate_size
    per_group = -(-(n_comp * n_dose) // spec.plate_size)
    group = (cell * n_time + time) * n_rep + rep
    plate = group * per_group + chunk
    n_plates = n_cell * n_time * n_rep * per_group
    plate_batch = rng.permutation(np.arange(n_plates) % spec.n_bead_batches)  # batches of (nearly) equal size
    batches = tuple(f"b{11 + b}" for b in range(spec.n_bead_batches))
    plates = []
    for p in range(n_plates):
        g, k = divmod(p, per_group)
        ct, r = divmod(g, n_rep)
        c, t = divmod(ct, n_time)
        plates.append(f"DEMO{k + 1:03d}_{design.cells[c]}_{spec.times[t]:g}H_X{r + 1}_B{11 + plate_batch[p]}")
    failed_plate = int(rng.integers(n_plates))
    healthy = [p for p in range(n_plates) if p != failed_plate] or [failed_plate]
    bad_batch = int(plate_batch[healthy[int(rng.integers(len(healthy)))]])  # read at least one healthy plate

    failed = plate == failed_plate
    n_noise = max(int(failed.sum()), round(spec.noise_fraction * n))
    others = np.flatnonzero(~failed)
    is_noise = failed.copy()
    is_noise[rng.choice(others, size=min(others.size, n_noise - int(failed.sum())), replace=False)] = True

    moa = np.array([c.moa for c in design.compounds])[comp]
    response = design.responsiveness[cell, moa]
    curve = np.array([[hill(d, c.ec50_um, c.hill) for d in spec.doses] for c in design.compounds])[comp, dose]
    amplitude = np.where(is_noise, 0.0, spec.effect * response * curve).astype(np.float32)
    noise_sd = (spec.noise * np.where(plate_batch[plate] == bad_batch, BAD_BEAD_NOISE, 1.0)
                * np.where(failed, FAILED_PLATE_NOISE, 1.0)).astype(np.float32)
    rel = np.clip(response * curve / max(float((response * curve).max()), 1e-9), 0, 1)
    qc = _qc(is_noise, failed, rel, rng_for(spec.seed, STREAM_SCREEN, 4))

    # exemplar: per (compound, cell) the QC-passing signature with the best cc_q75 (any, if none passes)
    key = comp * n_cell + cell
    score = qc["cc"] + 10.0 * qc["qc"]
    order = np.lexsort((-score, key))
    first = np.ones(n, dtype=bool)
    first[1:] = key[order][1:] != key[order][:-1]
    exemplar = np.zeros(n, dtype=np.int64)
    exemplar[order[first]] = 1

    ids = []
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write("\t".join(SCREEN_HEADER) + "\n")
        for i in range(n):
            c = design.compounds[comp[i]]
            d, t = f"{spec.doses[dose[i]]:g}", f"{spec.times[time[i]]:g}"
            w = int(well[i])
            sig_id = f"{plates[plate[i]]}:{ROWS[w // 24]}{w % 24 + 1:02d}"
            ids.append(sig_id)
            fh.write(
                f"{sig_id}\t{c.pert_id}\t{c.cmap_name}\ttrt_cp\t{design.cells[cell[i]]}\t{d}\tuM\t{t}\th\t{d} uM\t"
                f"{t} h\t{qc['qc'][i]}\t{qc['nsample'][i]}\t{plates[plate[i]]}\t{batches[plate_batch[plate[i]]]}\t"
                f"{qc['cc'][i]:g}\t{qc['rank'][i]:g}\t{exemplar[i]}\n"
            )
    return ScreenPlan(
        sig_ids=np.array(ids, dtype="S"), compound=comp, cell=cell, time=time, plate=plate,
        batch=plate_batch[plate], amplitude=amplitude, noise_sd=noise_sd, is_noise=is_noise,
        plates=tuple(plates), batches=batches, failed_plate=failed_plate, bad_batch=bad_batch,
    )  # fmt: skip


class ScreenBlocks:
    """Makes the z-scores of block b (signatures x genes, float32) of a :class:`ScreenPlan`."""

    def __init__(self, design: Design, plan: ScreenPlan) -> None:
        spec = design.spec
        n = len(design.genes)
        self.design, self.plan = design, plan
        self.effects = compound_effects(design)
        self.baseline = (rng_for(spec.seed, STREAM_SCREEN, 0).standard_normal((spec.n_cells, n))
                         * CELL_BASELINE_SD).astype(np.float32)
        self.plate_offset = (rng_for(spec.seed, STREAM_SCREEN, 1).standard_normal((len(plan.plates), n))
                             * PLATE_OFFSET_SD).astype(np.float32)
        self.bead_offset = (rng_for(spec.seed, STREAM_SCREEN, 2).standard_normal((len(plan.batches), n))
                            * BEAD_OFFSET_SD).astype(np.float32)

    def __call__(self, block: int) -> np.ndarray:
        p = self.plan
        size = block_size(len(self.design.genes))
        lo, hi = block * size, min((block + 1) * size, p.sig_ids.size)
        rng = rng_for(self.design.spec.seed, STREAM_NOISE, block)
        z = rng.standard_normal((hi - lo, len(self.design.genes)), dtype=np.float32)
        z *= p.noise_sd[lo:hi, None]
        z += self.baseline[p.cell[lo:hi]]
        z += self.plate_offset[p.plate[lo:hi]]
        z += self.bead_offset[p.batch[lo:hi]]
        z += p.amplitude[lo:hi, None] * self.effects[p.compound[lo:hi], p.time[lo:hi]]
        np.clip(z, -CLIP, CLIP, out=z)
        return z


def planted_expression(design: Design) -> np.ndarray:
    """(n_compounds, n_cells, n_genes) float32: the planted (noise-free) expression change of each
    compound in each cell line, averaged over the screen's doses and time points as a per-compound
    x cell consensus averages them: ``effect x responsiveness(cell, MoA) x Hill(dose) x compound
    effect(time)``. No baseline, plate, bead or noise term: what a perfect expression model would
    predict for the ``compound_cell`` samples (up to the consensus weighting and the centring)."""
    spec = design.spec
    effects = compound_effects(design).astype(np.float64)  # (compounds, times, genes)
    out = np.empty((len(design.compounds), spec.n_cells, len(design.genes)), dtype=np.float32)
    for i, c in enumerate(design.compounds):
        dose = np.mean([hill(d, c.ec50_um, c.hill) for d in spec.doses])
        mean_effect = effects[i].mean(axis=0)
        for cell in range(spec.n_cells):
            out[i, cell] = spec.effect * design.responsiveness[cell, c.moa] * dose * mean_effect
    return out


def write_expression_truth(design: Design, path: Path) -> None:
    """:func:`planted_expression` with its axes' names (``pert_ids``, ``cells``, ``entrez_ids``) as
    an ``.npz`` file (the expression benchmark scores predictions against it)."""
    np.savez_compressed(path, effect=planted_expression(design),
                        pert_ids=np.array([c.pert_id for c in design.compounds]),
                        cells=np.array(design.cells), entrez_ids=np.asarray(design.genes.entrez, dtype=np.int64))
