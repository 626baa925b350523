"""Train/valid/test splits and k folds, seeded. Each kind keeps one promise about the test side:

* ``random``: no signature on both sides (stratified by label over signatures);
* ``cold_compound`` (default): no compound has signatures on both sides;
* ``scaffold``: no Murcko scaffold on both sides (scaffolds come from the graph context; a
  compound without a scaffold is a group of its own);
* ``cold_cell``: no cell line on both sides (a signature without a cell line is its own group).

Valid rows are held out the same way (no group shared with train or test), except that with
``cold_cell`` and too few cell lines for a valid cell, valid is carved from the training cells
by compound (so it still shares no cell line with test).

Test groups are drawn per stratum (the first MoA of a group's signatures), and a stratum with a
single group keeps it in training: a class seen on one compound cannot be tested cold. When that
leaves the test side empty (every class on one compound, one cell line for ``cold_cell``),
``make_split`` raises :class:`ConfigError` instead of letting a run finish with no test metrics.

A split can also come from a file (``kgtool train --split-file``, :func:`read_split_file`): a TSV
with the header ``pert_id<TAB>split`` and one line per compound, split ``train``, ``valid`` or
``test``. Every sample of a listed compound goes to its side; the samples of compounds the file
does not list (and of listed compounds without a label) go to ``unlabelled``: not trained on, not
evaluated, still predicted (with split ``unlabelled``). :func:`run_split` re-makes the split of a
recorded run either way.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from toolkit.errors import ConfigError, InputDataError
from toolkit.models import TaskData

logger = logging.getLogger(__name__)

_ALL = "\x00all"  # the one stratum of unstratified kinds


class SplitKind(str, Enum):
    RANDOM = "random"
    COLD_COMPOUND = "cold_compound"
    SCAFFOLD = "scaffold"
    COLD_CELL = "cold_cell"

    @property
    def needs_context(self) -> bool:
        """The split reads graph knowledge (scaffolds) that only a context export carries."""
        return self is SplitKind.SCAFFOLD


@dataclass(frozen=True)
class Split:
    train: np.ndarray  # row indices into TaskData
    valid: np.ndarray
    test: np.ndarray
    unlabelled: np.ndarray


def group_keys(data: TaskData, kind: SplitKind | str) -> list[str]:
    """The group each row belongs to under ``kind`` (rows of one group stay on one side)."""
    kind = SplitKind(kind)
    if kind is SplitKind.RANDOM:
        return [f"sig:{s}" for s in data.sample_ids]
    if kind is SplitKind.COLD_COMPOUND:
        return [f"compound:{c}" for c in data.compound_ids]
    if kind is SplitKind.SCAFFOLD:
        if data.context is None:
            raise ConfigError("the scaffold split needs compound scaffolds from the graph; export the "
                              "snapshot with context (train does this for --split scaffold)")
        scaffolds = data.context.compound_scaffold
        return [f"scaffold:{scaffolds[c]}" if scaffolds.get(c) else f"compound:{c}" for c in data.compound_ids]
    if not data.cell_ids:
        raise ConfigError("the cold_cell split needs the signatures' cell lines; the snapshot has none "
                          "(load signatures with a cell column)")
    return [f"cell:{c}" if c else f"sig:{s}" for c, s in zip(data.cell_ids, data.sample_ids)]


def _group_strata(data: TaskData, keys: Sequence[str], stratified: bool) -> dict[str, str]:
    """Each labelled group's stratum: the most common first label of its rows (ties: smallest)."""
    votes: dict[str, Counter[str]] = {}
    labelled = data.labelled
    for i, key in enumerate(keys):
        if labelled[i]:
            label = data.classes[int(np.argmax(data.y[i]))] if stratified else _ALL
            votes.setdefault(key, Counter())[label] += 1
    return {key: min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0] for key, c in votes.items()}


def _by_stratum(strata: dict[str, str], rng: np.random.Generator) -> dict[str, list[str]]:
    by: dict[str, list[str]] = {}
    for group, stratum in strata.items():
        by.setdefault(stratum, []).append(group)
    out = {}
    for stratum in sorted(by):
        members = sorted(by[stratum])
        rng.shuffle(members)
        out[stratum] = members
    return out


