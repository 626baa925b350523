"""A self-contained HTML report of an explain run: quality scores, and per prediction an
attribution bar chart (inline base64 PNG, matplotlib Agg), its top GO terms with enrichment
statistics, gene-pair interactions, substructures and network edges."""

from __future__ import annotations

import base64
import html
import io
import logging
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from toolkit.explain.compute import Explanation, PredictionInfo
from toolkit.runs import RunRecord

logger = logging.getLogger(__name__)

MAX_PREDICTIONS = 40
BAR_GENES = 15
TABLE_ROWS = 5

# metric -> (label, which direction is better)
QUALITY_ROWS: tuple[tuple[str, str, str], ...] = (
    ("gene_precision_at_20", "gene precision@20 vs planted pathway", "higher"),
    ("gene_auroc", "gene AUROC vs planted pathway", "higher"),
    ("pathway_top3_rate", "planted GO term in top 3 (per MoA)", "higher"),
    ("pathway_top3_prediction_rate", "planted GO term in top 3 (per prediction)", "higher"),
    ("substructure_hit_rate", "planted substructure ranked first", "higher"),
    ("edge_precision_at_20", "top-20 edges inside the planted pathway", "higher"),
    ("deletion_auc", "deletion AUC (target probability)", "lower"),
    ("insertion_auc", "insertion AUC (target probability)", "higher"),
    ("infidelity", "Captum infidelity (normalised)", "lower"),
    ("sensitivity_max", "Captum sensitivity_max", "lower"),
    ("retrained_top20_overlap", "top-20 overlap across retrained models", "higher"),
    ("retrained_spearman", "Spearman across retrained models", "higher"),
    ("seed_top20_overlap", "top-20 overlap across explainer seeds", "higher"),
    ("seed_spearman", "Spearman across explainer seeds", "higher"),
    ("attributions_per_s", "signatures attributed per second", "higher"),
)

CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1200px}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.5em 0;font-size:.9em}
td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}th{background:#f3f3f3}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.pred{display:flex;gap:1.5em;flex-wrap:wrap;border-top:1px solid #eee;padding-top:1em;margin-top:1em}
.meta{color:#555;font-size:.9em}
"""


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return "nan" if np.isnan(value) else f"{value:.4g}"
    return html.escape(str(value))


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td class='num'>{_fmt(c)}</td>" if isinstance(c, (int, float)) and not isinstance(c, bool)
                         else f"<td>{_fmt(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def bar_chart(labels: Sequence[str], values: Sequence[float], title: str) -> str:
    """A horizontal bar chart as an inline ``<img>`` (base64 PNG)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.2, 0.22 * len(labels) + 0.9), dpi=90)
    y = np.arange(len(labels))[::-1]
    ax.barh(y, values, color=["#c0392b" if v >= 0 else "#2471a3" for v in values])
    ax.set_yticks(y, labels=list(labels), fontsize=7)
    ax.tick_params(axis="x", labelsize=7)
    ax.axvline(0, color="#333", linewidth=0.6)
    ax.set_title(title, fontsize=8)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"<img alt='{html.escape(title)}' src='data:image/png;base64,{data}'>"


def quality_table(metrics: Mapping[str, Any]) -> str:
    rows = []
    for key, label, better in QUALITY_ROWS:
        if key not in metrics:
            continue
        random = metrics.get(f"{key}_random", "")
        rows.append((label, float(metrics[key]), random if random == "" else float(random), better, ""))
    if metrics.get("deterministic") == 1.0:
        rows.append(("explainer seed stability", "not measured", "", "",
                     "deterministic method: a seed changes nothing"))
    if not rows:
        return "<p>No quality metrics (run without --no-quality to compute them).</p>"
    return _table(("measure", "value", "random ranking", "better", "note"), rows)


