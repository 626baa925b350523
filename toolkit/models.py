"""The model-plugin contract. Models never import neo4j: they get arrays and return arrays.

:class:`ModelBase` (every task), :class:`ModelPlugin` (the MoA task: one ``predict_proba``
signature, one state format, a forward function for explainers), the data handed to models
(:class:`TaskData`, :class:`GraphContext`, :class:`TrainConfig`), what the graph context must hold
(:data:`CONTEXT_NEEDS`) and the structural protocols graph- and structure-level explanations use
(:class:`GraphModel`, :class:`StructureModel`). The torch base for model authors is
:class:`toolkit.train.torch_model.TorchModel`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Mapping, Optional, Protocol, Sequence, Union, runtime_checkable

import numpy as np

from toolkit.structure import FingerprintSpec

ROW_CHUNK_BYTES = 32 * 2**20  # out-of-core steps read and write memory-mapped rows this much at a time


def chunk_rows(x: np.ndarray) -> int:
    """Rows of ``x`` per chunk of about :data:`ROW_CHUNK_BYTES` (at least one)."""
    return max(1, ROW_CHUNK_BYTES // max(1, int(x.itemsize * np.prod(x.shape[1:], dtype=np.int64))))


def release_pages(x: Any) -> None:
    """Drop the pages of a memory-mapped ``x`` from this process (the file and the kernel's page
    cache keep them; a later read maps them back), so reading it all does not grow the RSS."""
    mapped = getattr(x, "_mmap", None)
    if mapped is not None and hasattr(mapped, "madvise"):
        import mmap

        try:
            mapped.madvise(mmap.MADV_DONTNEED)
        except (OSError, ValueError):  # closed or not allowed: the kernel reclaims them anyway
            pass


def map_rows(x: np.ndarray, index: np.ndarray, fn: Optional[Callable[[np.ndarray, np.ndarray], np.ndarray]] = None
             ) -> np.ndarray:
    """``fn(x[index], index)`` (default: the rows themselves) for every row of ``index``. For an
    in-memory ``x`` one array; for a memory-mapped ``x`` the result is memory-mapped too (an
    unlinked temporary file, gone with the array), computed and written in chunks of
    :data:`ROW_CHUNK_BYTES`, so that no step holds the whole matrix."""
    import tempfile

    index = np.asarray(index, dtype=np.int64)
    if not isinstance(x, np.memmap) or len(index) == 0:
        block = x[index]
        return block if fn is None else fn(block, index)
    step = chunk_rows(x)
    with tempfile.TemporaryFile(prefix="kgtool-rows-") as out:
        for start in range(0, len(index), step):
            rows = index[start:start + step]
            block = np.asarray(x[rows], dtype=x.dtype)
            out.write(memoryview(np.ascontiguousarray(block if fn is None else fn(block, rows), dtype=x.dtype)))
            release_pages(x)
        out.flush()
        return np.memmap(out, dtype=x.dtype, mode="c", shape=(len(index), *x.shape[1:]))

if TYPE_CHECKING:  # torch is imported lazily so `kgtool --help` stays fast
    import torch

Forward = Callable[["torch.Tensor"], "torch.Tensor"]  # (n, n_features) float -> (n, n_classes) logits


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
        """The rows ``index``; a memory-mapped ``x`` stays memory-mapped (:func:`map_rows`)."""
        index = np.asarray(index, dtype=int)
        return TaskData(
            x=map_rows(self.x, index),
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


class ModelBase(ABC):
    """What every model plugin has, whatever its task (:mod:`toolkit.tasks`): a name, the task it
    solves, the graph context it needs, ``fit(train, config, valid=None)`` and a state of plain
    tensors and values (:meth:`state_dict` / :meth:`load_state_dict`)."""

    name: ClassVar[str]
    description: ClassVar[str]
    task: ClassVar[str] = "moa"  # see toolkit.tasks: the task this model solves
    requires_context: ClassVar[bool] = False  # True: the training data's context must be filled by the export
    # Which parts of the graph context the model cannot work without (see CONTEXT_NEEDS): the
    # pipeline stops with one line naming what to load when one of them is empty.
    context_needs: ClassVar[tuple[str, ...]] = ()
    params: dict[str, Any]

    def check_context(self, train: Any) -> None:
        """Raise a one-line ValueError when ``train`` (its ``context``) lacks the graph context this
        model needs."""
        context = getattr(train, "context", None)
        if self.requires_context and context is None:
            raise ValueError(f"model {self.name!r} needs the graph context (TaskData.context): export the "
                             "training data with its STRING edges and GO annotations")
        missing = missing_context(self.context_needs, context) if context is not None else []
        if missing:
            raise ValueError(context_error(self.name, missing))

    @abstractmethod
    def fit(self, train: Any, config: TrainConfig, valid: Optional[Any] = None) -> dict[str, Any]:
        """Train; return a small history dict (epochs run, best validation loss, ...)."""

    @abstractmethod
    def state_dict(self) -> dict[str, Any]:
        """Tensors and plain values that restore the trained model (saved with torch.save).

        Torch-backed models (:class:`toolkit.train.torch_model.TorchModel`) return
        ``{"module": <the module's state dict>, ...}`` plus plain extras (e.g. ``terms``,
        ``smiles``); others document their dict (e.g. ``majority``: ``{"prior": [...]}``)."""

    @abstractmethod
    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore from :meth:`state_dict`."""


