"""The shared loop selects the epoch with the best validation compound macro-F1 (ties: lower
loss), or with ``select="loss"`` the lowest loss; the kept weights are that epoch's. No server."""

from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np
import pytest

from tests.train.data import synthetic
from toolkit.models import TrainConfig
from toolkit.train.loop import better, fit_classifier, predict_logits, softmax
from toolkit.train.metrics import compound_macro_f1


def _noisy():
    """Weak signal, noisy labels: validation loss and macro-F1 move apart over the epochs."""
    data = synthetic(n_compounds=60, n_genes=12, seed=3, per_cell=2)
    rng = np.random.default_rng(3)
    signal = data.y @ rng.normal(size=(data.y.shape[1], data.x.shape[1])).astype(np.float32)
    data = replace(data, x=(data.x + 0.1 * signal).astype(np.float32))
    rows = np.arange(len(data.sample_ids))
    compounds = np.array(data.compound_ids)
    valid = np.isin(compounds, sorted(set(data.compound_ids))[40:])
    return data.subset(rows[~valid]), data.subset(rows[valid])


def _fit(select: str, caplog):
    import torch

    torch.set_num_threads(1)
    train, valid = _noisy()
    module = torch.nn.Sequential(torch.nn.Linear(12, 64), torch.nn.ReLU(), torch.nn.Linear(64, 4))
    config = TrainConfig(epochs=25, batch_size=8, lr=2e-2, patience=25, seed=1, device="cpu",
                         params={"select": select})
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="toolkit.train.loop"):
        history = fit_classifier(module, train, config, valid)
    seen = [r.args for r in caplog.records if r.msg.startswith("epoch %d: validation loss")]
    rows = np.flatnonzero(valid.labelled)
    kept = compound_macro_f1(softmax(predict_logits(module, valid.x[rows]), 4), valid.y[rows],
                             [valid.compound_ids[i] for i in rows])
    return history, seen, kept


def test_macro_f1_selection_keeps_the_best_macro_f1_epoch(caplog):
    history, seen, kept = _fit("macro_f1", caplog)
    assert len(seen) == history["epochs_run"] == 25
    f1s = [f1 for _, _, f1 in seen]
    best = max(f1s)
    assert history["best_valid_macro_f1"] == pytest.approx(best)
    epoch, loss, f1 = seen[history["best_epoch"] - 1]
    assert f1 == pytest.approx(best) and history["best_valid_loss"] == pytest.approx(loss)
    # among the epochs tied at the best macro-F1, none has a clearly lower loss
    assert all(loss <= other + 1e-4 for _, other, f in seen if abs(f - best) <= 1e-9)
    assert kept == pytest.approx(best)  # the restored weights are the selected epoch's
    assert history["select"] == "macro_f1"


def test_loss_selection_is_the_old_behaviour(caplog):
    history, seen, kept = _fit("loss", caplog)
    losses = [loss for _, loss, _ in seen]
    assert history["best_valid_loss"] == pytest.approx(min(losses), abs=1e-4)
    assert history["select"] == "loss"
    by_f1, _, _ = _fit("macro_f1", caplog)
    # on this noisy data the two criteria keep different epochs, and macro-F1 selection never keeps a worse F1
    assert by_f1["best_epoch"] != history["best_epoch"]
    assert by_f1["best_valid_macro_f1"] >= history["best_valid_macro_f1"]


def test_better_prefers_macro_f1_then_loss():
    assert better((0.5, 2.0), (0.4, 1.0), "macro_f1")  # higher F1 wins though the loss is worse
    assert not better((0.5, 2.0), (0.4, 1.0), "loss")
    assert better((0.4, 0.9), (0.4, 1.0), "macro_f1")  # tie on F1: lower loss
    assert not better((0.4, 0.99995), (0.4, 1.0), "macro_f1")  # within the loss tolerance: not better
    assert better((0.0, 9.0), None, "macro_f1")
    with pytest.raises(ValueError, match="select"):
        fit_classifier(None, synthetic(), TrainConfig(params={"select": "auroc"}))
