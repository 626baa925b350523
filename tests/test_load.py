"""`kgtool load` against the real server: load runs, failure marking, re-runs, lenient reports."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from tests.helpers import counts, server_env
from toolkit import cypher
from toolkit.errors import InputDataError
from toolkit.load import load
from toolkit.sources import LoadOptions

HEADER = "entrez_a\tsymbol_a\tentrez_b\tsymbol_b\tcombined_score\n"


def _edges(path, n, bad_line=None):
    lines = [HEADER]
    for i in range(1, n + 1):
        score = "high" if i == bad_line else str(400 + i % 500)
        lines.append(f"{i}\tG{i}\t{i + 1}\tG{i + 1}\t{score}\n")
    path.write_text("".join(lines))
    return path


def _load_runs(graph):
    return graph.read(cypher.load("export/runs"), kind="load", limit=10)


def test_a_failed_load_is_marked_failed_and_a_rerun_completes_it(graph, settings, tmp_path):
    bad = _edges(tmp_path / "edges.tsv", 50, bad_line=40)
    with pytest.raises(InputDataError) as err:
        load(graph, settings, "string", [bad], LoadOptions(batch_size=10))
    assert "edges.tsv" in str(err.value) and "line 41" in str(err.value)  # header is line 1
    assert [r["status"] for r in _load_runs(graph)] == ["failed"]
    partial = counts(graph).get(("rel", "INTERACTS_WITH"), 0)
    assert partial % 10 == 0 and partial < 50  # only whole batches were written

    good = _edges(tmp_path / "edges.tsv", 50)
    report = load(graph, settings, "string", [good], LoadOptions(batch_size=10))
    assert report.status == "completed"
    assert counts(graph)[("rel", "INTERACTS_WITH")] == 50
    assert [r["status"] for r in _load_runs(graph)] == ["completed", "failed"]


def test_lenient_load_skips_and_reports_the_bad_record(graph, settings, tmp_path):
    path = _edges(tmp_path / "edges.tsv", 20, bad_line=7)
    report = load(graph, settings, "string", [path], LoadOptions(lenient=True))
    assert report.status == "completed"
    assert counts(graph)[("rel", "INTERACTS_WITH")] == 19
    assert len(report.dropped) == 1 and "line 8" in report.dropped[0]


def test_cli_load_prints_the_report_and_stores_it_on_the_run(graph, tmp_path):
    from toolkit.cli import cli

    path = _edges(tmp_path / "edges.tsv", 20, bad_line=3)
    result = CliRunner().invoke(cli, ["load", "string", str(path), "--lenient"], env=server_env())
    assert result.exit_code == 0, result.output
    assert "string: completed; 20 rows read" in result.output and "dropped:" in result.output
    run = _load_runs(graph)[0]
    assert run["status"] == "completed" and '"dropped": 1' in run["metrics"]


def test_cli_load_error_is_one_line_naming_file_and_record(graph, tmp_path):
    from toolkit.cli import cli

    path = _edges(tmp_path / "edges.tsv", 5, bad_line=2)
    result = CliRunner().invoke(cli, ["load", "string", str(path)], env=server_env())
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "edges.tsv" in errors[0] and "line 3" in errors[0] and "fix" in errors[0]
