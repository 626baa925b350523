"""Splits and folds keep their promises, are seeded, and cover every labelled row (no server)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from tests.train.data import synthetic
from toolkit.errors import ConfigError
from toolkit.train.splits import SplitKind, group_keys, make_folds, make_split, shared_groups

KINDS = list(SplitKind)


def _assert_partition(data, split):
    """Labelled rows are on exactly one side; unlabelled rows are kept apart."""
    sides = [split.train, split.valid, split.test]
    joined = np.concatenate(sides)
    assert len(joined) == len(set(joined.tolist())), "a row is on two sides"
    assert set(joined.tolist()) == set(np.flatnonzero(data.labelled).tolist())
    assert set(split.unlabelled.tolist()) == set(np.flatnonzero(~data.labelled).tolist())


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_each_split_keeps_its_promise(kind, seed):
    data = synthetic(seed=seed)
    split = make_split(data, kind, test_fraction=0.25, seed=seed)
    _assert_partition(data, split)
    assert len(split.train) and len(split.valid) and len(split.test)
    shared = shared_groups(data, split, kind)
    assert not shared["train&test"] and not shared["valid&test"]
    if kind is not SplitKind.COLD_CELL:  # cold_cell may carve valid from the training cells
        assert not shared["train&valid"]


def test_promises_in_plain_words():
    data = synthetic()
    for kind, ids in ((SplitKind.COLD_COMPOUND, data.compound_ids), (SplitKind.COLD_CELL, data.cell_ids)):
        split = make_split(data, kind, seed=4)
        train = {ids[i] for i in split.train}
        test = {ids[i] for i in split.test}
        assert train and test and not train & test, kind
    split = make_split(data, SplitKind.SCAFFOLD, seed=4)
    scaffold = data.context.compound_scaffold
    train = {scaffold[data.compound_ids[i]] for i in split.train if data.compound_ids[i] in scaffold}
    test = {scaffold[data.compound_ids[i]] for i in split.test if data.compound_ids[i] in scaffold}
    assert not train & test


def test_compounds_without_scaffold_are_their_own_group():
    data = synthetic(no_scaffold=5)
    keys = group_keys(data, SplitKind.SCAFFOLD)
    no_scaffold = {c for c in data.compound_ids if c not in data.context.compound_scaffold}
    assert len(no_scaffold) == 5
    for compound in no_scaffold:
        assert {k for k, c in zip(keys, data.compound_ids) if c == compound} == {f"compound:{compound}"}
    assert len({k for k in keys if k.startswith("scaffold:")}) < len(set(data.compound_ids)) - 5


def test_splits_are_seeded():
    data = synthetic()
    for kind in KINDS:
        a, b = make_split(data, kind, seed=3), make_split(data, kind, seed=3)
        assert all(np.array_equal(getattr(a, s), getattr(b, s)) for s in ("train", "valid", "test")), kind
    tests = {tuple(make_split(data, SplitKind.COLD_COMPOUND, seed=s).test) for s in range(5)}
    assert len(tests) > 1


def test_cold_compound_is_stratified_and_keeps_every_label_in_training():
    data = synthetic(n_compounds=40)
    split = make_split(data, SplitKind.COLD_COMPOUND, seed=0)
    for side in (split.train, split.test):
        assert data.y[side].sum(axis=0).min() > 0  # every class on both sides


def test_cold_cell_with_two_cells_still_has_valid_rows_and_one_test_cell():
    data = synthetic(cells=("A", "B"))
    split = make_split(data, SplitKind.COLD_CELL, seed=0)
    assert len({data.cell_ids[i] for i in split.test}) == 1
    assert len(split.valid) > 0
    valid_compounds = {data.compound_ids[i] for i in split.valid}
    assert not valid_compounds & {data.compound_ids[i] for i in split.train}


@pytest.mark.parametrize("kind", KINDS)
def test_folds_cover_every_labelled_row_once_and_keep_the_promise(kind):
    data = synthetic()
    k = 3 if kind is SplitKind.COLD_CELL else 4
    folds = make_folds(data, kind, k=k, seed=1)
    assert len(folds) == k
    tested = np.concatenate([f.test for f in folds])
    assert sorted(tested.tolist()) == np.flatnonzero(data.labelled).tolist()
    for fold in folds:
        _assert_partition(data, fold)
        shared = shared_groups(data, fold, kind)
        assert not shared["train&test"] and not shared["valid&test"]
    again = make_folds(data, kind, k=k, seed=1)
    assert all(np.array_equal(a.test, b.test) for a, b in zip(folds, again))


def test_folds_are_balanced():
    data = synthetic(n_compounds=44, unlabelled=4)
    sizes = [len({data.compound_ids[i] for i in f.test}) for f in make_folds(data, "cold_compound", k=4, seed=0)]
    assert max(sizes) - min(sizes) <= 1


def test_bad_requests_are_clear_errors():
    data = synthetic(cells=("A", "B"))
    with pytest.raises(ConfigError, match="k >= 2"):
        make_folds(data, "cold_compound", k=1)
    with pytest.raises(ConfigError, match="3 folds need at least 3 cold_cell groups"):
        make_folds(data, "cold_cell", k=3)
    with pytest.raises(ConfigError, match="scaffold"):
        make_split(replace(data, context=None), "scaffold")
    with pytest.raises(ConfigError, match="cell lines"):
        make_split(replace(data, cell_ids=()), "cold_cell")
    with pytest.raises(ConfigError, match="fractions"):
        make_split(data, "random", test_fraction=0.9, valid_fraction=0.2)
