"""The expression-task models (``kgtool_plugins.models.expression``) on synthetic data built from real
(RDKit-checked demo) SMILES: each compound carries one or two of four planted fragments, each
fragment adds its own profile (scaled per cell line) and each cell line adds its own offset, so a
structure model must beat the drug-free baselines on held-out compounds."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from toolkit import plugins
from toolkit.demo.molecules import make_molecule_sets
from toolkit.expression.features import (SmilesVocab, dose_time_features, ecfp_matrix, max_tanimoto, tanimoto,
                                         tokenize)
from toolkit.expression.metrics import expression_metrics
from toolkit.models import GraphContext, TrainConfig
from toolkit.tasks import Conditions, ExpressionData, Task, task_of

N_GENES, N_CELLS, N_FRAGMENTS = 30, 3, 4
FAST = TrainConfig(epochs=25, batch_size=16, lr=3e-3, patience=25, seed=0, device="cpu")
SMALL = {"width": 64, "n_bits": 1024, "max_len": 64, "dim": 32, "heads": 4, "rnn_hidden": 32}
REGRESSION = ("gene_mean", "cell_mean", "tanimoto_knn", "ridge_ecfp", "seq_lstm", "seq_gru", "seq_gru3",
              "seq_gru_attention", "seq_transformer", "seq_autoencoder", "deepce")
THREE_CLASS = ("gene_majority", "anchordrug")
STRUCTURE = ("tanimoto_knn", "ridge_ecfp", "seq_lstm", "seq_gru", "seq_gru3", "seq_gru_attention",
             "seq_transformer", "seq_autoencoder", "deepce", "anchordrug")
FINGERPRINT = tuple(n for n in STRUCTURE if n != "tanimoto_knn")
MODELS = plugins.registry().items["models"]


def synthetic(n_compounds: int = 36, go_terms: int = 6, seed: int = 0) -> ExpressionData:
    """Rows = (compound, cell line); z = sum of the compound's fragment profiles x cell scale +
    cell offset + noise."""
    rng = np.random.default_rng(seed)
    sets = [tuple(sorted(int(k) for k in rng.choice(N_FRAGMENTS, size=int(rng.integers(1, 3)), replace=False)))
            for _ in range(n_compounds)]
    molecules = make_molecule_sets(sets, N_FRAGMENTS, rng)
    fragment = rng.normal(0, 2.0, (N_FRAGMENTS, N_GENES))
    offset = rng.normal(0, 1.0, (N_CELLS, N_GENES))
    scale = np.linspace(0.6, 1.4, N_CELLS)
    ids = [f"BRD-{i:03d}" for i in range(n_compounds) for _ in range(N_CELLS)]
    cells = [f"CELL{c}" for _ in range(n_compounds) for c in range(N_CELLS)]
    y = np.stack([fragment[list(s)].sum(axis=0) * scale[c] + offset[c] + rng.normal(0, 0.5, N_GENES)
                  for s in sets for c in range(N_CELLS)]).astype(np.float32)
    context = GraphContext(
        gene_edges=np.zeros((2, 0), np.int64), edge_weight=np.zeros(0, np.float32),
        go_ids=tuple(f"GO:{k}" for k in range(go_terms)), go_names=tuple(f"t{k}" for k in range(go_terms)),
        gene_go=(rng.random((N_GENES, go_terms)) < 0.3).astype(np.float32), go_edges=np.zeros((2, 0), np.int64),
        compound_smiles={f"BRD-{i:03d}": m.smiles for i, m in enumerate(molecules)})
    n = len(ids)
    return ExpressionData(tuple(ids), tuple(cells), np.full(n, np.nan), np.full(n, np.nan), y,
                          tuple(range(N_GENES)), tuple(f"s{i}" for i in range(n)), context)


def by_compound(data: ExpressionData, compounds: set[str]) -> ExpressionData:
    return data.subset([i for i, c in enumerate(data.compound_ids) if c in compounds])


@pytest.fixture(scope="module")
def data() -> dict[str, ExpressionData]:
    full = synthetic()
    compounds = sorted(set(full.compound_ids))  # cold compound: test compounds are never trained on
    return {"full": full, "train": by_compound(full, set(compounds[:24])),
            "valid": by_compound(full, set(compounds[24:28])), "test": by_compound(full, set(compounds[28:]))}


@pytest.fixture(scope="module")
def fitted(data: dict[str, ExpressionData]) -> Any:
    class Lazy(dict):  # each model fitted once, on first use
        def __missing__(self, name: str) -> Any:
            model = MODELS[name](N_GENES, SMALL)
            model.fit(data["train"], FAST, data["valid"])
            self[name] = model
            return model

    return Lazy()


def pearson(model: Any, part: ExpressionData) -> float:
    return expression_metrics(model.predict_expression(part.conditions, context=part.context), part.y)["pearson"]


# --- features ---------------------------------------------------------------------------------------
def test_features() -> None:
    smiles = {"a": "CC(=O)Oc1ccccc1C(=O)O", "b": "not a smiles", "c": "c1ccc(Cl)cc1[N+](=O)[O-]"}
    bits = ecfp_matrix(["a", "b", "c", "missing"], smiles)
    assert bits.shape == (4, 2048) and bits.dtype == np.float32
    assert bits[0].sum() > 0 and bits[2].sum() > 0 and not bits[1].any() and not bits[3].any()
    sim = tanimoto(bits, bits)
    assert sim[0, 0] == pytest.approx(1.0) and 0 < sim[0, 2] < 1 and sim[1, 1] == 0
    assert max_tanimoto(bits[:1], bits[2:]) == pytest.approx(sim[0, 2])
    assert list(max_tanimoto(bits, bits[:0])) == [0, 0, 0, 0]
    tokens = tokenize(smiles["c"])
    assert "".join(tokens) == smiles["c"] and "Cl" in tokens and "[N+]" in tokens
    vocab = SmilesVocab.fit([smiles["a"]], max_len=10)
    encoded = vocab.encode([smiles["a"], "Br", None])
    assert encoded.shape == (3, 10) and vocab.tokens[:2] == ("<pad>", "<unk>")
    assert encoded[1, 0] == 1 and encoded[1, 1:].sum() == 0 and encoded[2].sum() == 0  # unknown, padding
    dt = dose_time_features(np.array([10.0, np.nan]), np.array([24.0, np.nan]))
    assert dt.tolist() == [[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 1.0]]


# --- registry and learning ---------------------------------------------------------------------------
def test_all_registered_with_their_task() -> None:
    for name in REGRESSION + THREE_CLASS:
        assert task_of(MODELS[name]) is Task.EXPRESSION, name
        assert MODELS[name].three_class == (name in THREE_CLASS), name


def test_drug_free_baselines(fitted: Any, data: dict[str, ExpressionData]) -> None:
    """The planted cell offsets make cell_mean better than gene_mean."""
    assert pearson(fitted["cell_mean"], data["test"]) > pearson(fitted["gene_mean"], data["test"]) + 0.05


@pytest.mark.parametrize("name", [n for n in STRUCTURE if n != "anchordrug"])
def test_structure_models_learn_held_out_compounds(name: str, fitted: Any, data: dict[str, ExpressionData]) -> None:
    score = pearson(fitted[name], data["test"])
    assert score > pearson(fitted["cell_mean"], data["test"]) + 0.1, score


def test_ridge_records_its_alpha(data: dict[str, ExpressionData]) -> None:
    history = MODELS["ridge_ecfp"](N_GENES, {}).fit(data["train"], FAST, data["valid"])
    assert history["alpha"] in {float(a) for a in history["alpha_scores"]}
    assert history["best_valid_score"] == max(history["alpha_scores"].values())


def test_anchordrug_beats_gene_majority(fitted: Any, data: dict[str, ExpressionData]) -> None:
    test = data["test"]
    f1 = {name: expression_metrics(fitted[name].predict_expression(test.conditions, context=test.context), test.y,
                                   fitted[name].predict_classes(test.conditions, context=test.context)
                                   )["macro_f1_3class"] for name in THREE_CLASS}
    assert f1["anchordrug"] > f1["gene_majority"] + 0.05, f1


# --- contract --------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", REGRESSION + THREE_CLASS)
def test_save_load_round_trip(name: str, fitted: Any, data: dict[str, ExpressionData], tmp_path: Path) -> None:
    """Identical predictions after save/load (weights_only); training compounds need no context."""
    model, train, test = fitted[name], data["train"], data["test"]
    model.save(tmp_path / "model.pt")
    loaded = MODELS[name].load(tmp_path / "model.pt")
    assert np.array_equal(loaded.predict_expression(test.conditions, context=test.context),
                          model.predict_expression(test.conditions, context=test.context))
    assert np.array_equal(loaded.predict_expression(train.conditions),
                          model.predict_expression(train.conditions, context=train.context))


@pytest.mark.parametrize("name", REGRESSION + THREE_CLASS)
def test_unseen_cell_and_compound_without_structure(name: str, fitted: Any, data: dict[str, ExpressionData]) -> None:
    test = data["test"]
    conditions = replace(test.conditions, cell_ids=["NEW-CELL"] * len(test.sample_ids))
    out = fitted[name].predict_expression(conditions, context=test.context)
    assert out.shape == (len(test.sample_ids), N_GENES) and out.dtype == np.float32 and np.isfinite(out).all()
    if name == "cell_mean":
        assert np.allclose(out, fitted["gene_mean"].predict_expression(conditions))
    unknown = Conditions(["NO-SMILES"], ["CELL0"], np.array([np.nan]), np.array([np.nan]))
    assert np.isfinite(fitted[name].predict_expression(unknown, context=test.context)).all()


@pytest.mark.parametrize("name", FINGERPRINT)
def test_fingerprint_forward(name: str, fitted: Any, data: dict[str, ExpressionData]) -> None:
    """fn(rows' fingerprints) is the prediction; k stacked copies give k copies; gradients reach the bits."""
    model, test = fitted[name], data["test"]
    conditions = test.conditions.subset(np.arange(4))
    spec, fn = model.fingerprint_forward(conditions, context=test.context)
    fp = torch.as_tensor(ecfp_matrix(list(conditions.compound_ids), test.context.compound_smiles, spec))
    out = fn(fp)
    assert np.allclose(out.detach().numpy(), model.predict_expression(conditions, context=test.context), atol=1e-5)
    assert torch.allclose(fn(torch.cat([fp, fp]))[4:], out, atol=1e-5)
    scaled = (0.5 * fp).requires_grad_(True)
    fn(scaled).sum().backward()
    assert scaled.grad is not None and scaled.grad[fp > 0].abs().sum() > 0


# --- seeds -----------------------------------------------------------------------------------------
def test_determinism_under_a_seed(data: dict[str, ExpressionData]) -> None:
    short = replace(FAST, epochs=3)

    def run(seed: int) -> np.ndarray:
        model = MODELS["seq_gru_attention"](N_GENES, SMALL)
        model.fit(data["train"], replace(short, seed=seed), data["valid"])
        return model.predict_expression(data["test"].conditions, context=data["test"].context)

    first = run(0)
    assert np.array_equal(first, run(0)) and not np.array_equal(first, run(1))


# --- the 3-class model and what active learning uses ---------------------------------------------------
def test_anchordrug_for_active_learning(fitted: Any, data: dict[str, ExpressionData]) -> None:
    model, test = fitted["anchordrug"], data["test"]
    conditions, context, n = test.conditions, test.context, len(test.sample_ids)
    p = model.predict_classes(conditions, context=context)
    assert p.shape == (n, N_GENES, 3) and np.allclose(p.sum(axis=-1), 1, atol=1e-5)
    assert np.allclose(model.predict_expression(conditions, context=context), p[..., 2] - p[..., 0], atol=1e-6)
    gm = fitted["gene_majority"].predict_classes(conditions)
    assert np.allclose(gm.sum(axis=-1), 1, atol=1e-6)
    mc = model.mc_predict_classes(conditions, context=context, samples=4, seed=3)
    assert mc.shape == (4, n, N_GENES, 3) and np.allclose(mc.sum(axis=-1), 1, atol=1e-5)
    assert not np.allclose(mc[0], mc[1]) and np.array_equal(mc, model.mc_predict_classes(
        conditions, context=context, samples=4, seed=3))
    assert np.array_equal(p, model.predict_classes(conditions, context=context))  # dropout off again
    assert model.embed(conditions, context=context).shape == (n, model.dim)
    grad = model.gradient_embedding(conditions, context=context)
    assert grad.shape[0] == n and grad.shape[1] <= 1000 and grad.dtype == np.float32 and np.abs(grad).sum() > 0
    spec, logits = model.logits_forward(conditions, context=context)
    fp = torch.as_tensor(ecfp_matrix(list(conditions.compound_ids), context.compound_smiles, spec))
    assert np.allclose(torch.softmax(logits(fp), -1).detach().numpy(), p, atol=1e-5)


def test_anchordrug_fine_tune_and_clone(fitted: Any, data: dict[str, ExpressionData]) -> None:
    """Fine-tuning a clone on a new cell line's few compounds changes the clone only."""
    original, test = fitted["anchordrug"], data["test"]
    before = original.predict_classes(test.conditions, context=test.context)
    clone = original.clone()
    few = test.subset(np.arange(0, 12, N_CELLS))  # four compounds in CELL0 ...
    few = replace(few, cell_ids=tuple("NEW-CELL" for _ in few.cell_ids))  # ... measured in a new cell line
    history = clone.fine_tune(few, replace(FAST, epochs=5))
    assert history["epochs_run"] == 5 and clone.cells[-1] == "NEW-CELL" and "NEW-CELL" not in original.cells
    assert np.array_equal(original.predict_classes(test.conditions, context=test.context), before)
    new = replace(few.conditions)
    assert not np.allclose(clone.predict_classes(new, context=test.context),
                           original.predict_classes(new, context=test.context))


@pytest.mark.parametrize("name", ["deepce", "anchordrug"])
def test_gene_models_without_go(name: str, data: dict[str, ExpressionData]) -> None:
    """No GO loaded (zero terms): the gene queries are the learned embeddings alone."""
    plain = synthetic(n_compounds=12, go_terms=0, seed=1)
    model = MODELS[name](N_GENES, SMALL)
    model.fit(plain, replace(FAST, epochs=2), None)
    assert np.isfinite(model.predict_expression(plain.conditions)).all()
