"""Readers for the generated demo files, shared by the demo tests."""

from __future__ import annotations

import csv
from pathlib import Path

import h5py
import numpy as np


def tsv_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def gctx_matrix(path: Path) -> np.ndarray:
    with h5py.File(path, "r") as h5:
        return h5["/0/DATA/0/matrix"][:]
