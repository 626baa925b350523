"""The pure anchor-drug simulation loop on the toy world: a new cell line whose response is shifted,
so fine-tuning on bought compounds must raise the 3-class macro-F1 on the rest."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.anchors.simulate import simulate
from toolkit.models import TrainConfig

from tests.anchors.toy import make_world, pretrained

CONFIG = TrainConfig(epochs=60, lr=0.02, seed=0)


@pytest.fixture(scope="module")
def world():
    return make_world()


@pytest.fixture(scope="module")
def model(world):
    return pretrained(world, epochs=100)


@pytest.fixture(scope="module")
def strategies():
    from kgtool_plugins.acquisitions import BUILTIN

    return {s.name: s for s in BUILTIN}


@pytest.fixture(scope="module")
def curve(world, model, strategies):
    return simulate(model, strategies["margin"](), world.new, world.new, budget=20, batch=8, config=CONFIG, seed=1,
                    context=world.context)


def test_the_budget_grows_by_batch_each_round_up_to_the_budget(curve, world):
    assert [r.budget for r in curve.rounds] == [0, 8, 16, 20]
    assert [r.round for r in curve.rounds] == [0, 1, 2, 3]
    assert [len(r.picks) for r in curve.rounds] == [0, 8, 8, 4]
    assert all(p.round == r.round for r in curve.rounds for p in r.picks)
    ids = [p.pert_id for p in curve.picks]
    assert len(set(ids)) == 20 and set(ids) <= set(world.new.compound_ids)
    # evaluated on the new cell's compounds not bought yet (eval_data is the whole pool here)
    assert [r.n_eval for r in curve.rounds] == [48, 40, 32, 28]
    assert curve.rounds[0].select_s == 0.0 and all(r.select_s > 0 for r in curve.rounds[1:])
    assert curve.to_dict()["rounds"][1]["picks"][0]["pert_id"] == ids[0]


def test_fine_tuning_on_bought_compounds_improves_macro_f1_and_pearson(curve):
    first, last = curve.rounds[0], curve.rounds[-1]
    assert last.macro_f1 > first.macro_f1 + 0.15, [r.macro_f1 for r in curve.rounds]
    assert last.pearson > first.pearson + 0.2, [r.pearson for r in curve.rounds]


def test_simulation_is_deterministic_and_leaves_the_pretrained_model_alone(world, model, strategies, curve):
    before = model.predict_classes(world.new.conditions, context=world.context)
    again = simulate(model, strategies["margin"](), world.new, world.new, budget=20, batch=8, config=CONFIG, seed=1,
                     context=world.context)
    strip = lambda c: [(r.budget, r.picks, r.macro_f1, r.pearson, r.n_eval) for r in c.rounds]  # noqa: E731
    assert strip(again) == strip(curve)
    assert np.array_equal(model.predict_classes(world.new.conditions, context=world.context), before)


def test_a_held_out_eval_set_and_a_model_free_strategy(world, model, strategies):
    held_out = world.new.subset(range(40, 48))
    pool = world.new.subset(range(40))
    moas = {c: (f"moa{i % 5}",) for i, c in enumerate(pool.compound_ids)}
    curve = simulate(model, strategies["moa_stratified"](), pool, held_out, budget=10, batch=5, config=CONFIG,
                     seed=0, context=world.context, moas=moas)
    assert [r.n_eval for r in curve.rounds] == [8, 8, 8]
    first_round = {moas[p.pert_id][0] for p in curve.rounds[1].picks}
    assert first_round == {f"moa{i}" for i in range(5)}
    random_curve = simulate(model, strategies["random"](), pool, held_out, budget=10, batch=5, config=CONFIG,
                            seed=0, context=world.context)
    assert random_curve.rounds[-1].macro_f1 > random_curve.rounds[0].macro_f1


def test_bad_requests_are_refused(world, model, strategies):
    with pytest.raises(ValueError, match="batch"):
        simulate(model, strategies["random"](), world.new, world.new, 4, 0, CONFIG, 0)
    with pytest.raises(ValueError, match="one \\(new\\) cell line"):
        simulate(model, strategies["random"](), world.pretrain, world.new, 4, 2, CONFIG, 0)
