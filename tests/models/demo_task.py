"""Demo datasets as model inputs, read straight from the generated files (no database).

The unit tests of the models read it (``tests/models/conftest.py``), so they need no server. It
mirrors what the graph export hands a model: :class:`TaskData` with genes in ascending Entrez
order, multi-hot MoA labels (unlabelled compounds get all-zero rows) and a :class:`GraphContext`
with the STRING edges, the GO DAG with propagated annotations and the compounds' SMILES and Murcko
scaffolds. The STRING and GO parts go through the export's own helpers, so terms are kept by the
same size rule.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path
from typing import Optional

import numpy as np

from toolkit.demo import DemoFiles, DemoSpec, generate_demo
from toolkit.models import GraphContext, TaskData
from toolkit.train.export import GO_MAX_GENES, GO_MIN_GENES, go_matrix, string_edges

logger = logging.getLogger(__name__)

__all__ = ["load_demo_task", "make_demo_task", "read_context"]


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def _read_gctx(path: Path) -> tuple[np.ndarray, list[str], list[int]]:
    """Matrix (signatures x genes), signature ids, and Entrez ids of the rows."""
    import h5py

    with h5py.File(path, "r") as h5:
        matrix = np.asarray(h5["/0/DATA/0/matrix"][...], dtype=np.float32)
        sig_ids = [s.decode() for s in h5["/0/META/COL/id"][...]]
        genes = [int(g.decode()) for g in h5["/0/META/ROW/id"][...]]
    return matrix, sig_ids, genes


def _compound_table(path: Path) -> tuple[dict[str, set[str]], dict[str, str]]:
    """pert_id -> MoAs (split on ``|``), pert_id -> SMILES."""
    moas: dict[str, set[str]] = {}
    smiles: dict[str, str] = {}
    for row in _rows(path):
        pert = row["pert_id"]
        moas.setdefault(pert, set()).update(m.strip() for m in (row.get("moa") or "").split("|") if m.strip())
        if row.get("canonical_smiles"):
            smiles.setdefault(pert, row["canonical_smiles"])
    return moas, smiles


def _scaffolds(smiles: dict[str, str]) -> dict[str, str]:
    from rdkit import Chem, rdBase
    from rdkit.Chem.Scaffolds import MurckoScaffold

    out = {}
    with rdBase.BlockLogs():
        for pert, smi in smiles.items():
            mol = Chem.MolFromSmiles(smi)
            if mol is not None:
                out[pert] = MurckoScaffold.MurckoScaffoldSmiles(mol=mol)
    return out


def _string_edges(path: Path, gene_ids: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    pairs = [(int(r["entrez_a"]), int(r["entrez_b"]), float(r["combined_score"])) for r in _rows(path)]
    return string_edges(gene_ids, pairs)


def _gene_ontology(obo: Path, gaf: Path, gene_ids: tuple[int, ...]) -> tuple[list[str], list[str],
                                                                            np.ndarray, np.ndarray]:
    """Kept term ids and names, propagated gene x term matrix and child -> parent edges, selected
    as the graph export selects them (:func:`toolkit.train.export.go_matrix`, obsolete terms out)."""
    import obonet

    dag = obonet.read_obo(str(obo))  # child -> parent edges keyed by relation; obsolete terms dropped
    alias = {alt: t for t, data in dag.nodes(data=True) for alt in data.get("alt_id", [])}
    hierarchy = [(c, p) for c, p, rel in dag.edges(keys=True) if rel in ("is_a", "part_of")]
    annotations = []
    with open(gaf, encoding="utf-8") as fh:
        for line in fh:
            cols = line.rstrip("\n").split("\t")
            if line.startswith("!") or len(cols) < 5 or "NOT" in cols[3].split("|") or not cols[1].isdigit():
                continue
            term = alias.get(cols[4], cols[4])
            if term in dag:
                annotations.append((int(cols[1]), term))
    go_ids, gene_go, go_edges = go_matrix(gene_ids, annotations, hierarchy, GO_MIN_GENES, GO_MAX_GENES)
    return go_ids, [str(dag.nodes[t].get("name", t)) for t in go_ids], gene_go, go_edges


def read_context(files: DemoFiles, gene_ids: tuple[int, ...], smiles: dict[str, str]) -> GraphContext:
    edges, weight = _string_edges(files.string_edges, gene_ids)
    go_ids, go_names, gene_go, go_edges = _gene_ontology(files.go_obo, files.gaf, gene_ids)
    return GraphContext(gene_edges=edges, edge_weight=weight, go_ids=tuple(go_ids), go_names=tuple(go_names),
                        gene_go=gene_go, go_edges=go_edges, compound_smiles=dict(smiles),
                        compound_scaffold=_scaffolds(smiles))


def load_demo_task(root: Path, with_context: bool = True) -> TaskData:
    """TaskData (and GraphContext) from a directory written by :func:`toolkit.demo.generate_demo`."""
    files = DemoFiles.under(Path(root))
    matrix, sig_ids, genes = _read_gctx(files.gctx)
    order = np.argsort(genes, kind="stable")
    gene_ids = tuple(int(genes[i]) for i in order)
    siginfo = {row["sig_id"]: row for row in _rows(files.siginfo)}
    keep = [i for i, s in enumerate(sig_ids) if s in siginfo]
    moas, smiles = _compound_table(files.compounds)
    compound_ids = tuple(siginfo[sig_ids[i]]["pert_id"] for i in keep)
    classes = tuple(sorted({m for c in set(compound_ids) for m in moas.get(c, ())}))
    col = {m: k for k, m in enumerate(classes)}
    y = np.zeros((len(keep), len(classes)), dtype=np.float32)
    for r, compound in enumerate(compound_ids):
        for m in moas.get(compound, ()):
            y[r, col[m]] = 1.0
    return TaskData(
        x=np.ascontiguousarray(matrix[keep][:, order]),
        y=y,
        sample_ids=tuple(sig_ids[i] for i in keep),
        compound_ids=compound_ids,
        gene_ids=gene_ids,
        classes=classes,
        cell_ids=tuple(siginfo[sig_ids[i]].get("cell_iname", "") for i in keep),
        context=read_context(files, gene_ids, smiles) if with_context else None,
    )


def make_demo_task(root: Path, spec: Optional[DemoSpec] = None) -> TaskData:
    """Generate the demo (``spec``, default :class:`DemoSpec`) under ``root`` and read it back."""
    generate_demo(Path(root), spec or DemoSpec())
    return load_demo_task(Path(root))
