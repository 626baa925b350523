"""The model-plugin contract. Models never import neo4j: they get arrays and return arrays."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Mapping, Optional, Sequence

import numpy as np

if TYPE_CHECKING:  # torch is imported lazily so `kgtool --help` stays fast
    import torch


@dataclass(frozen=True)
class GraphContext:
    """Knowledge the graph adds around the signatures, for knowledge-infused models.

    Gene indices refer to ``TaskData.gene_ids``; GO term indices to ``go_ids``.
    """

    gene_edges: np.ndarray  # (2, E) int64 STRING edges among the genes in use, both directions
    edge_weight: np.ndarray  # (E,) float32 combined score / 1000
    go_ids: tuple[str, ...]
    go_names: tuple[str, ...]
    gene_go: np.ndarray  # (n_genes, n_terms) float32 0/1 annotations, propagated up the DAG
    go_edges: np.ndarray  # (2, P) int64 child -> parent term (is_a and part_of)
    compound_smiles: Mapping[str, str] = field(default_factory=dict)  # pert_id -> canonical SMILES
    compound_scaffold: Mapping[str, str] = field(default_factory=dict)  # pert_id -> Murcko scaffold


@dataclass(frozen=True)
class TaskData:
    """Signatures as a feature matrix with multi-hot MoA labels (rows = signatures)."""

    x: np.ndarray  # (n_samples, n_genes) float32 z-scores
    y: np.ndarray  # (n_samples, n_classes) float32 multi-hot; all-zero row = unlabelled
    sample_ids: tuple[str, ...]
    compound_ids: tuple[str, ...]
    gene_ids: tuple[int, ...]
    classes: tuple[str, ...]
    cell_ids: tuple[str, ...] = ()  # per sample; empty when unknown
    context: Optional[GraphContext] = None  # filled when a model declares it needs graph knowledge

    def __post_init__(self) -> None:
        n = len(self.sample_ids)
        if self.x.shape != (n, len(self.gene_ids)) or self.y.shape != (n, len(self.classes)):
            raise ValueError(f"inconsistent TaskData shapes x={self.x.shape} y={self.y.shape} n={n}")

    @property
    def labelled(self) -> np.ndarray:
        return self.y.sum(axis=1) > 0

    def subset(self, index: Sequence[int] | np.ndarray) -> "TaskData":
        index = np.asarray(index, dtype=int)
        return TaskData(
            x=self.x[index],
            y=self.y[index],
            sample_ids=tuple(self.sample_ids[i] for i in index),
            compound_ids=tuple(self.compound_ids[i] for i in index),
            gene_ids=self.gene_ids,
            classes=self.classes,
            cell_ids=tuple(self.cell_ids[i] for i in index) if self.cell_ids else (),
            context=self.context,
        )


@dataclass(frozen=True)
class TrainConfig:
    """Generic training settings; model-specific hyper-parameters go in ``params``."""

    epochs: int = 60
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 1e-4
    patience: int = 10  # early stopping on validation loss
    seed: int = 0
    device: str = "auto"  # auto | cpu | cuda
    params: Mapping[str, Any] = field(default_factory=dict)


class ModelPlugin(ABC):
    """A trainable MoA classifier.

    Subclasses set ``name``/``description``, build themselves from the feature and class counts,
    and implement ``fit`` and ``predict_proba``. Gradient explainers use ``torch_module``.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    task: ClassVar[str] = "moa"  # see toolkit.tasks: the task this model solves
    requires_context: ClassVar[bool] = False  # True: TaskData.context must be filled by the export
    uses_compounds: ClassVar[bool] = False  # True: predict_proba(x, compound_ids=...) reads compound structure
    # Which parts of the graph context the model cannot work without (see CONTEXT_NEEDS): the
    # pipeline stops with one line naming what to load when one of them is empty.
    context_needs: ClassVar[tuple[str, ...]] = ()

    def check_context(self, train: "TaskData") -> None:
        """Raise a one-line ValueError when ``train`` lacks the graph context this model needs."""
        if self.requires_context and train.context is None:
            raise ValueError(f"model {self.name!r} needs the graph context (TaskData.context): export the "
                             "training data with its STRING edges and GO annotations")
        missing = missing_context(self.context_needs, train.context) if train.context is not None else []
        if missing:
            raise ValueError(context_error(self.name, missing))

    def __init__(self, n_features: int, n_classes: int, params: Optional[Mapping[str, Any]] = None) -> None:
        self.n_features = n_features
        self.n_classes = n_classes
        self.params = dict(params or {})

    @abstractmethod
    def fit(self, train: TaskData, config: TrainConfig, valid: Optional[TaskData] = None) -> dict[str, Any]:
        """Train; return a small history dict (epochs run, best validation loss, ...)."""

    @abstractmethod
    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes)."""

    def predict(self, x: np.ndarray, compound_ids: Sequence[str]) -> np.ndarray:
        """Class probabilities for signatures ``x`` of the compounds ``compound_ids`` (the pipeline's
        entry point: models that declare ``uses_compounds`` also receive the compound ids)."""
        if self.uses_compounds:
            return self.predict_proba(x, compound_ids=compound_ids)  # type: ignore[call-arg]
        return self.predict_proba(x)

    def torch_module(self) -> Optional["torch.nn.Module"]:
        """A module mapping (n, n_features) float tensors to class logits, or None."""
        return None

    @abstractmethod
    def state_dict(self) -> dict[str, Any]:
        """Tensors and plain values that restore the trained model (saved with torch.save)."""

    @abstractmethod
    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore from :meth:`state_dict`."""

    def save(self, path: Path) -> None:
        import torch

        torch.save({"name": self.name, "n_features": self.n_features, "n_classes": self.n_classes,
                    "params": self.params, "state": self.state_dict()}, path)

    @classmethod
    def load(cls, path: Path) -> "ModelPlugin":
        """Load a checkpoint safely (``weights_only=True``: no arbitrary code runs)."""
        import torch

        blob = torch.load(path, map_location="cpu", weights_only=True)
        if blob["name"] != cls.name:
            raise ValueError(f"{path} holds a {blob['name']!r} model, not {cls.name!r}")
        model = cls(blob["n_features"], blob["n_classes"], blob["params"])
        model.load_state_dict(blob["state"])
        return model


