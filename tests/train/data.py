"""Test data of the training tests: the small demo loader and synthetic snapshots (no server)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from toolkit.models import GraphContext, TaskData
from toolkit.settings import Settings

SMALL = dict(n_genes=300, n_moas=3, compounds_per_moa=8, n_cells=2, pathway_size=15, n_background_terms=15)


@dataclass(frozen=True)
class DemoGraph:
    graph: object  # toolkit.graph.db.Graph
    settings: Settings  # the test server's settings with a home of this module's own (runs, cache)
    data_dir: Path


def load_demo(graph, settings: Settings, data_dir: Path, seed: int = 11, **spec: int) -> None:
    """Empty the graph, generate a demo dataset and load it with every demo source."""
    from toolkit.demo import DemoSpec, generate_demo
    from toolkit.demo.workflow import demo_loads
    from toolkit.load import load

    graph.delete_everything()
    if not (data_dir / "ground_truth.json").is_file():
        generate_demo(data_dir, DemoSpec(seed=seed, **{**SMALL, **spec}))
    for source, paths in demo_loads(data_dir):
        load(graph, settings, source, paths)


def synthetic(n_compounds: int = 30, cells: tuple[str, ...] = ("A", "B", "C", "D"), per_cell: int = 2,
              n_classes: int = 4, n_genes: int = 6, seed: int = 0, unlabelled: int = 4,
              multi_label: int = 3, no_scaffold: int = 5) -> TaskData:
    """A snapshot with compounds x cells x replicates, some compounds with two MoAs, some
    unlabelled, scaffolds shared by 2-3 compounds and some compounds without a scaffold."""
    rng = np.random.default_rng(seed)
    classes = tuple(f"moa{k}" for k in range(n_classes))
    compounds = [f"BRD-{i:04d}" for i in range(n_compounds)]
    labels = {}
    for i, c in enumerate(compounds):
        row = np.zeros(n_classes, dtype=np.float32)
        if i >= unlabelled:
            row[i % n_classes] = 1
            if i < unlabelled + multi_label:
                row[(i + 1) % n_classes] = 1
        labels[c] = row
    sample_ids, compound_ids, cell_ids, y = [], [], [], []
    for c in compounds:
        for cell in cells:
            for r in range(per_cell):
                sample_ids.append(f"{c}:{cell}:{r}")
                compound_ids.append(c)
                cell_ids.append(cell)
                y.append(labels[c])
    scaffold = {c: f"scaf{i // 3}" for i, c in enumerate(compounds) if i >= no_scaffold}
    context = GraphContext(
        gene_edges=np.zeros((2, 0), dtype=np.int64), edge_weight=np.zeros(0, dtype=np.float32), go_ids=(),
        go_names=(), gene_go=np.zeros((n_genes, 0), dtype=np.float32), go_edges=np.zeros((2, 0), dtype=np.int64),
        compound_smiles={c: "CCO" for c in compounds}, compound_scaffold=scaffold,
    )
    return TaskData(
        x=rng.normal(size=(len(sample_ids), n_genes)).astype(np.float32), y=np.array(y, dtype=np.float32),
        sample_ids=tuple(sample_ids), compound_ids=tuple(compound_ids), gene_ids=tuple(range(100, 100 + n_genes)),
        classes=classes, cell_ids=tuple(cell_ids), context=context,
    )
