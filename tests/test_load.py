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


# -- properties several sources give, MoA spellings, and loads whose process died ----------------


def test_a_contested_property_follows_the_source_ranks_in_any_order(graph):
    from toolkit.graph.batches import NodeBatch
    from toolkit.graph.writer import GraphWriter
    from toolkit.load import PRECEDENCE
    from toolkit.schema import NodeLabel

    def write(source, symbol, **extra):
        row = {"entrez_id": 1, "symbol": symbol, **extra} if symbol else {"entrez_id": 1, **extra}
        GraphWriter(graph, source=source, precedence=PRECEDENCE).write(NodeBatch(NodeLabel.GENE, (row,)))

    def gene():
        with graph.session() as s:
            return dict(s.run("MATCH (g:Gene {entrez_id: 1}) RETURN properties(g) AS p").single()["p"])

    results = []
    for order in (("compounds", "signatures", "go", "string"), ("string", "go", "signatures", "compounds"),
                  ("go", "compounds", "string", "signatures")):
        graph.delete_everything()
        for source in order:
            write(source, f"SYM-{source}", **({"is_landmark": True} if source == "signatures" else {}))
        results.append(gene())
    assert results[0] == results[1] == results[2] == {
        "entrez_id": 1, "symbol": "SYM-string", "symbol_source": "string", "is_landmark": True}
    write("signatures", None, is_landmark=True)  # a row without the property erases nothing
    write("string", "SYM-string-v2")  # the same source overwrites: a corrected file updates
    assert gene()["symbol"] == "SYM-string-v2"
    graph.delete_everything()
    write("signatures", "OLD")
    write("third-party", "OTHER")  # an unranked source only fills what is missing
    assert gene()["symbol"] == "OLD" and gene()["symbol_source"] == "signatures"


def test_moa_spellings_of_separate_loads_give_one_node_in_either_order(graph, settings, tmp_path):
    clue = tmp_path / "compoundinfo_beta.txt"
    clue.write_text("pert_id\tcmap_name\tmoa\tcanonical_smiles\n"
                    "BRD-K00000001\tclue-drug\tEGFR Inhibitor|Melatonin receptor agonist \tCCO\n")
    pert_info = tmp_path / "pert_info.txt"
    pert_info.write_text("pert_id\tpert_iname\tpert_type\tcanonical_smiles\tMOA\n"
                         "BRD-K00000002\tlincs-drug\ttrt_cp\tCCN\tmelatonin  receptor agonist; EGFR inhibitor\n")
    from tests.helpers import canonical_dump

    dumps = []
    for order in ((clue, pert_info), (pert_info, clue)):
        graph.delete_everything()
        for path in order:
            assert load(graph, settings, "compounds", [path]).status == "completed"
        dumps.append(canonical_dump(graph))
        with graph.session() as s:
            moas = {r["name"]: r["n"] for r in s.run(
                "MATCH (m:MoA) OPTIONAL MATCH (c:Compound)-[:HAS_MOA]->(m) RETURN m.name AS name, count(c) AS n")}
        assert moas == {"EGFR inhibitor": 2, "melatonin receptor agonist": 2}
    assert dumps[0] == dumps[1]


def test_a_load_whose_process_was_killed_is_marked_interrupted_by_the_next_load(graph, settings, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.helpers import SHARED_DATA

    gct = SHARED_DATA / "l1000_signatures" / "cmapR_ds_level5_modz_n272x978.gct"
    if not gct.exists():
        pytest.skip("../shared/data is not present")
    env = {**os.environ, **server_env()}
    argv = [sys.executable, "-c", "from toolkit.cli import main; main()", "load", "signatures", str(gct),
            "--batch-size", "200"]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and counts(graph).get(("rel", "UPREGULATES"), 0) < 1000:
            assert proc.poll() is None, "the load ended before it could be killed"
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    [killed] = _load_runs(graph)
    assert killed["status"] == "running"
    up = counts(graph)[("rel", "UPREGULATES")]
    assert up % 200 == 0  # whole batches only

    report = load(graph, settings, "signatures", [gct], LoadOptions(batch_size=200))
    assert report.status == "completed"
    statuses = {r["run_id"]: r["status"] for r in _load_runs(graph)}
    assert statuses == {killed["run_id"]: "interrupted", report.run_id: "completed"}
    assert counts(graph)[("rel", "UPREGULATES")] > up
