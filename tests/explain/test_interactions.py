"""Paired ablation: interactions are joint effects minus the single effects (no graph)."""

import numpy as np
import pytest

from toolkit.explain.interactions import interaction_rows, paired_ablation


def _f(x: np.ndarray) -> np.ndarray:
    # genes 0 and 1 multiply (an AND: removing either removes the term); 2 and 3 add
    return 2.0 * x[:, 0] * x[:, 1] + x[:, 2] + 3.0 * x[:, 3]


def test_additive_genes_do_not_interact_and_a_product_does():
    x = np.array([[1.0, 2.0, 1.0, 1.0, 5.0], [2.0, 1.0, 1.0, 2.0, 5.0]])
    pairs = paired_ablation(_f, x, [0, 1, 2, 3])
    by = {(p.gene_a, p.gene_b): p for p in pairs}
    assert len(pairs) == 6
    # effect({0}) = effect({1}) = effect({0,1}) = 2*x0*x1, so interaction = -2*x0*x1 (mean 4 -> -4)
    assert by[(0, 1)].score == pytest.approx(-4.0)
    assert by[(0, 1)].joint == pytest.approx(4.0)
    assert by[(2, 3)].score == pytest.approx(0.0)
    assert by[(0, 2)].score == pytest.approx(0.0)
    assert pairs[0].gene_a == 0 and pairs[0].gene_b == 1  # strongest first


def test_fewer_than_two_candidates_give_no_pairs():
    assert paired_ablation(_f, np.ones((1, 5)), [3]) == []


def test_rows_use_entrez_ids_smaller_first_and_skip_zero_pairs():
    x = np.array([[1.0, 2.0, 1.0, 1.0, 5.0]])
    pairs = paired_ablation(_f, x, [1, 0, 2])
    rows = interaction_rows("p1", pairs, gene_ids=[900, 800, 700, 600, 500], top_k=5)
    assert len(rows) == 1  # only (0, 1) is non-zero
    assert (rows[0]["entrez_a"], rows[0]["entrez_b"]) == (800, 900)
    assert rows[0]["rank"] == 1 and rows[0]["prediction_id"] == "p1"
