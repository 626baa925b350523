"""Pathway scores, the hypergeometric enrichment test and Benjamini–Hochberg (no graph)."""

import numpy as np
import pytest
from scipy.stats import false_discovery_control, hypergeom

from toolkit.explain.pathways import GeneSets, benjamini_hochberg, pathway_rows, pathway_scores, top_k_mask

GENES = tuple(range(100, 130))  # 30 genes in use


def _sets() -> GeneSets:
    return GeneSets.build([
        {"go_id": "GO:1", "name": "planted", "genes": [100, 101, 102, 103, 104, 105]},
        {"go_id": "GO:2", "name": "background", "genes": [110, 111, 112, 113, 114, 115, 116, 117]},
        {"go_id": "GO:3", "name": "overlap", "genes": [104, 105, 120, 121]},
        {"go_id": "GO:4", "name": "one gene", "genes": [100]},  # below min_size
        {"go_id": "GO:5", "name": "root", "genes": list(GENES)},  # above max_fraction
        {"go_id": "GO:6", "name": "not in use", "genes": [1, 2, 3, 4]},
    ], GENES)


def test_gene_sets_keep_informative_terms_in_use():
    sets = _sets()
    assert sets.go_ids == ("GO:1", "GO:2", "GO:3")
    assert sets.sizes.tolist() == [6, 8, 4]
    assert sets.member[0, :6].all() and not sets.member[0, 6:].any()


def test_benjamini_hochberg_matches_scipy():
    rng = np.random.default_rng(0)
    p = rng.random((4, 25)) ** 3
    assert np.allclose(benjamini_hochberg(p), false_discovery_control(p, axis=1))
    assert benjamini_hochberg(np.zeros((2, 0))).shape == (2, 0)


def test_top_k_mask_picks_the_most_positive_genes():
    a = np.array([[0.1, 5.0, -3.0, 2.0], [1.0, 0.0, 3.0, -1.0]])
    assert top_k_mask(a, 2).tolist() == [[False, True, False, True], [True, False, True, False]]


def test_planted_term_ranks_first_with_the_exact_hypergeometric_p_value():
    sets = _sets()
    a = np.zeros((1, len(GENES)))
    a[0, :6] = [5, 4, 3, 2, 1.5, 1.2]  # the planted genes lead
    a[0, 20] = 1.0
    scores = pathway_scores(a, sets, k=8)
    assert scores.order[0][0] == 0 and scores.rank_of(0, 0) == 1
    assert scores.hits[0].tolist() == [6, 0, 3]
    assert scores.p_value[0, 0] == pytest.approx(hypergeom.sf(5, 30, 6, 8))
    assert scores.p_value[0, 1] == pytest.approx(1.0)
    assert scores.score[0, 0] == pytest.approx(a[0, :6].mean())
    assert scores.total[0, 2] == pytest.approx(a[0, [4, 5, 20, 21]].sum())
    assert np.all(scores.q_value >= scores.p_value - 1e-12)


def test_ties_in_p_value_are_broken_by_score():
    sets = _sets()
    a = np.zeros((1, len(GENES)))
    a[0, 10:18] = -1.0  # background genes pushed down, planted slightly up: no hits for either
    a[0, 0] = 0.01
    a[0, 25] = 10.0  # the single top gene is in no term: every p-value is 1
    scores = pathway_scores(a, sets, k=1)
    assert np.all(scores.p_value == 1.0)
    assert sets.go_ids[scores.order[0][0]] == "GO:1"
    assert sets.go_ids[scores.order[0][-1]] == "GO:2"


def test_pathway_rows_are_ranked_and_bounded():
    sets = _sets()
    a = np.random.default_rng(1).normal(size=(3, len(GENES)))
    rows = pathway_rows(["p1", "p2", "p3"], pathway_scores(a, sets, 5), sets, top_k=2)
    assert len(rows) == 6
    assert [r["rank"] for r in rows] == [1, 2] * 3
    assert {"prediction_id", "go_id", "score", "rank", "p_value", "q_value", "hits"} <= set(rows[0])