def _partition(groups: Sequence, labels: Sequence, fractions: tuple[float, float],
               rng: np.random.Generator) -> tuple[set, set]:
    """Pick test and valid ``groups`` stratified by their ``labels`` (kept for callers of the old helper)."""
    return _partition_strata(dict(zip(groups, labels)), fractions, rng)


def _partition_strata(strata: dict[str, str], fractions: tuple[float, float],
                      rng: np.random.Generator) -> tuple[set, set]:
    """Pick test and valid groups per stratum; each stratum with 2+ groups gets 1+ test group and
    keeps 1+ training group."""
    test, valid = set(), set()
    for members in _by_stratum(strata, rng).values():
        n = len(members)
        n_test = int(round(n * fractions[0]))
        if fractions[0] > 0 and n >= 2:
            n_test = max(n_test, 1)
        n_test = min(n_test, n - 1)
        n_valid = min(int(round(n * fractions[1])), n - 1 - n_test)
        test.update(members[:n_test])
        valid.update(members[n_test : n_test + n_valid])
    return test, valid


def _rows(data: TaskData, keys: Sequence[str], test: set, valid: set) -> Split:
    rows = np.arange(len(data.sample_ids))
    labelled = data.labelled
    in_test = np.array([k in test for k in keys], dtype=bool)
    in_valid = np.array([k in valid for k in keys], dtype=bool) & ~in_test
    return Split(train=rows[labelled & ~in_test & ~in_valid], valid=rows[labelled & in_valid],
                 test=rows[labelled & in_test], unlabelled=rows[~labelled])


def _carve_valid(data: TaskData, split: Split, fraction: float, rng: np.random.Generator) -> Split:
    """Move a cold-compound share of the training rows to valid (when the kind's own groups ran out)."""
    if fraction <= 0 or len(split.train) == 0:
        return split
    train = data.subset(split.train)
    keys = group_keys(train, SplitKind.COLD_COMPOUND)
    chosen, _ = _partition_strata(_group_strata(train, keys, True), (fraction, 0.0), rng)
    moved = np.array([k in chosen for k in keys], dtype=bool)
    return Split(train=split.train[~moved], valid=np.sort(np.concatenate([split.valid, split.train[moved]])),
                 test=split.test, unlabelled=split.unlabelled)


def make_split(data: TaskData, kind: SplitKind | str = SplitKind.COLD_COMPOUND, test_fraction: float = 0.25,
               valid_fraction: float = 0.15, seed: int = 0) -> Split:
    """A seeded train/valid/test split of the labelled rows (unlabelled rows are kept apart)."""
    kind = SplitKind(kind)
    if not 0 < test_fraction < 1 or not 0 <= valid_fraction < 1 or test_fraction + valid_fraction >= 1:
        raise ConfigError(f"split fractions test={test_fraction} valid={valid_fraction} must be in (0, 1) "
                          "and sum to less than 1")
    rng = np.random.default_rng(seed)
    keys = group_keys(data, kind)
    strata = _group_strata(data, keys, stratified=kind is not SplitKind.COLD_CELL)
    test, valid = _partition_strata(strata, (test_fraction, valid_fraction), rng)
    split = _rows(data, keys, test, valid)
    if kind is SplitKind.COLD_CELL and len(split.valid) == 0:
        split = _carve_valid(data, split, valid_fraction / (1 - test_fraction), rng)
    if len(split.test) == 0 and len(split.train):
        raise ConfigError(_no_test_rows(kind, strata))
    _log(kind, split)
    return split


def _no_test_rows(kind: SplitKind, strata: dict[str, str]) -> str:
    """Why a split found nothing to test on: every stratum has a single group (it must stay in train)."""
    unit = {SplitKind.RANDOM: "signatures", SplitKind.COLD_COMPOUND: "compounds", SplitKind.SCAFFOLD: "scaffolds",
            SplitKind.COLD_CELL: "cell lines"}[kind]
    if kind is SplitKind.COLD_CELL:
        why = f"the labelled signatures come from {len(strata)} cell line(s) and cold_cell needs 2 or more"
    else:
        why = (f"none of the {len(strata)} labelled {unit} shares its (first) MoA with another one, and a "
               f"class needs 2+ {unit} to put one on the test side")
    return (f"the {kind.value} split has no labelled rows to test on: {why}; use another --split "
            "(random holds out signatures) or load more labelled data")


