"""A multimodal MoA model: the signature, the signature on the STRING gene graph and the compound's
structure, fused by attention over the three modality embeddings.

Modalities (see :class:`kgtool_plugins.models.nets.fusion.MultimodalNet`):

* signature — an MLP encoder on the (n, n_genes) z-scores;
* network — learned message passing over the STRING gene graph (``context.gene_edges`` with
  ``edge_weight``): the ``gnn`` model's :class:`~kgtool_plugins.models.nets.gene_graph.GeneGraphNet`
  (per-gene input embedding, ``graph_layers`` GCN layers, mean+max pooling) with a ``dim``-wide
  head; edges are module buffers, so a checkpoint needs no context;
* structure — an MLP encoder on the compound's Morgan fingerprint (RDKit, radius 2, 2048 bits,
  :func:`toolkit.structure.morgan_fingerprint`, from ``context.compound_smiles``). A
  compound without (parsable) SMILES gets the all-zero fingerprint, which the module reads as
  "missing" and masks out of the attention. In training the structure is also dropped at random
  (``structure_dropout``, default 0.5) so the gene branches learn on their own.

Inputs per sample are the signature *and* the compound, so:

* ``predict_proba(x, *, compounds=None, context=None)``: with ``compounds`` the structures are
  looked up (the SMILES of every compound in the training context are kept in the checkpoint; add
  others with ``add_smiles``, or pass them for one call in ``context.compound_smiles``); without
  them every row is predicted with the structure missing, from the signature and network branches
  alone (what a caller that passes only ``x`` gets).
* ``torch_module()`` maps (n, n_genes) signatures to logits with the structure missing, so Captum
  explainers work unchanged; ``structure_module()`` is the same module, ``forward(genes,
  fingerprint)``, and ``explain_inputs(compound_ids)`` returns the ``(fingerprints,)`` to pass as
  Captum's ``additional_forward_args``: gene attributions are then computed with the compound's
  structure held fixed (IG's baseline keeps the fingerprint; only the signature is interpolated).
  The model is a :class:`toolkit.models.StructureModel` (``fingerprint_spec()``), so
  the explain pipeline can bind one compound's fingerprint itself and attribute fingerprint bits.
* ``modality_weights(x, compound_ids)``: the attention weights (n, 3) over signature, network and
  structure — how much each prediction leans on each modality.

Needs (``context_needs``): STRING edges among the genes and compound SMILES.

Measured (README, ``bench/train.py`` on the ``realistic`` preset, cold-compound, 3 seeds): the
model scores exactly the same when trained on a degree-preserving permuted STRING graph
(``--control string_permuted``), so the network branch has no measurable effect on its
predictions there; no claim is made that it uses the network.

Params: ``dim`` = 64, ``hidden`` = 256, ``dropout`` = 0.2, ``structure_dropout`` = 0.5,
``bit_dropout`` = 0.3 (input dropout on the fingerprint bits), ``graph_hidden`` = 16 and
``graph_layers`` = 2 (the network branch's GCN width and depth).
"""

from __future__ import annotations

import logging
from typing import Any, Mapping, Optional, Sequence

import numpy as np

from toolkit.hookspecs import hookimpl
from toolkit.models import GraphContext, TaskData
from toolkit.structure import FingerprintSpec, morgan_fingerprint
from toolkit.train.loop import Inputs
from toolkit.train.torch_model import TorchModel

from .gnn import gene_graph, input_scale

logger = logging.getLogger(__name__)

DEFAULTS: dict[str, Any] = {"dim": 64, "hidden": 256, "dropout": 0.2, "structure_dropout": 0.5, "bit_dropout": 0.3,
                            "graph_hidden": 16, "graph_layers": 2}


