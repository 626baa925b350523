"""The acquisition contract and the built-in strategies, on a real tiny torch model (tests/anchors/toy.py)
and hand-made pools whose right picks are known."""

from __future__ import annotations

import os

import numpy as np
import pytest

from toolkit import hookspecs, plugins
from toolkit.anchors.strategy import (AcquisitionStrategy, ActiveModel, Pool, candidate_conditions, k_center_greedy,
                                      k_medoids, kmeans_pp_seeds, margin, mutual_information, per_drug,
                                      tanimoto_distance)
from toolkit.anchors.simulate import pool_fingerprints

from tests.anchors.toy import SPEC, make_world, pretrained

BUILTIN = ("random", "least_confidence", "margin", "entropy", "bald", "kmeans", "coreset", "badge",
           "adversarial_bim", "structure_clustering", "moa_stratified")


@pytest.fixture(scope="module")
def world():
    return make_world()


@pytest.fixture(scope="module")
def model(world):
    return pretrained(world, epochs=80)


@pytest.fixture(scope="module")
def pool(world):
    compounds = tuple(dict.fromkeys(world.new.compound_ids))
    moas = {c: (("moa_a",), ("moa_b",), ("moa_c",), ())[i % 4] for i, c in enumerate(compounds)}
    return Pool(cell="NEW", candidates=compounds[4:], bought=compounds[:4],
                fingerprints=pool_fingerprints(compounds, world.context, SPEC), moas=moas, context=world.context)


@pytest.fixture(scope="module")
def registry():
    """Every installed entry point (no pin), built afresh for this module."""
    pin = os.environ.pop(plugins.PIN_ENV, None)
    plugins.reset()
    yield plugins.registry()
    plugins.reset()
    if pin is not None:
        os.environ[plugins.PIN_ENV] = pin


def strategy(registry, name: str, **params) -> AcquisitionStrategy:
    return registry.get("acquisitions", name)(params)


def test_the_toy_model_honours_the_protocol(model):
    assert isinstance(model, ActiveModel)


@pytest.mark.parametrize("name", BUILTIN)
def test_every_strategy_returns_k_distinct_candidates_deterministically(registry, pool, model, name):
    s = strategy(registry, name, **({"max_steps": 10} if name == "adversarial_bim" else {}))
    picks = s.select(pool, model, 7, np.random.default_rng(3))
    ids = [c for c, _ in picks]
    assert len(ids) == 7 and len(set(ids)) == 7 and set(ids) <= set(pool.candidates)
    assert all(np.isfinite(score) for _, score in picks)
    assert s.select(pool, model, 7, np.random.default_rng(3)) == picks
    assert s.select(pool, model, 0, np.random.default_rng(3)) == []


def test_all_eleven_builtins_are_registered_and_random_only_once(registry):
    assert sorted(registry.items["acquisitions"]) == sorted(BUILTIN)
    model_free = {n for n, cls in registry.items["acquisitions"].items() if not cls.needs_model}
    assert model_free == {"random", "structure_clustering", "moa_stratified"}


def test_requests_the_strategy_cannot_meet_are_refused(registry, pool, model):
    with pytest.raises(ValueError, match="cannot pick"):
        strategy(registry, "random").select(pool, None, len(pool.candidates) + 1, np.random.default_rng(0))
    with pytest.raises(ValueError, match="needs a model"):
        strategy(registry, "margin").select(pool, None, 2, np.random.default_rng(0))
    with pytest.raises(ValueError, match="both candidate and bought"):
        Pool("NEW", ("a",), ("a",), {"a": np.zeros(4)}, {})
    with pytest.raises(ValueError, match="no fingerprint"):
        Pool("NEW", ("a", "b"), (), {"a": np.zeros(4)}, {})


