"""`kgtool load` against the real server: load runs, failure marking, re-runs, lenient reports."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from tests.helpers import counts, server_env
from toolkit import cypher
from toolkit.errors import InputDataError
from toolkit.load import load
from toolkit.sources import LoadOptions
from tests.inline_cypher import raw_session

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


def test_counts_are_exact_per_reason_beyond_the_capped_lines(graph, settings, tmp_path):
    import json

    from kgtool_plugins.sources.tables import REPORT_CAP

    n_bad = REPORT_CAP + 37
    path = tmp_path / "edges.tsv"
    rows = [f"{i}\tG{i}\t{i + 1}\tG{i + 1}\t{'high' if i <= n_bad else 500}\n" for i in range(1, n_bad + 11)]
    rows += [f"{i}\tG{i}\t{i}\tG{i}\t500\n" for i in range(5000, 5003)]  # three self-loops
    path.write_text(HEADER + "".join(rows))
    report = load(graph, settings, "string", [path], LoadOptions(lenient=True))
    assert report.status == "completed"
    assert report.n_dropped == n_bad + 3 and report.dropped_by_reason["self-loop"] == 3
    assert sum(report.dropped_by_reason.values()) == n_bad + 3
    assert len(report.dropped) == REPORT_CAP + 1 + 3  # capped lines, one summary line, the self-loops
    assert f"{n_bad + 3} dropped" in report.summary() and "self-loop: 3" in report.summary()
    assert counts(graph)[("rel", "INTERACTS_WITH")] == 10
    metrics = json.loads(_load_runs(graph)[0]["metrics"])
    assert metrics["dropped"] == n_bad + 3 and metrics["dropped_by_reason"] == report.dropped_by_reason
    assert metrics["rows_read_by_file"] == {str(path): n_bad + 13} and metrics["rows_written"]["INTERACTS_WITH"] == 10


def test_a_file_whose_rows_are_all_dropped_fails_and_changes_nothing(graph, settings, tmp_path):
    from toolkit.cli import cli

    path = tmp_path / "loops.tsv"
    path.write_text(HEADER + "".join(f"{i}\tG{i}\t{i}\tG{i}\t500\n" for i in range(1, 8)))
    result = CliRunner().invoke(cli, ["load", "string", str(path)], env=server_env())
    assert result.exit_code == 1, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and str(path) in errors[0] and "all 7 data rows were dropped" in errors[0]
    assert "self-loop" in errors[0]
    assert counts(graph).get(("node", "Gene"), 0) == 0
    assert [r["status"] for r in _load_runs(graph)] == ["failed"]


def test_a_header_only_file_is_an_error_naming_it(graph, settings, tmp_path):
    path = tmp_path / "empty.tsv"
    path.write_text(HEADER)
    with pytest.raises(InputDataError, match="a header but no data rows") as err:
        load(graph, settings, "string", [path])
    assert str(err.value).startswith(f"{path}: file:")
    assert [r["status"] for r in _load_runs(graph)] == ["failed"]


def test_progress_has_a_total_rate_and_eta_and_is_quiet_off_a_terminal(tmp_path):
    import io

    import h5py
    import numpy as np

    from toolkit import progress

    text = _edges(tmp_path / "edges.tsv", 20)
    out = io.StringIO()
    bar = progress.for_load([text], "load string", enabled=True, file=out, mininterval=0)
    assert (bar.unit, bar.total) == ("B", text.stat().st_size)
    with progress.tracking(bar):
        from kgtool_plugins.sources.tables import iter_lines

        assert len(list(iter_lines(text))) == 21
        assert bar.done == bar.total
        shown = out.getvalue()
    assert "100%" in shown and "/s" in shown and "<" in shown  # percentage, rate, ETA

    gctx = tmp_path / "x.gctx"
    with h5py.File(gctx, "w") as f:
        f.create_dataset("/0/DATA/0/matrix", data=np.zeros((7, 3), dtype=np.float32))
        f.create_dataset("/0/META/COL/id", data=np.array([f"S{i}".encode() for i in range(7)]))
    bar = progress.for_load([gctx, text], "load signatures", enabled=True, file=io.StringIO())
    assert (bar.unit, bar.total) == ("sig", 7)  # the GCTX columns, known before the first is read
    with progress.tracking(bar):
        progress.records_done(5)
        progress.file_position(text, 100)  # bytes do not move a bar of records
        assert bar.done == 5
    quiet = io.StringIO()
    bar = progress.Progress(10, "sig", "x", file=quiet)  # stdout of the tests is not a terminal
    bar.set_done(10)
    bar.close()
    assert quiet.getvalue() == ""


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
        with raw_session(graph) as s:
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
        with raw_session(graph) as s:
            moas = {r["name"]: r["n"] for r in s.run(
                "MATCH (m:MoA) OPTIONAL MATCH (c:Compound)-[:HAS_MOA]->(m) RETURN m.name AS name, count(c) AS n")}
        assert moas == {"EGFR inhibitor": 2, "melatonin receptor agonist": 2}
    assert dumps[0] == dumps[1]


@pytest.mark.shared_data
def test_a_load_whose_process_was_killed_is_marked_interrupted_by_the_next_load(graph, settings, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.helpers import SHARED_DATA

    gct = SHARED_DATA / "l1000_signatures" / "cmapR_ds_level5_modz_n272x978.gct"
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


@pytest.mark.shared_data
def test_a_terminated_load_marks_its_run_interrupted_at_once(graph, settings):
    import json
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.helpers import SHARED_DATA

    gct = SHARED_DATA / "l1000_signatures" / "cmapR_ds_level5_modz_n272x978.gct"
    env = {**os.environ, **server_env()}
    argv = [sys.executable, "-c", "from toolkit.cli import main; main()", "load", "signatures", str(gct),
            "--batch-size", "200"]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and counts(graph).get(("rel", "UPREGULATES"), 0) < 1000:
            assert proc.poll() is None, "the load ended before it could be terminated"
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
    finally:
        _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    [run] = _load_runs(graph)  # no later load was needed to mark it
    assert run["status"] == "interrupted", err
    assert "SIGTERM" in json.loads(run["metrics"])["error"]


# -- targets in any load order --------------------------------------------------------------------

_STRING_FILES = {
    "9606.protein.links.v12.0.txt": ("protein1 protein2 combined_score\n"
                                     "9606.ENSP0001 9606.ENSP0002 800\n"
                                     "9606.ENSP0002 9606.ENSP0003 400\n"
                                     "9606.ENSP0003 9606.ENSP0004 500\n"
                                     "9606.ENSP0004 9606.ENSP0005 700\n"),
    "9606.protein.aliases.v12.0.txt": ("#string_protein_id\talias\tsource\n"
                                       "9606.ENSP0001\t7157\tEnsembl_HGNC_entrez_id\n"
                                       "9606.ENSP0002\t4193\tEnsembl_HGNC_entrez_id\n"
                                       "9606.ENSP0003\t1956\tEnsembl_HGNC_entrez_id\n"
                                       "9606.ENSP0004\t3065\tEnsembl_HGNC_entrez_id\n"
                                       "9606.ENSP0004\tHD1\tEnsembl_HGNC_alias_symbol\n"
                                       "9606.ENSP0004\tSHARED\tEnsembl_HGNC_alias_symbol\n"
                                       "9606.ENSP0005\t1017\tEnsembl_HGNC_entrez_id\n"
                                       "9606.ENSP0005\tSHARED\tEnsembl_HGNC_prev_symbol\n"),
    "9606.protein.info.v12.0.txt": ("#string_protein_id\tpreferred_name\tprotein_size\tannotation\n"
                                    "9606.ENSP0001\tTP53\t393\tp53\n9606.ENSP0002\tMDM2\t491\tMDM2\n"
                                    "9606.ENSP0003\tEGFR\t1210\tEGFR\n9606.ENSP0004\tHDAC1\t482\tHDAC1\n"
                                    "9606.ENSP0005\tCDK2\t298\tCDK2\n"),
}
_COMPOUNDS = ("pert_id\tcmap_name\ttarget\tmoa\tcanonical_smiles\tinchi_key\n"
              "BRD-K00000001\tone\tEGFR\tEGFR inhibitor\t\t\n"
              "BRD-K00000001\tone\ttp53\tEGFR inhibitor\t\t\n"  # another case: the symbol key matches
              "BRD-K00000002\ttwo\tHD1|NOPE\tHDAC inhibitor\t\t\n"  # an alias symbol; a symbol no gene has
              "BRD-K00000003\tthree\tSHARED\t\t\t\n")  # an alias symbol of two genes: never guessed


def _order_files(tmp_path):
    for name, text in _STRING_FILES.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "compoundinfo_beta.txt").write_text(_COMPOUNDS)
    return [tmp_path / name for name in _STRING_FILES], [tmp_path / "compoundinfo_beta.txt"]


def _targets(graph):
    with raw_session(graph) as session:
        return {(r["c"], r["g"]) for r in session.run(
            "MATCH (c:Compound)-[:TARGETS]->(g:Gene) RETURN c.pert_id AS c, g.entrez_id AS g")}


def _unresolved(graph):
    with raw_session(graph) as session:
        return {r["c"]: r["u"] for r in session.run(
            "MATCH (c:Compound) WHERE c.unresolved_targets IS NOT NULL RETURN c.pert_id AS c, "
            "c.unresolved_targets AS u")}


def test_compounds_before_string_get_the_targets_they_get_after_it(graph, settings, tmp_path):
    from tests.helpers import canonical_dump

    string, compounds = _order_files(tmp_path)
    want_targets = {("BRD-K00000001", 1956), ("BRD-K00000001", 7157), ("BRD-K00000002", 3065)}
    want_unresolved = {"BRD-K00000002": ["NOPE"], "BRD-K00000003": ["SHARED"]}

    load(graph, settings, "string", string)
    after = load(graph, settings, "compounds", compounds)
    assert after.targets_linked == 0  # resolved while loading: nothing left for the link step
    assert _targets(graph) == want_targets
    assert _unresolved(graph) == want_unresolved  # the ambiguous symbol stays as well as the unknown one
    string_first = canonical_dump(graph)

    graph.delete_everything()
    early = load(graph, settings, "compounds", compounds)
    assert early.targets_linked == 0 and _targets(graph) == set()
    assert _unresolved(graph) == {"BRD-K00000001": ["EGFR", "tp53"], "BRD-K00000002": ["HD1", "NOPE"],
                                  "BRD-K00000003": ["SHARED"]}
    late = load(graph, settings, "string", string)
    assert late.targets_linked == 3  # EGFR, tp53 (by symbol) and HD1 (an alias symbol of one gene)
    assert "3 target symbols left unresolved by earlier compound loads linked" in late.summary()
    assert late.metrics()["targets_linked"] == 3
    assert _targets(graph) == want_targets
    assert _unresolved(graph) == want_unresolved
    assert canonical_dump(graph) == string_first  # Run nodes are not part of the dump

    again = load(graph, settings, "string", string)  # nothing left to link: the list is stable
    assert again.targets_linked == 0 and _unresolved(graph) == want_unresolved


def test_a_cli_command_of_any_kind_marks_a_load_left_running_by_a_gone_process(graph, settings, tmp_path):
    import subprocess
    import sys

    from toolkit import runs
    from toolkit.cli import cli
    from toolkit.load import HOST

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # its pid names no process now
    run = runs.RunRecord(run_id=runs.new_run_id("load"), kind="load", plugin="string", config={})
    graph.write(cypher.load("write/start_run"), run_id=run.run_id,
                props={**run.node_properties(), "host": HOST, "pid": gone.pid})
    assert [r["status"] for r in _load_runs(graph)] == ["running"]

    result = CliRunner().invoke(cli, ["runs", "--kind", "train"], env=server_env())  # not a load
    assert result.exit_code == 0, result.output
    [marked] = _load_runs(graph)
    assert marked["status"] == "interrupted"
    found = graph.read(cypher.load("export/run"), run_id=run.run_id)[0]["run"]
    assert "ended before it finished" in found["error"]
