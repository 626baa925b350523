"""The planted world as data: genes, planted mechanisms (MoAs), compounds, and the design holding them.

Frozen dataclasses only, drawn by :func:`toolkit.demo.design.build_design` (and, for realistic
presets, completed by :func:`toolkit.demo.mechanism.plant_mechanisms`); every writer of the demo
files reads them. This module imports no other step of the generator, so all of them can import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from toolkit.demo.spec import DemoSpec

if TYPE_CHECKING:
    from toolkit.demo.molecules import Fragment

__all__ = ["Compound", "Design", "Genes", "PlantedMoa"]


@dataclass(frozen=True)
class Genes:
    """The demo's genes, by index: synthetic Entrez ids (ascending) and symbols."""

    entrez: np.ndarray  # int64, ascending
    symbols: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.symbols)

    def ensembl(self, i: int) -> str:
        return f"ENSG9{i + 1:010d}"


@dataclass(frozen=True)
class PlantedMoa:
    """One planted mechanism of action: its targets and pathway genes with signal weights."""

    index: int
    name: str  # e.g. "DEMO kinase C inhibitor"
    slug: str  # e.g. "kinase-c-inhibitor"
    gene_class: str
    letter: str
    fragment: Fragment
    pathway: np.ndarray  # gene indices; the first targets_per_moa are the targets
    weights: np.ndarray  # float, aligned with pathway
    n_targets: int
    module: np.ndarray | None = None  # realistic: the planted GO term's genes (targets first)

    @property
    def targets(self) -> np.ndarray:
        return self.pathway[: self.n_targets]

    @property
    def go_genes(self) -> np.ndarray:
        """Genes annotated to the MoA's planted GO term (and densely linked in STRING); targets first."""
        return self.module if self.module is not None else self.pathway


@dataclass(frozen=True)
class Compound:
    """One demo compound: its true MoA, listed targets, structure and potency."""

    pert_id: str
    cmap_name: str
    moa: int  # index of the true MoA (hidden in compounds.tsv when not labelled)
    labelled: bool
    targets: tuple[int, ...]  # gene indices listed in compounds.tsv (empty if unlabelled)
    smiles: str
    inchi_key: str
    strength: float
    # realistic presets only
    ec50_um: float = 0.0
    hill: float = 1.0
    off_target: int = -1  # gene index of one target of another MoA, -1 for none
    off_weight: float = 0.0
    fragments: tuple[int, ...] = ()  # indices into FRAGMENTS the molecule carries


@dataclass(frozen=True)
class Design:
    """The whole planted world a spec draws; every demo file is written from it."""

    spec: DemoSpec
    genes: Genes
    moas: tuple[PlantedMoa, ...]
    compounds: tuple[Compound, ...]  # sorted by pert_id
    cells: tuple[str, ...]
    dose_factors: tuple[float, ...]  # aligned with spec.doses
    # realistic presets only (see toolkit.demo.mechanism)
    profiles: np.ndarray | None = None  # (n_moas, n_times, n_genes) mechanism per time point
    target_profiles: dict[int, np.ndarray] | None = None  # off-target gene -> (n_times, n_genes)
    responsiveness: np.ndarray | None = None  # (n_cells, n_moas) factor

    def weight_matrix(self) -> np.ndarray:
        """(n_moas + 1, n_genes) float32 signal weights; the last row (filler) is all zero."""
        w = np.zeros((len(self.moas) + 1, len(self.genes)), dtype=np.float32)
        for m in self.moas:
            w[m.index, m.pathway] = m.weights
        return w
