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

FILE_NAMES = {
    "string_edges": "string_edges.tsv",
    "go_obo": "go.obo",
    "gaf": "annotations.gaf",
    "compounds": "compounds.tsv",
    "gctx": "level5.gctx",
    "siginfo": "siginfo.txt",
    "geneinfo": "geneinfo.txt",
    "ground_truth": "ground_truth.json",
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

    @property
    def n_compounds(self) -> int:
        return self.n_moas * self.compounds_per_moa

    @property
    def n_treated_signatures(self) -> int:
        return self.n_compounds * self.n_cells * len(self.doses)

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

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["doses"] = list(self.doses)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DemoSpec:
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in known}
        if "doses" in kwargs:
            kwargs["doses"] = tuple(float(d) for d in kwargs["doses"])
        for name in ("noise", "effect"):
            if name in kwargs:
                kwargs[name] = float(kwargs[name])
        return cls(**kwargs)


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

    def to_json(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

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
        )


@dataclass(frozen=True)
class UnlabelledCompound:
    """A compound listed without MoA or target; ``true_moa`` is what its signatures were drawn from."""

    pert_id: str
    cmap_name: str
    true_moa: str


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
