"""Drawing the planted world: genes, mechanisms (targets, pathway genes, signal weights) and compounds.

:func:`build_design` draws a :class:`toolkit.demo.world.Design` from a spec; for realistic presets it
then hands the design to :func:`toolkit.demo.mechanism.plant_mechanisms` (network propagation).
"""

from __future__ import annotations

import math

import numpy as np

from toolkit.demo.mechanism import plant_mechanisms
from toolkit.demo.molecules import FRAGMENTS, make_molecule_sets, make_molecules
from toolkit.demo.spec import STREAM_DESIGN, STREAM_MECHANISM, STREAM_MOLECULES, DemoSpec, rng_for
from toolkit.demo.world import Compound, Design, Genes, PlantedMoa

ENTREZ_BASE = 900001  # synthetic Entrez ids start here (never collide with real human genes)
PERT_BASE = 90000001  # synthetic BRD-K ids start here

# One protein class per MoA (same order as FRAGMENTS: the HDAC inhibitors carry hydroxamic acids).
MOA_CLASSES: tuple[tuple[str, str], ...] = (
    ("HDAC", "inhibitor"),
    ("carbonic anhydrase", "inhibitor"),
    ("kinase", "inhibitor"),
    ("nuclear receptor", "antagonist"),
    ("protease", "inhibitor"),
    ("PI3K", "inhibitor"),
    ("GPCR", "antagonist"),
    ("topoisomerase", "inhibitor"),
    ("proteasome", "inhibitor"),
    ("ion channel", "blocker"),
    ("tubulin", "inhibitor"),
    ("bromodomain", "inhibitor"),
    ("phosphatase", "inhibitor"),
    ("dopamine receptor", "antagonist"),
    ("methyltransferase", "inhibitor"),
    ("HSP90", "inhibitor"),
)
assert len(MOA_CLASSES) == len(FRAGMENTS)
MAX_MOAS = len(FRAGMENTS)

TARGET_WEIGHT = -1.0  # knockdown-like: targets go down hardest
PATHWAY_WEIGHT_RANGE = (0.5, 0.8)  # |weight| of the other pathway genes
STRENGTH_RANGE = (0.7, 1.3)  # per-compound potency
# realistic presets
EC50_RANGE_UM = (0.3, 30.0)  # log-uniform per compound
HILL_RANGE = (0.8, 2.5)
OFF_TARGET_WEIGHT = (0.3, 0.5)


def dose_factor(dose: float, max_dose: float) -> float:
    """Log-scaled: 1 at the top dose, 0.3 lower per 10-fold dilution, never below 0.25."""
    return round(min(1.0, max(0.25, 1.0 + 0.3 * math.log10(dose / max_dose))), 4)


def _slug(text: str) -> str:
    return "-".join(text.lower().replace("/", " ").split())


