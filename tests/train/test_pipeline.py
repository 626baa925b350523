"""Train end to end on the small demo: metrics on the Run node and in the manifest, k folds,
context for models that ask for it, split promises on real data, and ``predict``."""

from __future__ import annotations

import json
from typing import Any, ClassVar

import numpy as np
import pytest

from toolkit import cypher, runs
from toolkit.errors import RunError
from toolkit.hookspecs import hookimpl
from toolkit.models import TrainConfig
from toolkit.train import cache
from toolkit.train.export import export_signatures
from toolkit.train.predict import predict
from toolkit.train.pipeline import train
from toolkit.train.splits import SplitKind, make_split, shared_groups
from tests.helpers import registered_plugin
from tests.inline_cypher import raw_session

FAST = TrainConfig(epochs=15, seed=2, lr=3e-3)


def _run_node(graph, run_id: str) -> dict[str, Any]:
    return graph.read(cypher.load("export/run"), run_id=run_id)[0]["run"]


def _predictions(graph, run_id: str) -> dict[tuple[str, int], dict[str, Any]]:
    rows = graph.read(cypher.load("export/run_predictions"), run_id=run_id, rank=None)
    return {(r["pert_id"], r["rank"]): r for r in rows}


@pytest.fixture(scope="module")
def trained(demo_graph):
    return train(demo_graph.graph, demo_graph.settings, "mlp", FAST, k_folds=3)


def test_metrics_on_the_run_node_and_tables_in_the_manifest(demo_graph, trained):
    node = _run_node(demo_graph.graph, trained.run_id)
    for level in ("signature", "compound"):
        for name in ("macro_f1", "micro_f1", "auroc", "auprc", "log_loss", "top1_accuracy", "top3_accuracy"):
            assert isinstance(node[f"metric_test_{level}_{name}"], float), (level, name)
    assert node["metric_test_compound_top1_accuracy"] > 0.5  # 3 balanced MoAs: chance is 1/3
    assert node["metric_cv_folds"] == 3.0 and "metric_cv_test_compound_macro_f1_mean" in node
    assert "per_class" not in node["metrics"] and "label" not in node["metrics"]
    manifest = runs.read_manifest(demo_graph.settings.runs_dir, trained.run_id)
    assert manifest["data_hash"] == node["data_hash"]
    config = manifest["config"]
    table = manifest["per_class"]["test_compound"]
    assert [r["label"] for r in table] == config["classes"]
    assert sum(r["support"] for r in table) == trained.metrics["test_compound_n"]  # one MoA per demo compound
    assert set(manifest["per_class"]) == {"train_signature", "train_compound", "test_signature", "test_compound"}
    assert [f["fold"] for f in manifest["folds"]] == [1, 2, 3]
    assert all("test_compound_macro_f1" in f["metrics"] for f in manifest["folds"])
    assert config["k_folds"] == 3 and config["split"] == "cold_compound" and config["gene_hash"]


def test_a_second_train_reads_the_snapshot_cache(demo_graph, trained):
    assert trained.metrics["snapshot_cache_hit"] in (True, False)
    again = train(demo_graph.graph, demo_graph.settings, "mlp", TrainConfig(epochs=2, seed=2))
    assert again.metrics["snapshot_cache_hit"] is True and again.data_hash == trained.data_hash


def test_every_split_keeps_its_promise_on_the_demo(demo_graph):
    data = export_signatures(demo_graph.graph, with_context=True)
    assert len(set(data.context.compound_scaffold.values())) < len(set(data.compound_ids))  # shared scaffolds
    for kind in SplitKind:
        split = make_split(data, kind, seed=5)
        shared = shared_groups(data, split, kind)
        assert len(split.test) and not shared["train&test"] and not shared["valid&test"], kind


class ContextProbe:
    """A plugin registering a model that needs graph context and checks it got it."""

    seen: ClassVar[list] = []

    @hookimpl
    def kgtool_register_models(self, register):
        from kgtool_plugins.models.mlp import MLPModel

        class ContextMLP(MLPModel):
            name = "context_probe"
            requires_context = True

            def fit(self, train, config, valid=None):
                ContextProbe.seen.append(train.context)
                return super().fit(train, config, valid)

        register(ContextMLP)


@pytest.fixture
def context_model():
    with registered_plugin(ContextProbe(), "context-probe"):
        yield "context_probe"


def test_models_that_require_context_get_it(demo_graph, context_model):
    ContextProbe.seen.clear()
    run = train(demo_graph.graph, demo_graph.settings, context_model, TrainConfig(epochs=2, seed=1), "scaffold")
    (ctx,) = ContextProbe.seen
    assert ctx is not None and ctx.gene_edges.shape[1] > 0 and len(ctx.go_ids) > 0
    assert json.loads(_run_node(demo_graph.graph, run.run_id)["config"])["context"] is True


def test_predict_fills_what_the_run_has_not_predicted(demo_graph, trained):
    graph, settings = demo_graph.graph, demo_graph.settings
    before = _predictions(graph, trained.run_id)
    dropped = sorted({c for c, _ in before})[:2]
    with raw_session(graph) as s:  # make two compounds look new to this run
        s.run("""MATCH (:Run {run_id: $run})-[:PREDICTED]->(p:Prediction)-[:FOR]->(c:Compound)
                 WHERE c.pert_id IN $drop DETACH DELETE p""", run=trained.run_id, drop=dropped).consume()
    run = predict(graph, settings, trained.run_id)
    assert run.kind == "predict" and run.parent_run == trained.run_id and run.status == "completed"
    assert run.metrics["compounds_predicted"] == 2 and run.metrics["predictions_written"] == 6
    after = _predictions(graph, trained.run_id)
    assert set(after) == set(before)
    for compound in dropped:
        for rank in (1, 2, 3):
            new, old = after[(compound, rank)], before[(compound, rank)]
            assert new["split"] == "predict" and new["moa"] == old["moa"]
            assert new["score"] == pytest.approx(old["score"], abs=1e-6)  # same checkpoint, same signatures
            assert new["prediction_id"] == old["prediction_id"]
    assert predict(graph, settings, trained.run_id).metrics["compounds_predicted"] == 0
    again = predict(graph, settings, trained.run_id, compounds=[dropped[0]])
    assert again.metrics["compounds_predicted"] == 0 and again.metrics["skipped"] == 1
    with pytest.raises(RunError, match="no signatures for compounds"):
        predict(graph, settings, trained.run_id, compounds=["BRD-NOPE"])
    with pytest.raises(RunError, match="no train run"):
        predict(graph, settings, run.run_id)


def test_predict_refuses_a_checkpoint_for_other_genes(demo_graph, trained, monkeypatch):
    import toolkit.train.predict as predict_module

    monkeypatch.setattr(predict_module, "gene_hash", lambda genes: "different")
    with pytest.raises(RunError, match="landmark genes differ"):
        predict(demo_graph.graph, demo_graph.settings, trained.run_id)


def test_train_without_cache_matches(demo_graph, trained):
    run = train(demo_graph.graph, demo_graph.settings, "mlp", TrainConfig(epochs=1), use_cache=False)
    assert run.metrics["snapshot_cache_hit"] is False and run.data_hash == trained.data_hash
    assert not np.isnan(run.metrics["snapshot_s"])
    assert cache.snapshot(demo_graph.graph, demo_graph.settings.cache_dir).cache_hit
