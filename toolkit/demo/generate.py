"""Generate a small, deterministic demo dataset with planted mechanisms, in the real file formats.

``generate_demo(out_dir, spec)`` writes the STRING edge table, a GO ontology (OBO) with GAF
annotations, CLUE-style compound, signature and gene tables, a level-5 GCTX matrix and
``ground_truth.json`` describing what was planted. The same spec (seed included) gives
byte-identical files (see :mod:`toolkit.demo.gctx` for the GCTX). ``DemoSpec.preset("realistic")``
(and ``realistic10x``) switches to network-propagated mechanisms (:mod:`toolkit.demo.mechanism`) in a
screen with Level 5 confounders (:mod:`toolkit.demo.screen`), in the same file formats.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Callable

from toolkit.demo.design import build_design
from toolkit.demo.gctx import write_gctx, write_matrix, write_siginfo
from toolkit.demo.mechanism import time_factor
from toolkit.demo.molecules import FRAGMENTS
from toolkit.demo.network import write_string_edges
from toolkit.demo.ontology import Ontology, build_ontology, write_gaf, write_obo
from toolkit.demo.spec import (
    GENERATOR_VERSION,
    DemoFiles,
    DemoSpec,
    GroundTruth,
    MoaTruth,
    OffTarget,
    RealismTruth,
    UnlabelledCompound,
    load_ground_truth,
    write_ground_truth,
)
from toolkit.demo.screen import ScreenBlocks, ScreenPlan, write_expression_truth, write_screen_siginfo
from toolkit.demo.world import Design

__all__ = [
    "DemoFiles",
    "DemoSpec",
    "GroundTruth",
    "MoaTruth",
    "UnlabelledCompound",
    "generate_demo",
    "load_ground_truth",
]

logger = logging.getLogger(__name__)

COMPOUND_HEADER = ("pert_id", "cmap_name", "target", "moa", "canonical_smiles", "inchi_key", "compound_aliases")
GENEINFO_HEADER = ("gene_id", "gene_symbol", "ensembl_id", "gene_title", "gene_type", "src", "feature_space")


def _write_tsv(path: Path, header: tuple[str, ...], rows: list[tuple[object, ...]]) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write("\t".join(header) + "\n")
        for row in rows:
            fh.write("\t".join(str(x) for x in row) + "\n")


def write_compounds(design: Design, path: Path) -> int:
    """compoundinfo_beta layout: one row per (compound, target), an off-target as one more target row;
    unlabelled compounds get one bare row."""
    rows: list[tuple[object, ...]] = []
    symbols = design.genes.symbols
    for c in design.compounds:
        if not c.labelled:
            rows.append((c.pert_id, c.cmap_name, "", "", c.smiles, c.inchi_key, ""))
            continue
        moa = design.moas[c.moa].name
        targets = c.targets + ((c.off_target,) if c.off_target >= 0 else ())
        rows += [(c.pert_id, c.cmap_name, symbols[t], moa, c.smiles, c.inchi_key, "") for t in targets]
    _write_tsv(path, COMPOUND_HEADER, rows)
    return len(rows)


def write_geneinfo(design: Design, path: Path) -> None:
    g = design.genes
    rows = [
        (int(e), s, g.ensembl(i), f"demo landmark gene {i + 1}", "protein-coding", "kgtool-demo", "landmark")
        for i, (e, s) in enumerate(zip(g.entrez.tolist(), g.symbols))
    ]
    _write_tsv(path, GENEINFO_HEADER, rows)


def ground_truth(design: Design, onto: Ontology, screen: ScreenPlan | None = None) -> GroundTruth:
    entrez = design.genes.entrez
    moas = []
    for m in design.moas:
        go_id = onto.pathway_ids[m.index]
        moas.append(
            MoaTruth(
                name=m.name,
                slug=m.slug,
                target_entrez=tuple(int(entrez[t]) for t in m.targets),
                target_symbols=tuple(design.genes.symbols[t] for t in m.targets),
                pathway_go_id=go_id,
                pathway_name=onto.name(go_id),
                pathway_entrez=tuple(int(entrez[g]) for g in m.pathway),
                pathway_weights=tuple(float(w) for w in m.weights),
                substructure_name=m.fragment.name,
                substructure_smarts=m.fragment.smarts,
                compounds=tuple(c.pert_id for c in design.compounds if c.labelled and c.moa == m.index),
                go_entrez=tuple(int(entrez[g]) for g in m.module) if m.module is not None else (),
            )
        )
    unlabelled = tuple(
        UnlabelledCompound(c.pert_id, c.cmap_name, design.moas[c.moa].name) for c in design.compounds if not c.labelled
    )
    return GroundTruth(
        generator_version=GENERATOR_VERSION,
        spec=design.spec,
        moas=tuple(moas),
        unlabelled=unlabelled,
        cells=design.cells,
        go_root=onto.root,
        dose_factors=design.dose_factors,
        n_signatures=design.spec.n_signatures,
        realism=realism_truth(design, screen) if screen is not None else None,
    )


def realism_truth(design: Design, screen: ScreenPlan) -> RealismTruth:
    """The confounders of a realistic preset, for ground_truth.json."""
    spec = design.spec
    genes = design.genes
    moa_of_target = {int(t): m.name for m in design.moas for t in m.targets}
    resp = design.responsiveness
    assert resp is not None
    moa_names = [m.name for m in design.moas]
    return RealismTruth(
        preset=spec.preset_name,
        times=spec.times,
        time_factors=tuple(time_factor(t, max(spec.times)) for t in spec.times),
        off_targets=tuple(
            OffTarget(c.pert_id, int(genes.entrez[c.off_target]), genes.symbols[c.off_target],
                      moa_of_target[c.off_target], c.off_weight)
            for c in design.compounds if c.off_target >= 0
        ),
        noise_sig_ids=tuple(s.decode() for s in screen.sig_ids[screen.is_noise].tolist()),
        failed_plate=screen.plates[screen.failed_plate],
        bad_bead_batch=screen.batches[screen.bad_batch],
        non_responsive=tuple((cell, moa_names[m]) for k, cell in enumerate(design.cells)
                             for m in range(len(moa_names)) if resp[k, m] <= 0.15),
        responsiveness={cell: {moa_names[m]: float(resp[k, m]) for m in range(len(moa_names))}
                        for k, cell in enumerate(design.cells)},
        ec50_um={c.pert_id: c.ec50_um for c in design.compounds},
        hill={c.pert_id: c.hill for c in design.compounds},
        fragments={c.pert_id: tuple(FRAGMENTS[k].name for k in c.fragments) for c in design.compounds},
    )  # fmt: skip


def generate_demo(
    out_dir: Path,
    spec: DemoSpec = DemoSpec(),
    progress: Callable[[int, int], None] | None = None,
) -> DemoFiles:
    """Write the demo dataset into ``out_dir`` (created if missing) and return the file paths.

    ``progress(done, total)`` is called after each block of GCTX signatures is written.
    Raises :class:`toolkit.errors.ConfigError` for an impossible spec.
    """
    t0 = time.perf_counter()
    design = build_design(spec)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = DemoFiles.under(out)

    n_edges = write_string_edges(design, files.string_edges)
    onto = build_ontology(design)
    write_obo(onto, spec.seed, files.go_obo)
    n_annotations = write_gaf(onto, design, files.gaf)
    n_compound_rows = write_compounds(design, files.compounds)
    write_geneinfo(design, files.geneinfo)
    screen = None
    if spec.realistic:
        screen = write_screen_siginfo(design, files.siginfo)
        shape = write_matrix(design, screen.sig_ids, ScreenBlocks(design, screen), files.gctx, progress)
        write_expression_truth(design, files.expression_truth)
    else:
        plan = write_siginfo(design, files.siginfo)
        shape = write_gctx(design, plan, files.gctx, progress)
    write_ground_truth(ground_truth(design, onto, screen), files.ground_truth)

    logger.info(
        "demo dataset in %s: %d genes, %d MoAs, %d compounds (%d rows), %d signatures, "
        "%d STRING edges, %d GO terms, %d annotations, %.1f s",
        out, len(design.genes), len(design.moas), len(design.compounds), n_compound_rows, shape[0],
        n_edges, len(onto.terms), n_annotations, time.perf_counter() - t0,
    )  # fmt: skip
    return files
