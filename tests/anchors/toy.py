"""A tiny but real 3-class drug x cell torch model implementing :class:`toolkit.anchors.ActiveModel`,
and a synthetic world of compounds (real SMILES, Morgan bits) measured in two pretraining cell
lines and one new cell line whose response is shifted (so fine-tuning on it must help)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from typing import Any, Optional

import numpy as np
import torch

from toolkit.models import GraphContext, TrainConfig
from toolkit.structure import FingerprintSpec, morgan_fingerprint
from toolkit.tasks import Conditions, ExpressionData, three_class

SPEC = FingerprintSpec(radius=2, n_bits=64)
CELLS = ("A", "B", "NEW")
GROUPS = ("O", "N", "Cl", "F", "C(=O)O", "C#N", "OC", "S")
RINGS = ("c1ccc({x})cc1{y}", "c1cc({x})ccc1{y}", "c1ccccc1{x}.C{y}")


def context_of(smiles: dict[str, str]) -> GraphContext:
    return GraphContext(gene_edges=np.zeros((2, 0), dtype=np.int64), edge_weight=np.zeros(0, dtype=np.float32),
                        go_ids=(), go_names=(), gene_go=np.zeros((0, 0), dtype=np.float32),
                        go_edges=np.zeros((2, 0), dtype=np.int64), compound_smiles=smiles)


class _Net(torch.nn.Module):
    def __init__(self, n_bits: int, n_cells: int, n_genes: int, hidden: int, dropout: float) -> None:
        super().__init__()
        self.drug = torch.nn.Linear(n_bits, hidden)
        self.cell = torch.nn.Embedding(n_cells, hidden)
        self.head = torch.nn.Linear(hidden, n_genes * 3)
        self.dropout = torch.nn.Dropout(dropout)
        self.n_genes = n_genes

    def hidden(self, bits: torch.Tensor, cells: torch.Tensor) -> torch.Tensor:
        return self.dropout(torch.relu(self.drug(bits) + self.cell(cells)))

    def forward(self, bits: torch.Tensor, cells: torch.Tensor) -> torch.Tensor:
        return self.head(self.hidden(bits, cells)).reshape(len(bits), self.n_genes, 3)


class ToyAnchor:
    """h = dropout(relu(W bits + E[cell])); logits = head(h) as (G, 3). Reads SMILES from the context."""

    def __init__(self, n_genes: int, hidden: int = 16, dropout: float = 0.2, seed: int = 0) -> None:
        torch.manual_seed(seed)
        self.net = _Net(SPEC.n_bits, len(CELLS), n_genes, hidden, dropout)

    def _bits(self, compounds, context: Optional[GraphContext]) -> torch.Tensor:
        smiles = context.compound_smiles
        return torch.as_tensor(np.stack([morgan_fingerprint(smiles[c], SPEC)[0] for c in compounds]))

    @staticmethod
    def _cells(cells) -> torch.Tensor:
        return torch.as_tensor([CELLS.index(c) for c in cells])

    def _logits(self, conditions: Conditions, context, train: bool = False) -> torch.Tensor:
        self.net.train(train)
        return self.net(self._bits(conditions.compound_ids, context), self._cells(conditions.cell_ids))

    def predict_classes(self, conditions, *, context=None) -> np.ndarray:
        with torch.no_grad():
            return torch.softmax(self._logits(conditions, context), -1).numpy()

    def mc_predict_classes(self, conditions, *, context=None, samples=10, seed=0) -> np.ndarray:
        with torch.no_grad(), torch.random.fork_rng():
            torch.manual_seed(seed)
            return np.stack([torch.softmax(self._logits(conditions, context, train=True), -1).numpy()
                             for _ in range(samples)])

    def embed(self, conditions, *, context=None) -> np.ndarray:
        self.net.eval()
        with torch.no_grad():
            return self.net.hidden(self._bits(conditions.compound_ids, context),
                                   self._cells(conditions.cell_ids)).numpy()

    def gradient_embedding(self, conditions, *, context=None) -> np.ndarray:
        """d CE / d head weights at the predicted classes: (p - onehot(argmax)) outer h, per row."""
        h = torch.as_tensor(self.embed(conditions, context=context))
        p = torch.as_tensor(self.predict_classes(conditions, context=context))
        err = p - torch.nn.functional.one_hot(p.argmax(-1), 3).float()
        return torch.einsum("nk,nd->nkd", err.reshape(len(h), -1), h).reshape(len(h), -1).numpy()

    def logits_forward(self, conditions, *, context=None):
        cells = self._cells(conditions.cell_ids)
        self.net.eval()
        return SPEC, lambda bits: self.net(bits, cells)

    def fine_tune(self, train: ExpressionData, config: TrainConfig) -> dict[str, Any]:
        torch.manual_seed(config.seed)
        bits = self._bits(train.compound_ids, train.context)
        cells = self._cells(train.cell_ids)
        target = torch.as_tensor(three_class(train.y))
        opt = torch.optim.Adam(self.net.parameters(), lr=config.lr)
        self.net.train()
        for _ in range(config.epochs):
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(self.net(bits, cells).reshape(-1, 3), target.reshape(-1))
            loss.backward()
            opt.step()
        return {"epochs": config.epochs, "loss": loss.item()}

    def clone(self) -> "ToyAnchor":
        return copy.deepcopy(self)


@dataclass(frozen=True)
class World:
    smiles: dict[str, str]
    context: GraphContext
    pretrain: ExpressionData  # cells A and B
    new: ExpressionData  # the new cell line


def _expression(compounds, cell: str, y: np.ndarray, context: GraphContext) -> ExpressionData:
    n = len(compounds)
    return ExpressionData(tuple(compounds), (cell,) * n, np.full(n, np.nan), np.full(n, np.nan),
                          y.astype(np.float32), tuple(range(y.shape[1])),
                          tuple(f"{c}:{cell}" for c in compounds), context)


def make_world(n_genes: int = 12, seed: int = 0) -> World:
    """~48 distinct compounds; z = bits @ A (+ noise) in A and B; in NEW the first third of the genes
    are shifted up by 3 and the second third down by 3 (the pretrained model cannot know)."""
    rng = np.random.default_rng(seed)
    smiles: dict[str, str] = {}
    seen: set[bytes] = set()
    for ring in RINGS:
        for x in GROUPS:
            for y in GROUPS:
                s = ring.format(x=x, y=y)
                key = morgan_fingerprint(s, SPEC)[0].tobytes()
                if key not in seen:
                    seen.add(key)
                    smiles[f"BRD-{len(smiles):03d}"] = s
    compounds = list(smiles)[:48]
    smiles = {c: smiles[c] for c in compounds}
    context = context_of(smiles)
    bits = np.stack([morgan_fingerprint(smiles[c], SPEC)[0] for c in compounds])
    base = bits @ rng.normal(size=(SPEC.n_bits, n_genes))
    base = 1.6 * (base - base.mean(0)) / base.std(0)
    shift = np.zeros(n_genes)
    shift[: n_genes // 3], shift[n_genes // 3: 2 * n_genes // 3] = 3.0, -3.0
    y_pre = [base + 0.2 * rng.normal(size=base.shape) for _ in ("A", "B")]
    pretrain = _expression(compounds * 2, "A", np.concatenate(y_pre), context)
    pretrain = replace(pretrain, cell_ids=("A",) * len(compounds) + ("B",) * len(compounds),
                       sample_ids=tuple(f"{c}:{cell}" for cell in ("A", "B") for c in compounds))
    new = _expression(compounds, "NEW", base + shift + 0.2 * rng.normal(size=base.shape), context)
    return World(smiles, context, pretrain, new)


def pretrained(world: World, epochs: int = 150) -> ToyAnchor:
    model = ToyAnchor(len(world.new.gene_ids))
    model.fine_tune(world.pretrain, TrainConfig(epochs=epochs, lr=0.02, seed=0))
    return model
