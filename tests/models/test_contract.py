"""The model contract, checked for every registered model (built-ins and third parties): the one
``predict_proba(x, *, compounds=None, context=None)`` signature, the state round trip, seeding, the
forward function explainers attribute."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from toolkit import plugins
from toolkit.tasks import Task, task_of
from toolkit.models import ModelBase, ModelPlugin, TaskData

from .conftest import QUICK

# every registered model, whatever its task; those of the MoA task are ModelPlugins
REGISTERED: dict[str, type[ModelBase]] = dict(sorted(plugins.registry().items["models"].items()))
MODELS: dict[str, type[ModelPlugin]] = {name: cls for name, cls in REGISTERED.items()  # type: ignore[misc]
                                        if task_of(cls) is Task.MOA}
BUILT_IN = {"majority", "logistic", "cmap_knn", "mlp", "gnn", "go_vnn", "multimodal"}
# Models allowed to expose no torch module (gradient explainers then do not apply to them).
NON_GRADIENT = {"majority", "cmap_knn"}


def fit(name: str, train: TaskData, valid: TaskData) -> ModelPlugin:
    model = MODELS[name](train.x.shape[1], len(train.classes), {})
    model.fit(train, QUICK, valid)
    return model


@pytest.fixture(scope="module")
def fitted(train_part: TaskData, valid_part: TaskData) -> dict[str, ModelPlugin]:
    cache: dict[str, ModelPlugin] = {}

    class Lazy(dict):  # fit each model once, on first use
        def __missing__(self, name: str) -> ModelPlugin:
            cache[name] = fit(name, train_part, valid_part)
            self[name] = cache[name]
            return cache[name]

    return Lazy()


def test_built_ins_and_the_example_plugin_are_registered() -> None:
    assert BUILT_IN <= set(MODELS)
    assert "linear_softmax" in MODELS  # the example third-party plugin, installed in the venv


@pytest.mark.parametrize("name", REGISTERED)
def test_class_attributes(name: str) -> None:
    cls = REGISTERED[name]
    assert issubclass(cls, ModelBase)
    assert cls.name == name and isinstance(cls.description, str) and cls.description
    assert isinstance(cls.requires_context, bool)
    if task_of(cls) is Task.MOA:
        assert issubclass(cls, ModelPlugin)


EXPRESSION = {n: c for n, c in REGISTERED.items() if task_of(c) is Task.EXPRESSION}


def test_the_expression_models_the_issue_names_are_registered() -> None:
    assert {"gene_mean", "cell_mean", "tanimoto_knn", "ridge_ecfp", "gene_majority", "seq_lstm", "seq_gru",
            "seq_gru3", "seq_gru_attention", "seq_transformer", "seq_autoencoder", "deepce", "anchordrug"} <= set(EXPRESSION)


@pytest.mark.parametrize("name", EXPRESSION)
def test_one_predict_expression_signature(name: str) -> None:
    """Every expression model: predict_expression(conditions, *, context=None); 3-class models also
    give predict_classes with the same signature (the base's raises for the others)."""
    from toolkit.tasks import ExpressionModelPlugin

    cls = EXPRESSION[name]
    assert issubclass(cls, ExpressionModelPlugin)
    methods = ["predict_expression"] + (["predict_classes"] if cls.three_class else [])
    for method in methods:
        params = list(inspect.signature(getattr(cls, method)).parameters.values())
        assert [p.name for p in params] == ["self", "conditions", "context"], (name, method)
        assert params[2].kind is inspect.Parameter.KEYWORD_ONLY and params[2].default is None
    if cls.three_class:
        assert cls.predict_classes is not ExpressionModelPlugin.predict_classes


@pytest.mark.parametrize("name", MODELS)
def test_one_predict_proba_signature(name: str) -> None:
    """Every model: predict_proba(x, *, compounds=None, context=None), nothing more, nothing less."""
    params = list(inspect.signature(MODELS[name].predict_proba).parameters.values())
    assert [p.name for p in params] == ["self", "x", "compounds", "context"]
    assert params[1].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY and p.default is None for p in params[2:])


@pytest.mark.parametrize("name", MODELS)
def test_state_dict_round_trip(name: str, fitted: dict[str, Any], test_x: np.ndarray,
                               train_part: TaskData) -> None:
    """One state format: torch-backed models keep their module under "module"; the state restores
    a fresh instance to the same predictions."""
    model = fitted[name]
    state = model.state_dict()
    assert isinstance(state, dict)
    if model.torch_module() is not None:
        assert "module" in state
    fresh = MODELS[name](train_part.x.shape[1], len(train_part.classes), model.params)
    fresh.load_state_dict(state)
    np.testing.assert_array_equal(fresh.predict_proba(test_x), model.predict_proba(test_x))


