"""The explanation layer end to end on planted demo data, against the real Neo4j.

One small demo graph (module fixture): load → train mlp → explain (IG, with quality, ground truth
and an HTML report). Then every hypothesis query must find the planted answer, and the structure
and graph levels are exercised with models of our own (explained in-process, written back through
the same write-back path).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from tests.explain._support import ensure_explainers
from tests.helpers import server_env
from toolkit import cypher, plugins
from toolkit.queries import run_hypothesis
from tests.inline_cypher import raw_session

pytestmark = [pytest.mark.neo4j, pytest.mark.slow]

SMALL = dict(n_genes=300, n_moas=3, compounds_per_moa=8, n_cells=2, pathway_size=15, n_background_terms=15)
SEED = 3


@pytest.fixture(scope="module")
def demo(session_graph, settings, tmp_path_factory):
    from toolkit.demo import DemoSpec, generate_demo, load_ground_truth
    from toolkit.demo.workflow import demo_loads
    from toolkit.explain.pipeline import ExplainOptions, explain_run
    from toolkit.load import load
    from toolkit.models import TrainConfig
    from toolkit.train.pipeline import train

    plugins.reset()
    ensure_explainers()
    session_graph.delete_everything()
    data_dir = tmp_path_factory.mktemp("explain-demo")
    files = generate_demo(data_dir, DemoSpec(seed=SEED, **SMALL))
    for source, paths in demo_loads(data_dir):
        load(session_graph, settings, source, paths)
    trained = train(session_graph, settings, "mlp", TrainConfig(epochs=40, seed=SEED))
    report = data_dir / "report.html"
    outcome = explain_run(session_graph, settings, trained.run_id, "integrated_gradients", top_k=10, seed=SEED,
                          options=ExplainOptions(truth=files.ground_truth, report=report))
    truth = load_ground_truth(files.ground_truth)
    held_out = [p.pert_id for p in outcome.explanation.predictions if p.split == "test"]
    yield {"train": trained.run_id, "run": outcome.run, "explanation": outcome.explanation, "truth": truth,
           "report": report, "files": files, "compound": held_out[0], "held_out": held_out}
    plugins.reset()


def _planted(demo, compound):
    return demo["truth"].moa(demo["truth"].true_moa_of(compound))


def _rows(session_graph, query, **params):
    with raw_session(session_graph) as s:
        return [r.data() for r in s.run(query, params)]


def test_quality_is_stored_on_the_run_and_beats_random(demo, session_graph):
    m = demo["run"].metrics
    assert m["gene_precision_at_20"] >= 0.5 and m["gene_precision_at_20"] > 3 * m["random_gene_precision_at_20"]
    assert m["gene_auroc"] > 0.9 and m["pathway_top3_rate"] >= 2 / 3
    assert m["deletion_auc"] < m["deletion_auc_random"] and m["insertion_auc"] > m["insertion_auc_random"]
    for key in ("infidelity", "sensitivity_max", "retrained_top20_overlap", "attributions_per_s"):
        assert np.isfinite(m[key])
    assert 0.0 < m["retrained_top20_overlap"] <= 1.0  # measured on a model retrained with another seed
    assert m["deterministic"] == 1.0 and "seed_top20_overlap" not in m  # IG: a seed changes nothing
    assert 0 < m["truth_correct_predictions"] <= m["truth_predictions"] <= m["predictions_explained"]
    run = session_graph.read(cypher.load("export/run"), run_id=demo["run"].run_id)[0]["run"]
    assert run["status"] == "completed" and run["parent_run"] == demo["train"]
    assert run["metric_gene_precision_at_20"] == pytest.approx(m["gene_precision_at_20"])
    assert run["metric_deletion_auc"] == pytest.approx(m["deletion_auc"])


def test_every_level_is_written_with_provenance_and_bounded_by_top_k(demo, session_graph):
    run = demo["run"].run_id
    n = demo["run"].metrics["predictions_explained"]
    rows = _rows(session_graph, """
        MATCH (x)-[e:EXPLAINS {run_id: $run}]->(:Prediction)
        RETURN labels(x)[0] AS label, count(e) AS n, max(e.rank) AS last, collect(DISTINCT e.method) AS methods,
               min(e.q_value) AS q""", run=run)
    by = {r["label"]: r for r in rows}
    assert by["Gene"]["n"] == by["GOTerm"]["n"] == 10 * n and by["Gene"]["last"] == 10
    assert by["Gene"]["methods"] == ["integrated_gradients"] and by["GOTerm"]["q"] < 0.01
    pairs = _rows(session_graph, "MATCH (a:Gene)-[i:INTERACTS_IN_EXPLANATION {run_id: $run}]->(b:Gene) "
                                 "RETURN count(i) AS n, sum(CASE WHEN a.entrez_id < b.entrez_id THEN 1 ELSE 0 END) AS ordered",
                  run=run)[0]
    assert 0 < pairs["n"] <= 10 * n and pairs["ordered"] == pairs["n"]
    assert demo["run"].metrics["interaction_edges"] == pairs["n"]


def test_the_report_and_the_saved_attributions(demo, settings):
    page = demo["report"].read_text()
    assert "data:image/png;base64," in page and "planted GO term in top 3" in page
    assert demo["compound"] in page
    saved = np.load(settings.runs_dir / demo["run"].run_id / "attributions.npz", allow_pickle=False)
    assert saved["attributions"].shape == demo["explanation"].attributions.shape


def test_why_predicted_finds_the_planted_genes_pathway_and_paths_to_targets(demo, session_graph):
    compound = demo["compound"]
    planted = _planted(demo, compound)
    rows = run_hypothesis(session_graph, "why_predicted", {"compound": compound, "run": None, "top": 5})
    kinds = {k: [r for r in rows if r["kind"] == k] for k in ("gene", "pathway", "target_path", "substructure")}
    assert {r["explain_run"] for r in rows} == {demo["run"].run_id}
    assert rows[0]["predicted_moa"] == planted.name
    genes = [int(r["id"]) for r in kinds["gene"]]
    assert len(genes) == 5 and len(set(genes) & set(planted.pathway_entrez)) >= 4
    assert kinds["pathway"][0]["id"] == planted.pathway_go_id and kinds["pathway"][0]["q_value"] < 0.05
    assert kinds["target_path"], "no STRING path from the top genes to the known targets"
    for r in kinds["target_path"]:
        hops = r["detail"].split(" - ")
        assert 2 <= len(hops) <= 3 and hops[-1] in planted.target_symbols
    assert kinds["substructure"] == []  # the mlp does not see structures


def test_the_browser_query_draws_the_explanation_as_paths(demo, session_graph):
    """cypher/browser/explanation_paths.cypher (the README screenshot's query): the compound, its
    prediction and MoA, the top genes and GO terms by their EXPLAINS edges, and its targets."""
    compound = demo["compound"]
    planted = _planted(demo, compound)
    with raw_session(session_graph) as s:  # records, not .data(): the graph view reads Path objects
        rows = list(s.run(cypher.load("browser/explanation_paths").text, compound=compound, genes=6, terms=2))
    nodes = {(next(iter(n.labels)), n.element_id): dict(n) for r in rows for key in ("core", "ev", "target")
             if r[key] is not None for n in r[key].nodes}
    genes = {int(p["entrez_id"]) for (label, _), p in nodes.items() if label == "Gene"}
    explaining = {int(r["ev"].start_node["entrez_id"]) for r in rows if "Gene" in r["ev"].start_node.labels}
    assert len(explaining) == 6 and len(explaining & set(planted.pathway_entrez)) >= 4
    assert sum(1 for label, _ in nodes if label == "GOTerm") == 2
    assert [p["name"] for (label, _), p in nodes.items() if label == "MoA"] == [planted.name]
    assert genes - explaining <= set(planted.target_entrez)  # the rest are the compound's known targets


def test_shared_pathway_compounds_are_those_with_the_same_mechanism(demo, session_graph):
    compound = demo["compound"]
    planted = _planted(demo, compound)
    rows = run_hypothesis(session_graph, "shared_pathway_compounds",
                          {"compound": compound, "run": None, "top": 3, "max_q": 0.05, "limit": 50})
    assert rows and rows[0]["go_id"] == planted.pathway_go_id
    sharing = {r["compound"] for r in rows if r["go_id"] == planted.pathway_go_id}
    truth = demo["truth"]
    assert sharing and all(truth.true_moa_of(c) == planted.name for c in sharing)
    explained_same = {p.pert_id for p in demo["explanation"].predictions
                      if truth.true_moa_of(p.pert_id) == planted.name} - {compound}
    assert len(sharing) >= 0.75 * len(explained_same)


def test_candidate_targets_are_planted_pathway_genes_next_to_the_targets(demo, session_graph):
    truth = demo["truth"]
    for moa in truth.moas:
        rows = run_hypothesis(session_graph, "candidate_targets", {"moa": moa.name, "run": None, "limit": 5})
        assert len(rows) == 5
        found = {r["entrez_id"] for r in rows}
        assert not found & set(moa.target_entrez)
        assert len(found & set(moa.pathway_entrez)) >= 4, moa.name
        assert all(r["hops"] in (1, 2) for r in rows)


def test_gene_interactions_pair_planted_genes(demo, session_graph):
    compound = demo["compound"]
    planted = _planted(demo, compound)
    rows = run_hypothesis(session_graph, "gene_interactions", {"compound": compound, "run": None, "limit": 5})
    assert rows
    symbols = set(_rows(session_graph, "MATCH (g:Gene) WHERE g.entrez_id IN $ids RETURN collect(g.symbol) AS s",
                        ids=list(planted.pathway_entrez))[0]["s"])
    in_pathway = [r["gene_a"] in symbols and r["gene_b"] in symbols for r in rows]
    assert np.mean(in_pathway) >= 0.6
    assert all(isinstance(r["string_edge"], bool) for r in rows)


def test_run_disagreement_points_at_the_prediction_that_changed(demo, session_graph):
    from toolkit.explain.pipeline import gene_rows
    from toolkit.explain.writeback import Level, write_rows

    explanation = demo["explanation"]
    ids = [p.prediction_id for p in explanation.predictions]
    altered = explanation.attributions.copy()
    altered[0] = -altered[0]  # the first prediction's ranking is turned upside down
    other = "explain-zz-test-disagreement"
    write_rows(session_graph, Level.GENE, other, "test", gene_rows(ids, altered, explanation.gene_ids, 10))
    rows = run_hypothesis(session_graph, "run_disagreement",
                          {"run_a": demo["run"].run_id, "run_b": other, "top": 10, "limit": 100})
    assert len(rows) == len(ids)
    assert rows[0]["prediction_id"] == ids[0] and rows[0]["jaccard"] == 0.0 and len(rows[0]["only_a"]) == 10
    assert all(r["jaccard"] == 1.0 and not r["only_a"] for r in rows[1:])
    session_graph.write(cypher.Statement("t", "MATCH ()-[e:EXPLAINS {run_id: $run}]->() DELETE e", ""), run=other)


def test_a_structure_model_explains_predictions_by_the_planted_substructure(demo, session_graph, settings):
    """Our own StructureModel (genes + Morgan bits) trained on the demo compounds; its substructure
    EXPLAINS edges rank each compound's planted fragment first."""
    import torch

    from tests.explain._support import TinyFusion, explainer, fit_module
    from toolkit.explain.compute import explain_arrays
    from toolkit.explain.pipeline import explanation_rows, structures_of
    from toolkit.structure import morgan_fingerprint
    from toolkit.explain.writeback import write_rows
    from toolkit.train.export import export_signatures

    data = export_signatures(session_graph)
    explanation = demo["explanation"]
    structures = structures_of(session_graph, sorted(set(data.compound_ids)))
    model = TinyFusion(data.x.shape[1], len(data.classes), {"n_bits": 1024})
    fps = np.stack([morgan_fingerprint(structures[c].smiles, model.spec)[0] for c in data.compound_ids])
    held = set(demo["held_out"])
    train = np.array([c not in held for c in data.compound_ids]) & data.labelled
    noise = np.random.default_rng(0).normal(size=data.x.shape).astype(np.float32)  # structure-only signal
    fit_module(model.net, noise[train], data.y[train], epochs=80, lr=0.05,
               forward=lambda g: model.net(g, torch.as_tensor(fps[train])))
    predictions = [p for p in explanation.predictions if p.pert_id in held]
    out = explain_arrays(explainer("integrated_gradients"), model, noise, data.gene_ids, predictions,
                         structures=structures, interactions=False)
    run = "explain-zz-test-structure"
    for level, rows in explanation_rows(out, top_k=5).items():
        write_rows(session_graph, level, run, "integrated_gradients", rows)
    truth, hits = demo["truth"], []
    for p in predictions:
        rows = run_hypothesis(session_graph, "why_predicted", {"compound": p.pert_id, "run": run, "top": 3})
        subs = [r for r in rows if r["kind"] == "substructure"]
        assert subs and subs[0]["rank"] == 1
        hits.append(subs[0]["id"] == truth.moa(truth.true_moa_of(p.pert_id)).substructure_smarts)
    assert np.mean(hits) >= 0.6, f"planted substructure first for {np.mean(hits):.2f} of the compounds"


def test_the_multimodal_plugin_is_explained_down_to_its_planted_substructures(demo, session_graph, settings):
    """The built-in ``multimodal`` model, trained and explained through the pipelines: its
    Substructure EXPLAINS edges are written and the planted fragment ranks first more often than
    a random choice among each compound's substructures."""
    from toolkit.explain.pipeline import ExplainOptions, explain_run
    from toolkit.models import TrainConfig
    from toolkit.train.pipeline import train

    trained = train(session_graph, settings, "multimodal", TrainConfig(epochs=40, seed=SEED))
    outcome = explain_run(session_graph, settings, trained.run_id, "integrated_gradients", top_k=5, seed=SEED,
                          options=ExplainOptions(truth=demo["files"].ground_truth, retrain_seeds=0,
                                                 interactions=False))
    metrics = outcome.run.metrics
    assert metrics["substructure_edges"] > 0
    assert metrics["substructure_hit_rate"] > metrics["substructure_hit_rate_random"] + 0.2, metrics
    held = sorted(p.pert_id for p in outcome.explanation.predictions if p.split == "test")
    rows = run_hypothesis(session_graph, "why_predicted", {"compound": held[0], "run": outcome.run.run_id, "top": 3})
    subs = [r for r in rows if r["kind"] == "substructure"]
    assert [r["rank"] for r in subs] == list(range(1, len(subs) + 1)) and subs


def test_a_graph_model_writes_edge_attributions_on_string_edges(demo, session_graph):
    """Our own GraphModel on the demo's STRING edges, explained by GNNExplainer: EXPLAINS_EDGE rows
    lie on real INTERACTS_WITH pairs and are found by explained_edges."""
    from tests.explain._support import TinyGraphModel, explainer
    from toolkit.explain.compute import explain_arrays
    from toolkit.explain.pipeline import explanation_rows
    from toolkit.explain.writeback import write_rows
    from toolkit.models import TrainConfig
    from toolkit.train.export import export_signatures

    data = export_signatures(session_graph, with_context=True)
    model = TinyGraphModel(data.x.shape[1], len(data.classes), {"edges": data.context.gene_edges.tolist()})
    labelled = data.subset(np.flatnonzero(data.labelled))
    model.fit(labelled, TrainConfig(epochs=40, lr=0.02, seed=0))
    ex = explainer("gnn_explainer")
    ex.epochs = 50
    predictions = list(demo["explanation"].predictions[:3])
    out = explain_arrays(ex, model, data.x, data.gene_ids, predictions, interactions=False, edge_top_k=5)
    run = "explain-zz-test-edges"
    for level, rows in explanation_rows(out, top_k=5).items():
        write_rows(session_graph, level, run, "gnn_explainer", rows)
    for p in predictions:
        rows = run_hypothesis(session_graph, "explained_edges", {"compound": p.pert_id, "run": run, "limit": 10})
        assert [r["rank"] for r in rows] == [1, 2, 3, 4, 5]
        assert all(r["string_score"] is not None for r in rows)  # every masked edge is a STRING edge


def test_cli_explains_with_another_method_and_prints_the_browser_style(demo, tmp_path):
    from toolkit.cli import cli

    runner = CliRunner()
    report = tmp_path / "fa.html"
    result = runner.invoke(cli, ["explain", demo["train"], "--method", "feature_ablation", "--top-k", "5",
                                 "--no-interactions", "--truth", str(demo["files"].ground_truth),
                                 "--report", str(report)], env=server_env(), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "gene_precision_at_20=" in result.output and report.is_file()
    run_id = result.output.strip().splitlines()[-1].split()[-1]
    result = runner.invoke(cli, ["query", "run_disagreement", "--param", f"run_a={demo['run'].run_id}",
                                 "--param", f"run_b={run_id}", "--param", "top=5", "--param", "limit=3",
                                 "--format", "json"], env=server_env(), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert len(rows) == 3 and all(0.0 <= r["jaccard"] <= 1.0 for r in rows)
    result = runner.invoke(cli, ["query", "--browser-style"], env=server_env())
    assert result.output.startswith(":style ") and "node.GOTerm" in result.output
    assert "relationship.EXPLAINS" in result.output