class ModelPlugin(ModelBase):
    """A trainable MoA classifier (task ``moa``): the one contract every MoA model follows.

    * ``__init__(n_features, n_classes, params=None)``, ``fit(train, config, valid=None)``;
    * ``predict_proba(x, *, compounds=None, context=None)`` — the same signature on every model.
      ``compounds`` are the compound ids of the rows (models that read compound structure use
      them, see :class:`StructureModel`), ``context`` graph knowledge for them (e.g. SMILES of
      compounds the model has not seen); models that do not need them ignore them, a model that
      cannot predict without them raises a one-line ValueError;
    * :meth:`state_dict` / :meth:`load_state_dict` (one format, see :meth:`ModelBase.state_dict`),
      :meth:`save` / :meth:`load` around them;
    * for explainers, :meth:`forward_fn`: a torch function from (n, n_features) float signatures
      to class logits (by default :meth:`torch_module`), or None when there is none.
    """

    def __init__(self, n_features: int, n_classes: int, params: Optional[Mapping[str, Any]] = None) -> None:
        self.n_features = n_features
        self.n_classes = n_classes
        self.params = dict(params or {})

    @abstractmethod
    def fit(self, train: TaskData, config: TrainConfig, valid: Optional[TaskData] = None) -> dict[str, Any]:
        """Train; return a small history dict (epochs run, best validation loss, ...)."""

    @abstractmethod
    def predict_proba(self, x: np.ndarray, *, compounds: Optional[Sequence[str]] = None,
                      context: Optional[GraphContext] = None) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes), of signatures ``x`` (rows) of the
        compounds ``compounds`` (one id per row, or None)."""

    def torch_module(self) -> Optional["torch.nn.Module"]:
        """A module mapping (n, n_features) float tensors to class logits, or None."""
        return None

    def forward_fn(self) -> Optional[Forward]:
        """What gradient explainers attribute: a torch function (n, n_features) float tensor ->
        (n, n_classes) logits, or None. By default the :meth:`torch_module` in eval mode (a module
        is such a function; Captum's DeepLift needs a module)."""
        module = self.torch_module()
        if module is None:
            return None
        module.eval()
        return module

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


Explained = Union[ModelPlugin, Forward]  # what an explainer attributes: a model, or a forward function


def forward_of(model: Explained) -> Optional[Forward]:
    """The forward function of a model (:meth:`ModelPlugin.forward_fn`), or ``model`` itself when
    it already is one (e.g. a structure model with one compound's fingerprint bound in)."""
    if isinstance(model, ModelPlugin):
        return model.forward_fn()
    return model


@runtime_checkable
class GraphModel(Protocol):
    """A model whose function is message passing over the STRING gene graph (for PyG's
    GNNExplainer, which writes ``EXPLAINS_EDGE``). Structural: a model opts in by having the methods.

    ``graph_module()``: forward(x, edge_index, batch) -> (n_graphs, n_classes) logits, where one
    signature is one graph: x is (n_graphs * n_genes, 1) float (the z-scores, genes in
    TaskData.gene_ids order, graph after graph), edge_index is (2, n_graphs * E) long (the model's
    edge_index() shifted by g * n_genes for graph g) and batch is (n_graphs * n_genes,) long.
    ``edge_index()``: (2, E) int64 gene indices (both directions of each STRING edge), the same
    edges the module uses in training. ``forward_fn()(x)`` should equal
    ``graph_module()(x.reshape(-1, 1), tiled edges, batch)``, so the gene-level explainers explain
    the same function.
    """

    def graph_module(self) -> "torch.nn.Module": ...

    def edge_index(self) -> np.ndarray: ...


@runtime_checkable
class StructureModel(Protocol):
    """A model that reads the compound's structure as a Morgan fingerprint besides the signature
    (its Substructure ``EXPLAINS`` are written by the explain pipeline). Structural protocol.

    ``fingerprint_spec()``: the Morgan radius and bit count used in training; featurise with
    :func:`toolkit.structure.morgan_fingerprint` so that bits map back to atoms.
    ``structure_module()``: forward(genes, fingerprint) -> (n, n_classes) logits; genes
    (n, n_genes) float z-scores, fingerprint (n, n_bits) float 0/1.

    Gene explainers see such a model per compound as a forward function with that compound's
    fingerprint bound in (:func:`toolkit.explain.fingerprints.gene_view`); fingerprint bits are
    attributed with Integrated Gradients (all-bits-off baseline), spread over their atoms and
    summed into the SMARTS matches of the compound's ``HAS_SUBSTRUCTURE`` nodes.
    """

    def fingerprint_spec(self) -> FingerprintSpec: ...

    def structure_module(self) -> "torch.nn.Module": ...


@dataclass(frozen=True)
class StructureForward:
    """A :class:`StructureModel` made of a bare forward function ``(genes, fingerprint) -> logits``
    (e.g. a reference model trained outside kgtool), explained like a structure model plugin."""

    forward: Callable[..., Any]  # usually a torch module (Captum's DeepLift needs one)
    spec: FingerprintSpec = FingerprintSpec()
    name: str = "structure_forward"

    def fingerprint_spec(self) -> FingerprintSpec:
        return self.spec

    def structure_module(self) -> Any:
        return self.forward


def is_graph_model(model: Any) -> bool:
    return callable(getattr(model, "graph_module", None)) and callable(getattr(model, "edge_index", None))


def is_structure_model(model: Any) -> bool:
    return callable(getattr(model, "fingerprint_spec", None)) and callable(getattr(model, "structure_module", None))


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
