"""Turn the graph into a :class:`TaskData` snapshot (the only place training reads Neo4j)."""

from __future__ import annotations

import hashlib

import numpy as np

from toolkit import cypher
from toolkit.errors import RunError
from toolkit.graph.db import Graph
from toolkit.models import TaskData


def export_signatures(graph: Graph) -> TaskData:
    genes = graph.read(cypher.load("export/landmark_genes"))
    rows = graph.read(cypher.load("export/signatures"))
    if not rows:
        raise RunError("the graph holds no signatures linked to compounds; load some with "
                       "`kgtool load signatures …` (or run `kgtool demo`)")
    gene_ids = tuple(int(g["entrez_id"]) for g in genes)
    width = {len(r["z"]) for r in rows}
    if width != {len(gene_ids)}:
        raise RunError(f"signature vectors have lengths {sorted(width)} but the graph has {len(gene_ids)} "
                       "landmark genes; reload signatures against one gene set")
    classes = tuple(sorted({m for r in rows for m in r["moas"]}))
    col = {name: i for i, name in enumerate(classes)}
    y = np.zeros((len(rows), len(classes)), dtype=np.float32)
    for i, r in enumerate(rows):
        for m in r["moas"]:
            y[i, col[m]] = 1.0
    return TaskData(
        x=np.asarray([r["z"] for r in rows], dtype=np.float32),
        y=y,
        sample_ids=tuple(r["sig_id"] for r in rows),
        compound_ids=tuple(r["pert_id"] for r in rows),
        gene_ids=gene_ids,
        classes=classes,
    )


def data_hash(data: TaskData) -> str:
    """Content hash of a snapshot: ids, labels and values (goes into every run manifest)."""
    h = hashlib.sha256()
    for part in (data.sample_ids, data.compound_ids, data.gene_ids, data.classes):
        h.update("\x1f".join(map(str, part)).encode())
        h.update(b"\x1e")
    h.update(np.ascontiguousarray(data.x).tobytes())
    h.update(np.ascontiguousarray(data.y).tobytes())
    return h.hexdigest()
