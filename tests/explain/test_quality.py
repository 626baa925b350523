"""Quality measures: deletion/insertion curves, stability, ground truth, Captum metrics (no graph)."""

import numpy as np
import pytest

from tests.explain._support import TinyMLP, explainer, planted_task
from toolkit.explain import quality
from toolkit.explain.compute import Explanation, PredictionInfo
from toolkit.explain.evaluate import QualityConfig, assess, truth_metrics
from toolkit.explain.pathways import GeneSets
from toolkit.explain.truth import parse_truth
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


def _truth(moas: dict[str, tuple[list[int], str, str, list[str]]], hidden: dict[str, str] = {}):
    """A truth file's contents: MoA -> (planted genes, GO id, SMARTS, compounds)."""
    return parse_truth({"moas": [{"name": m, "target_entrez": genes[:1], "pathway_entrez": genes, "pathway_go_id": go,
                                  "substructure_smarts": smarts, "compounds": compounds}
                                 for m, (genes, go, smarts, compounds) in moas.items()],
                        "unlabelled": [{"pert_id": p, "true_moa": m} for p, m in hidden.items()]})


def _go(k: int) -> str:
    return f"GO:{k:07d}"


def test_truth_metrics_score_correct_predictions_and_count_unexplained_moas_as_misses():
    from toolkit.explain.substructures import SubstructureScore

    gene_ids = tuple(range(10, 40))
    blocks = [[10, 11, 12, 13], [20, 21, 22, 23], [30, 31, 32], [14, 15, 16], [17, 18, 19], [24, 25, 26],
              [27, 28, 29], [33, 34, 35], [36, 37, 38, 39]]
    sets = GeneSets.build([{"go_id": _go(k + 1), "genes": g} for k, g in enumerate(blocks)], gene_ids)
    a = np.zeros((5, 30))
    a[[0, 2, 3], 0:4] = 1.0  # genes 10-13: MoA A's planted genes
    a[[1, 4], 10:14] = 1.0  # genes 20-23: MoA B's
    preds = (PredictionInfo("p0", "c0", "A", 0, (0,)), PredictionInfo("p1", "c1", "B", 1, (1,)),
             PredictionInfo("p2", "c2", "A", 0, (2,)),
             PredictionInfo("p3", "c3", "A", 0, (3,)),  # wrong: c3 is a B compound
             PredictionInfo("p4", "c4", "B", 1, (4,)))  # wrong: c4 is hidden C
    subs = {"p0": [SubstructureScore("C#N", 1.0, ()), SubstructureScore("CO", 0.5, ())],
            "p1": [SubstructureScore("CO", 1.0, ()), SubstructureScore("C#N", 0.5, ())],
            "p3": [SubstructureScore("C#N", 1.0, ()), SubstructureScore("CO", 0.5, ())]}
    explanation = Explanation("m", preds, gene_ids, a, gene_sets=sets, substructures=subs)
    truth = _truth({"A": ([10, 11, 12, 13], _go(1), "C#N", ["c0", "c2"]),
                    "B": ([20, 21, 22, 23], _go(2), "CO", ["c1", "c3"]),
                    "C": ([30, 31, 32], _go(3), "CC", [])}, hidden={"c4": "C"})
    m = truth_metrics(explanation, truth, k=4)
    assert m["truth_predictions"] == 5 and m["truth_correct_predictions"] == 3
    assert m["gene_precision_at_4"] == 1.0 and m["gene_auroc"] == 1.0  # p3 and p4 would score 0
    assert m["random_gene_precision_at_4"] == m["gene_precision_at_4_random"] < 0.5
    assert 0.2 < m["gene_auroc_random"] < 0.8
    assert m["pathway_moas"] == 3 and m["pathway_moas_explained"] == 2
    assert m["pathway_top3_rate"] == pytest.approx(2 / 3)  # C has no correct prediction: a miss
    assert m["pathway_top3_prediction_rate"] == 1.0 and m["pathway_top3_rate_random"] < 2 / 3
    assert m["substructure_hit_rate"] == 1.0 and m["substructure_hit_rate_random"] == 0.5


