"""The sequence family of the recurrent-model paper: SMILES tokens -> encoder -> pooled drug vector,
concatenated with an ECFP MLP branch (param ``ecfp``, default true), a learned cell-line embedding
and the dose/time encoding -> MLP -> the landmark z-scores.

One configurable model (:class:`SequenceModel`, net :class:`~kgtool_plugins.models.expression.nets.SequenceNet`)
registered under one name per encoder: ``seq_lstm``, ``seq_gru``, ``seq_gru3`` (3-stacked GRU),
``seq_gru_attention`` (3-stacked GRU + attention pooling, the paper's best), ``seq_transformer``; and
``seq_autoencoder``, the paper's autoencoder baseline: an autoencoder is first fitted on the training
profiles, then the drug/cell net predicts its latent and the frozen decoder maps it back (trained
end to end on the z-scores through the decoder).

The tokenizer's vocabulary is fitted on the training SMILES and kept in the state with them.
``fingerprint_forward`` varies only the ECFP branch: the SMILES tokens of the rows are held fixed,
so Integrated Gradients on it attributes the ECFP branch's share of the prediction (with
``ecfp=false`` the attributions are all zero).

Params: ``width`` (256), ``dropout`` (0.3), ``ecfp`` (true), ``max_len`` (120 tokens), ``rnn_hidden``
(recurrent state size: 128, 64 for the 3-stacked encoders as in the paper), ``latent``
(64, autoencoder), ``cell_dropout`` (0.1), ``radius``/``n_bits`` (2 / 2048).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping, Optional

import numpy as np

from toolkit.expression.features import SmilesVocab
from toolkit.models import GraphContext, TrainConfig
from toolkit.tasks import Conditions, ExpressionData

from .base import TorchExpressionModel
from .training import fit_module, regression_score


class SequenceModel(TorchExpressionModel):
    """See the module doc; subclasses set ``encoder`` (and ``autoencoder``)."""

    encoder = "gru_attention"
    autoencoder = False
    default_rnn_hidden = 128
    uses_tokens = True

    def __init__(self, n_genes: int, params: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(n_genes, params)
        self.width = int(self.params.get("width", 256))
        self.dropout = float(self.params.get("dropout", 0.3))
        self.ecfp = bool(self.params.get("ecfp", True))
        self.latent = int(self.params.get("latent", 64))
        self.rnn_hidden = int(self.params.get("rnn_hidden", self.default_rnn_hidden))
        self.params.update(width=self.width, dropout=self.dropout, ecfp=self.ecfp, rnn_hidden=self.rnn_hidden)
        self.vocab: Optional[SmilesVocab] = None

    def inputs(self, conditions: Conditions, context: Optional[GraphContext]) -> list[np.ndarray]:
        if self.vocab is None:
            raise RuntimeError(f"model {self.name!r} is not trained: call fit() or load a checkpoint first")
        return [*super().inputs(conditions, context), self.vocab.encode(self.smiles_of(conditions.compound_ids,
                                                                                        context))]

    def _net(self, decoder: Any = None) -> Any:
        from .nets import SequenceNet

        assert self.vocab is not None
        outputs = self.latent if self.autoencoder else self.n_genes
        return SequenceNet(self.encoder, len(self.vocab), self.vocab.max_len, self.spec.n_bits, len(self.cells),
                           outputs, self.width, self.dropout, self.ecfp, decoder, self.rnn_hidden)

    def _autoencoder(self) -> Any:
        from .nets import Autoencoder

        return Autoencoder(self.n_genes, latent=self.latent)

    def build(self, train: ExpressionData, config: TrainConfig) -> Any:
        self.vocab = SmilesVocab.fit(sorted(self.smiles.values()), int(self.params.get("max_len", 120)))
        if not self.autoencoder:
            return self._net()
        self.ae_history = self._fit_autoencoder(train, config)
        return self._net(self.ae.decoder)

    def _fit_autoencoder(self, train: ExpressionData, config: TrainConfig) -> dict[str, Any]:
        """Fit the profile autoencoder on the training z-scores (validation: reconstruction of the
        validation profiles, set by :meth:`fit`)."""
        import torch.nn.functional as F

        self.ae = self._autoencoder()
        held = getattr(self, "_valid_y", None)
        return fit_module(self.ae, [train.y], train.y, replace(config, patience=max(config.patience, 5)),
                          loss_fn=F.mse_loss, score=regression_score,
                          valid=([held], held) if held is not None else None)

    def fit(self, train: ExpressionData, config: TrainConfig, valid: Optional[ExpressionData] = None
            ) -> dict[str, Any]:
        self._valid_y = valid.y if valid is not None and len(valid.sample_ids) else None
        history = super().fit(train, config, valid)
        if self.autoencoder:
            history["autoencoder"] = {k: v for k, v in self.ae_history.items() if k != "device"}
        return history

    def rebuild(self, state: Mapping[str, Any]) -> Any:
        self.vocab = SmilesVocab(tuple(state["vocab"]), int(state["max_len"]))
        return self._net(self._autoencoder().decoder if self.autoencoder else None)

    def state_dict(self) -> dict[str, Any]:
        assert self.vocab is not None
        return {**super().state_dict(), "vocab": list(self.vocab.tokens), "max_len": self.vocab.max_len}


class SeqLSTM(SequenceModel):
    name, encoder = "seq_lstm", "lstm"
    description = "SMILES LSTM + ECFP MLP + cell embedding -> landmark z-scores"


class SeqGRU(SequenceModel):
    name, encoder = "seq_gru", "gru"
    description = "SMILES GRU + ECFP MLP + cell embedding -> landmark z-scores"


class SeqGRU3(SequenceModel):
    name, encoder, default_rnn_hidden = "seq_gru3", "gru3", 64  # 3 layers: the paper's stacked sizes, half the time
    description = "SMILES 3-stacked GRU + ECFP MLP + cell embedding -> landmark z-scores"


class SeqGRUAttention(SequenceModel):
    name, encoder, default_rnn_hidden = "seq_gru_attention", "gru_attention", 64
    description = "SMILES 3-stacked GRU with attention pooling + ECFP MLP + cell embedding -> z-scores"


class SeqTransformer(SequenceModel):
    name, encoder = "seq_transformer", "transformer"
    description = "SMILES Transformer encoder + ECFP MLP + cell embedding -> landmark z-scores"


class SeqAutoencoder(SequenceModel):
    name, encoder, autoencoder = "seq_autoencoder", "gru", True
    description = "autoencoder-latent baseline: a SMILES GRU/ECFP/cell net predicts a profile autoencoder's latent"


SEQUENCE_MODELS = (SeqLSTM, SeqGRU, SeqGRU3, SeqGRUAttention, SeqTransformer, SeqAutoencoder)
