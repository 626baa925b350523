"""``kgtool train --split-file``: reading, checking and applying a pert_id -> split TSV. No server."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from tests.train.data import synthetic
from toolkit.errors import ConfigError, InputDataError
from toolkit.train.splits import read_split_file, run_split, split_from_file, split_from_mapping


def _write(path, lines):
    path.write_text("\n".join(lines) + "\n")
    return path


def _labelled_compounds(data):
    return sorted({c for c, lab in zip(data.compound_ids, data.labelled) if lab})


def test_round_trip_puts_every_sample_of_a_compound_on_its_side(tmp_path):
    data = synthetic()
    compounds = _labelled_compounds(data)
    sides = {c: ("train", "valid", "test")[i % 3] for i, c in enumerate(compounds[:-2])}  # last 2 unlisted
    path = _write(tmp_path / "split.tsv", ["pert_id\tsplit", *(f"{c}\t{s}" for c, s in sides.items())])
    split_file = read_split_file(path)
    assert dict(split_file.sides) == sides and split_file.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert split_file.lines[compounds[0]] == 2
    split = split_from_file(data, split_file)
    for name in ("train", "valid", "test"):
        assert {data.compound_ids[i] for i in getattr(split, name)} == {c for c, s in sides.items() if s == name}
    unlisted = {data.compound_ids[i] for i in split.unlabelled if data.labelled[i]}
    assert unlisted == set(compounds[-2:])  # left out of training and evaluation
    assert not data.labelled[[i for i in split.unlabelled if data.compound_ids[i] not in unlisted]].any()
    every = np.concatenate([split.train, split.valid, split.test, split.unlabelled])
    assert sorted(every.tolist()) == list(range(len(data.sample_ids)))
    again = run_split(data, {"split_file": str(path), "split_file_sha256": split_file.sha256})
    assert all(np.array_equal(getattr(again, n), getattr(split, n)) for n in ("train", "valid", "test", "unlabelled"))
    path.write_text(path.read_text() + f"{compounds[-1]}\ttrain\n")
    with pytest.raises(ConfigError, match="changed since the run used it"):
        run_split(data, {"split_file": str(path), "split_file_sha256": split_file.sha256})


@pytest.mark.parametrize("lines, record, problem", [
    (["pert\tside", "BRD-0004\ttrain"], "line 1", "header"),
    (["pert_id\tsplit", "BRD-0004\ttrain", "BRD-0005\ttset"], "line 3", "'tset'"),
    (["pert_id\tsplit", "BRD-0004\ttrain", "BRD-0004\ttest"], "line 3", "listed again"),
    (["pert_id\tsplit", "BRD-0004 train"], "line 2", "2 tab-separated columns"),
    (["pert_id\tsplit"], "line 2", "no compound"),
])
def test_a_bad_file_names_the_file_the_line_and_the_fix(tmp_path, lines, record, problem):
    path = _write(tmp_path / "bad.tsv", lines)
    with pytest.raises(InputDataError) as err:
        read_split_file(path)
    message = str(err.value)
    assert message.startswith(f"{path}: {record}: ") and problem in message and "fix:" in message
    assert "\n" not in message


def test_unknown_compounds_and_empty_sides_are_one_line_errors(tmp_path):
    data = synthetic()
    compounds = _labelled_compounds(data)
    path = _write(tmp_path / "s.tsv", ["pert_id\tsplit", f"{compounds[0]}\ttrain", "BRD-NOPE\ttest"])
    with pytest.raises(InputDataError, match=r"s\.tsv: line 3: BRD-NOPE has no samples in the graph.*fix: remove"):
        split_from_file(data, read_split_file(path))
    with pytest.raises(ConfigError, match="no labelled sample on the test side"):
        split_from_mapping(data, {c: "train" for c in compounds})
    with pytest.raises(ConfigError, match="BRD-NOPE"):
        split_from_mapping(data, {"BRD-NOPE": "train"})
