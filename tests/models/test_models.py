"""Model-specific behaviour of the built-in models, the shared training loop and the demo loader."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from toolkit.models import TaskData, TrainConfig

from .conftest import QUICK, SMALL

if TYPE_CHECKING:
    import torch

    from kgtool_plugins.models.multimodal import MultimodalModel


# -- demo loader (tests/models/demo_task.py) ---------------------------------------------------------
def test_demo_task_mirrors_the_export(demo_task: TaskData) -> None:
    assert list(demo_task.gene_ids) == sorted(demo_task.gene_ids) and len(demo_task.gene_ids) == SMALL.n_genes
    assert demo_task.x.shape == (SMALL.n_signatures, SMALL.n_genes)
    assert len(demo_task.classes) == SMALL.n_moas
    assert (~demo_task.labelled).any()  # unlabelled compounds keep all-zero rows
    ctx = demo_task.context
    assert ctx is not None
    src, dst = ctx.gene_edges
    assert set(zip(src.tolist(), dst.tolist())) == set(zip(dst.tolist(), src.tolist()))  # both directions
    assert ctx.edge_weight.shape == (ctx.gene_edges.shape[1],)
    assert 0 < ctx.edge_weight.min() <= ctx.edge_weight.max() <= 1
    assert ctx.gene_go.shape == (SMALL.n_genes, len(ctx.go_ids)) == (SMALL.n_genes, len(ctx.go_names))
    for child, parent in ctx.go_edges.T:  # propagated: a parent holds its children's genes
        assert np.all(ctx.gene_go[:, parent] >= ctx.gene_go[:, child])
    assert set(demo_task.compound_ids) <= set(ctx.compound_smiles)
    assert set(ctx.compound_scaffold) <= set(ctx.compound_smiles)


# -- shared loop ----------------------------------------------------------------------------------
def test_balanced_class_weights() -> None:
    from toolkit.train.loop import class_weights

    y = np.array([[1, 0, 0], [1, 0, 0], [1, 0, 0], [0, 1, 0]], dtype=np.float32)
    np.testing.assert_allclose(class_weights(y), [4 / 9, 4 / 3, 0.0], rtol=1e-6)


def test_generalized_cross_entropy_limits() -> None:
    import torch

    from toolkit.train.loop import make_loss

    logits = torch.tensor([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
    target = torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.5, 0.5]])
    y = target.numpy()
    mae_like = make_loss({"loss": "gce", "gce_q": 1.0}, y, "cpu")(logits, target)
    p = torch.softmax(logits, dim=1)
    assert torch.isclose(mae_like, ((target * (1 - p)).sum(dim=1)).mean())
    ce_like = make_loss({"loss": "gce", "gce_q": 1e-4}, y, "cpu")(logits, target)
    ce = make_loss({}, y, "cpu")(logits, target)
    assert torch.isclose(ce_like, ce, atol=1e-3)
    with pytest.raises(ValueError, match="loss"):
        make_loss({"loss": "hinge"}, y, "cpu")
    with pytest.raises(ValueError, match="class_weight"):
        make_loss({"class_weight": "inverse"}, y, "cpu")


def test_loop_options_and_history(train_part: TaskData, valid_part: TaskData) -> None:
    import torch

    from toolkit.train.loop import fit_classifier, predict_logits

    config = replace(QUICK, params={"class_weight": "balanced", "loss": "gce", "amp": True, "progress": True})
    torch.manual_seed(0)
    module = torch.nn.Linear(train_part.x.shape[1], len(train_part.classes))
    history = fit_classifier(module, train_part, config, valid_part)
    assert history["epochs_run"] >= 1 and history["device"] == "cpu"  # amp is a no-op on CPU
    assert history["best_valid_loss"] is not None and history["epoch_s"] > 0
    assert predict_logits(module, valid_part.x).shape == (len(valid_part.x), len(train_part.classes))


def test_loop_passes_extra_inputs(train_part: TaskData) -> None:
    import torch

    from toolkit.train.loop import fit_classifier, predict_logits

    class TwoInputs(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = torch.nn.Linear(train_part.x.shape[1] + 1, len(train_part.classes))

        def forward(self, x: torch.Tensor, extra: torch.Tensor) -> torch.Tensor:
            return self.lin(torch.cat([x, extra], dim=1))

    module = TwoInputs()
    extra = lambda data: (data.x, np.ones((len(data.x), 1), dtype=np.float32))  # noqa: E731
    fit_classifier(module, train_part, QUICK, inputs=extra)
    out = predict_logits(module, train_part.x[:4], extra=(np.ones((4, 1), dtype=np.float32),))
    assert out.shape == (4, len(train_part.classes))


# -- baselines ------------------------------------------------------------------------------------
def test_majority_predicts_the_label_prior(train_part: TaskData) -> None:
    from kgtool_plugins.models.baselines import MajorityModel

    model = MajorityModel(train_part.x.shape[1], len(train_part.classes))
    model.fit(train_part, QUICK)
    y = train_part.y[train_part.labelled]
    expected = (y / y.sum(axis=1, keepdims=True)).mean(axis=0)
    np.testing.assert_allclose(model.predict_proba(train_part.x[:3]), np.tile(expected, (3, 1)))


def test_cmap_knn_votes_by_similarity(train_part: TaskData) -> None:
    from kgtool_plugins.models.baselines import CmapKNNModel

    model = CmapKNNModel(train_part.x.shape[1], len(train_part.classes), {"k": 1})
    model.fit(train_part, QUICK)
    rows = np.flatnonzero(train_part.labelled)[:5]
    proba = model.predict_proba(train_part.x[rows] * 3.0)  # cosine ignores scale: itself is the nearest
    np.testing.assert_array_equal(proba.argmax(axis=1), train_part.y[rows].argmax(axis=1))
    with pytest.raises(ValueError, match="k="):
        CmapKNNModel(4, 2, {"k": 0})


def test_cmap_knn_falls_back_to_the_prior() -> None:
    import torch

    from kgtool_plugins.models.nets.knn import CosineKNN

    prior = torch.tensor([0.25, 0.75])
    knn = CosineKNN(torch.eye(2), torch.eye(2), prior, k=2)
    far = torch.softmax(knn(torch.tensor([[-1.0, -2.0]])), dim=1)  # similar to nothing
    torch.testing.assert_close(far, prior.unsqueeze(0))
    near = torch.softmax(knn(torch.tensor([[3.0, 1.0]])), dim=1)  # cos 0.95 to class 0, 0.32 to class 1
    assert near[0, 0] > 0.7


def test_logistic_picks_its_l2_strength_on_validation(train_part: TaskData, valid_part: TaskData) -> None:
    from kgtool_plugins.models.baselines import C_GRID, LogisticModel

    picked = LogisticModel(train_part.x.shape[1], len(train_part.classes))
    history = picked.fit(train_part, QUICK, valid_part)
    assert history["C"] in C_GRID and picked.params["C"] == history["C"]
    strong = LogisticModel(train_part.x.shape[1], len(train_part.classes), {"C": 1e-4})
    weak = LogisticModel(train_part.x.shape[1], len(train_part.classes), {"C": 10.0})
    strong.fit(train_part, QUICK, valid_part)
    weak.fit(train_part, QUICK, valid_part)
    assert strong.module.weight.norm() < weak.module.weight.norm()


def test_logistic_balanced_class_weights_favour_the_rare_class(train_part: TaskData) -> None:
    from kgtool_plugins.models.baselines import LogisticModel

    rare = np.flatnonzero(train_part.y[:, 0] > 0)[:3]
    rows = np.concatenate([rare, np.flatnonzero(train_part.y[:, 0] == 0)])
    skewed = train_part.subset(rows)
    plain, balanced = (LogisticModel(skewed.x.shape[1], len(skewed.classes), {"C": 0.01}) for _ in range(2))
    plain.fit(skewed, QUICK)
    balanced.fit(skewed, replace(QUICK, params={"class_weight": "balanced"}))
    assert balanced.predict_proba(skewed.x)[:, 0].mean() > plain.predict_proba(skewed.x)[:, 0].mean()


def test_logistic_with_two_training_classes(train_part: TaskData) -> None:
    from kgtool_plugins.models.baselines import LogisticModel

    two = train_part.subset(np.flatnonzero(train_part.y[:, 2] == 0))
    model = LogisticModel(two.x.shape[1], len(two.classes), {"C": 1.0})
    model.fit(two, QUICK)
    proba = model.predict_proba(two.x)
    assert proba[:, 2].max() < 1e-6
    keep = two.labelled
    assert np.mean(proba[keep].argmax(1) == two.y[keep].argmax(1)) > 0.9


# -- gnn -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("conv", ["gcn", "sage", "gat"])
def test_gnn_graph_module_computes_the_torch_module_function(conv: str, train_part: TaskData,
                                                             test_x: np.ndarray) -> None:
    import torch

    from kgtool_plugins.models.gnn import GNNModel
    from toolkit.models import is_graph_model

    model = GNNModel(train_part.x.shape[1], len(train_part.classes), {"conv": conv, "hidden": 8, "emb": 4})
    model.fit(train_part, replace(QUICK, epochs=1))
    assert is_graph_model(model)
    edges = model.edge_index()
    assert edges.shape == train_part.context.gene_edges.shape and edges.dtype == np.int64
    x = torch.as_tensor(test_x[:3])
    n_genes = x.shape[1]
    tiled = torch.cat([torch.as_tensor(edges) + g * n_genes for g in range(3)], dim=1)
    batch = torch.arange(3).repeat_interleave(n_genes)
    with torch.no_grad():
        graph_form = model.graph_module()(x.reshape(-1, 1), tiled, batch)
        flat_form = model.torch_module()(x)
    torch.testing.assert_close(graph_form, flat_form, atol=1e-5, rtol=1e-5)


def test_gnn_rejects_unknown_conv() -> None:
    from kgtool_plugins.models.gnn import GNNModel

    with pytest.raises(ValueError, match="conv"):
        GNNModel(10, 2, {"conv": "gin"})


def test_gnn_scales_its_input_by_the_training_rms(train_part: TaskData, test_x: np.ndarray) -> None:
    """Consensus signatures are ~3x smaller than single ones: the gnn sees both at the same scale."""
    from kgtool_plugins.models.gnn import GNNModel

    model = GNNModel(train_part.x.shape[1], len(train_part.classes), {"hidden": 8, "emb": 4})
    model.fit(train_part, QUICK)
    x = train_part.x[train_part.labelled].astype(np.float64)
    assert float(model.fitted_module().net.input_scale) == pytest.approx(1.0 / np.sqrt(np.mean(x**2)), rel=1e-6)
    small = replace(train_part, x=train_part.x / 3.0)
    shrunk = GNNModel(train_part.x.shape[1], len(train_part.classes), {"hidden": 8, "emb": 4})
    shrunk.fit(small, QUICK)
    np.testing.assert_allclose(shrunk.predict_proba(test_x / 3.0), model.predict_proba(test_x), atol=1e-4)


def test_gnn_loads_checkpoints_saved_before_the_input_scale(train_part: TaskData, test_x: np.ndarray) -> None:
    from kgtool_plugins.models.gnn import GNNModel

    model = GNNModel(train_part.x.shape[1], len(train_part.classes), {"hidden": 8, "emb": 4})
    model.fit(train_part, QUICK)
    state = model.state_dict()
    old = {**state, "module": {k: v for k, v in state["module"].items() if k != "net.input_scale"}}
    loaded = GNNModel(train_part.x.shape[1], len(train_part.classes), model.params)
    loaded.load_state_dict(old)
    assert float(loaded.fitted_module().net.input_scale) == 1.0  # what those checkpoints computed
    loaded.fitted_module().net.input_scale.fill_(float(model.fitted_module().net.input_scale))
    np.testing.assert_array_equal(loaded.predict_proba(test_x), model.predict_proba(test_x))


def test_small_training_sets_get_smaller_batches() -> None:
    from toolkit.train.torch_model import small_data_config

    config = TrainConfig(batch_size=64)
    assert small_data_config(config, 48, 8).batch_size == 6  # 8 steps an epoch, not 1
    assert small_data_config(config, 5, 8).batch_size == 1
    assert small_data_config(config, 10_000, 8) is config  # large sets: unchanged
    with pytest.raises(ValueError, match="min_steps"):
        small_data_config(config, 48, 0)


def test_torch_models_take_enough_steps_on_compound_level_rows(demo_task: TaskData) -> None:
    """~One consensus row per compound: the batch shrinks to give ``min_steps`` steps an epoch."""
    from kgtool_plugins.models.gnn import GNNModel
    from toolkit.train.aggregate import aggregate

    compounds = aggregate(demo_task, "compound")
    n = int(compounds.labelled.sum())
    history = GNNModel(compounds.x.shape[1], len(compounds.classes), {"hidden": 8, "emb": 4}).fit(
        compounds, replace(QUICK, batch_size=64, epochs=1))
    assert history["batch_size"] == -(-n // 8) < 64
    history = GNNModel(compounds.x.shape[1], len(compounds.classes), {"hidden": 8, "emb": 4, "min_steps": 1}).fit(
        compounds, replace(QUICK, batch_size=64, epochs=1))
    assert history["batch_size"] == 64


# -- mlp -----------------------------------------------------------------------------------------
def test_mlp_trains_on_the_configured_batches(train_part: TaskData) -> None:
    from kgtool_plugins.models.mlp import MLPModel

    history = MLPModel(train_part.x.shape[1], len(train_part.classes)).fit(train_part, replace(QUICK, batch_size=64))
    assert history["batch_size"] == 64


def test_mlp_loads_flat_checkpoints_of_the_older_format(train_part: TaskData, test_x: np.ndarray,
                                                        tmp_path: Path) -> None:
    import torch

    from kgtool_plugins.models.mlp import MLPModel

    model = MLPModel(train_part.x.shape[1], len(train_part.classes), {"hidden": 16})
    model.fit(train_part, QUICK)
    flat = dict(model.state_dict()["module"])  # what mlp saved before the shared torch base
    torch.save({"name": "mlp", "n_features": model.n_features, "n_classes": model.n_classes,
                "params": model.params, "state": flat}, tmp_path / "old.pt")
    loaded = MLPModel.load(tmp_path / "old.pt")
    np.testing.assert_array_equal(loaded.predict_proba(test_x), model.predict_proba(test_x))


# -- go_vnn --------------------------------------------------------------------------------------
def test_vnn_plan_follows_the_dag() -> None:
    from kgtool_plugins.models.nets.vnn import plan_dag

    # genes 0..5; terms: 0 = {0,1} leaf, 1 = {2,3} leaf, 2 = {0,1,2,3,4} parent of 0 and 1, 3 = {5} alone
    gene_go = np.zeros((6, 4), dtype=np.float32)
    gene_go[[0, 1], 0] = gene_go[[2, 3], 1] = gene_go[[0, 1, 2, 3, 4], 2] = gene_go[5, 3] = 1
    plan = plan_dag(gene_go, np.array([[0, 1], [2, 2]]), per_term=2)
    assert [t for t in plan.term_order] == [0, 1, 3, 2]  # leaves first
    np.testing.assert_array_equal(plan.offsets, [0, 2, 4, 6, 8])
    leaves, top = plan.levels
    assert leaves.gene_mask.shape == (6, 6) and leaves.child_cols.size == 0
    np.testing.assert_array_equal(top.gene_mask[0], [0, 0, 0, 0, 1, 0])  # only its direct gene
    np.testing.assert_array_equal(top.child_cols, [0, 1, 2, 3])  # the neurons of terms 0 and 1
    assert top.child_mask.all()
    np.testing.assert_array_equal(plan.root_cols, [4, 5, 6, 7])  # terms 3 and 2 have no parent


def test_vnn_levels_survive_a_cycle() -> None:
    from kgtool_plugins.models.nets.vnn import plan_dag

    gene_go = np.ones((3, 2), dtype=np.float32)
    plan = plan_dag(gene_go, np.array([[0, 1], [1, 0]]), per_term=1)  # 0 -> 1 -> 0
    assert sum(lv.gene_mask.shape[0] for lv in plan.levels) == 2


def test_vnn_term_activity(train_part: TaskData, test_x: np.ndarray) -> None:
    from kgtool_plugins.models.go_vnn import GOVisibleModel

    model = GOVisibleModel(train_part.x.shape[1], len(train_part.classes), {"neurons_per_term": 2})
    model.fit(train_part, QUICK)
    activity = model.term_activity(test_x[:4])
    assert activity.shape == (4, len(model.terms)) and set(model.terms) <= set(train_part.context.go_ids)
    assert np.all(activity >= 0) and activity.any()


def test_vnn_units_grow_with_term_size() -> None:
    from kgtool_plugins.models.nets.vnn import plan_dag

    gene_go = np.zeros((40, 2), dtype=np.float32)
    gene_go[:4, 0] = gene_go[:, 1] = 1  # term 0 (4 genes) is a child of term 1 (40 genes)
    plan = plan_dag(gene_go, np.array([[0], [1]]), per_term=3, per_gene=0.25)
    np.testing.assert_array_equal(np.diff(plan.offsets), [3, 10])
    top = plan.levels[1]
    assert top.gene_mask.shape == (10, 40) and top.gene_mask[:, :4].sum() == 0 and top.child_mask.shape == (10, 3)


# -- multimodal ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def multimodal(train_part: TaskData, valid_part: TaskData) -> "MultimodalModel":
    from kgtool_plugins.models.multimodal import MultimodalModel

    model = MultimodalModel(train_part.x.shape[1], len(train_part.classes))
    model.fit(train_part, QUICK, valid_part)
    return model


def test_multimodal_uses_structure_when_given_compounds(multimodal: "MultimodalModel", demo_task: TaskData) -> None:
    from toolkit.models import is_structure_model

    assert is_structure_model(multimodal)
    x, ids = demo_task.x[:6], demo_task.compound_ids[:6]
    with_structure = multimodal.predict_proba(x, compounds=ids)
    without = multimodal.predict_proba(x)
    assert not np.allclose(with_structure, without)
    weights = multimodal.modality_weights(x, ids)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-6)
    assert np.all(weights[:, 2] > 0) and np.all(multimodal.modality_weights(x)[:, 2] == 0)


def test_multimodal_structure_module_and_explain_inputs(multimodal: "MultimodalModel", demo_task: TaskData) -> None:
    import torch

    x, ids = demo_task.x[:4], demo_task.compound_ids[:4]
    (fp,) = multimodal.explain_inputs(ids)
    assert fp.shape == (4, multimodal.fingerprint_spec().n_bits) and set(np.unique(fp)) <= {0.0, 1.0} and fp.any()
    with torch.no_grad():
        logits = multimodal.structure_module()(torch.as_tensor(x), torch.as_tensor(fp))
    proba = torch.softmax(logits.double(), dim=1).numpy()
    np.testing.assert_allclose(proba, multimodal.predict_proba(x, compounds=ids), atol=1e-6)


def test_multimodal_unknown_or_bad_smiles_is_missing(multimodal: "MultimodalModel", demo_task: TaskData) -> None:
    multimodal.add_smiles({"BRD-BROKEN": "not a smiles"})
    fp = multimodal.fingerprints(["BRD-UNKNOWN", "BRD-BROKEN"], 2)
    assert not fp.any()
    x = demo_task.x[:2]
    unknown = multimodal.predict_proba(x, compounds=["BRD-UNKNOWN", "BRD-BROKEN"])
    np.testing.assert_allclose(unknown, multimodal.predict_proba(x))


def test_multimodal_reads_smiles_of_unknown_compounds_from_the_context(multimodal: "MultimodalModel",
                                                                      demo_task: TaskData) -> None:
    x, ids = demo_task.x[:3], demo_task.compound_ids[:3]
    assert demo_task.context is not None
    new_ids = [f"NEW-{c}" for c in ids]
    renamed = {f"NEW-{c}": demo_task.context.compound_smiles[c] for c in ids}
    got = multimodal.predict_proba(x, compounds=new_ids, context=replace(demo_task.context, compound_smiles=renamed))
    np.testing.assert_allclose(got, multimodal.predict_proba(x, compounds=ids))
    assert not set(renamed) & set(multimodal.smiles)  # one call's context does not change the model


def test_multimodal_checkpoint_keeps_structures(multimodal: "MultimodalModel", demo_task: TaskData,
                                                tmp_path: Path) -> None:
    from kgtool_plugins.models.multimodal import MultimodalModel

    multimodal.save(tmp_path / "m.pt")
    loaded = MultimodalModel.load(tmp_path / "m.pt")
    x, ids = demo_task.x[:5], demo_task.compound_ids[:5]
    np.testing.assert_array_equal(loaded.predict_proba(x, compounds=ids), multimodal.predict_proba(x, compounds=ids))


def test_multimodal_network_branch_passes_messages_over_the_string_graph(multimodal: "MultimodalModel",
                                                                        demo_task: TaskData) -> None:
    """Same weights, other STRING edges: the predictions change (an edge-blind branch would not)."""
    from kgtool_plugins.models.multimodal import MultimodalModel

    state = multimodal.state_dict()
    edges = state["module"]["network.net.edges"]
    np.testing.assert_array_equal(edges.numpy(), demo_task.context.gene_edges)
    x, ids = demo_task.x[:8], demo_task.compound_ids[:8]

    def with_edges(new_edges: "torch.Tensor") -> np.ndarray:
        module = {**state["module"], "network.net.edges": new_edges}
        model = MultimodalModel(multimodal.n_features, multimodal.n_classes, multimodal.params)
        model.load_state_dict({**state, "module": module})
        return model.predict_proba(x, compounds=ids)

    import torch

    np.testing.assert_array_equal(with_edges(edges.clone()), multimodal.predict_proba(x, compounds=ids))  # control
    perm = torch.as_tensor(np.random.default_rng(0).permutation(multimodal.n_features))
    rewired = with_edges(perm[edges])  # same degree sequence, other neighbours
    assert np.abs(rewired - multimodal.predict_proba(x, compounds=ids)).max() > 1e-4
    assert np.all(multimodal.modality_weights(x, ids)[:, 1] > 0)


def test_models_train_on_the_planted_signal(train_part: TaskData, valid_part: TaskData) -> None:
    """A longer run of each knowledge-infused model beats chance on held-out compounds."""
    from kgtool_plugins.models.gnn import GNNModel
    from kgtool_plugins.models.go_vnn import GOVisibleModel

    config = TrainConfig(epochs=40, batch_size=16, seed=0, patience=40, lr=3e-3, device="cpu")
    for cls in (GNNModel, GOVisibleModel):
        model = cls(train_part.x.shape[1], len(train_part.classes))
        model.fit(train_part, config)
        keep = valid_part.labelled
        accuracy = np.mean(model.predict_proba(valid_part.x[keep]).argmax(1) == valid_part.y[keep].argmax(1))
        assert accuracy > 1.5 / len(train_part.classes), cls.name
