"""What an anchors run leaves in its run folder: ``anchors.tsv`` (the ranked picks), and for a
simulation ``learning_curves.png`` (3-class macro-F1 and Pearson of the remaining compounds vs the
number of compounds bought, mean ± sd over seeds, one line per strategy) and ``report.html`` (the
figure, the metrics table and the picks), readable offline (the PNG is embedded)."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

import numpy as np

from toolkit.models import GraphContext

TSV_HEADER = ("strategy", "seed", "rank", "round", "pert_id", "score")


def write_tsv(path: Path, curves: Sequence[Any]) -> None:
    lines = ["\t".join(TSV_HEADER)]
    for curve in curves:
        for rank, pick in enumerate(curve.picks, start=1):
            lines.append(f"{curve.strategy}\t{curve.seed}\t{rank}\t{pick.round}\t{pick.pert_id}\t{pick.score:.6g}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def curve_table(curves: Sequence[Any], metric: str) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """strategy -> (budgets, mean, sd) of ``metric`` over the strategy's seeds."""
    out = {}
    for name in dict.fromkeys(c.strategy for c in curves):
        mine = [c for c in curves if c.strategy == name]
        budgets = sorted({r.budget for c in mine for r in c.rounds})
        values = [finite([getattr(r, metric) for c in mine for r in c.rounds if r.budget == b]) for b in budgets]
        out[name] = (np.array(budgets), np.array([v.mean() if v.size else np.nan for v in values]),
                     np.array([v.std() if v.size else np.nan for v in values]))
    return out


def finite(values: Sequence[float]) -> np.ndarray:
    """The finite values (a round scored on no remaining compound has NaN metrics)."""
    array = np.asarray(values, dtype=float)
    return array[np.isfinite(array)]


def plot_png(curves: Sequence[Any], cell: str) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    palette = plt.get_cmap("tab20").colors  # 20 distinct colours: every built-in strategy its own
    for ax, metric, label in ((axes[0], "macro_f1", "3-class macro-F1"), (axes[1], "pearson", "Pearson")):
        for k, (name, (budgets, mean, sd)) in enumerate(curve_table(curves, metric).items()):
            colour = palette[(2 * k) % 20 + (2 * k) // 20 % 2]
            ax.plot(budgets, mean, marker="o", label=name, color=colour)
            ax.fill_between(budgets, mean - sd, mean + sd, alpha=0.15, color=colour)
        ax.set_xlabel("compounds profiled in the new cell line")
        ax.set_ylabel(f"{label} on the remaining compounds")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    seeds = len({c.seed for c in curves})
    fig.suptitle(f"anchor selection in {cell}: mean ± sd over {seeds} seed(s)")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return buf.getvalue()


def html_report(run_id: str, options: Any, metrics: Mapping[str, Any], curves: Sequence[Any],
                png: Optional[bytes], context: Optional[GraphContext]) -> str:
    esc = html.escape
    parts = [f"<html><head><meta charset='utf-8'><title>anchors {esc(run_id)}</title></head><body>",
             f"<h1>Anchor drugs for {esc(options.cell)}</h1>",
             f"<p>run {esc(run_id)} · model {esc(options.model)} · strategies {esc(', '.join(options.strategies))} · "
             f"budget {options.budget} in rounds of {options.batch} · "
             f"{'simulation over ' + str(options.seeds) + ' seed(s)' if options.simulate else 'selection'}</p>"]
    if png:
        parts.append(f"<img alt='learning curves' src='data:image/png;base64,{base64.b64encode(png).decode()}'>")
    parts.append("<h2>Metrics</h2><table border='1' cellpadding='3'><tr><th>metric</th><th>value</th></tr>")
    for key in sorted(metrics):
        value = metrics[key]
        shown = f"{value:.4f}" if isinstance(value, float) else str(value)
        parts.append(f"<tr><td>{esc(key)}</td><td>{esc(shown)}</td></tr>")
    parts.append("</table><h2>Picks</h2><table border='1' cellpadding='3'><tr>"
                 + "".join(f"<th>{h}</th>" for h in (*TSV_HEADER, "smiles")) + "</tr>")
    smiles = context.compound_smiles if context is not None else {}
    for curve in curves:
        for rank, pick in enumerate(curve.picks, start=1):
            cells = (curve.strategy, curve.seed, rank, pick.round, pick.pert_id, f"{pick.score:.4g}",
                     smiles.get(pick.pert_id, ""))
            parts.append("<tr>" + "".join(f"<td>{esc(str(v))}</td>" for v in cells) + "</tr>")
    parts.append("</table></body></html>")
    return "\n".join(parts)


def write_outputs(run_dir: Path, run_id: str, options: Any, curves: Sequence[Any], metrics: Mapping[str, Any],
                  context: Optional[GraphContext]) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    write_tsv(run_dir / "anchors.tsv", curves)
    png = plot_png(curves, options.cell) if options.simulate else None
    if png:
        (run_dir / "learning_curves.png").write_bytes(png)
    (run_dir / "report.html").write_text(html_report(run_id, options, metrics, curves, png, context), encoding="utf-8")