def test_margin_picks_the_smallest_mean_margin_and_per_drug_is_the_gene_mean(registry, pool, model):
    probs = np.array([[[0.1, 0.8, 0.1], [0.2, 0.7, 0.1]],   # margins 0.7, 0.5 -> mean 0.6
                      [[0.4, 0.45, 0.15], [0.3, 0.3, 0.4]]])  # margins 0.05, 0.1 -> mean 0.075
    assert np.allclose(per_drug(margin(probs)), [0.6, 0.075])
    own = model.predict_classes(candidate_conditions("NEW", pool.candidates), context=pool.context)
    top2 = np.sort(own, axis=-1)[..., -2:]
    mean_margin = (top2[..., 1] - top2[..., 0]).mean(axis=1)
    picks = strategy(registry, "margin").select(pool, model, 3, np.random.default_rng(0))
    assert [c for c, _ in picks] == [pool.candidates[i] for i in np.argsort(mean_margin)[:3]]
    assert np.isclose(picks[0][1], 1 - mean_margin.min())


def test_bald_is_zero_when_dropout_samples_agree_and_positive_when_they_disagree():
    agree = np.tile(np.array([0.2, 0.5, 0.3]), (4, 1, 1, 1))
    disagree = np.stack([np.array([[[0.9, 0.05, 0.05]]]), np.array([[[0.05, 0.05, 0.9]]])])
    assert np.allclose(mutual_information(agree), 0.0)
    h = lambda p: -(np.asarray(p) * np.log(p)).sum()  # noqa: E731
    expected = h([0.475, 0.05, 0.475]) - h([0.9, 0.05, 0.05])
    assert np.isclose(mutual_information(disagree)[0, 0], expected) and expected > 0.4


def test_k_center_greedy_picks_the_farthest_point_from_the_bought_ones():
    x = np.array([[1.0, 0.0], [2.0, 0.0], [5.0, 0.0], [0.0, 4.5]])
    picks = k_center_greedy(x, 2, centres=np.zeros((1, 2)))
    assert [i for i, _ in picks] == [2, 3] and np.isclose(picks[0][1], 5.0)


def test_coreset_first_pick_is_the_candidate_farthest_from_the_bought_embeddings(registry, pool, model):
    cand = model.embed(candidate_conditions("NEW", pool.candidates), context=pool.context)
    bought = model.embed(candidate_conditions("NEW", pool.bought), context=pool.context)
    nearest = np.sqrt(((cand[:, None, :] - bought[None, :, :]) ** 2).sum(-1)).min(axis=1)
    picks = strategy(registry, "coreset").select(pool, model, 2, np.random.default_rng(0))
    assert picks[0][0] == pool.candidates[int(np.argmax(nearest))]
    assert np.isclose(picks[0][1], nearest.max(), rtol=1e-5)


def test_badge_starts_from_the_largest_gradient_and_seeds_are_distinct(registry, pool, model):
    g = model.gradient_embedding(candidate_conditions("NEW", pool.candidates), context=pool.context)
    picks = strategy(registry, "badge").select(pool, model, 5, np.random.default_rng(0))
    assert picks[0][0] == pool.candidates[int(np.argmax((g ** 2).sum(1)))]
    dup = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    assert sorted(i for i, _ in kmeans_pp_seeds(dup, 3, np.random.default_rng(0))) == [0, 1, 2]


