"""``kgtool runs`` (list) and ``kgtool runs --compare RUN_ID…`` (a metric × run table)."""

from __future__ import annotations

import json
from typing import Any, Sequence

import click

from toolkit.cli.common import open_graph, print_table

LISTED = ("test_compound_macro_f1", "test_compound_accuracy", "test_compound_auroc", "cv_test_compound_macro_f1_mean",
          "compounds_predicted", "predictions_explained", "rows_read")  # headline metrics of each run kind


def numeric_metrics(run: dict[str, Any]) -> dict[str, float]:
    """A Run node's numeric metrics (its JSON ``metrics`` text, else the flat ``metric_*`` properties)."""
    metrics = json.loads(run.get("metrics") or "{}")
    out = {k: float(v) for k, v in metrics.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    for key, value in run.items():
        if key.startswith("metric_") and key[7:] not in out and isinstance(value, (int, float)):
            out[key[7:]] = float(value)
    return out


def compare_rows(runs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per metric any of ``runs`` has, one column per run (blank where it lacks it)."""
    metrics = [numeric_metrics(r) for r in runs]
    names = sorted({name for m in metrics for name in m})
    columns = [r["run_id"] for r in runs]
    header = [{"metric": field, **{c: r.get(field) for c, r in zip(columns, runs)}} for field in ("plugin", "status")]
    config = [json.loads(r.get("config") or "{}") for r in runs]
    header.append({"metric": "split", **{c: cfg.get("split") for c, cfg in zip(columns, config)}})
    return header + [{"metric": name, **{c: m.get(name) for c, m in zip(columns, metrics)}} for name in names]


@click.command("runs")
@click.argument("run_ids", nargs=-1)
@click.option("--compare", is_flag=True, help="Compare the given runs: one row per metric, one column per run.")
@click.option("--kind", type=click.Choice(["load", "build", "train", "explain", "predict"]))
@click.option("--limit", default=20, show_default=True)
@click.option("--format", "fmt", default="table", type=click.Choice(["table", "tsv", "json"]))
@click.pass_context
def command(ctx: click.Context, run_ids: tuple[str, ...], compare: bool, kind: str | None, limit: int,
            fmt: str) -> None:
    """List runs, newest first, with their headline metrics; or compare runs (--compare RUN_ID…)."""
    from toolkit import cypher
    from toolkit.errors import RunError

    if run_ids and not compare:
        raise click.UsageError("run ids are only taken with --compare")
    with open_graph(ctx) as graph:
        if compare:
            if not run_ids:
                raise click.UsageError("--compare needs one or more run ids")
            found = []
            for run_id in run_ids:
                rows = graph.read(cypher.load("export/run"), run_id=run_id)
                if not rows:
                    raise RunError(f"no run {run_id!r} in the graph; list them with `kgtool runs`")
                found.append({"run_id": run_id, **rows[0]["run"]})
            print_table(compare_rows(found), fmt)
            return
        rows = graph.read(cypher.load("export/runs"), kind=kind, limit=limit)
    for row in rows:
        metrics = json.loads(row.pop("metrics") or "{}")
        row["metrics"] = ", ".join(f"{k}={metrics[k]:.3g}" for k in LISTED
                                   if isinstance(metrics.get(k), (int, float)) and not isinstance(metrics[k], bool))
    print_table(rows, fmt)