class MultimodalModel(TorchModel):
    name = "multimodal"
    description = ("signature MLP + GCN over the STRING gene graph + Morgan fingerprint, attention fusion "
                   "(params: dim=64, hidden=256, structure_dropout=0.5, graph_hidden=16, graph_layers=2)")
    requires_context = True
    context_needs = ("string", "structure")
    predict_batch_size = 256  # the network branch's node tensors are (n_genes, batch, graph_hidden)

    def __init__(self, n_features: int, n_classes: int, params: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(n_features, n_classes, params)
        self.params = {**DEFAULTS, **self.params}
        self.smiles: dict[str, str] = {}
        self._fingerprints: dict[str, np.ndarray] = {}

    # -- structure inputs ----------------------------------------------------------------------
    def fingerprint_spec(self) -> FingerprintSpec:
        return FingerprintSpec(radius=2, n_bits=2048)

    def add_smiles(self, smiles: Mapping[str, str]) -> None:
        """Make more compounds' structures known (pert_id -> SMILES)."""
        self.smiles.update({str(k): str(v) for k, v in smiles.items() if v})

    def _fingerprint(self, compound: str, smiles: Optional[str]) -> np.ndarray:
        """The bits of ``smiles`` (all zero when there is none or RDKit cannot read it), cached."""
        key = smiles or ""
        if key not in self._fingerprints:
            spec = self.fingerprint_spec()
            bits = np.zeros(spec.n_bits, dtype=np.float32)
            if smiles:
                try:
                    bits = morgan_fingerprint(smiles, spec)[0]
                except ValueError:
                    logger.warning("multimodal: RDKit cannot read the SMILES of %s; structure treated as missing",
                                   compound)
            self._fingerprints[key] = bits
        return self._fingerprints[key]

    def fingerprints(self, compound_ids: Optional[Sequence[str]], n: int,
                     more_smiles: Optional[Mapping[str, str]] = None) -> np.ndarray:
        """(n, n_bits) fingerprints of the compounds (all zero = missing, also when ids are None);
        ``more_smiles`` (pert_id -> SMILES) covers compounds the model does not know."""
        if compound_ids is None:
            return np.zeros((n, self.fingerprint_spec().n_bits), dtype=np.float32)
        if len(compound_ids) != n:
            raise ValueError(f"multimodal: {len(compound_ids)} compound ids for {n} signatures")
        if not n:
            return np.zeros((0, self.fingerprint_spec().n_bits), np.float32)
        more = more_smiles or {}
        return np.stack([self._fingerprint(c, self.smiles.get(c) or more.get(c)) for c in compound_ids])

    def explain_inputs(self, compound_ids: Sequence[str]) -> tuple[np.ndarray]:
        """Extra forward inputs for gradient explainers (Captum ``additional_forward_args``)."""
        return (self.fingerprints(compound_ids, len(compound_ids)),)

    # -- model -----------------------------------------------------------------------------------
    def _net(self, edge_index: Any, edge_weight: Any, scale: float = 1.0) -> Any:
        from .nets.fusion import MultimodalNet

        p = self.params
        return MultimodalNet(self.n_features, self.n_classes, self.fingerprint_spec().n_bits, edge_index, edge_weight,
                             dim=int(p["dim"]), hidden=int(p["hidden"]), dropout=float(p["dropout"]),
                             structure_dropout=float(p["structure_dropout"]), bit_dropout=float(p["bit_dropout"]),
                             graph_hidden=int(p["graph_hidden"]), graph_layers=int(p["graph_layers"]),
                             input_scale=scale)

    def build(self, train: TaskData) -> Any:
        import torch

        edges, weight = gene_graph(train, self.name, self.n_features)
        ctx = train.context
        assert ctx is not None
        self.smiles, self._fingerprints = {}, {}
        self.add_smiles(ctx.compound_smiles)
        missing = len({c for c in train.compound_ids if c not in self.smiles})
        if missing:
            logger.info("multimodal: %d training compounds have no SMILES (structure missing)", missing)
        return self._net(torch.as_tensor(edges), torch.as_tensor(weight), input_scale(train.x[train.labelled]))

    def rebuild(self, state: Mapping[str, Any]) -> Any:
        return self._net(state["network.net.edges"], state["network.net.edge_weight"])

    def fit_inputs(self) -> Inputs:
        return lambda data: (data.x, self.fingerprints(data.compound_ids, len(data.compound_ids)))

    def predict_inputs(self, x: np.ndarray, compounds: Optional[Sequence[str]],
                       context: Optional[GraphContext]) -> tuple[np.ndarray]:
        return (self.fingerprints(compounds, len(x), context.compound_smiles if context is not None else None),)

    def modality_weights(self, x: np.ndarray, compound_ids: Optional[Sequence[str]] = None) -> np.ndarray:
        """(n, 3) attention over (signature, network, structure) per signature."""
        import torch

        module = self.fitted_module().eval()
        with torch.no_grad():
            fp = torch.as_tensor(self.fingerprints(compound_ids, len(x)))
            return module.attention(torch.as_tensor(np.asarray(x, dtype=np.float32)), fp)[1].numpy()

    def structure_module(self) -> Any:
        """forward(genes (n, n_genes), fingerprint (n, 2048) 0/1) -> logits."""
        return self.fitted_module()

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "smiles": dict(sorted(self.smiles.items()))}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.smiles, self._fingerprints = {}, {}
        self.add_smiles(state.get("smiles", {}))


@hookimpl
def kgtool_register_models(register: Any) -> None:
    register(MultimodalModel)