def test_no_correct_prediction_gives_no_gene_precision():
    preds = (PredictionInfo("p0", "c0", "B", 1, (0,)),)
    explanation = Explanation("m", preds, (10, 11, 12), np.array([[1.0, 0.0, 0.0]]))
    m = truth_metrics(explanation, _truth({"A": ([10], _go(1), "C", ["c0"]), "B": ([11], _go(2), "C", [])}), k=1)
    assert m == {"truth_predictions": 1.0, "truth_correct_predictions": 0.0}


@pytest.fixture(scope="module")
def small_explanation():
    from toolkit.explain.compute import explain_arrays, predictions_from

    data, genes = planted_task(n=120, seed=2)
    model = TinyMLP(data.x.shape[1], len(data.classes))
    model.fit(data, TrainConfig(epochs=150, lr=0.05, seed=0))
    rows = [{"prediction_id": f"p:{c}", "pert_id": c, "moa": data.classes[int(data.y[i].argmax())]}
            for i, c in enumerate(data.compound_ids) if i % 4 == 0][:10]
    preds = predictions_from(rows, data.compound_ids, data.classes)
    sets = GeneSets.build([{"go_id": _go(k), "genes": [data.gene_ids[g] for g in gs]} for k, gs in enumerate(genes)],
                          data.gene_ids)
    return data, genes, model, explain_arrays(explainer("integrated_gradients"), model, data.x, data.gene_ids, preds,
                                              gene_sets=sets, enrichment_k=4, interaction_candidates=4)


def test_assess_reports_every_measure_and_beats_random(small_explanation):
    data, genes, model, explanation = small_explanation
    truth = _truth({name: ([data.gene_ids[g] for g in genes[k]], _go(k), "C",
                           [p.pert_id for p in explanation.predictions if p.moa == name])
                    for k, name in enumerate(data.classes)})
    m = assess(explanation, explainer("integrated_gradients"), model, data.x,
               QualityConfig(curve_steps=10, captum_sample=2, stability_sample=4), truth=truth, truth_k=4,
               retrained=[model])
    for key in ("deletion_auc", "insertion_auc", "deletion_auc_random", "infidelity", "sensitivity_max",
                "retrained_top20_overlap", "retrained_spearman", "gene_precision_at_4", "pathway_top3_rate"):
        assert np.isfinite(m[key]), key
    assert m["deletion_auc"] < m["deletion_auc_random"] and m["insertion_auc"] > m["insertion_auc_random"]
    assert m["retrained_top20_overlap"] == 1.0  # measured: the "retrained" model is the same model
    assert "retrain_top20_overlap" not in m  # one name per figure
    assert m["deterministic"] == 1.0 and m["gene_precision_at_4"] >= 0.75
    assert "seed_top20_overlap" not in m and "seed_spearman" not in m  # not measurable: IG ignores the seed


@pytest.mark.parametrize("name", ["integrated_gradients", "deeplift", "feature_ablation"])
def test_a_deterministic_explainer_gets_no_seed_stability_written_as_one(small_explanation, name):
    from toolkit.explain.evaluate import stability

    data, _, model, explanation = small_explanation
    ex = explainer(name)
    assert ex.deterministic
    rows = explanation.predictions[0].rows
    target = np.full(len(rows), explanation.predictions[0].target)
    assert np.array_equal(ex.attribute(model, data.x[list(rows)], target, seed=0),
                          ex.attribute(model, data.x[list(rows)], target, seed=7))  # a seed changes nothing
    m = stability(explanation, ex, model, data.x, QualityConfig(stability_sample=3))
    assert m == {"deterministic": 1.0}


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
    truth = _truth({"A": ([10, 11, 12], _go(1), "C#N", ["c0"])})
    m = truth_metrics(explanation, truth, k=2)
    assert m["edge_precision_at_2"] == 0.5 and m["edge_precision_at_2_random"] == pytest.approx(2 / 3)
