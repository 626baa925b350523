"""Torch parts shared by the expression models.

* :func:`mlp` — Linear / ReLU / Dropout stacks;
* :class:`ConditionEncoder` — the drug-free and fingerprint part of a row: an ECFP MLP branch
  (optional), a learned cell-line embedding (row 0 = the unknown cell, see
  :func:`kgtool_plugins.models.expression.training.fit_module`'s cell dropout) and the dose/time
  encoding, concatenated;
* :class:`SmilesEncoder` — SMILES tokens -> one pooled drug vector with an LSTM, a GRU, a 3-stacked
  GRU (last hidden state), a 3-stacked GRU with attention pooling (the recurrent-model paper's best)
  or a small Transformer encoder (masked mean pooling);
* :class:`Autoencoder` — an MLP autoencoder of expression profiles (the paper's latent baseline);
* :func:`grow_embedding` — new rows for cell lines first met in fine-tuning, copied from row 0.
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from toolkit.expression.features import DOSE_TIME_FEATURES

ENCODERS = ("lstm", "gru", "gru3", "gru_attention", "transformer")


def mlp(sizes: Sequence[int], dropout: float, last_activation: bool = False) -> nn.Sequential:
    """Linear layers between consecutive ``sizes``, ReLU and dropout between them (and after the
    last one with ``last_activation``)."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2 or last_activation:
            layers += [nn.ReLU(), nn.Dropout(dropout)]
    return nn.Sequential(*layers)


class ConditionEncoder(nn.Module):
    """(fingerprint, cell index, dose/time) -> concatenated [ECFP branch, cell embedding, dose/time]."""

    def __init__(self, n_bits: int, n_cells: int, width: int, cell_dim: int, dropout: float, ecfp: bool = True
                 ) -> None:
        super().__init__()
        self.ecfp = mlp([n_bits, width, width], dropout, last_activation=True) if ecfp else None
        self.cell = nn.Embedding(n_cells + 1, cell_dim)  # row 0: the unknown cell line
        self.out_dim = (width if ecfp else 0) + cell_dim + DOSE_TIME_FEATURES

    def forward(self, fp: torch.Tensor, cell: torch.Tensor, dose_time: torch.Tensor) -> torch.Tensor:
        parts = [self.cell(cell), dose_time]
        if self.ecfp is not None:
            parts.insert(0, self.ecfp(fp))
        return torch.cat(parts, dim=1)


class SmilesEncoder(nn.Module):
    """(n, length) token indices (0 = padding) -> (n, out_dim) pooled drug vector."""

    def __init__(self, kind: str, vocab_size: int, max_len: int, emb_dim: int = 64, hidden: int = 128,
                 dropout: float = 0.1) -> None:
        super().__init__()
        if kind not in ENCODERS:
            raise ValueError(f"unknown SMILES encoder {kind!r}; use one of {', '.join(ENCODERS)}")
        self.kind = kind
        self.embed = nn.Embedding(vocab_size, emb_dim, padding_idx=0)
        if kind == "transformer":
            self.position = nn.Parameter(torch.zeros(max_len, emb_dim))
            layer = nn.TransformerEncoderLayer(emb_dim, nhead=4, dim_feedforward=2 * emb_dim, dropout=dropout,
                                               batch_first=True)
            self.encoder: nn.Module = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
            self.out_dim = emb_dim
            return
        layers = 3 if kind in ("gru3", "gru_attention") else 1
        rnn = nn.LSTM if kind == "lstm" else nn.GRU
        self.encoder = rnn(emb_dim, hidden, num_layers=layers, batch_first=True,
                           dropout=dropout if layers > 1 else 0.0)
        self.attention = nn.Sequential(nn.Linear(hidden, hidden), nn.Tanh(), nn.Linear(hidden, 1)) \
            if kind == "gru_attention" else None
        self.out_dim = hidden

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        mask = tokens > 0
        lengths = mask.sum(dim=1).clamp_min(1)
        x = self.embed(tokens)
        if self.kind == "transformer":
            x = x + self.position[: x.shape[1]]
            padding = ~mask & mask.any(dim=1, keepdim=True)  # a row without tokens attends to its padding
            h = self.encoder(x, src_key_padding_mask=padding)
            m = mask.unsqueeze(-1).float()
            return (h * m).sum(dim=1) / m.sum(dim=1).clamp_min(1.0)
        # Padded, not packed: packed sequences' backward on CPU fills a full-size zero gradient per
        # time step (quadratic in the length). A forward RNN's output at the last real token does not
        # depend on the padding after it, so it equals the packed final state.
        h, _ = self.encoder(x)
        if self.attention is None:
            return h[torch.arange(len(h), device=h.device), lengths - 1]
        logits = self.attention(h).squeeze(-1).masked_fill(~mask, float("-inf"))
        logits = torch.where(mask.any(dim=1, keepdim=True), logits, torch.zeros_like(logits))
        weights = torch.softmax(logits, dim=1)
        return (weights.unsqueeze(-1) * h).sum(dim=1)