def _prediction_section(i: int, p: PredictionInfo, explanation: Explanation, symbols: Mapping[int, str]) -> str:
    a = explanation.attributions[i]
    top = np.argsort(-np.abs(a), kind="stable")[:BAR_GENES]
    genes = explanation.gene_ids
    labels = [symbols.get(genes[g]) or str(genes[g]) for g in top]
    chart = bar_chart(labels, [float(a[g]) for g in top], f"{p.pert_id} → {p.moa}")
    parts = [f"<div>{chart}</div><div>"]
    if explanation.pathways is not None and explanation.gene_sets is not None:
        sets, ps = explanation.gene_sets, explanation.pathways
        rows = [(sets.go_ids[t], sets.names[t], float(ps.score[i, t]), int(ps.hits[i, t]), float(ps.p_value[i, t]),
                 float(ps.q_value[i, t])) for t in ps.order[i][:TABLE_ROWS]]
        parts.append("<b>GO terms</b>" + _table(("GO id", "name", "score", f"hits@{ps.k}", "p", "q"), rows))
    pairs = list(explanation.interactions.get(p.prediction_id, ()))[:TABLE_ROWS]
    if pairs:
        rows = [(symbols.get(genes[x.gene_a]) or genes[x.gene_a], symbols.get(genes[x.gene_b]) or genes[x.gene_b],
                 x.score, x.joint) for x in pairs]
        parts.append("<b>Gene-pair interactions (paired ablation, logit)</b>"
                     + _table(("gene", "gene", "interaction", "joint effect"), rows))
    subs = list(explanation.substructures.get(p.prediction_id, ()))[:TABLE_ROWS]
    if subs:
        parts.append("<b>Substructures</b>" + _table(("SMARTS", "score"), [(s.smarts, s.score) for s in subs]))
    edges = list(explanation.edges.get(p.prediction_id, ()))[:TABLE_ROWS]
    if edges:
        rows = [(symbols.get(genes[e.gene_a]) or genes[e.gene_a], symbols.get(genes[e.gene_b]) or genes[e.gene_b],
                 e.score) for e in edges]
        parts.append("<b>STRING edges</b>" + _table(("gene", "gene", "mask"), rows))
    parts.append("</div>")
    meta = f"<p class='meta'>{html.escape(p.prediction_id)} · split {html.escape(p.split)} · score {_fmt(p.score)}</p>"
    return f"<div class='pred'><div style='width:100%'>{meta}</div>{''.join(parts)}</div>"


def render_report(run: RunRecord, explanation: Explanation, symbols: Mapping[int, str] | None = None,
                  max_predictions: int = MAX_PREDICTIONS) -> str:
    symbols = symbols or {}
    metrics = dict(run.metrics)
    title = f"kgtool explanation {run.run_id}"
    sections = [
        f"<h1>{html.escape(title)}</h1>",
        f"<p class='meta'>method <b>{html.escape(explanation.method)}</b> · train run "
        f"{html.escape(str(run.parent_run))} · seed {run.seed} · {len(explanation.predictions)} predictions · "
        f"status {html.escape(run.status)} · {html.escape(run.created_at)}</p>",
        "<h2>Quality</h2>", quality_table(metrics),
        "<h2>Predictions</h2>",
    ]
    shown = explanation.predictions[:max_predictions]
    for i, p in enumerate(shown):
        sections.append(_prediction_section(i, p, explanation, symbols))
    if len(explanation.predictions) > len(shown):
        sections.append(f"<p class='meta'>{len(explanation.predictions) - len(shown)} more predictions not shown.</p>")
    counts = [(k, v) for k, v in sorted(metrics.items()) if isinstance(v, (int, float)) and not isinstance(v, bool)]
    sections += ["<h2>All run metrics</h2>", _table(("metric", "value"), counts)]
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{CSS}</style></head><body>{''.join(sections)}</body></html>")


def write_report(path: Path, run: RunRecord, explanation: Explanation, symbols: Mapping[int, str] | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(run, explanation, symbols), encoding="utf-8")
    logger.info("explain report written to %s", path)
    return path
