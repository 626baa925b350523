"""``anchordrug``: the AnchorDrug 3-class model (up / none / down per drug x cell x gene).

Per (drug, cell, gene) the inputs are the drug's ECFP, the gene's GO fingerprint (+ a learned gene
embedding) and the cell embedding; computed efficiently as a drug x cell encoder h (n, d), a gene
encoder g (genes, d) and a small head on [h_i, g_j, h_i * g_j] -> 3 logits, so one row gives
(genes, 3) logits (net: :class:`~kgtool_plugins.models.expression.nets.AnchorNet`). Trained with
class-weighted cross-entropy on :func:`toolkit.tasks.three_class` labels (the "none" class
dominates: weights ``(n / (3 n_k)) ** class_weight_power``), dropout throughout (MC dropout), early
stopping on validation macro-F1.

Issue 15's active learning drives it through :meth:`AnchorDrugModel.mc_predict_classes`,
:meth:`~AnchorDrugModel.embed`, :meth:`~AnchorDrugModel.gradient_embedding` (BADGE),
:meth:`~AnchorDrugModel.logits_forward`, :meth:`~AnchorDrugModel.fine_tune` and
:meth:`~AnchorDrugModel.clone`.

Params: ``dim`` (64), ``hidden`` (64), ``dropout`` (0.1), ``class_weight_power`` (1.0: balanced;
0: plain cross-entropy), ``cell_dropout`` (0.1), ``radius``/``n_bits`` (2 / 2048).
"""

from __future__ import annotations

import copy
from typing import Any, Mapping, Optional

import numpy as np

from toolkit.models import GraphContext, TrainConfig
from toolkit.structure import FingerprintSpec
from toolkit.tasks import Conditions, ExpressionData, FingerprintForward, three_class

from .base import TorchExpressionModel, fixed_forward, gene_go_of
from .training import PREDICT_BATCH, three_class_score, to_tensors


def class_weights(labels: np.ndarray, power: float) -> np.ndarray:
    """``(n / (3 n_k)) ** power`` per class k of the labels (absent classes: weight 1)."""
    counts = np.bincount(labels.ravel(), minlength=3).astype(np.float64)
    weights = np.ones(3)
    present = counts > 0
    weights[present] = (labels.size / (3 * counts[present])) ** power
    return weights.astype(np.float32)


