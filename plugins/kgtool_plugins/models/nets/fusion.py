"""Three modality encoders fused by attention: signature, STRING network and molecular structure."""

from __future__ import annotations

from typing import Optional

import torch
import torch.nn as nn

from .gene_graph import GeneGraphNet


def encoder(n_in: int, hidden: int, dim: int, dropout: float, input_dropout: float = 0.0) -> nn.Module:
    return nn.Sequential(nn.Dropout(input_dropout), nn.Linear(n_in, hidden), nn.ReLU(), nn.Dropout(dropout),
                         nn.Linear(hidden, dim), nn.LayerNorm(dim))


class GraphEncoder(nn.Module):
    """(n, n_genes) signatures -> (n, dim) embeddings by learned message passing over the STRING
    gene graph: a :class:`GeneGraphNet` (per-gene input embedding, GCN layers with the STRING
    scores as edge weights, mean+max pooling) whose head outputs ``dim`` features, then LayerNorm."""

    def __init__(self, net: GeneGraphNet, dim: int) -> None:
        super().__init__()
        self.net = net
        self.norm = nn.LayerNorm(dim)

    def forward(self, genes: torch.Tensor) -> torch.Tensor:
        return self.norm(self.net.forward_static(genes))


class MultimodalNet(nn.Module):
    """``forward(genes, fingerprint=None)`` -> logits.

    * signature: MLP on the (n, n_genes) z-scores;
    * network: a GCN over the STRING gene graph (:class:`GraphEncoder`; each signature is one
      graph, one node per gene), so each gene's features are learned from its interactors';
    * structure: MLP on a Morgan fingerprint (n, n_bits) 0/1, with input dropout on the bits
      (``bit_dropout``: few compounds, many bits). An all-zero (or absent) fingerprint means "no
      structure": that modality is then masked out of the attention.

    Attention: each modality embedding gets a score ``v . tanh(W e + b)``; softmax over the
    available modalities weights their sum, which a linear layer classifies. In training, the
    structure is dropped for a ``structure_dropout`` share of the rows so that the signature
    branches learn on their own (predictions without a structure stay good).
    """

    def __init__(self, n_genes: int, n_classes: int, n_bits: int, edge_index: torch.Tensor, edge_weight: torch.Tensor,
                 dim: int = 64, hidden: int = 256, dropout: float = 0.2, structure_dropout: float = 0.5,
                 bit_dropout: float = 0.3, graph_hidden: int = 16, graph_layers: int = 2,
                 input_scale: float = 1.0) -> None:
        super().__init__()
        self.n_bits = n_bits
        self.structure_dropout = structure_dropout
        self.signature = encoder(n_genes, hidden, dim, dropout)
        graph = GeneGraphNet(edge_index, edge_weight, n_genes, dim, conv="gcn", hidden=graph_hidden,
                             layers=graph_layers, emb=graph_hidden, dropout=dropout, input_scale=input_scale)
        self.network = GraphEncoder(graph, dim)
        self.structure = encoder(n_bits, hidden, dim, dropout, bit_dropout)
        self.score = nn.Sequential(nn.Linear(dim, dim), nn.Tanh(), nn.Linear(dim, 1, bias=False))
        self.classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(dim, n_classes))

    def attention(self, genes: torch.Tensor, fingerprint: Optional[torch.Tensor] = None
                  ) -> tuple[torch.Tensor, torch.Tensor]:
        """Modality embeddings (n, 3, dim) and attention weights (n, 3): signature, network, structure."""
        if fingerprint is None:
            fingerprint = genes.new_zeros((genes.shape[0], self.n_bits))
        present = fingerprint.detach().abs().sum(dim=1) > 0
        if self.training and self.structure_dropout > 0:
            present = present & (torch.rand(present.shape, device=genes.device) >= self.structure_dropout)
        emb = torch.stack([self.signature(genes), self.network(genes), self.structure(fingerprint)], dim=1)
        scores = self.score(emb).squeeze(-1)
        mask = torch.stack([torch.ones_like(present), torch.ones_like(present), present], dim=1)
        scores = scores.masked_fill(~mask, torch.finfo(scores.dtype).min)
        return emb, torch.softmax(scores, dim=1)

    def forward(self, genes: torch.Tensor, fingerprint: Optional[torch.Tensor] = None) -> torch.Tensor:
        emb, weights = self.attention(genes, fingerprint)
        return self.classifier((weights.unsqueeze(-1) * emb).sum(dim=1))