def test_k_medoids_returns_distinct_medoids_one_per_structural_group():
    groups = [np.eye(12)[[0, 1, 2, 3]], np.eye(12)[[4, 5, 6, 7]], np.eye(12)[[8, 9, 10, 11]]]
    bits = np.concatenate([np.stack([g.sum(0)] * 3) + 0 for g in groups])  # 3 identical compounds a group
    bits[[0, 3, 6], :] = np.concatenate([groups[0][:3].sum(0)[None], groups[1][:3].sum(0)[None],
                                         groups[2][:3].sum(0)[None]])  # one near-copy a group
    medoids, labels = k_medoids(tanimoto_distance(bits, bits), 3, np.random.default_rng(0))
    assert len(set(medoids.tolist())) == 3
    assert sorted(m // 3 for m in medoids) == [0, 1, 2]
    assert all(len(set(labels[3 * g:3 * g + 3])) == 1 for g in range(3))


def test_structure_clustering_takes_one_compound_from_each_chemotype(registry):
    bits = {f"c{g}{i}": np.eye(9, dtype=np.float32)[[3 * g, 3 * g + 1, 3 * g + 2]].sum(0) for g in range(3)
            for i in range(3)}
    bits["c00"][3 * 0] = 0.0  # members of a group differ a little
    p = Pool("NEW", tuple(bits), (), bits, {})
    picks = strategy(registry, "structure_clustering").select(p, None, 3, np.random.default_rng(1))
    assert sorted(c[1] for c, _ in picks) == ["0", "1", "2"]


def test_moa_stratified_covers_every_moa_before_repeating_least_covered_first(registry):
    moas = {"a1": ("a",), "a2": ("a",), "a3": ("a",), "b1": ("b",), "c1": ("c",), "c2": ("c",), "x1": (),
            "bought_a": ("a",), "bought_b": ("b",)}
    cands = ("a1", "a2", "a3", "b1", "c1", "c2", "x1")
    p = Pool("NEW", cands, ("bought_a", "bought_b"), {c: np.zeros(4) for c in moas}, moas)
    for seed in range(5):
        picks = strategy(registry, "moa_stratified").select(p, None, 6, np.random.default_rng(seed))
        groups = [moas[c][0] if moas[c] else "" for c, _ in picks]
        assert set(groups[:2]) == {"c", ""}  # never covered before: first
        assert set(groups[2:5]) == {"a", "b", "c"}  # then every MoA covered once, each once more
        assert groups[5] == "a"  # the only MoA with candidates left
        assert np.allclose([s for _, s in picks], [1, 1, 1 / 2, 1 / 2, 1 / 2, 1 / 3])


def test_adversarial_bim_is_bounded_and_ranks_flipped_candidates_first(registry, pool, model):
    s = strategy(registry, "adversarial_bim", eps=0.05, max_steps=10, flip_fraction=0.1)
    norm, flipped, fraction = s.distances(pool, model)
    picks = s.select(pool, model, len(pool.candidates), np.random.default_rng(0))
    scores = [score for _, score in picks]
    assert scores == sorted(scores, reverse=True)
    assert picks[0][0] == pool.candidates[int(np.argmin(norm))] and np.isclose(picks[0][1], -norm.min())
    assert 0 < flipped.sum() < len(flipped) and norm[flipped].max() < norm[~flipped].min()
    assert len(set(np.round(norm[flipped], 4))) > 3  # distances differ between candidates
    chunked = strategy(registry, "adversarial_bim", eps=0.05, max_steps=10, chunk=5).distances(pool, model)
    assert np.allclose(chunked[0], norm) and np.array_equal(chunked[1], flipped)
    one_step = strategy(registry, "adversarial_bim", eps=1e-4, max_steps=1)
    assert not one_step.distances(pool, model)[1].any()  # a tiny single step flips nothing
    with pytest.raises(ValueError, match="bad params"):
        strategy(registry, "adversarial_bim", eps=0.0)


def test_a_third_party_strategy_registers_through_the_hook(fresh_plugins):
    class FirstCandidates(AcquisitionStrategy):
        name, description, needs_model = "first_candidates", "the pool order", False

        def choose(self, pool, model, k, rng):
            return [(c, 1.0) for c in pool.candidates[:k]]

    class ThirdParty:
        @staticmethod
        @hookspecs.hookimpl
        def kgtool_register_acquisitions(register):
            register(FirstCandidates)

    plugins.plugin_manager().register(ThirdParty(), name="third_party")
    reg = plugins.registry()
    assert reg.owners[("acquisitions", "first_candidates")] == "third_party"
    assert reg.owners[("acquisitions", "bald")] == "acquisitions"
    p = Pool("NEW", ("x", "y", "z"), (), {c: np.zeros(2) for c in "xyz"}, {})
    assert reg.get("acquisitions", "first_candidates")().select(p, None, 2, np.random.default_rng(0)) == [
        ("x", 1.0), ("y", 1.0)]
