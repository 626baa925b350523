"""``kgtool select-anchors`` end to end on the small demo in the real server: a simulation on a
profiled cell line (curves, metrics, ANCHOR_FOR edges, stage predictions, files, queries) and a
selection for a new cell line with no profiles."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tests.helpers import server_env
from tests.inline_cypher import raw_session
from toolkit import cypher, runs
from toolkit.cli import cli
from toolkit.queries import run_hypothesis

SMALL = ["--epochs", "4", "--fine-tune-epochs", "2", "--param", "dim=16", "--param", "hidden=8"]


def _invoke(args, home):
    env = {"NEO4J_URI": None, "NEO4J_PASSWORD": None, "NEO4J_USERNAME": None, "KGTOOL_PLUGINS": None,
           **server_env(), "KGTOOL_HOME": str(home)}
    result = CliRunner().invoke(cli, args, env=env, catch_exceptions=False)
    return result.exit_code, result.output


def _run(graph, output):
    run_id = [line.split()[-1] for line in output.splitlines() if line.startswith("run:")][-1]
    node = graph.read(cypher.load("export/run"), run_id=run_id)[0]["run"]
    return run_id, node, json.loads(node["metrics"])


@pytest.fixture(scope="module")
def cells(demo_graph):
    with raw_session(demo_graph.graph) as s:
        return [r["n"] for r in s.run("MATCH (c:CellLine) RETURN c.name AS n ORDER BY n")]


def test_a_simulation_records_curves_anchors_and_the_change_after_fine_tuning(demo_graph, settings, cells, tmp_path):
    cell = cells[-1]
    out_tsv = tmp_path / "anchors.tsv"
    code, out = _invoke(["select-anchors", "--cell", cell, "--budget", "8", "--batch", "4", "--simulate",
                         "--seeds", "2", "--strategy", "random,margin,structure_clustering", "--out", str(out_tsv),
                         *SMALL], settings.home)
    assert code == 0, out
    run_id, node, metrics = _run(demo_graph.graph, out)
    assert node["kind"] == "anchors" and json.loads(node["config"])["simulate"] is True
    for strategy in ("random", "margin", "structure_clustering"):
        for budget in (0, 4, 8):
            assert 0 <= metrics[f"{strategy}.macro_f1_at_{budget}"] <= 1
            assert f"{strategy}.macro_f1_at_{budget}_sd" in metrics
        assert metrics[f"{strategy}.select_s"] >= 0
    # round 0 is the same pretrained model for every strategy
    assert metrics["random.macro_f1_at_0"] == pytest.approx(metrics["margin.macro_f1_at_0"])
    lines = out_tsv.read_text().splitlines()
    assert lines[0].split("\t") == ["strategy", "seed", "rank", "round", "pert_id", "score"]
    assert len(lines) - 1 == 3 * 2 * 8 == metrics["anchors_written"]
    run_dir = runs.manifest_path(settings.runs_dir, run_id).parent
    assert (run_dir / "learning_curves.png").read_bytes()[:4] == b"\x89PNG"
    assert "learning curves" in (run_dir / "report.html").read_text()
    with raw_session(demo_graph.graph) as s:
        edges = s.run("MATCH (c:Compound)-[e:ANCHOR_FOR {run_id: $r}]->(:CellLine {name: $cell}) "
                      "RETURN e.strategy AS s, e.seed AS seed, e.rank AS rank, e.round AS round", r=run_id,
                      cell=cell).data()
    assert len(edges) == 48 and {e["round"] for e in edges} == {1, 2}
    rows = run_hypothesis(demo_graph.graph, "anchors_for_cell", {"cell": cell, "strategy": "margin"})
    assert [r["rank"] for r in rows] == list(range(1, 9)) and rows[0]["run"] == run_id
    assert all(r["moas_covered"] >= 1 for r in rows)
    assert rows[-1]["moas_covered"] >= rows[0]["moas_covered"]
    change = run_hypothesis(demo_graph.graph, "anchors_prediction_change", {"cell": cell})
    assert change and all(r["run"] == run_id for r in change)
    assert all(r["pretrained_pearson"] is not None and r["fine_tuned_pearson"] is not None for r in change)


def test_a_selection_for_a_new_cell_line_picks_unprofiled_compounds(demo_graph, settings, cells):
    code, out = _invoke(["select-anchors", "--cell", "NEWCELL1", "--budget", "6", "--batch", "3",
                         "--strategy", "coreset", *SMALL], settings.home)
    assert code == 0, out
    run_id, node, metrics = _run(demo_graph.graph, out)
    assert metrics["anchors_written"] == 6
    rows = run_hypothesis(demo_graph.graph, "anchors_for_cell", {"cell": "NEWCELL1", "run": run_id})
    assert [r["rank"] for r in rows] == list(range(1, 7)) and [r["round"] for r in rows] == [1, 1, 1, 2, 2, 2]
    assert len({r["compound"] for r in rows}) == 6


def test_select_anchors_refuses_what_it_cannot_do(demo_graph, settings):
    code, out = _invoke(["select-anchors", "--cell", "NOWHERE", "--simulate", *SMALL], settings.home)
    assert code != 0 and "has no profiled compound" in out
    code, out = _invoke(["select-anchors", "--cell", "X", "--model", "ridge_ecfp"], settings.home)
    assert code != 0 and "cannot drive anchor selection" in out
    code, out = _invoke(["select-anchors", "--cell", "X", "--strategy", "psychic"], settings.home)
    assert code != 0 and "psychic" in out
