"""The task contract: an expression-task model registers like any model, is listed with its task,
gets its data from a MoA snapshot, and the MoA trainer refuses it clearly (``kgtool train`` picks
the expression trainer by the model's task: tests/train/test_expression_pipeline.py)."""

from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np
import pytest
from click.testing import CliRunner

from tests.train.data import synthetic
from toolkit import hookspecs, plugins
from toolkit.errors import RunError
from toolkit.models import TrainConfig
from toolkit.tasks import Conditions, ExpressionData, ExpressionModelPlugin, Task, task_of, three_class


class CellMean(ExpressionModelPlugin):
    """Predicts each cell line's mean training signature (the usual floor for expression models)."""

    name = "test_cell_mean"
    description = "test model: mean signature per cell line"

    def fit(self, train: ExpressionData, config: TrainConfig, valid: Optional[ExpressionData] = None) -> dict[str, Any]:
        cells = np.array(train.cell_ids)
        self.means = {c: train.y[cells == c].mean(axis=0) for c in sorted(set(train.cell_ids))}
        self.overall = train.y.mean(axis=0)
        return {"cells": len(self.means)}

    def predict_expression(self, conditions: Conditions, *, context: Any = None) -> np.ndarray:
        return np.stack([self.means.get(c, self.overall) for c in conditions.cell_ids])

    def state_dict(self) -> dict[str, Any]:
        return {"means": self.means, "overall": self.overall}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.means, self.overall = state["means"], state["overall"]


class _Plugin:
    @staticmethod
    @hookspecs.hookimpl
    def kgtool_register_models(register):
        register(CellMean)


@pytest.fixture
def with_expression_model():
    plugins.reset()
    plugins.plugin_manager().register(_Plugin(), name="expression_test")
    yield
    plugins.reset()


def test_expression_data_from_a_snapshot_and_the_model_contract():
    data = synthetic()
    expr = ExpressionData.from_signatures(data, dose_um=np.full(len(data.sample_ids), 10.0))
    assert expr.y.shape == (len(data.sample_ids), len(data.gene_ids)) and np.isnan(expr.time_h).all()
    model = CellMean(len(expr.gene_ids))
    assert model.fit(expr, TrainConfig()) == {"cells": 4}
    pred = model.predict_expression(Conditions(expr.compound_ids[:3], ["A", "B", "Z"], expr.dose_um[:3],
                                               expr.time_h[:3]))
    assert pred.shape == (3, len(expr.gene_ids))
    assert np.allclose(pred[0], expr.y[np.array(expr.cell_ids) == "A"].mean(axis=0))
    with pytest.raises(ValueError, match="inconsistent ExpressionData"):
        ExpressionData(("a",), ("A",), np.zeros(2), np.zeros(1), np.zeros((1, 2)), (1, 2), ("s",))
    part = expr.subset([2, 0])
    assert part.sample_ids == (expr.sample_ids[2], expr.sample_ids[0]) and np.array_equal(part.y[1], expr.y[0])
    assert len(part.conditions) == 2 and part.conditions.subset([1]).cell_ids == [expr.cell_ids[0]]
    with pytest.raises(NotImplementedError, match="not a 3-class model"):
        model.predict_classes(part.conditions)


def test_three_class_labels_at_the_anchordrug_threshold():
    y = np.array([[-2.0, -1.5, 0.0, 1.5, 1.6]])
    assert three_class(y).tolist() == [[0, 1, 1, 1, 2]]


def test_an_expression_model_is_listed_with_its_task_and_refused_by_the_moa_trainer(with_expression_model, graph, settings):
    from toolkit.cli import cli
    from toolkit.train.pipeline import train

    assert task_of(plugins.registry().get("models", "test_cell_mean")) is Task.EXPRESSION
    assert task_of(plugins.registry().get("models", "mlp")) is Task.MOA
    listing = CliRunner().invoke(cli, ["plugins"])
    block = listing.output.split("expression_test", 1)[1]
    assert block.splitlines()[2].strip() == "tasks     expression"
    with pytest.raises(RunError, match="solves the 'expression' task; train it with"):
        train(graph, settings, "test_cell_mean", TrainConfig())
