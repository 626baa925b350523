"""Every hook has a test here (named ``test_<hook>``), is documented in the README, and is called
by the code path that owns it. Pipeline hooks (after_load/train/explain) are exercised against the
real server in tests/test_slice.py with the same recorder."""

import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from tests.helpers import REPO
from toolkit import hookspecs, plugins


class Recorder:
    """A plugin implementing every hook, recording what it was called with."""

    def __init__(self) -> None:
        self.calls: dict[str, list] = {}

    def _note(self, name, value):
        self.calls.setdefault(name, []).append(value)

    @hookspecs.hookimpl
    def kgtool_register_sources(self, register):
        from toolkit.sources import Source

        class Dummy(Source):
            name = "recorder_source"
            description = "records"

            def read(self, paths, options, report):
                return iter(())

        register(Dummy())

    @hookspecs.hookimpl
    def kgtool_register_models(self, register):
        self._note("models", register)

    @hookspecs.hookimpl
    def kgtool_register_explainers(self, register):
        self._note("explainers", register)

    @hookspecs.hookimpl
    def kgtool_register_acquisitions(self, register):
        from toolkit.anchors.strategy import AcquisitionStrategy

        class FirstCandidates(AcquisitionStrategy):
            name, description, needs_model = "first_candidates", "recorder: the first k candidates", False

            def choose(self, pool, model, k, rng):
                return [(c, 1.0) for c in pool.candidates[:k]]

        register(FirstCandidates)
        self._note("acquisitions", register)

    @hookspecs.hookimpl
    def kgtool_register_commands(self, cli):
        @click.command("hello-recorder")
        def hello():
            click.echo("hello from a plugin command")

        cli.add_command(hello)

    @hookspecs.hookimpl
    def kgtool_register_cypher(self, register):
        register(Path(__file__).parent)

    @hookspecs.hookimpl
    def kgtool_configure(self, settings):
        self._note("configure", settings)

    @hookspecs.hookimpl
    def kgtool_resolve_compound_id(self, raw_id, namespace):
        return "BRD-K00000001" if namespace == "name" and raw_id == "recordamycin" else None

    @hookspecs.hookimpl
    def kgtool_after_load(self, report):
        self._note("after_load", report)

    @hookspecs.hookimpl
    def kgtool_after_train(self, run):
        self._note("after_train", run)

    @hookspecs.hookimpl
    def kgtool_after_explain(self, run):
        self._note("after_explain", run)


@pytest.fixture
def recorder(monkeypatch):
    monkeypatch.delenv(plugins.PIN_ENV, raising=False)
    plugins.reset()
    rec = Recorder()
    plugins.plugin_manager().register(rec, name="recorder")
    yield rec
    plugins.reset()


def test_kgtool_register_sources(recorder):
    assert plugins.registry().owners[("sources", "recorder_source")] == "recorder"


def test_kgtool_register_models(recorder):
    plugins.registry()
    assert len(recorder.calls["models"]) == 1


def test_kgtool_register_explainers(recorder):
    plugins.registry()
    assert len(recorder.calls["explainers"]) == 1


def test_kgtool_register_acquisitions(recorder):
    import numpy as np

    from toolkit.anchors.strategy import Pool

    strategy = plugins.registry().get("acquisitions", "first_candidates")()
    assert len(recorder.calls["acquisitions"]) == 1
    bits = {c: np.zeros(8, dtype=np.float32) for c in ("a", "b", "c")}
    pool = Pool(cell="X", candidates=("a", "b", "c"), bought=(), fingerprints=bits, moas={})
    assert strategy.select(pool, None, 2, np.random.default_rng(0)) == [("a", 1.0), ("b", 1.0)]


def test_kgtool_register_cypher(recorder):
    from toolkit.queries import hypotheses

    assert str(Path(__file__).parent) in plugins.registry().items["cypher"]
    assert "compound_mechanism" in hypotheses()


def test_kgtool_register_commands(recorder):
    from toolkit.cli import cli

    plugins.plugin_manager().hook.kgtool_register_commands(cli=cli)
    result = CliRunner().invoke(cli, ["hello-recorder"])
    assert result.exit_code == 0 and "hello from a plugin command" in result.output
    cli.commands.pop("hello-recorder")


def test_kgtool_configure(recorder, tmp_path):
    from toolkit.cli import cli

    result = CliRunner().invoke(cli, ["--home", str(tmp_path), "query", "--list"])
    assert result.exit_code == 0, result.output
    assert recorder.calls["configure"][-1].home == tmp_path


def test_kgtool_resolve_compound_id(recorder):
    hook = plugins.plugin_manager().hook.kgtool_resolve_compound_id
    assert hook(raw_id="recordamycin", namespace="name") == "BRD-K00000001"
    assert hook(raw_id="other", namespace="name") is None


def test_kgtool_after_load(recorder):
    # called by toolkit.load.load; the real-server path is covered in tests/test_slice.py
    plugins.plugin_manager().hook.kgtool_after_load(report="r")
    assert recorder.calls["after_load"] == ["r"]


def test_kgtool_after_train(recorder):
    plugins.plugin_manager().hook.kgtool_after_train(run="t")
    assert recorder.calls["after_train"] == ["t"]


def test_kgtool_after_explain(recorder):
    plugins.plugin_manager().hook.kgtool_after_explain(run="e")
    assert recorder.calls["after_explain"] == ["e"]


def test_every_hook_has_a_test_and_is_in_the_readme():
    readme = (REPO / "README.md").read_text()
    names = [n for n in vars(hookspecs) if n.startswith("kgtool_")]
    assert len(names) == 11
    this = sys.modules[__name__]
    for name in names:
        assert callable(getattr(this, f"test_{name}", None)), f"no test_{name}"
        assert f"`{name}" in readme, f"README does not document {name}"