def make_folds(data: TaskData, kind: SplitKind | str = SplitKind.COLD_COMPOUND, k: int = 5, seed: int = 0,
               valid_fraction: float = 0.15) -> list[Split]:
    """``k`` seeded folds: every labelled group is in exactly one fold's test side; each fold's
    valid groups come from the other folds' groups (stratified), the rest train."""
    kind = SplitKind(kind)
    if k < 2:
        raise ConfigError(f"k-fold cross-validation needs k >= 2, got {k}")
    if not 0 <= valid_fraction < 1:
        raise ConfigError(f"valid fraction {valid_fraction} must be in [0, 1)")
    rng = np.random.default_rng(seed)
    keys = group_keys(data, kind)
    strata = _group_strata(data, keys, stratified=kind is not SplitKind.COLD_CELL)
    if len(strata) < k:
        raise ConfigError(f"{k} folds need at least {k} {kind.value} groups with labels; the data has {len(strata)}")
    fold_of: dict[str, int] = {}
    offset = 0
    for members in _by_stratum(strata, rng).values():  # deal each stratum round-robin, continuing
        for j, group in enumerate(members):            # where the last one stopped: balanced folds
            fold_of[group] = (offset + j) % k
        offset += len(members)
    folds = []
    for fold in range(k):
        test = {g for g, f in fold_of.items() if f == fold}
        rest = {g: s for g, s in strata.items() if g not in test}
        share = valid_fraction / (1 - 1 / k)
        valid, _ = _partition_strata(rest, (share, 0.0), rng) if share > 0 else (set(), set())
        split = _rows(data, keys, test, valid)
        if kind is SplitKind.COLD_CELL and len(split.valid) == 0:
            split = _carve_valid(data, split, share, rng)
        _log(kind, split, f"fold {fold + 1}/{k}")
        folds.append(split)
    return folds


def shared_groups(data: TaskData, split: Split, kind: SplitKind | str) -> dict[str, set[str]]:
    """Groups of ``kind`` found on two sides (``train&test``, ``valid&test``, ``train&valid``):
    all empty when the split keeps its promise."""
    keys = group_keys(data, kind)
    side = {name: {keys[i] for i in getattr(split, name)} for name in ("train", "valid", "test")}
    return {"train&test": side["train"] & side["test"], "valid&test": side["valid"] & side["test"],
            "train&valid": side["train"] & side["valid"]}


def _log(kind: SplitKind, split: Split, what: str = "split") -> None:
    logger.info("%s %s: %d train, %d valid, %d test, %d unlabelled rows", kind.value, what, len(split.train),
                len(split.valid), len(split.test), len(split.unlabelled))


SPLIT_FILE_HEADER = ("pert_id", "split")
SPLIT_SIDES = ("train", "valid", "test")


@dataclass(frozen=True)
class SplitFile:
    """A split file read and checked: each listed compound's side and line, and the file's sha256."""

    path: Path
    sha256: str
    sides: Mapping[str, str]  # pert_id -> train | valid | test
    lines: Mapping[str, int]  # pert_id -> its line number (1 = the header)


