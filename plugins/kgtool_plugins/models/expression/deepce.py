"""``deepce``: DeepCE-style gene-wise attention over drug substructures.

The compound's ECFP on-bits are its substructure tokens (a learned embedding per bit); each gene
is a query (a learned gene embedding plus a projection of its GO fingerprint, when GO is loaded);
multi-head attention gene -> substructures gives a per-gene drug vector, combined with the cell
embedding and dose/time by a per-gene MLP into the gene's z-score (net:
:class:`~kgtool_plugins.models.expression.nets.DeepCENet`). Bit tokens are weighted by their bit
value (log(value + eps) added to the logits, values scaled by it), so the model is differentiable
in a real-valued fingerprint and Integrated Gradients attributes predictions to substructures.

Params: ``dim`` (64), ``heads`` (2), ``hidden`` (32), ``dropout`` (0.2), ``cell_dropout`` (0.1),
``radius``/``n_bits`` (2 / 2048). State: the module (its gene GO fingerprint is a buffer), the
training SMILES and cell lines.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

from toolkit.models import TrainConfig
from toolkit.tasks import ExpressionData

from .base import TorchExpressionModel, gene_go_of


class DeepCEModel(TorchExpressionModel):
    name = "deepce"
    description = "DeepCE-style gene-wise attention over ECFP substructure tokens (+GO gene queries, cell embedding)"

    def __init__(self, n_genes: int, params: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(n_genes, params)
        self.dim = int(self.params.get("dim", 64))
        self.heads = int(self.params.get("heads", 2))
        self.hidden = int(self.params.get("hidden", 32))
        self.dropout = float(self.params.get("dropout", 0.2))
        if self.dim % self.heads:
            raise ValueError(f"deepce: dim={self.dim} must be a multiple of heads={self.heads}")
        self.params.update(dim=self.dim, heads=self.heads, hidden=self.hidden, dropout=self.dropout)

    def _net(self, gene_go: Any) -> Any:
        from .nets import DeepCENet

        return DeepCENet(self.spec.n_bits, len(self.cells), gene_go, self.dim, self.heads, self.hidden, self.dropout)

    def build(self, train: ExpressionData, config: TrainConfig) -> Any:
        import torch

        return self._net(torch.as_tensor(gene_go_of(train, self.n_genes)))

    def rebuild(self, state: Mapping[str, Any]) -> Any:
        return self._net(state["module"]["genes.gene_go"])
