"""Train/test splits. The default is cold-compound: no compound has signatures on both sides."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

from toolkit.models import TaskData


class SplitKind(str, Enum):
    RANDOM = "random"
    COLD_COMPOUND = "cold_compound"


@dataclass(frozen=True)
class Split:
    train: np.ndarray  # row indices into TaskData
    valid: np.ndarray
    test: np.ndarray
    unlabelled: np.ndarray


def _partition(groups: list, labels: list, fractions: tuple[float, float], rng: np.random.Generator) -> tuple[set, set]:
    """Pick test and valid groups stratified by label: each label keeps at least one training group."""
    by_label: dict[str, list] = {}
    for group, label in zip(groups, labels):
        by_label.setdefault(label, []).append(group)
    test, valid = set(), set()
    for label in sorted(by_label):
        members = sorted(by_label[label])
        rng.shuffle(members)
        n_test = int(round(len(members) * fractions[0]))
        n_valid = int(round(len(members) * fractions[1]))
        if len(members) - n_test - n_valid < 1:
            n_test, n_valid = min(n_test, len(members) - 1), 0
        test.update(members[:n_test])
        valid.update(members[n_test : n_test + n_valid])
    return test, valid


def make_split(data: TaskData, kind: SplitKind | str = SplitKind.COLD_COMPOUND, test_fraction: float = 0.25,
               valid_fraction: float = 0.15, seed: int = 0) -> Split:
    kind = SplitKind(kind)
    rng = np.random.default_rng(seed)
    labelled = data.labelled
    rows = np.arange(len(data.sample_ids))
    first_label = [data.classes[int(np.argmax(row))] for row in data.y]
    if kind is SplitKind.COLD_COMPOUND:
        compound_label = {c: first_label[i] for i, c in enumerate(data.compound_ids) if labelled[i]}
        compounds = sorted(compound_label)
        test, valid = _partition(compounds, [compound_label[c] for c in compounds],
                                 (test_fraction, valid_fraction), rng)
        keys = list(data.compound_ids)
    else:
        keys = list(data.sample_ids)
        chosen = [k for i, k in enumerate(keys) if labelled[i]]
        test, valid = _partition(chosen, [first_label[i] for i in rows if labelled[i]],
                                 (test_fraction, valid_fraction), rng)
    in_test = np.array([k in test for k in keys])
    in_valid = np.array([k in valid for k in keys])
    return Split(
        train=rows[labelled & ~in_test & ~in_valid],
        valid=rows[labelled & in_valid],
        test=rows[labelled & in_test],
        unlabelled=rows[~labelled],
    )
