"""Explainer plugins on models of our own (no graph): shapes, planted genes, seeds, contracts."""

import numpy as np
import pytest

from tests.explain._support import EXPLAINER_MODULES, TinyGraphModel, TinyMLP, ensure_explainers, explainer, planted_task
from toolkit import plugins
from toolkit.explain.base import EdgeExplainer
from toolkit.models import is_graph_model
from toolkit.models import TrainConfig

GENE_METHODS = ("integrated_gradients", "deeplift", "deeplift_shap", "gradient_shap", "feature_ablation")


@pytest.fixture(scope="module")
def trained():
    data, genes = planted_task()
    model = TinyMLP(data.x.shape[1], len(data.classes))
    model.fit(data, TrainConfig(epochs=150, lr=0.05, seed=0))
    return data, genes, model


def test_every_explainer_is_registered_with_a_description():
    ensure_explainers()
    registered = plugins.registry().items["explainers"]
    assert set(EXPLAINER_MODULES) | {"deeplift_shap"} <= set(registered)
    for name in (*GENE_METHODS, "gnn_explainer"):
        assert registered[name].name == name and registered[name].description


@pytest.mark.parametrize("method", GENE_METHODS)
def test_gene_explainers_find_the_planted_genes(trained, method):
    data, genes, model = trained
    rows = np.arange(30)
    targets = data.y[rows].argmax(axis=1)
    attr = explainer(method).attribute(model, data.x[rows], targets, seed=0)
    assert attr.shape == (30, data.x.shape[1]) and np.isfinite(attr).all()
    top = np.argsort(-attr, axis=1)[:, :4]
    precision = np.mean([len(set(t) & set(genes[k])) / 4 for t, k in zip(top, targets)])
    assert precision >= 0.75, f"{method}: planted-gene precision@4 {precision:.2f}"


@pytest.mark.parametrize("method", ["deeplift_shap", "gradient_shap"])
def test_stochastic_explainers_are_seeded(trained, method):
    data, _, model = trained
    ex = explainer(method)
    assert ex.deterministic is False
    x, t = data.x[:5], data.y[:5].argmax(axis=1)
    assert np.array_equal(ex.attribute(model, x, t, seed=1), ex.attribute(model, x, t, seed=1))
    assert not np.array_equal(ex.attribute(model, x, t, seed=1), ex.attribute(model, x, t, seed=2))


def test_feature_ablation_is_the_logit_drop_of_each_gene(trained):
    import torch

    data, _, model = trained
    x, t = data.x[:2], data.y[:2].argmax(axis=1)
    attr = explainer("feature_ablation").attribute(model, x, t)
    module = model.torch_module()
    with torch.no_grad():
        base = module(torch.as_tensor(x))[np.arange(2), t]
        for g in (0, 7, 39):
            ablated = torch.as_tensor(x).clone()
            ablated[:, g] = 0
            drop = base - module(ablated)[np.arange(2), t]
            assert np.allclose(attr[:, g], drop.numpy(), atol=1e-5)


def test_integrated_gradients_is_complete(trained):
    """IG attributions sum to logit(x) - logit(0) (the completeness axiom), up to the integral error."""
    import torch

    data, _, model = trained
    x, t = data.x[:4], data.y[:4].argmax(axis=1)
    attr = explainer("integrated_gradients").attribute(model, x, t)
    module = model.torch_module()
    with torch.no_grad():
        diff = (module(torch.as_tensor(x)) - module(torch.zeros(4, x.shape[1])))[np.arange(4), t].numpy()
    assert np.allclose(attr.sum(axis=1), diff, rtol=0.05, atol=0.05)


@pytest.fixture(scope="module")
def graph_model():
    data, genes = planted_task(n=180, n_genes=24, n_classes=2, signal=3, seed=4)
    rng = np.random.default_rng(0)
    pairs = {(a, b) for a in range(24) for b in range(24) if a < b and rng.random() < 0.12}
    pairs |= {(0, 1), (1, 2), (3, 4), (4, 5)}  # the signal genes are linked
    edges = np.array(sorted(pairs) + sorted((b, a) for a, b in pairs), dtype=np.int64).T
    model = TinyGraphModel(24, 2, {"edges": edges.tolist()})
    model.fit(data, TrainConfig(epochs=150, lr=0.05, seed=0))
    return data, genes, model


def test_gnn_explainer_supports_graph_models_only(graph_model, trained):
    _, _, gmodel = graph_model
    _, _, mlp = trained
    assert is_graph_model(gmodel) and not is_graph_model(mlp)
    cls = type(explainer("gnn_explainer"))
    assert cls.supports(gmodel) and not cls.supports(mlp)
    assert issubclass(cls, EdgeExplainer)


def test_gnn_explainer_masks_genes_and_edges(graph_model):
    data, genes, model = graph_model
    ex = explainer("gnn_explainer")
    ex.epochs = 60
    rows = np.arange(12)
    targets = data.y[rows].argmax(axis=1)
    nodes, edges = ex.attribute_edges(model, data.x[rows], targets, seed=0)
    assert nodes.shape == (12, 24) and edges.scores.shape == (12, model.edges.shape[1])
    assert np.array_equal(edges.edge_index, model.edges)
    assert (nodes >= 0).all() and (nodes <= 1).all() and (edges.scores >= 0).all() and (edges.scores <= 1).all()
    signal = np.zeros((12, 24), dtype=bool)
    for r, k in enumerate(targets):
        signal[r, genes[k]] = True
    assert nodes[signal].mean() > nodes[~signal].mean()
    assert np.array_equal(ex.attribute(model, data.x[:3], targets[:3], seed=5),
                          ex.attribute(model, data.x[:3], targets[:3], seed=5))


def test_gradient_explainers_refuse_models_without_a_torch_module():
    class NoTorch(TinyMLP):
        def torch_module(self):
            return None

    model = NoTorch(4, 2)
    assert not type(explainer("deeplift")).supports(model)
    with pytest.raises(ValueError, match="no torch module"):
        explainer("deeplift").attribute(model, np.zeros((1, 4), np.float32), np.zeros(1, int))


def test_captum_robustness_metrics_work_for_the_learned_mask_explainer(graph_model):
    """Captum calls explanation functions under no_grad; GNNExplainer must still learn its masks."""
    from toolkit.explain.quality import captum_scores

    data, _, model = graph_model
    ex = explainer("gnn_explainer")
    ex.epochs = 10
    scores = captum_scores(ex, model, data.x[:1], data.y[:1].argmax(axis=1), n_perturb=2)
    assert np.isfinite(scores["infidelity"]) and np.isfinite(scores["sensitivity_max"])
