"""Quality measures: deletion/insertion curves, stability, ground truth, Captum metrics (no graph)."""

from types import SimpleNamespace

import numpy as np
import pytest

from tests.explain._support import TinyMLP, explainer, planted_task
from toolkit.explain import quality
from toolkit.explain.compute import Explanation, PredictionInfo
from toolkit.explain.evaluate import QualityConfig, assess, truth_metrics
from toolkit.explain.pathways import GeneSets
from toolkit.models import TrainConfig


def _linear_proba(w: np.ndarray):
    def score(x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(x @ w - 2.0)))

    return score


def test_curve_points_cover_zero_to_all_genes():
    assert quality.curve_points(10, 4).tolist() == [0, 2, 5, 8, 10]
    assert quality.curve_points(3, 50).tolist() == [0, 1, 2, 3]


def test_the_true_ranking_beats_its_reverse_on_deletion_and_insertion():
    w = np.array([3.0, 2.0, 1.0, 0.0, 0.0, 0.0])
    x = np.ones((2, 6), dtype=np.float32)
    good = quality.deletion_insertion(_linear_proba(w), x, np.arange(6), steps=6)
    bad = quality.deletion_insertion(_linear_proba(w), x, np.arange(6)[::-1], steps=6)
    assert good[0] < bad[0] and good[1] > bad[1]
    assert 0.0 <= good[0] <= 1.0 and 0.0 <= good[1] <= 1.0


def test_overlap_spearman_and_pairwise_stability():
    a = np.array([[5.0, 4.0, 3.0, 2.0, 1.0]])
    assert quality.topk_overlap(a, a, 2) == 1.0
    assert quality.topk_overlap(a, a[:, ::-1], 2) == 0.0
    assert quality.spearman(a, a) == pytest.approx(1.0)
    assert quality.spearman(a, -a) == pytest.approx(-1.0)
    over, rho = quality.pairwise_stability([a, a, a[:, [1, 0, 2, 3, 4]]], k=2)
    assert over == 1.0 and 0.8 < rho < 1.0


def test_precision_and_auroc_against_planted_genes():
    a = np.array([[0.9, 0.8, 0.1, 0.0], [0.0, 0.9, 0.8, 0.1]])
    planted = np.array([[True, True, False, False], [True, False, False, True]])
    assert quality.precision_at_k(a, planted, 2) == pytest.approx((1.0 + 0.0) / 2)
    assert quality.auroc(a, planted) == pytest.approx((1.0 + 0.0) / 2)  # row 2 ranks its planted genes last


def _truth(moa_genes: dict[str, list[int]], go: dict[str, str], smarts: dict[str, str]):
    moas = {m: SimpleNamespace(pathway_entrez=tuple(g), pathway_go_id=go[m], substructure_smarts=smarts[m])
            for m, g in moa_genes.items()}
    return SimpleNamespace(true_moa_of=lambda pid: {"c0": "A", "c1": "B", "c2": "A"}.get(pid),
                           moa=lambda name: moas[name])


def test_truth_metrics_on_a_perfect_and_a_random_explanation():
    gene_ids = tuple(range(10, 40))
    sets = GeneSets.build([{"go_id": "GO:A", "genes": [10, 11, 12, 13]}, {"go_id": "GO:B", "genes": [20, 21, 22, 23]},
                           {"go_id": "GO:C", "genes": [30, 31, 32]}], gene_ids)
    a = np.zeros((3, 30))
    a[0, 0:4] = a[2, 0:4] = 1.0
    a[1, 10:14] = 1.0
    preds = tuple(PredictionInfo(f"p{i}", f"c{i}", "A", 0, (i,)) for i in range(3))
    from toolkit.explain.structure import SubstructureScore

    subs = {"p0": [SubstructureScore("C#N", 1.0, ()), SubstructureScore("CO", 0.5, ())],
            "p1": [SubstructureScore("CO", 1.0, ()), SubstructureScore("C#N", 0.5, ())]}
    explanation = Explanation("m", preds, gene_ids, a, gene_sets=sets, substructures=subs)
    truth = _truth({"A": [10, 11, 12, 13], "B": [20, 21, 22, 23]}, {"A": "GO:A", "B": "GO:B"}, {"A": "C#N", "B": "CO"})
    m = truth_metrics(explanation, truth, k=4)
    assert m["gene_precision_at_4"] == 1.0 and m["gene_auroc"] == 1.0
    assert m["gene_precision_at_4_random"] < 0.5 and 0.2 < m["gene_auroc_random"] < 0.8
    assert m["pathway_top3_rate"] == 1.0 and m["pathway_top3_prediction_rate"] == 1.0 and m["pathway_moas"] == 2
    assert m["substructure_hit_rate"] == 1.0 and m["substructure_hit_rate_random"] == 0.5
    assert m["truth_predictions"] == 3