class Autoencoder(nn.Module):
    """Expression profile -> latent -> profile (MLP encoder and decoder)."""

    def __init__(self, n_genes: int, hidden: int = 256, latent: int = 64, dropout: float = 0.1) -> None:
        super().__init__()
        self.encoder = mlp([n_genes, hidden, latent], dropout)
        self.decoder = mlp([latent, hidden, n_genes], dropout)

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(y))


def grow_embedding(embedding: nn.Embedding, n_rows: int) -> nn.Embedding:
    """``embedding`` with ``n_rows`` rows: the old ones kept, new ones copied from row 0 (unknown)."""
    old = embedding.weight.detach()
    if n_rows <= len(old):
        return embedding
    grown = nn.Embedding(n_rows, old.shape[1])
    with torch.no_grad():
        grown.weight[: len(old)] = old
        grown.weight[len(old):] = old[0]
    return grown


class SequenceNet(nn.Module):
    """SMILES encoder + condition encoder -> MLP -> n_outputs (z-scores, or an autoencoder latent
    that a frozen ``decoder`` maps back to z-scores)."""

    def __init__(self, kind: str, vocab_size: int, max_len: int, n_bits: int, n_cells: int, n_outputs: int,
                 width: int = 256, dropout: float = 0.3, ecfp: bool = True, decoder: nn.Module | None = None,
                 rnn_hidden: int = 128) -> None:
        super().__init__()
        self.smiles = SmilesEncoder(kind, vocab_size, max_len, hidden=rnn_hidden, dropout=min(dropout, 0.1))
        self.condition = ConditionEncoder(n_bits, n_cells, width, 32, dropout, ecfp)
        self.head = mlp([self.smiles.out_dim + self.condition.out_dim, width, n_outputs], dropout)
        self.decoder = decoder
        if decoder is not None:
            decoder.requires_grad_(False)

    def forward(self, fp: torch.Tensor, cell: torch.Tensor, dose_time: torch.Tensor, tokens: torch.Tensor
                ) -> torch.Tensor:
        out = self.head(torch.cat([self.smiles(tokens), self.condition(fp, cell, dose_time)], dim=1))
        return out if self.decoder is None else self.decoder(out)


class GeneQueries(nn.Module):
    """(genes, dim) gene vectors: a learned embedding plus a projection of the GO fingerprint (a
    buffer, so checkpoints need no context; no projection when there are no GO terms)."""

    def __init__(self, gene_go: torch.Tensor, dim: int) -> None:
        super().__init__()
        self.register_buffer("gene_go", gene_go.float())
        self.embedding = nn.Parameter(torch.randn(gene_go.shape[0], dim) * 0.1)
        self.go = nn.Linear(gene_go.shape[1], dim, bias=False) if gene_go.shape[1] else None

    def forward(self) -> torch.Tensor:
        out = self.embedding
        if self.go is not None:
            out = out + self.go(self.gene_go / self.gene_go.sum(dim=1, keepdim=True).clamp_min(1.0).sqrt())
        return out