def read_split_file(path: Path | str) -> SplitFile:
    """Read a ``pert_id<TAB>split`` TSV; a bad header, split value or repeated compound is an
    :class:`InputDataError` naming the file, the line and the fix."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the split file ({exc.strerror or exc}); pass a readable TSV") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputDataError(path, "line 1", "the split file is not UTF-8 text", "save it as a UTF-8 TSV") from None
    lines = text.splitlines()
    header = tuple(cell.strip() for cell in lines[0].split("\t")) if lines else ()
    if header != SPLIT_FILE_HEADER:
        raise InputDataError(path, "line 1", f"the header is {'<TAB>'.join(header) or 'missing'!s}",
                             "start the file with the header pert_id<TAB>split")
    sides: dict[str, str] = {}
    where: dict[str, int] = {}
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        cells = [cell.strip() for cell in line.split("\t")]
        if len(cells) != 2 or not cells[0]:
            raise InputDataError(path, f"line {number}", f"expected 2 tab-separated columns, got {line!r}",
                                 "write one pert_id<TAB>split per line")
        pert_id, side = cells
        if side not in SPLIT_SIDES:
            raise InputDataError(path, f"line {number}", f"split {side!r} of {pert_id} is not one of "
                                 f"{', '.join(SPLIT_SIDES)}", f"use {', '.join(SPLIT_SIDES)}")
        if pert_id in sides:
            raise InputDataError(path, f"line {number}", f"{pert_id} is listed again (first on line {where[pert_id]})",
                                 "list each compound once")
        sides[pert_id] = side
        where[pert_id] = number
    if not sides:
        raise InputDataError(path, "line 2", "the split file lists no compound",
                             "add pert_id<TAB>split lines below the header")
    return SplitFile(path=path, sha256=hashlib.sha256(raw).hexdigest(), sides=sides, lines=where)


def split_from_mapping(data: TaskData, sides: Mapping[str, str], source: str = "the split") -> Split:
    """The split that puts each sample of a compound on ``sides[compound]`` (train/valid/test);
    samples of compounds not in ``sides``, and unlabelled samples, go to ``unlabelled``. A compound
    the data lacks or a bad side is a :class:`ConfigError` (files get line numbers from
    :func:`split_from_file`)."""
    known = set(data.compound_ids)
    unknown = sorted(set(sides) - known)
    if unknown:
        raise ConfigError(f"{source} names compounds with no samples in the graph: {', '.join(unknown[:5])}"
                          f"{' …' if len(unknown) > 5 else ''}; remove them or load their signatures")
    bad = sorted({side for side in sides.values() if side not in SPLIT_SIDES})
    if bad:
        raise ConfigError(f"{source}: split values {bad} are not {', '.join(SPLIT_SIDES)}")
    rows = np.arange(len(data.sample_ids))
    side = np.array([sides.get(c, "") for c in data.compound_ids], dtype=object)
    labelled = data.labelled
    split = Split(train=rows[labelled & (side == "train")], valid=rows[labelled & (side == "valid")],
                  test=rows[labelled & (side == "test")], unlabelled=rows[~labelled | (side == "")])
    if len(split.train) == 0 or len(split.test) == 0:
        empty = "train" if len(split.train) == 0 else "test"
        raise ConfigError(f"{source} leaves no labelled sample on the {empty} side; list labelled compounds "
                          f"as {empty}")
    logger.info("%s: %d train, %d valid, %d test, %d unlabelled or unlisted rows", source, len(split.train),
                len(split.valid), len(split.test), len(split.unlabelled))
    return split


def split_from_file(data: TaskData, split_file: SplitFile) -> Split:
    """:func:`split_from_mapping` of a read split file; an unknown compound names its line."""
    known = set(data.compound_ids)
    for pert_id, number in sorted(split_file.lines.items(), key=lambda kv: kv[1]):
        if pert_id not in known:
            raise InputDataError(split_file.path, f"line {number}", f"{pert_id} has no samples in the graph "
                                 "(unknown compound, no signatures, or all dropped by QC)",
                                 "remove the line or load the compound's signatures")
    return split_from_mapping(data, split_file.sides, str(split_file.path))


def run_split(data: TaskData, config: Mapping[str, Any]) -> Split:
    """The split of the train run with ``config``, re-made on its samples: from its split file
    (checked against the recorded sha256) or by kind, fraction and seed."""
    if config.get("split_file"):
        split_file = read_split_file(config["split_file"])
        if config.get("split_file_sha256") and split_file.sha256 != config["split_file_sha256"]:
            raise ConfigError(f"{split_file.path}: the split file changed since the run used it (sha256 "
                              f"{split_file.sha256[:12]} vs {str(config['split_file_sha256'])[:12]}); restore it")
        return split_from_file(data, split_file)
    return make_split(data, config.get("split", SplitKind.COLD_COMPOUND.value),
                      test_fraction=float(config.get("test_fraction", 0.25)), seed=int(config.get("seed", 0)))