class AnchorDrugModel(TorchExpressionModel):
    name = "anchordrug"
    description = "AnchorDrug 3-class (down/none/up) per drug x cell x gene: ECFP, GO genes, cell embedding"
    three_class = True

    def __init__(self, n_genes: int, params: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(n_genes, params)
        self.dim = int(self.params.get("dim", 64))
        self.hidden = int(self.params.get("hidden", 64))
        self.dropout = float(self.params.get("dropout", 0.1))
        self.power = float(self.params.get("class_weight_power", 1.0))
        self.params.update(dim=self.dim, hidden=self.hidden, dropout=self.dropout, class_weight_power=self.power)

    # --- building and training -------------------------------------------------------------------
    def _net(self, gene_go: Any) -> Any:
        from .nets import AnchorNet

        return AnchorNet(self.spec.n_bits, len(self.cells), gene_go, self.dim, self.hidden, self.dropout)

    def build(self, train: ExpressionData, config: TrainConfig) -> Any:
        import torch

        return self._net(torch.as_tensor(gene_go_of(train, self.n_genes)))

    def rebuild(self, state: Mapping[str, Any]) -> Any:
        return self._net(state["module"]["genes.gene_go"])

    def targets(self, y: np.ndarray) -> np.ndarray:
        return three_class(y)

    def loss(self, train: ExpressionData) -> Any:
        import torch
        import torch.nn.functional as F

        weight = torch.as_tensor(class_weights(three_class(train.y), self.power))

        def cross_entropy(logits: Any, labels: Any) -> Any:
            return F.cross_entropy(logits.reshape(-1, 3), labels.reshape(-1), weight=weight.to(logits.device))

        return cross_entropy

    score = staticmethod(three_class_score)

    def fine_tune(self, train: ExpressionData, config: TrainConfig) -> dict[str, Any]:
        """Continue training from the current weights on ``train`` (e.g. a new cell line's few
        compounds; all ``config.epochs``, no early stopping). Cell lines not seen before get new
        embedding rows initialised from the unknown cell's; their compounds' SMILES are kept."""
        from .nets import grow_embedding

        module = self.fitted()
        if train.y.shape[1] != self.n_genes:
            raise ValueError(f"{self.name}: built for {self.n_genes} genes, the data has {train.y.shape[1]}")
        known = dict(getattr(train.context, "compound_smiles", None) or {})
        self.smiles.update({c: known[c] for c in set(train.compound_ids) if known.get(c)})
        self.cells += sorted(set(train.cell_ids) - set(self.cells))
        module.cell = grow_embedding(module.cell, len(self.cells) + 1)
        return self.train_module(train, config, None)

    def clone(self) -> "AnchorDrugModel":
        """An independent deep copy (weights, cell lines, SMILES)."""
        return copy.deepcopy(self)

    # --- prediction -------------------------------------------------------------------------------
    def predict_classes(self, conditions: Conditions, *, context: Optional[GraphContext] = None) -> np.ndarray:
        """(n, genes, 3) probabilities of down / none / up."""
        logits = self.outputs(conditions, context).astype(np.float64)
        logits -= logits.max(axis=-1, keepdims=True)
        p = np.exp(logits)
        return (p / p.sum(axis=-1, keepdims=True)).astype(np.float32)

    def predict_expression(self, conditions: Conditions, *, context: Optional[GraphContext] = None) -> np.ndarray:
        """``p_up - p_down`` per gene (a signed score, not a z-score)."""
        p = self.predict_classes(conditions, context=context)
        return (p[..., 2] - p[..., 0]).astype(np.float32)

    def logits_forward(self, conditions: Conditions, *, context: Optional[GraphContext] = None
                       ) -> tuple[FingerprintSpec, FingerprintForward]:
        """(n, n_bits) fingerprints -> (n, genes, 3) logits, cell and dose/time of the rows fixed."""
        return self.spec, fixed_forward(self.fitted().eval(), self.inputs(conditions, context)[1:])

    def fingerprint_forward(self, conditions: Conditions, *, context: Optional[GraphContext] = None
                            ) -> tuple[FingerprintSpec, FingerprintForward]:
        """(n, n_bits) fingerprints -> (n, genes) ``p_up - p_down``."""
        import torch

        spec, logits = self.logits_forward(conditions, context=context)

        def forward(fp: Any) -> Any:
            p = torch.softmax(logits(fp), dim=-1)
            return p[..., 2] - p[..., 0]

        return spec, forward

    def mc_predict_classes(self, conditions: Conditions, *, context: Optional[GraphContext] = None,
                           samples: int = 10, seed: int = 0) -> np.ndarray:
        """(samples, n, genes, 3) class probabilities with dropout on (MC dropout), seeded; the
        global torch RNG is left as it was."""
        import torch

        module = self.fitted()
        tensors = to_tensors(self.inputs(conditions, context))
        out = np.zeros((samples, len(conditions), self.n_genes, 3), dtype=np.float32)
        with torch.random.fork_rng(devices=[]), torch.no_grad():
            torch.manual_seed(seed)
            module.train()
            try:
                for s in range(samples):
                    for start in range(0, len(conditions), PREDICT_BATCH):
                        part = [t[start:start + PREDICT_BATCH] for t in tensors]
                        out[s, start:start + PREDICT_BATCH] = torch.softmax(module(*part), dim=-1).numpy()
            finally:
                module.eval()
        return out

    def embed(self, conditions: Conditions, *, context: Optional[GraphContext] = None) -> np.ndarray:
        """(n, dim) float32 drug x cell representation h (before the gene head)."""
        import torch

        module = self.fitted().eval()
        with torch.no_grad():
            h = module.embed(*to_tensors(self.inputs(conditions, context)))
        return h.numpy().astype(np.float32)

    def gradient_embedding(self, conditions: Conditions, *, context: Optional[GraphContext] = None) -> np.ndarray:
        """(n, 3 * (hidden + 1)) float32 BADGE embedding: the gradient of the cross-entropy at the
        predicted (argmax) classes w.r.t. the last layer's weight and bias, averaged over genes.
        For a softmax layer it is ``(p - onehot(argmax p)) outer z`` (z: the layer's input)."""
        import torch

        module = self.fitted().eval()
        tensors = to_tensors(self.inputs(conditions, context))
        parts = []
        with torch.no_grad():
            for start in range(0, len(conditions), PREDICT_BATCH):
                batch = [t[start:start + PREDICT_BATCH] for t in tensors]
                z = module.penultimate(module.embed(*batch))  # (b, genes, hidden)
                p = torch.softmax(module.last(z), dim=-1)
                residual = p - torch.nn.functional.one_hot(p.argmax(dim=-1), 3).float()  # (b, genes, 3)
                weight = torch.einsum("bgc,bgh->bch", residual, z) / z.shape[1]
                parts.append(torch.cat([weight.flatten(1), residual.mean(dim=1)], dim=1).numpy())
        return (np.concatenate(parts) if parts else np.zeros((0, 3 * (self.hidden + 1)))).astype(np.float32)
