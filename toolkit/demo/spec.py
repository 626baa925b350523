"""The demo dataset's parameters, the paths it writes, and its ground truth (round-tripped as JSON)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.errors import ConfigError, InputDataError

GENERATOR_VERSION = "kgtool-demo/1"

# Stream ids: every part of the dataset draws from its own random stream, so changing one size
# (say ``extra_signatures``) leaves the other files unchanged.
STREAM_DESIGN = 1
STREAM_MOLECULES = 2
STREAM_NETWORK = 3
STREAM_ONTOLOGY = 4
STREAM_SIGNATURES = 5
STREAM_NOISE = 6
STREAM_MECHANISM = 7  # realistic presets only: sign patterns, responsiveness, off-targets
STREAM_SCREEN = 8  # realistic presets only: plates, bead batches, QC metadata, noise signatures

FILE_NAMES = {
    "string_edges": "string_edges.tsv",
    "go_obo": "go.obo",
    "gaf": "annotations.gaf",
    "compounds": "compounds.tsv",
    "gctx": "level5.gctx",
    "siginfo": "siginfo.txt",
    "geneinfo": "geneinfo.txt",
    "ground_truth": "ground_truth.json",
    "expression_truth": "expression_truth.npz",  # realistic presets only
}


def rng_for(seed: int, stream: int, *extra: int) -> np.random.Generator:
    """An independent, reproducible random stream for one part of the dataset."""
    return np.random.default_rng(np.random.SeedSequence([seed, stream, *extra]))


@dataclass(frozen=True)
class DemoSpec:
    """Sizes and signal strengths of a demo dataset; equal specs give identical files."""

    n_genes: int = 978  # landmark-like genes
    n_moas: int = 6
    compounds_per_moa: int = 12
    n_cells: int = 3
    doses: tuple[float, ...] = (1.0, 10.0)  # uM; one signature per compound x cell x dose
    targets_per_moa: int = 3
    pathway_size: int = 20  # planted GO pathway genes per MoA (includes the targets)
    n_background_terms: int = 40  # other GO terms with random gene sets
    string_degree: int = 6  # background average degree of the STRING graph
    noise: float = 1.0
    effect: float = 2.5  # signal strength on pathway genes (targets strongest)
    extra_signatures: int = 0  # unlabelled DMSO-like filler signatures
    seed: int = 0
    # --- realistic presets (the defaults leave DemoSpec() and its files exactly as before) ---
    preset_name: str = "demo"  # informational: which PRESETS entry the spec came from
    realistic: bool = False  # network-propagated mechanisms + Level 5 confounders (toolkit.demo.screen)
    times: tuple[float, ...] = (24.0,)  # hours; realistic only: the first is the early (weaker) time point
    replicates: int = 1  # realistic only: signatures per condition, each on another plate
    noise_fraction: float = 0.12  # realistic: pure-noise signatures (the failed plate included)
    off_target_fraction: float = 0.2  # realistic: drugs that also hit one target of another MoA
    nonresponsive_fraction: float = 0.2  # realistic: cell x MoA pairs that barely respond
    fragment_share: float = 0.55  # realistic: drugs of a MoA carrying its preferred fragment
    decoy_fragment_share: float = 0.3  # realistic: drugs carrying another MoA's preferred fragment
    go_module_size: int = 20  # realistic: genes annotated to a MoA's planted GO term (targets included)
    plate_size: int = 384  # realistic: wells per detection plate
    n_bead_batches: int = 6  # realistic

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> DemoSpec:
        """The spec of preset ``name`` (see :data:`PRESETS`) with ``overrides`` applied."""
        if name not in PRESETS:
            raise ConfigError(f"unknown demo preset {name!r}; use one of {', '.join(PRESETS)}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ConfigError(f"demo preset {name!r}: unknown setting(s) {', '.join(unknown)}; "
                              f"use DemoSpec field names")
        return cls(**{**PRESETS[name], "preset_name": name, **overrides})

    @property
    def n_compounds(self) -> int:
        return self.n_moas * self.compounds_per_moa

    @property
    def n_treated_signatures(self) -> int:
        return self.n_compounds * self.n_cells * len(self.doses) * len(self.times) * self.replicates

    @property
    def n_signatures(self) -> int:
        return self.n_treated_signatures + self.extra_signatures

    def validate(self, max_moas: int) -> None:
        """Raise :class:`ConfigError` naming the first impossible setting."""

        def bad(what: str, fix: str) -> ConfigError:
            return ConfigError(f"demo spec: {what}; fix: {fix}")

        if not isinstance(self.seed, int) or self.seed < 0:
            raise bad(f"seed={self.seed!r} is not a non-negative integer", "use a seed >= 0")
        if self.n_moas < 1 or self.n_moas > max_moas:
            raise bad(f"n_moas={self.n_moas} is outside 1..{max_moas}", f"use at most {max_moas} MoAs")
        if self.compounds_per_moa < 1:
            raise bad(f"compounds_per_moa={self.compounds_per_moa} < 1", "use at least 1")
        if self.n_cells < 1:
            raise bad(f"n_cells={self.n_cells} < 1", "use at least 1 cell line")
        if not self.doses or any(not np.isfinite(d) or d <= 0 for d in self.doses):
            raise bad(f"doses={self.doses!r} must be a non-empty tuple of positive numbers", "e.g. (1.0, 10.0)")
        if len(set(self.doses)) != len(self.doses):
            raise bad(f"doses={self.doses!r} has repeats", "list each dose once")
        if not 1 <= self.targets_per_moa <= self.pathway_size:
            raise bad(
                f"targets_per_moa={self.targets_per_moa} is outside 1..pathway_size={self.pathway_size}",
                "use fewer targets or a larger pathway",
            )
        if self.pathway_size < 2:
            raise bad(f"pathway_size={self.pathway_size} < 2", "use at least 2 pathway genes")
        if self.n_moas * self.pathway_size > self.n_genes:
            raise bad(
                f"{self.n_moas} MoAs x {self.pathway_size} pathway genes exceed n_genes={self.n_genes}",
                "raise n_genes or lower pathway_size",
            )
        if self.n_background_terms < 0 or self.string_degree < 0 or self.extra_signatures < 0:
            raise bad("n_background_terms, string_degree and extra_signatures must be >= 0", "use 0 or more")
        if self.noise < 0 or self.effect < 0:
            raise bad(f"noise={self.noise} and effect={self.effect} must be >= 0", "use non-negative values")
        if not self.times or any(not np.isfinite(t) or t <= 0 for t in self.times) or \
                len(set(self.times)) != len(self.times):
            raise bad(f"times={self.times!r} must be distinct positive hours", "e.g. (6.0, 24.0)")
        if self.replicates < 1:
            raise bad(f"replicates={self.replicates} < 1", "use at least 1")
        if not self.realistic:
            if self.times != (24.0,) or self.replicates != 1:
                raise bad("times and replicates other than (24.0,) and 1 need realistic=True",
                          "use DemoSpec.preset('realistic', ...)")
            return
        for name in ("noise_fraction", "off_target_fraction", "nonresponsive_fraction", "fragment_share",
                     "decoy_fragment_share"):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                raise bad(f"{name}={value} is outside 0..1", "use a fraction")
        if not self.targets_per_moa <= self.go_module_size or self.n_moas * self.go_module_size > self.n_genes:
            raise bad(f"go_module_size={self.go_module_size} must hold the targets and fit n_genes for every MoA",
                      "adjust go_module_size")
        if not 2 <= self.plate_size <= 384 or self.n_bead_batches < 2:
            raise bad(f"plate_size={self.plate_size} (2..384 wells) or n_bead_batches={self.n_bead_batches} (>= 2) "
                      "is out of range", "use a plate of at most 384 wells and at least 2 bead batches")
        if self.extra_signatures:
            raise bad("extra_signatures (DMSO filler) are not generated by the realistic presets",
                      "leave extra_signatures at 0")

    def to_json(self) -> dict[str, Any]:
        """Every field, except the realistic-preset fields that hold their default (old files stay as they were)."""
        data = asdict(self)
        default = DemoSpec()
        for name in REALISTIC_FIELDS:
            if getattr(self, name) == getattr(default, name):
                del data[name]
        data["doses"] = list(self.doses)
        if "times" in data:
            data["times"] = list(self.times)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DemoSpec:
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in known}
        for name in ("doses", "times"):
            if name in kwargs:
                kwargs[name] = tuple(float(d) for d in kwargs[name])
        for name in ("noise", "effect", "noise_fraction", "off_target_fraction", "nonresponsive_fraction",
                     "fragment_share", "decoy_fragment_share"):
            if name in kwargs:
                kwargs[name] = float(kwargs[name])
        return cls(**kwargs)


# Fields added for the realistic presets: left out of to_json() while they hold their defaults.
REALISTIC_FIELDS = (
    "preset_name", "realistic", "times", "replicates", "noise_fraction", "off_target_fraction",
    "nonresponsive_fraction", "fragment_share", "decoy_fragment_share", "go_module_size", "plate_size",
    "n_bead_batches",
)  # fmt: skip

_REALISTIC: dict[str, Any] = dict(
    realistic=True, n_moas=16, compounds_per_moa=6, n_cells=6, doses=(1.0, 10.0), times=(6.0, 24.0),
    replicates=2, pathway_size=25, n_background_terms=60, effect=2.0, noise=1.0,
)  # fmt: skip
# Named specs for DemoSpec.preset(name): ``demo`` is DemoSpec() (the fast planted-mechanism slice).
PRESETS: dict[str, dict[str, Any]] = {
    "demo": {},
    "realistic": _REALISTIC,
    "realistic10x": {**_REALISTIC, "compounds_per_moa": 60},
}


@dataclass(frozen=True)
class DemoFiles:
    """Where :func:`generate_demo` wrote each file."""

    root: Path
    string_edges: Path
    go_obo: Path
    gaf: Path
    compounds: Path
    gctx: Path
    siginfo: Path
    geneinfo: Path
    ground_truth: Path
    expression_truth: Path

    @classmethod
    def under(cls, root: Path) -> DemoFiles:
        return cls(root=root, **{k: root / v for k, v in FILE_NAMES.items()})


@dataclass(frozen=True)
class MoaTruth:
    """One planted mechanism."""

    name: str  # as in compounds.tsv's moa column
    slug: str
    target_entrez: tuple[int, ...]
    target_symbols: tuple[str, ...]
    pathway_go_id: str
    pathway_name: str
    pathway_entrez: tuple[int, ...]  # includes the targets, which come first
    pathway_weights: tuple[float, ...]  # signal weight per pathway gene (aligned with pathway_entrez)
    substructure_name: str
    substructure_smarts: str
    compounds: tuple[str, ...]  # pert_ids of the labelled compounds of this MoA
    # realistic presets: all genes annotated to pathway_go_id (targets first; empty: pathway_entrez)
    go_entrez: tuple[int, ...] = ()

    def to_json(self) -> dict[str, Any]:
        data = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}
        if not self.go_entrez:
            del data["go_entrez"]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MoaTruth:
        return cls(
            name=str(data["name"]),
            slug=str(data["slug"]),
            target_entrez=tuple(int(x) for x in data["target_entrez"]),
            target_symbols=tuple(str(x) for x in data["target_symbols"]),
            pathway_go_id=str(data["pathway_go_id"]),
            pathway_name=str(data["pathway_name"]),
            pathway_entrez=tuple(int(x) for x in data["pathway_entrez"]),
            pathway_weights=tuple(float(x) for x in data["pathway_weights"]),
            substructure_name=str(data["substructure_name"]),
            substructure_smarts=str(data["substructure_smarts"]),
            compounds=tuple(str(x) for x in data["compounds"]),
            go_entrez=tuple(int(x) for x in data.get("go_entrez", ())),
        )

    @property
    def go_genes(self) -> tuple[int, ...]:
        """The genes annotated to the planted GO term."""
        return self.go_entrez or self.pathway_entrez


@dataclass(frozen=True)
class UnlabelledCompound:
    """A compound listed without MoA or target; ``true_moa`` is what its signatures were drawn from."""

    pert_id: str
    cmap_name: str
    true_moa: str


@dataclass(frozen=True)
class OffTarget:
    """A drug that also hits one target of another MoA, with a smaller weight."""

    pert_id: str
    target_entrez: int
    target_symbol: str
    moa: str  # the MoA the off-target belongs to
    weight: float  # relative to the drug's own mechanism (1.0)


@dataclass(frozen=True)
class RealismTruth:
    """What the realistic presets planted on top of the mechanisms (absent for the ``demo`` preset)."""

    preset: str
    times: tuple[float, ...]  # hours, aligned with time_factors
    time_factors: tuple[float, ...]  # overall signal scale per time point
    off_targets: tuple[OffTarget, ...]
    noise_sig_ids: tuple[str, ...]  # signatures without any drug effect (the failed plate's included)
    failed_plate: str
    bad_bead_batch: str
    non_responsive: tuple[tuple[str, str], ...]  # (cell, MoA name) pairs with factor <= 0.15
    responsiveness: dict[str, dict[str, float]]  # cell -> MoA name -> factor
    ec50_um: dict[str, float]  # pert_id -> EC50 of its Hill curve
    hill: dict[str, float]  # pert_id -> Hill slope
    fragments: dict[str, tuple[str, ...]]  # pert_id -> planted fragment names it carries

    def to_json(self) -> dict[str, Any]:
        return {
            "preset": self.preset,
            "times": list(self.times),
            "time_factors": list(self.time_factors),
            "failed_plate": self.failed_plate,
            "bad_bead_batch": self.bad_bead_batch,
            "non_responsive": [list(p) for p in self.non_responsive],
            "responsiveness": self.responsiveness,
            "off_targets": [asdict(o) for o in self.off_targets],
            "ec50_um": self.ec50_um,
            "hill": self.hill,
            "fragments": {k: list(v) for k, v in self.fragments.items()},
            "noise_sig_ids": list(self.noise_sig_ids),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RealismTruth:
        return cls(
            preset=str(data["preset"]),
            times=tuple(float(x) for x in data["times"]),
            time_factors=tuple(float(x) for x in data["time_factors"]),
            off_targets=tuple(
                OffTarget(str(o["pert_id"]), int(o["target_entrez"]), str(o["target_symbol"]), str(o["moa"]),
                          float(o["weight"]))
                for o in data["off_targets"]
            ),
            noise_sig_ids=tuple(str(x) for x in data["noise_sig_ids"]),
            failed_plate=str(data["failed_plate"]),
            bad_bead_batch=str(data["bad_bead_batch"]),
            non_responsive=tuple((str(c), str(m)) for c, m in data["non_responsive"]),
            responsiveness={str(c): {str(m): float(v) for m, v in row.items()}
                            for c, row in data["responsiveness"].items()},
            ec50_um={str(k): float(v) for k, v in data["ec50_um"].items()},
            hill={str(k): float(v) for k, v in data["hill"].items()},
            fragments={str(k): tuple(str(x) for x in v) for k, v in data["fragments"].items()},
        )


@dataclass(frozen=True)
class GroundTruth:
    """Everything planted in a demo dataset, as read back from ``ground_truth.json``."""

    generator_version: str
    spec: DemoSpec
    moas: tuple[MoaTruth, ...]
    unlabelled: tuple[UnlabelledCompound, ...]
    cells: tuple[str, ...]
    go_root: str
    dose_factors: tuple[float, ...]  # aligned with spec.doses
    n_signatures: int
    _by_compound: dict[str, str] = field(default_factory=dict, init=False, repr=False, compare=False)
    realism: RealismTruth | None = None  # realistic presets only

    def __post_init__(self) -> None:
        index = {p: m.name for m in self.moas for p in m.compounds}
        index.update({u.pert_id: u.true_moa for u in self.unlabelled})
        object.__setattr__(self, "_by_compound", index)

    def moa(self, name: str) -> MoaTruth:
        for m in self.moas:
            if m.name == name:
                return m
        raise KeyError(name)

    def true_moa_of(self, pert_id: str) -> str | None:
        """The MoA a compound's signatures carry (hidden for unlabelled ones); None if unknown."""
        return self._by_compound.get(pert_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "generator_version": self.generator_version,
            "spec": self.spec.to_json(),
            "go_root": self.go_root,
            "cells": list(self.cells),
            "dose_factors": list(self.dose_factors),
            "n_signatures": self.n_signatures,
            "moas": [m.to_json() for m in self.moas],
            "unlabelled": [asdict(u) for u in self.unlabelled],
            **({"realism": self.realism.to_json()} if self.realism is not None else {}),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GroundTruth:
        return cls(
            generator_version=str(data["generator_version"]),
            spec=DemoSpec.from_json(data["spec"]),
            moas=tuple(MoaTruth.from_json(m) for m in data["moas"]),
            unlabelled=tuple(
                UnlabelledCompound(str(u["pert_id"]), str(u["cmap_name"]), str(u["true_moa"]))
                for u in data["unlabelled"]
            ),
            cells=tuple(str(c) for c in data["cells"]),
            go_root=str(data["go_root"]),
            dose_factors=tuple(float(x) for x in data["dose_factors"]),
            n_signatures=int(data["n_signatures"]),
            realism=RealismTruth.from_json(data["realism"]) if data.get("realism") else None,
        )


def write_ground_truth(truth: GroundTruth, path: Path) -> None:
    path.write_text(json.dumps(truth.to_json(), indent=2) + "\n", encoding="utf-8", newline="\n")


def load_ground_truth(path: Path) -> GroundTruth:
    """Parse ``ground_truth.json`` written by :func:`toolkit.demo.generate_demo`."""
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    try:
        return GroundTruth.from_json(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise InputDataError(
            path, "ground truth", f"not a kgtool demo ground truth ({exc!r})", "regenerate it with generate_demo"
        ) from exc
