"""The plugin core: entry points, pinning, duplicates, and the hook specs' documentation."""

import inspect

import pytest

from toolkit import hookspecs, plugins
from toolkit.errors import PluginError


pytestmark = pytest.mark.usefixtures("fresh_plugins")


def test_builtins_and_the_example_third_party_plugin_load_through_entry_points():
    infos = {i.name: i for i in plugins.describe()}
    assert infos["mlp"].registers == {"models": ["mlp"]}
    assert infos["integrated_gradients"].registers == {"explainers": ["integrated_gradients"]}
    example = infos["example"]
    assert example.distribution == "kgtool-example-plugin"
    assert example.registers["models"] == ["linear_softmax"]
    assert plugins.registry().get("models", "linear_softmax").__module__ == "kgtool_example"


def test_pin_loads_only_the_named_plugins(monkeypatch):
    monkeypatch.setenv(plugins.PIN_ENV, "mlp")
    assert [i.name for i in plugins.describe()] == ["mlp"]
    with pytest.raises(PluginError, match="no model named 'linear_softmax'"):
        plugins.registry().get("models", "linear_softmax")


def test_pin_with_an_unknown_name_is_a_clear_error(monkeypatch):
    monkeypatch.setenv(plugins.PIN_ENV, "mlp,not_installed")
    with pytest.raises(PluginError, match="unknown plugins \\['not_installed'\\]"):
        plugins.plugin_manager()


def test_duplicate_names_are_rejected():
    class Twin:
        @staticmethod
        @hookspecs.hookimpl
        def kgtool_register_models(register):
            from kgtool_plugins.models.mlp import MLPModel

            register(MLPModel)

    pm = plugins.plugin_manager()
    pm.register(Twin(), name="twin")
    with pytest.raises(PluginError, match="already registered"):
        plugins.collect(pm)


def _hookspecs():
    return {name: fn for name, fn in vars(hookspecs).items() if name.startswith("kgtool_") and callable(fn)}


def test_every_hook_is_prefixed_typed_and_documents_each_parameter():
    for name, fn in _hookspecs().items():
        doc = inspect.getdoc(fn) or ""
        for param in inspect.signature(fn).parameters:
            assert f":param {param}:" in doc, f"{name} does not document {param}"
        assert all(p.annotation is not inspect.Parameter.empty for p in inspect.signature(fn).parameters.values())
