"""Explanations of expression models: which substructures of a compound drive its predicted change
of a gene in a cell line?

For each explained (compound, cell line) prediction of an expression train run and each of its
``genes`` most strongly predicted genes (largest |predicted z|):

1. Integrated Gradients (Captum; all-bits-off baseline, ``n_steps`` steps) of the gene's
   prediction with respect to the compound's Morgan bits, through the model's
   :meth:`~toolkit.tasks.ExpressionModelPlugin.fingerprint_forward` (cell line, dose and time
   held fixed; sequence models hold their SMILES tokens fixed and only the ECFP branch varies);
   the sign is turned so that a positive score pushes the prediction in its predicted direction;
2. bit attributions spread over atoms (:func:`toolkit.explain.substructures.bits_to_atoms`);
3. the compound's ``Substructure`` nodes (``HAS_SUBSTRUCTURE``) scored by their atoms' mean
   attribution; the ``top_k`` best are written as ``EXPLAINS {run_id, method, gene, score, rank}``
   edges into the ``ExpressionPrediction`` node, under a ``(:Run {kind: 'explain'})`` whose parent
   is the train run.

The run folder gets ``report.html``: per explained gene, the molecule drawn with its atoms
coloured by attribution (RDKit SVG) and the top substructures.
"""

from __future__ import annotations

import html
import json
import logging
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence

import numpy as np

from toolkit import cypher, runs
from toolkit.errors import RunError
from toolkit.explain.substructures import bits_to_atoms, substructure_scores
from toolkit.graph.db import Graph
from toolkit.models import GraphContext
from toolkit.settings import Settings
from toolkit.structure import morgan_fingerprint
from toolkit.tasks import Conditions

logger = logging.getLogger(__name__)

METHOD = "integrated_gradients"
SIDE_NAMES = {"unlabelled": "unseen"}  # the explain CLI's split names -> the expression prediction sides


@dataclass(frozen=True)
class GeneExplanation:
    prediction_id: str
    pert_id: str
    cell: str
    entrez_id: int
    predicted: float
    atoms: np.ndarray  # per-atom attribution
    substructures: list[Any]  # SubstructureScore, best first


def predictions_to_explain(graph: Graph, run_id: str, splits: Sequence[str], max_pairs: int) -> list[dict[str, Any]]:
    sides = [SIDE_NAMES.get(s, s) for s in splits]
    rows = graph.read(cypher.load("export/expression_predictions"), run_id=run_id, splits=sides)
    if not rows:
        raise RunError(f"train run {run_id} wrote no expression predictions on the sides {', '.join(sides)}; "
                       "retrain with --predict-pairs samples or grid, or pass other --split values")
    return rows[:max_pairs] if max_pairs else rows


def gene_attributions(forward: Any, fingerprint: np.ndarray, genes: Sequence[int], n_steps: int) -> np.ndarray:
    """(len(genes), n_bits) Integrated Gradients of each gene's prediction on the fingerprint bits."""
    import torch
    from captum.attr import IntegratedGradients

    fp = torch.as_tensor(fingerprint, dtype=torch.float32).reshape(1, -1).expand(len(genes), -1).contiguous()
    ig = IntegratedGradients(forward)
    attr = ig.attribute(fp, baselines=torch.zeros_like(fp), target=[int(g) for g in genes], n_steps=n_steps)
    return attr.detach().double().numpy()


def explain_prediction(model: Any, row: Mapping[str, Any], context: Any, gene_ids: Sequence[int], smarts: Sequence[str],
                       n_genes: int, top_k: int, n_steps: int) -> list[GeneExplanation]:
    z = np.asarray(row["z"], dtype=np.float64)
    genes = np.argsort(-np.abs(z), kind="stable")[:n_genes]
    conditions = Conditions([row["pert_id"]], [row["cell"]], np.full(1, np.nan), np.full(1, np.nan))
    found = model.fingerprint_forward(conditions, context=context)
    if found is None:
        raise RunError(f"model {model.name!r} does not read fingerprints; its predictions cannot be attributed "
                       "to substructures (explain a ridge_ecfp, seq_*, deepce or anchordrug run)")
    spec, forward = found
    fingerprint, bit_info = morgan_fingerprint(row["smiles"], spec)
    attributions = gene_attributions(forward, fingerprint, genes, n_steps)
    out = []
    for g, bits in zip(genes, attributions):
        sign = 1.0 if z[g] >= 0 else -1.0
        atoms = bits_to_atoms(row["smiles"], bit_info, sign * bits)
        scored = substructure_scores(row["smiles"], atoms, smarts)[:top_k]
        out.append(GeneExplanation(row["prediction_id"], row["pert_id"], row["cell"], int(gene_ids[g]), float(z[g]),
                                   atoms, scored))
    return out


def edge_rows(explanations: Sequence[GeneExplanation]) -> list[dict[str, Any]]:
    return [{"prediction_id": e.prediction_id, "entrez_id": e.entrez_id, "smarts": s.smarts, "score": s.score,
             "rank": rank} for e in explanations for rank, s in enumerate(e.substructures, start=1)]