@pytest.mark.parametrize("name", MODELS)
def test_predict_proba_is_a_distribution(name: str, fitted: dict[str, Any], test_x: np.ndarray,
                                         demo_task: TaskData) -> None:
    proba = fitted[name].predict_proba(test_x)
    assert proba.shape == (len(test_x), len(demo_task.classes))
    assert np.all(np.isfinite(proba)) and np.all(proba >= 0)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize("name", MODELS)
def test_checkpoint_round_trip(name: str, fitted: dict[str, Any], test_x: np.ndarray, tmp_path: Path) -> None:
    model = fitted[name]
    path = tmp_path / "model.pt"
    model.save(path)
    loaded = MODELS[name].load(path)  # weights_only=True inside: plain tensors and values only
    assert type(loaded) is type(model)
    np.testing.assert_array_equal(loaded.predict_proba(test_x), model.predict_proba(test_x))


@pytest.mark.parametrize("name", MODELS)
def test_same_seed_same_predictions(name: str, train_part: TaskData, valid_part: TaskData, test_x: np.ndarray) -> None:
    import torch

    torch.manual_seed(1234)
    first = fit(name, train_part, valid_part).predict_proba(test_x)
    torch.manual_seed(1234)
    second = fit(name, train_part, valid_part).predict_proba(test_x)
    np.testing.assert_array_equal(first, second)


@pytest.mark.parametrize("name", MODELS)
def test_seed_alone_fixes_the_model(name: str, train_part: TaskData, valid_part: TaskData,
                                    test_x: np.ndarray) -> None:
    """Whatever the global RNG state before construction, config.seed decides the result."""
    import torch

    torch.manual_seed(1)
    first = fit(name, train_part, valid_part).predict_proba(test_x)
    torch.manual_seed(2)
    second = fit(name, train_part, valid_part).predict_proba(test_x)
    np.testing.assert_array_equal(first, second)


@pytest.mark.parametrize("name", MODELS)
def test_torch_module_maps_signatures_to_differentiable_logits(name: str, fitted: dict[str, Any],
                                                               test_x: np.ndarray, demo_task: TaskData) -> None:
    import torch

    model = fitted[name]
    module = model.torch_module()
    if module is None:  # only the non-gradient baselines may lack one; gradient explainers need it
        assert name in NON_GRADIENT, f"{name} exposes no torch module"
        return
    module.eval()
    x = torch.as_tensor(test_x[:5], dtype=torch.float32).requires_grad_(True)
    logits = module(x)
    assert logits.shape == (5, len(demo_task.classes))
    logits[:, 0].sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    # the module explains the function predict_proba computes (from the signature alone)
    proba = torch.softmax(logits.detach().double(), dim=1).numpy()
    np.testing.assert_allclose(proba, model.predict_proba(test_x[:5]), atol=1e-5)


@pytest.mark.parametrize("name", MODELS)
def test_forward_fn_is_what_gradient_explainers_attribute(name: str, fitted: dict[str, Any],
                                                          test_x: np.ndarray) -> None:
    import torch

    from toolkit.models import forward_of

    model = fitted[name]
    forward = model.forward_fn()
    assert forward_of(model) is forward or (forward is None and forward_of(model) is None)
    if forward is None:
        assert name in NON_GRADIENT, f"{name} exposes no forward function"
        return
    with torch.no_grad():
        logits = forward(torch.as_tensor(test_x[:5], dtype=torch.float32))
    proba = torch.softmax(logits.double(), dim=1).numpy()
    np.testing.assert_allclose(proba, model.predict_proba(test_x[:5]), atol=1e-5)


@pytest.mark.parametrize("name", sorted(n for n in MODELS if MODELS[n].requires_context))
def test_context_models_say_what_they_miss(name: str, train_part: TaskData) -> None:
    bare = TaskData(x=train_part.x, y=train_part.y, sample_ids=train_part.sample_ids,
                    compound_ids=train_part.compound_ids, gene_ids=train_part.gene_ids, classes=train_part.classes)
    model = MODELS[name](bare.x.shape[1], len(bare.classes), {})
    with pytest.raises(ValueError, match="context"):
        model.fit(bare, QUICK)


@pytest.mark.parametrize("name", MODELS)
def test_compounds_and_context_reach_the_models_that_read_them(name: str, fitted: dict[str, Any],
                                                               demo_task: TaskData, demo_split) -> None:
    """The pipelines call ``predict_proba(x, compounds=ids)`` on every model: models that read
    compound structure use them, the others give what they give on ``x`` alone."""
    model = fitted[name]
    part = demo_task.subset(demo_split.test)
    got = model.predict_proba(part.x, compounds=part.compound_ids)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(got, model.predict_proba(part.x, compounds=part.compound_ids, context=part.context))
    if "structure" in MODELS[name].context_needs:
        assert not np.allclose(got, model.predict_proba(part.x)), "the structure input changed nothing"
    else:
        np.testing.assert_array_equal(got, model.predict_proba(part.x))