@pytest.fixture(scope="module")
def small_explanation():
    from toolkit.explain.compute import explain_arrays, predictions_from

    data, genes = planted_task(n=120, seed=2)
    model = TinyMLP(data.x.shape[1], len(data.classes))
    model.fit(data, TrainConfig(epochs=150, lr=0.05, seed=0))
    rows = [{"prediction_id": f"p:{c}", "pert_id": c, "moa": data.classes[int(data.y[i].argmax())]}
            for i, c in enumerate(data.compound_ids) if i % 4 == 0][:10]
    preds = predictions_from(rows, data.compound_ids, data.classes)
    sets = GeneSets.build([{"go_id": f"GO:{k}", "genes": [data.gene_ids[g] for g in gs]} for k, gs in enumerate(genes)],
                          data.gene_ids)
    return data, genes, model, explain_arrays(explainer("integrated_gradients"), model, data.x, data.gene_ids, preds,
                                              gene_sets=sets, enrichment_k=4, interaction_candidates=4)


def test_assess_reports_every_measure_and_beats_random(small_explanation):
    data, genes, model, explanation = small_explanation
    truth = SimpleNamespace(
        true_moa_of=lambda pid: explanation.predictions[[p.pert_id for p in explanation.predictions].index(pid)].moa,
        moa=lambda name: SimpleNamespace(pathway_entrez=tuple(data.gene_ids[g] for g in genes[int(name[3:])]),
                                         pathway_go_id=f"GO:{name[3:]}", substructure_smarts=""))
    m = assess(explanation, explainer("integrated_gradients"), model, data.x,
               QualityConfig(curve_steps=10, captum_sample=2, stability_sample=4), truth=truth, truth_k=4,
               retrained=[model])
    for key in ("deletion_auc", "insertion_auc", "deletion_auc_random", "infidelity", "sensitivity_max",
                "seed_top20_overlap", "retrain_top20_overlap", "retrain_spearman", "gene_precision_at_4",
                "pathway_top3_rate"):
        assert np.isfinite(m[key]), key
    assert m["deletion_auc"] < m["deletion_auc_random"] and m["insertion_auc"] > m["insertion_auc_random"]
    assert m["retrain_top20_overlap"] == 1.0  # the same model
    assert m["deterministic"] == 1.0 and m["gene_precision_at_4"] >= 0.75


def test_stochastic_methods_get_a_measured_seed_stability(small_explanation):
    from toolkit.explain.evaluate import stability

    data, _, model, explanation = small_explanation
    m = stability(explanation, explainer("gradient_shap"), model, data.x, QualityConfig(stability_sample=3))
    assert m["deterministic"] == 0.0 and 0.0 <= m["seed_top20_overlap"] <= 1.0 and "seed_spearman" in m


def test_edge_precision_against_planted_pairs_and_its_random_reference():
    from toolkit.explain.compute import EdgeScore

    gene_ids = tuple(range(10, 16))
    index = np.array([[0, 1, 0, 2, 3, 4], [1, 0, 2, 0, 4, 3]])  # 3 undirected edges
    preds = (PredictionInfo("p0", "c0", "A", 0, (0,)),)
    explanation = Explanation("m", preds, gene_ids, np.zeros((1, 6)), edges={"p0": [EdgeScore(0, 1, 0.9), EdgeScore(3, 4, 0.1)]},
                              edge_index=index)
    truth = _truth({"A": [10, 11, 12]}, {"A": "GO:A"}, {"A": "C#N"})
    m = truth_metrics(explanation, truth, k=2)
    assert m["edge_precision_at_2"] == 0.5 and m["edge_precision_at_2_random"] == pytest.approx(2 / 3)