def molecule_svg(smiles: str, atoms: np.ndarray) -> str:
    """The molecule with atoms coloured red (pushes the predicted change) to blue (against it)."""
    from rdkit import Chem
    from rdkit.Chem.Draw import rdMolDraw2D

    mol = Chem.MolFromSmiles(smiles)
    scale = float(np.abs(atoms).max()) or 1.0
    colours = {}
    for i, v in enumerate(atoms):
        w = float(v) / scale
        colours[i] = (1.0, 1.0 - w, 1.0 - w) if w >= 0 else (1.0 + w, 1.0 + w, 1.0)
    drawer = rdMolDraw2D.MolDraw2DSVG(320, 240)
    drawer.DrawMolecule(mol, highlightAtoms=list(colours), highlightAtomColors=colours, highlightBonds=[])
    drawer.FinishDrawing()
    return drawer.GetDrawingText()


def html_report(run_id: str, train_run_id: str, explanations: Sequence[GeneExplanation],
                smiles: Mapping[str, str], symbols: Mapping[int, str]) -> str:
    esc = html.escape
    parts = [f"<html><head><meta charset='utf-8'><title>explain {esc(run_id)}</title></head><body>",
             f"<h1>Substructures behind predicted expression changes</h1><p>explain run {esc(run_id)} of train run "
             f"{esc(train_run_id)}; atoms red: push the gene in its predicted direction, blue: against it.</p>"]
    for e in explanations:
        gene = symbols.get(e.entrez_id, str(e.entrez_id))
        parts.append(f"<h3>{esc(e.pert_id)} in {esc(e.cell)}: {esc(gene)} predicted {e.predicted:+.3f}</h3>")
        parts.append(molecule_svg(smiles[e.pert_id], e.atoms))
        parts.append("<ol>" + "".join(f"<li><code>{esc(s.smarts)}</code> {s.score:.4g}</li>" for s in e.substructures)
                     + "</ol>")
    parts.append("</body></html>")
    return "\n".join(parts)


def structures_only(smiles: Mapping[str, str]) -> GraphContext:
    """A graph context holding compound structures and nothing else (an expression model's
    fingerprint forward reads only ``compound_smiles``; its gene knowledge is in its weights)."""
    empty = np.zeros((2, 0), dtype=np.int64)
    return GraphContext(gene_edges=empty, edge_weight=np.zeros(0, dtype=np.float32), go_ids=(), go_names=(),
                        gene_go=np.zeros((0, 0), dtype=np.float32), go_edges=empty.copy(), compound_smiles=dict(smiles))


def explain_expression(graph: Graph, settings: Settings, train_run: Mapping[str, Any], *, genes: int = 5,
                       top_k: int = 10, seed: int = 0, splits: Sequence[str] = ("test", "unlabelled"),
                       max_pairs: int = 50, n_steps: int = 32) -> runs.RunRecord:
    """The explain run of the module doc for the expression train run ``train_run`` (its node's
    properties plus ``run_id``)."""
    import torch

    from toolkit.expression.pipeline import load_expression_model
    from toolkit.expression.writeback import graph_structures

    config = json.loads(train_run["config"])
    model = load_expression_model(train_run, settings)
    rows = predictions_to_explain(graph, train_run["run_id"], splits, max_pairs)
    context = structures_only(graph_structures(graph))  # the model needs SMILES only, not a snapshot
    structures = {r["pert_id"]: r for r in graph.read(cypher.load("export/explain_compound_structures"),
                                                      pert_ids=sorted({r["pert_id"] for r in rows}))}
    run = runs.RunRecord(run_id=runs.new_run_id("explain"), kind="explain", plugin=METHOD, seed=seed,
                         data_hash=train_run.get("data_hash"), parent_run=train_run["run_id"],
                         config={"task": "expression", "genes": genes, "top_k": top_k, "splits": list(splits),
                                 "max_pairs": max_pairs, "n_steps": n_steps, "model": model.name})
    run_dir = runs.manifest_path(settings.runs_dir, run.run_id).parent

    def work() -> dict[str, Any]:
        torch.manual_seed(seed)
        explained: list[GeneExplanation] = []
        for row in rows:
            info = structures.get(row["pert_id"], {})
            if not info.get("smiles"):
                continue
            explained += explain_prediction(model, {**row, "smiles": info["smiles"]}, context, config["gene_ids"],
                                            info.get("smarts") or [], genes, top_k, n_steps)
        edges = edge_rows(explained)
        graph.write(cypher.load("write/explains_expression"), run_id=run.run_id, method=METHOD, rows=edges)
        symbols = {r["entrez_id"]: r["symbol"] for r in graph.read(cypher.load("export/explain_gene_symbols"),
                                                                    entrez_ids=sorted({e.entrez_id for e in explained}))}
        run_dir.mkdir(parents=True, exist_ok=True)
        smiles = {k: v["smiles"] for k, v in structures.items() if v.get("smiles")}
        (run_dir / "report.html").write_text(html_report(run.run_id, train_run["run_id"], explained, smiles, symbols),
                                             encoding="utf-8")
        return {"predictions_explained": float(len({e.prediction_id for e in explained})),
                "genes_explained": float(len(explained)), "edges_written": float(len(edges))}

    return runs.execute(graph, settings.runs_dir, run, work)
