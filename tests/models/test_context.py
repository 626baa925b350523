"""What the knowledge models need from the graph context, and their errors when it is empty."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from toolkit import plugins
from toolkit.models import TaskData, missing_context

from .conftest import QUICK

NEEDS = {"gnn": ("string",), "go_vnn": ("go",), "multimodal": ("string", "structure")}


def _model(name: str, data: TaskData):
    cls = plugins.registry().items["models"][name]
    return cls(data.x.shape[1], len(data.classes), {})


def _without(data: TaskData, part: str) -> TaskData:
    """``data`` whose context lacks ``part``: no STRING edges, no GO terms, or no SMILES."""
    ctx = data.context
    assert ctx is not None
    if part == "string":
        ctx = replace(ctx, gene_edges=np.zeros((2, 0), np.int64), edge_weight=np.zeros(0, np.float32))
    elif part == "go":
        ctx = replace(ctx, go_ids=(), go_names=(), gene_go=np.zeros((len(data.gene_ids), 0), np.float32),
                      go_edges=np.zeros((2, 0), np.int64))
    else:
        ctx = replace(ctx, compound_smiles={}, compound_scaffold={})
    return replace(data, context=ctx)


@pytest.mark.parametrize("name", sorted(NEEDS))
def test_knowledge_models_declare_their_needs(name: str, train_part: TaskData) -> None:
    cls = plugins.registry().items["models"][name]
    assert cls.context_needs == NEEDS[name]
    assert missing_context(cls.context_needs, train_part.context) == []  # the demo context has all of it


@pytest.mark.parametrize(("name", "part", "message"), [
    ("gnn", "string", "STRING interactions"),
    ("go_vnn", "go", "Gene Ontology annotations"),
    ("multimodal", "string", "STRING interactions"),
    ("multimodal", "structure", "compound SMILES"),
])
def test_empty_context_fails_with_what_to_load(name: str, part: str, message: str, train_part: TaskData) -> None:
    empty = _without(train_part, part)
    with pytest.raises(ValueError, match=message) as err:
        _model(name, empty).fit(empty, QUICK)
    assert "kgtool load" in str(err.value) and "concatenate" not in str(err.value)


@pytest.mark.parametrize(("name", "part", "message"), [
    ("gnn", "string", "STRING interactions"),
    ("go_vnn", "go", "Gene Ontology annotations"),
    ("multimodal", "string", "STRING interactions"),
])
def test_building_on_an_empty_context_says_so(name: str, part: str, message: str, train_part: TaskData) -> None:
    """The builders check too (a caller that skips fit's check still gets a clear error)."""
    empty = _without(train_part, part)
    with pytest.raises(ValueError, match=message):
        _model(name, empty).build(empty)


def test_vnn_plan_without_annotated_terms_is_a_clear_error() -> None:
    from kgtool_plugins.models.nets.vnn import plan_dag

    for gene_go in (np.zeros((5, 0), np.float32), np.zeros((5, 3), np.float32)):
        with pytest.raises(ValueError, match="no GO term annotates any of the 5 genes"):
            plan_dag(gene_go, np.zeros((2, 0), np.int64), per_term=2)