# context part -> (what it is, how to load it)
CONTEXT_NEEDS: Mapping[str, tuple[str, str]] = {
    "string": ("STRING interactions among the landmark genes",
               "load them with `kgtool load string protein.links.txt.gz [protein.aliases.txt.gz]`"),
    "go": ("Gene Ontology annotations on the landmark genes (within the GO term size bounds)",
           "load them with `kgtool load go go-basic.obo goa_human.gaf.gz`, or widen --go-min-genes/--go-max-genes"),
    "structure": ("compound SMILES", "load compounds with a canonical_smiles column (`kgtool load compounds …`)"),
}


def missing_context(needs: Sequence[str], context: Optional[GraphContext]) -> list[str]:
    """The parts of ``needs`` (keys of :data:`CONTEXT_NEEDS`) that ``context`` lacks."""
    unknown = sorted(set(needs) - set(CONTEXT_NEEDS))
    if unknown:
        raise ValueError(f"unknown context needs {unknown}; known: {sorted(CONTEXT_NEEDS)}")
    present = {
        "string": context is not None and context.gene_edges.size > 0,
        "go": context is not None and context.gene_go.size > 0 and bool(context.gene_go.any()),
        "structure": context is not None and bool(context.compound_smiles),
    }
    return [need for need in needs if not present[need]]


def context_error(model_name: str, missing: Sequence[str]) -> str:
    """One line naming what the graph lacks for ``model_name`` and how to load it."""
    parts = [f"{CONTEXT_NEEDS[m][0]} ({CONTEXT_NEEDS[m][1]})" for m in missing]
    return f"model {model_name!r} needs graph knowledge the graph does not have: {'; '.join(parts)}"
