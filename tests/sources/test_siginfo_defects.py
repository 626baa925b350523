"""siginfo / GCTX defects of issue 11, loaded into the real graph: each is one line naming file and
line/column/id with the database unchanged, or under --lenient a skip with an exact report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kgtool_plugins.sources.signatures import SignaturesSource
from tests.helpers import canonical_dump
from toolkit.errors import InputDataError
from toolkit.load import load
from toolkit.schema import NodeLabel
from toolkit.sources import LoadOptions

from ._util import nodes, run, tsv, write
from .test_signatures import ROWS, geneinfo, write_gctx

pytestmark = pytest.mark.neo4j

HEADER = ("sig_id", "pert_id", "cmap_name", "pert_type", "cell_iname", "pert_idose", "pert_itime", "cc_q75",
          "det_plates")


def _siginfo(tmp_path: Path, sig_ids, cc_q75=None, plates=None, name: str = "siginfo_beta.txt") -> Path:
    rows = [(s, f"BRD-K{i:08d}", f"drug{i}", "trt_cp", "A375", "10 uM", "24 h",
             (cc_q75 or {}).get(s, "0.5"), (plates or {}).get(s, "P1")) for i, s in enumerate(sig_ids)]
    return write(tmp_path / name, tsv(HEADER, *rows))


def _matrix(tmp_path: Path, sig_ids, values=None) -> Path:
    rng = np.random.default_rng(7)
    values = rng.standard_normal((len(sig_ids), len(ROWS))).astype(np.float32) if values is None else values
    return write_gctx(tmp_path / "level5.gctx", ROWS, sig_ids, values)


def _graph_is_empty(graph) -> bool:
    return not canonical_dump(graph)  # Run nodes are left out of the dump


def test_duplicate_sig_id_names_both_lines(graph, settings, tmp_path):
    sigs = [f"S{i}" for i in range(5)]
    info = write(tmp_path / "siginfo_beta.txt",
                 _siginfo(tmp_path, sigs).read_text() + "S1\tBRD-K1\tx\ttrt_cp\tA375\t10 uM\t24 h\t0.5\tP1\n")
    paths = [_matrix(tmp_path, sigs), info, geneinfo(tmp_path)]
    with pytest.raises(InputDataError) as err:
        load(graph, settings, "signatures", paths, LoadOptions())
    assert str(err.value).startswith(f"{info}: line 7: duplicate sig_id 'S1': also on siginfo_beta.txt line 3; fix:")
    assert _graph_is_empty(graph)


def test_a_quality_value_that_is_not_a_number_names_file_line_and_column(graph, settings, tmp_path):
    sigs = [f"S{i}" for i in range(4)]
    info = _siginfo(tmp_path, sigs, cc_q75={"S2": "abc"})
    paths = [_matrix(tmp_path, sigs), info, geneinfo(tmp_path)]
    with pytest.raises(InputDataError) as err:
        load(graph, settings, "signatures", paths, LoadOptions())
    message = str(err.value)
    assert message.startswith(f"{info}: signature S2 (line 4), column cc_q75: cc_q75 = 'abc' is not a number; fix:")
    assert "\n" not in message and _graph_is_empty(graph)

    report = load(graph, settings, "signatures", paths, LoadOptions(lenient=True))
    assert report.dropped_by_reason == {"cc_q75 not a number": 1}
    sigs_in_graph = {dict(n[2])["sig_id"]: dict(n[2]) for n in canonical_dump(graph) if n[1] == ("Signature",)}
    assert set(sigs_in_graph) == set(sigs)  # the signature is loaded, without the value
    assert "cc_q75" not in sigs_in_graph["S2"] and sigs_in_graph["S1"]["cc_q75"] == 0.5


def test_ids_missing_on_either_side_are_all_counted_and_named(graph, settings, tmp_path):
    in_matrix = [f"S{i:02d}" for i in range(30)]
    extra = [f"X{i:02d}" for i in range(13)]  # 13 siginfo rows of signatures the matrix does not have
    info = _siginfo(tmp_path, in_matrix[15:] + extra)  # the first 15 matrix columns have no row
    paths = [_matrix(tmp_path, in_matrix), info, geneinfo(tmp_path)]
    with pytest.raises(InputDataError) as err:
        load(graph, settings, "signatures", paths, LoadOptions())
    message = str(err.value)
    assert message.startswith(f"{paths[0]}: columns: 15 of 30 column ids are not in the signature metadata "
                              "(siginfo_beta.txt): S00 (column 1), S01 (column 2)")
    assert "S09 (column 10), ... (5 more)" in message and "S10" not in message
    assert _graph_is_empty(graph)

    report = load(graph, settings, "signatures", paths, LoadOptions(lenient=True))
    assert report.dropped_by_reason == {"sig id without metadata": 15, "siginfo row without matrix column": 13}
    extra_line = next(line for line in report.dropped if "no matrix of this load has" in line)
    assert extra_line.startswith(f"{info}: rows: 13 rows name signatures that no matrix of this load has "
                                 "(X00, X01, X02, X03, X04, X05, X06, X07, X08, X09, ... (3 more))")
    assert sum(1 for n in canonical_dump(graph) if n[1] == ("Signature",)) == 15


def test_nan_in_the_last_signature_fails_before_anything_is_written(graph, settings, tmp_path):
    sigs = [f"S{i:03d}" for i in range(60)]
    values = np.random.default_rng(3).standard_normal((60, len(ROWS))).astype(np.float32)
    values[-1, 0] = np.nan  # the last signature, gene 7416 (a landmark)
    paths = [_matrix(tmp_path, sigs, values), _siginfo(tmp_path, sigs), geneinfo(tmp_path)]
    options = LoadOptions.from_values(chunk_signatures=10, batch_size=10)  # six slices: the NaN is in the last
    with pytest.raises(InputDataError) as err:
        load(graph, settings, "signatures", paths, options)
    message = str(err.value)
    assert message.startswith(f"{paths[0]}: signature S059 (column 60): 1 NaN/inf landmark values (first at gene "
                              "7416); 1 signature of 60 has NaN/inf values; found before anything was written, the "
                              "database is unchanged; fix:")
    assert _graph_is_empty(graph)

    report = load(graph, settings, "signatures", paths,
                  LoadOptions.from_values(chunk_signatures=10, batch_size=10, lenient=True))
    assert report.dropped_by_reason == {"NaN/inf values": 1}
    assert sum(1 for n in canonical_dump(graph) if n[1] == ("Signature",)) == 59


def test_det_plates_spelling_names_the_plate(tmp_path):
    sigs = [f"S{i}" for i in range(6)]
    plates = {s: ("PLATE_A" if i < 3 else "PLATE_B") for i, s in enumerate(sigs)}
    paths = [_matrix(tmp_path, sigs), _siginfo(tmp_path, sigs, plates=plates), geneinfo(tmp_path)]
    batches, _ = run(SignaturesSource(), paths, zscore="plate")
    assert {s["sig_id"]: s["plate"] for s in nodes(batches, NodeLabel.SIGNATURE)} == plates