def build_design(spec: DemoSpec) -> Design:
    spec.validate(MAX_MOAS)
    rng = rng_for(spec.seed, STREAM_DESIGN)
    width = max(4, len(str(spec.n_genes)))
    genes = Genes(
        entrez=np.arange(ENTREZ_BASE, ENTREZ_BASE + spec.n_genes, dtype=np.int64),
        symbols=tuple(f"DG{i + 1:0{width}d}" for i in range(spec.n_genes)),
    )

    # Disjoint pathway gene sets, scattered over the gene list.
    size = spec.go_module_size if spec.realistic else spec.pathway_size
    chosen = rng.permutation(spec.n_genes)[: spec.n_moas * size]
    moas = []
    for m in range(spec.n_moas):
        pathway = chosen[m * size : (m + 1) * size].astype(np.int64)
        n_other = size - spec.targets_per_moa
        signs = np.where(rng.random(n_other) < 0.5, -1.0, 1.0)
        mags = rng.uniform(*PATHWAY_WEIGHT_RANGE, size=n_other)
        weights = np.concatenate([np.full(spec.targets_per_moa, TARGET_WEIGHT), np.round(signs * mags, 4)])
        gene_class, action = MOA_CLASSES[m]
        letter = chr(ord("A") + m)
        name = f"DEMO {gene_class} {letter} {action}"
        moas.append(
            PlantedMoa(
                index=m,
                name=name,
                slug=_slug(f"{gene_class} {letter} {action}"),
                gene_class=gene_class,
                letter=letter,
                fragment=FRAGMENTS[m],
                pathway=pathway,
                weights=weights,
                n_targets=spec.targets_per_moa,
            )
        )

    if spec.realistic:
        fragment_sets = shared_fragment_sets(spec)
        flat = make_molecule_sets(fragment_sets, spec.n_moas, rng_for(spec.seed, STREAM_MOLECULES))
        cpm_ = spec.compounds_per_moa
        molecules = [flat[m * cpm_ : (m + 1) * cpm_] for m in range(spec.n_moas)]
    else:
        fragment_sets = [(m,) for m in range(spec.n_moas) for _ in range(spec.compounds_per_moa)]
        molecules = make_molecules([spec.compounds_per_moa] * spec.n_moas, rng_for(spec.seed, STREAM_MOLECULES))

    # Unlabelled compounds: about 1 in 12, never the first compound of a MoA.
    n_total = spec.n_compounds
    cpm = spec.compounds_per_moa
    candidates = np.asarray([m * cpm + k for m in range(spec.n_moas) for k in range(1, cpm)], dtype=np.int64)
    n_unlabelled = min(n_total // 12, candidates.size)
    hidden: set[int] = set()
    if n_unlabelled:
        hidden = set(rng.choice(candidates, size=n_unlabelled, replace=False).tolist())

    pert_numbers = rng.permutation(n_total) + PERT_BASE
    strengths = np.round(rng.uniform(*STRENGTH_RANGE, size=n_total), 4)
    extras = _realistic_extras(spec, moas) if spec.realistic else [{}] * n_total
    raw = []
    for m, moa in enumerate(moas):
        for k in range(spec.compounds_per_moa):
            i = m * spec.compounds_per_moa + k
            extra = rng.permutation(spec.targets_per_moa - 1)[: int(rng.integers(0, spec.targets_per_moa))] + 1
            targets = tuple(int(moa.pathway[t]) for t in sorted([0, *extra.tolist()]))
            pert_id = f"BRD-K{int(pert_numbers[i]):08d}"
            more = dict(extras[i], fragments=fragment_sets[i]) if spec.realistic else {}
            raw.append((pert_id, m, i not in hidden, targets, molecules[m][k], float(strengths[i]), more))
    raw.sort(key=lambda r: r[0])

    counters = [0] * spec.n_moas
    n_unknown = 0
    compounds = []
    for pert_id, m, labelled, targets, mol, strength, more in raw:
        if labelled:
            counters[m] += 1
            cmap_name = f"demo-{moas[m].slug}-{counters[m]}"
        else:
            n_unknown += 1
            cmap_name = f"demo-unknown-{n_unknown}"
        compounds.append(
            Compound(
                pert_id=pert_id,
                cmap_name=cmap_name,
                moa=m,
                labelled=labelled,
                targets=targets if labelled else (),
                smiles=mol.smiles,
                inchi_key=mol.inchi_key,
                strength=strength,
                **more,
            )
        )

    max_dose = max(spec.doses)
    design = Design(
        spec=spec,
        genes=genes,
        moas=tuple(moas),
        compounds=tuple(compounds),
        cells=tuple(f"DEMOCELL{c + 1}" for c in range(spec.n_cells)),
        dose_factors=tuple(dose_factor(d, max_dose) for d in spec.doses),
    )
    if spec.realistic:
        design = plant_mechanisms(design)  # needs the STRING graph of this design
    return design


def shared_fragment_sets(spec: DemoSpec) -> list[tuple[int, ...]]:
    """Per compound (MoA-major order): the fragments it carries. A share of each MoA's drugs carries
    the MoA's preferred fragment, and a share carries another MoA's (so fragments are only partly
    informative); exactly ``round(fragment_share * compounds_per_moa)`` carriers per MoA, at least one."""
    rng = rng_for(spec.seed, STREAM_MECHANISM, 1)
    cpm = spec.compounds_per_moa
    n_carriers = max(1, min(cpm, round(spec.fragment_share * cpm)))
    sets: list[tuple[int, ...]] = []
    for m in range(spec.n_moas):
        carriers = set(rng.permutation(cpm)[:n_carriers].tolist())
        for k in range(cpm):
            own = (m,) if k in carriers else ()
            decoy: tuple[int, ...] = ()
            if spec.n_moas > 1 and rng.random() < spec.decoy_fragment_share:
                other = int(rng.integers(spec.n_moas - 1))
                decoy = (other + (other >= m),)
            sets.append(own + decoy)
    return sets


def _realistic_extras(spec: DemoSpec, moas: list[PlantedMoa]) -> list[dict[str, object]]:
    """Per compound (MoA-major order): Hill curve, and for some drugs one target of another MoA."""
    rng = rng_for(spec.seed, STREAM_MECHANISM, 2)
    out: list[dict[str, object]] = []
    lo, hi = np.log10(EC50_RANGE_UM[0]), np.log10(EC50_RANGE_UM[1])
    for m in range(spec.n_moas):
        for _ in range(spec.compounds_per_moa):
            extra: dict[str, object] = {
                "ec50_um": round(float(10 ** rng.uniform(lo, hi)), 4),
                "hill": round(float(rng.uniform(*HILL_RANGE)), 4),
            }
            if spec.n_moas > 1 and rng.random() < spec.off_target_fraction:
                other = int(rng.integers(spec.n_moas - 1))
                other += other >= m
                extra["off_target"] = int(moas[other].targets[int(rng.integers(spec.targets_per_moa))])
                extra["off_weight"] = round(float(rng.uniform(*OFF_TARGET_WEIGHT)), 4)
            out.append(extra)
    return out