class DeepCENet(nn.Module):
    """Gene-wise multi-head attention over the compound's on-bits (its substructure tokens).

    The tokens are the bits with a non-zero value; each token's key and value come from its bit's
    embedding scaled by the bit value, and log(value + eps) is added to its attention logits, so the
    output is differentiable in a real-valued fingerprint and an all-zero fingerprint (IG's baseline)
    gives every gene a zero drug vector."""

    def __init__(self, n_bits: int, n_cells: int, gene_go: torch.Tensor, dim: int = 64, heads: int = 4,
                 hidden: int = 64, dropout: float = 0.2) -> None:
        super().__init__()
        self.heads, self.dim = heads, dim
        self.bits = nn.Embedding(n_bits, dim)
        self.genes = GeneQueries(gene_go, dim)
        self.query = nn.Linear(dim, dim)
        self.key = nn.Linear(dim, dim, bias=False)
        self.value = nn.Linear(dim, dim, bias=False)
        self.cell = nn.Embedding(n_cells + 1, dim)
        self.dose_time = nn.Linear(DOSE_TIME_FEATURES, dim)
        self.from_drug, self.from_gene = nn.Linear(dim, hidden), nn.Linear(dim, hidden, bias=False)
        self.from_context = nn.Linear(dim, hidden, bias=False)
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(hidden, 1)
        self.gene_bias = nn.Parameter(torch.zeros(gene_go.shape[0]))

    def forward(self, fp: torch.Tensor, cell: torch.Tensor, dose_time: torch.Tensor) -> torch.Tensor:
        n, (g, d), h = len(fp), (self.gene_bias.shape[0], self.dim), self.heads
        k = max(1, int((fp != 0).sum(dim=1).max())) if len(fp) else 1
        index = torch.topk(fp.detach().abs(), k, dim=1).indices  # (n, k) the on-bits (padded)
        weight = fp.gather(1, index).clamp_min(0.0)  # differentiable in fp
        tokens = self.bits(index) * weight.unsqueeze(-1)
        genes = self.genes()  # (g, d)
        q = self.query(genes).view(g, h, d // h)
        keys = self.key(tokens).view(n, k, h, d // h)
        values = self.value(tokens).view(n, k, h, d // h)
        logits = torch.einsum("ghe,nkhe->nhgk", q, keys) / (d // h) ** 0.5
        attention = torch.softmax(logits + torch.log(weight + 1e-6)[:, None, None, :], dim=-1)
        drug = torch.einsum("nhgk,nkhe->nghe", attention, values).reshape(n, g, d)
        context = self.from_context(self.cell(cell) + self.dose_time(dose_time))  # (n, hidden)
        hidden = torch.relu(self.from_drug(drug) + self.from_gene(genes)[None] + context[:, None, :])
        return self.out(self.drop(hidden)).squeeze(-1) + self.gene_bias


class AnchorNet(nn.Module):
    """AnchorDrug-style 3-class net: a drug x cell encoder h (n, d) from [ECFP, cell embedding,
    dose/time], a gene encoder g (genes, d) from [GO fingerprint, gene embedding], and a head on
    [h_i, g_j, h_i * g_j] (first layer split by parts, so no (n, genes, 3d) tensor) -> 3 logits."""

    def __init__(self, n_bits: int, n_cells: int, gene_go: torch.Tensor, dim: int = 128, hidden: int = 64,
                 dropout: float = 0.3) -> None:
        super().__init__()
        self.cell = nn.Embedding(n_cells + 1, 32)
        self.drug_cell = mlp([n_bits + 32 + DOSE_TIME_FEATURES, 256, dim], dropout, last_activation=True)
        self.genes = GeneQueries(gene_go, 64)
        self.gene_encoder = mlp([64, 128, dim], dropout, last_activation=True)
        self.from_h, self.from_g = nn.Linear(dim, hidden), nn.Linear(dim, hidden, bias=False)
        self.from_product = nn.Linear(dim, hidden, bias=False)
        self.drop = nn.Dropout(dropout)
        self.last = nn.Linear(hidden, 3)

    def embed(self, fp: torch.Tensor, cell: torch.Tensor, dose_time: torch.Tensor) -> torch.Tensor:
        return self.drug_cell(torch.cat([fp, self.cell(cell), dose_time], dim=1))

    def penultimate(self, h: torch.Tensor) -> torch.Tensor:
        """(n, genes, hidden): the input of the last layer for drug x cell vectors ``h``."""
        g = self.gene_encoder(self.genes())
        z = self.from_h(h)[:, None, :] + self.from_g(g)[None] + self.from_product(h[:, None, :] * g[None])
        return self.drop(torch.relu(z))

    def forward(self, fp: torch.Tensor, cell: torch.Tensor, dose_time: torch.Tensor) -> torch.Tensor:
        return self.last(self.penultimate(self.embed(fp, cell, dose_time)))
