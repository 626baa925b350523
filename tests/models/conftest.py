"""Fixtures for the model tests: a small generated demo read straight from its files (no database)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.models.demo_task import make_demo_task
from toolkit.demo import DemoSpec
from toolkit.models import TaskData, TrainConfig
from toolkit.train.splits import Split, make_split

# Small but complete: planted pathways, a GO DAG, STRING edges, SMILES, unlabelled compounds.
SMALL = DemoSpec(n_genes=120, n_moas=3, compounds_per_moa=8, n_cells=2, pathway_size=10, targets_per_moa=2,
                 n_background_terms=12, string_degree=4, seed=3)
QUICK = TrainConfig(epochs=3, batch_size=16, seed=0, patience=3, device="cpu")


@pytest.fixture(scope="session")
def demo_task(tmp_path_factory: pytest.TempPathFactory) -> TaskData:
    return make_demo_task(tmp_path_factory.mktemp("demo"), SMALL)


@pytest.fixture(scope="session")
def demo_split(demo_task: TaskData) -> Split:
    return make_split(demo_task, "cold_compound", seed=0)


@pytest.fixture(scope="session")
def train_part(demo_task: TaskData, demo_split: Split) -> TaskData:
    return demo_task.subset(demo_split.train)


@pytest.fixture(scope="session")
def valid_part(demo_task: TaskData, demo_split: Split) -> TaskData:
    return demo_task.subset(demo_split.valid)


@pytest.fixture(scope="session")
def test_x(demo_task: TaskData, demo_split: Split) -> np.ndarray:
    rows = np.concatenate([demo_split.test, demo_split.unlabelled])
    return demo_task.x[rows]
