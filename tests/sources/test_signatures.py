"""The signatures source: GCTX/GCT matrices, siginfo/geneinfo metadata, streaming, top-k genes."""

from __future__ import annotations

import tracemalloc
from pathlib import Path
from typing import Optional, Sequence

import h5py
import numpy as np
import pytest

from kgtool_plugins.sources import signatures as signatures_module
from kgtool_plugins.sources.signatures import readers
from kgtool_plugins.sources.signatures import SignaturesSource, parse_dose_um, parse_time_h
from toolkit.errors import InputDataError
from toolkit.graph.batches import SourceReport
from toolkit.schema import NodeLabel, RelType
from toolkit.sources import LoadOptions

from ._util import counts, nodes, rels, run, truncated_gzip, tsv, write

SHARED = Path(__file__).parents[3] / "shared" / "data"
real = pytest.mark.shared_data
L1000 = SHARED / "l1000_signatures"

SIGINFO_HEADER = ("sig_id", "pert_id", "cmap_name", "pert_type", "cell_iname", "pert_dose", "pert_dose_unit",
                  "pert_time", "pert_time_unit", "pert_idose", "pert_itime", "qc_pass", "nsample")
# matrix rows, unsorted, with one non-landmark gene (55847)
ROWS = ["7416", "5720", "55847", "10", "4193"]
LANDMARKS_SORTED = [10, 4193, 5720, 7416]


def write_gctx(path: Path, row_ids: Sequence[str], col_ids: Sequence[str], matrix: np.ndarray,
               row_meta: Optional[dict] = None, col_meta: Optional[dict] = None) -> Path:
    """A GCTX in cmapPy's layout: /0/DATA/0/matrix is (columns, rows)."""
    with h5py.File(path, "w") as f:
        f.attrs["version"] = "GCTX1.0"
        f.create_dataset("/0/DATA/0/matrix", data=np.asarray(matrix, dtype=np.float32))
        f.create_dataset("/0/META/COL/id", data=np.array([c.encode() for c in col_ids]))
        f.create_dataset("/0/META/ROW/id", data=np.array([r.encode() for r in row_ids]))
        for name, values in (row_meta or {}).items():
            f.create_dataset(f"/0/META/ROW/{name}", data=np.array([str(v).encode() for v in values]))
        for name, values in (col_meta or {}).items():
            f.create_dataset(f"/0/META/COL/{name}", data=np.array([str(v).encode() for v in values]))
    return path


def geneinfo(tmp_path: Path) -> Path:
    return write(tmp_path / "geneinfo.txt", tsv(
        ("gene_id", "gene_symbol", "ensembl_id", "gene_title", "gene_type", "src", "feature_space"),
        (5720, "PSME1", "E1", "t", "protein-coding", "NCBI", "landmark"),
        (7416, "VDAC1", "E2", "t", "protein-coding", "NCBI", "landmark"),
        (10, "NAT2", "E3", "t", "protein-coding", "NCBI", "landmark"),
        (4193, "MDM2", "E4", "t", "protein-coding", "NCBI", "landmark"),
        (55847, "CISD1", "E5", "t", "protein-coding", "NCBI", "best inferred")))


SIGS = [
    # sig_id, pert_id, name, type, cell, dose, unit, time, tunit, idose, itime, qc
    ("S1", "BRD-K81418486-001-01-1", "vorinostat", "trt_cp", "mcf7", "10", "uM", "24", "h", "10 uM", "24 h", 1),
    ("S2", "BRD-K81418486", "vorinostat", "trt_cp", "A375", "-666", "-666", "-666", "-666", "10.0 um", "24H", 1),
    ("S3", "BRD-K95435023", "gefitinib", "trt_cp", "a375", "-666", "-666", "-666", "-666", "10 \u00b5M", "6", 0),
    ("S4", "BRD-K95435023", "gefitinib", "trt_cp", "PC3", "-666", "-666", "-666", "-666", "500 nM", "6 h & 4 h", 1),
    ("S5", "TRCN0000000001", "TP53", "trt_sh", "PC3", "-666", "-666", "-666", "-666", "1 ul", "96 h", 1),
]


def siginfo(tmp_path: Path, sigs=SIGS, name: str = "siginfo.txt") -> Path:
    rows = [(*s, 3) for s in sigs]
    return write(tmp_path / name, tsv(SIGINFO_HEADER, *rows))


def matrix_values(n_sigs: int = 5) -> np.ndarray:
    """(signatures, rows): distinct values, signature i has gene 10 highest and 4193 lowest."""
    base = np.array([1.5, -0.5, 9.0, 3.0, -2.0], dtype=np.float32)  # in ROWS order
    return np.stack([base * (i + 1) for i in range(n_sigs)])


def demo_set(tmp_path: Path, **siginfo_kw) -> list[Path]:
    gctx = write_gctx(tmp_path / "level5.gctx", ROWS, [s[0] for s in SIGS], matrix_values())
    return [gctx, siginfo(tmp_path, **siginfo_kw), geneinfo(tmp_path)]


# -- harmonisation --------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "unit", "label", "expected"), [
    ("10", "uM", "", 10.0), ("", "", "10 uM", 10.0), ("", "", "10.0 um", 10.0), ("", "", "10 \u00b5M", 10.0),
    ("", "", "10 \u03bcM", 10.0), ("", "", "10\u00b5M", 10.0), ("", "", "500 nM", 0.5), ("0.5", "mM", "", 500.0),
    ("-666", "-666", "-666", None), ("", "", "", None), ("", "", "1 ul", None), ("", "", "10", None),
    ("5", "ng/ul", "5 ng/ul", None), ("10", "UM", "", 10.0),
])
def test_parse_dose(value, unit, label, expected):
    got = parse_dose_um(value, unit, label)
    assert got == pytest.approx(expected) if expected is not None else got is None


@pytest.mark.parametrize(("value", "unit", "label", "expected"), [
    ("24", "h", "", (24.0, False)), ("", "", "24 h", (24.0, False)), ("", "", "24H", (24.0, False)),
    ("", "", "24", (24.0, False)), ("", "", "6 h & 4 h", (6.0, True)), ("30", "m", "", (0.5, False)),
    ("-666", "-666", "-666", (None, False)), ("", "", "soon", (None, False)), ("2", "d", "", (48.0, False)),
])
def test_parse_time(value, unit, label, expected):
    assert parse_time_h(value, unit, label) == expected


# -- GCTX + siginfo + geneinfo -------------------------------------------------------------------


def test_gctx_with_siginfo_and_geneinfo(tmp_path):
    batches, report = run(SignaturesSource(), demo_set(tmp_path), top_k=2)
    assert nodes(batches, NodeLabel.GENE) == [
        {"entrez_id": 10, "symbol": "NAT2", "is_landmark": True},
        {"entrez_id": 4193, "symbol": "MDM2", "is_landmark": True},
        {"entrez_id": 5720, "symbol": "PSME1", "is_landmark": True},
        {"entrez_id": 7416, "symbol": "VDAC1", "is_landmark": True}]
    assert nodes(batches, NodeLabel.CELL_LINE) == [{"name": "A375"}, {"name": "MCF7"}, {"name": "PC3"}]
    assert nodes(batches, NodeLabel.COMPOUND) == [
        {"pert_id": "BRD-K81418486", "name": "vorinostat"}, {"pert_id": "BRD-K95435023", "name": "gefitinib"}]
    sigs = {s["sig_id"]: s for s in nodes(batches, NodeLabel.SIGNATURE)}
    assert sigs["S1"] == {"sig_id": "S1", "pert_id": "BRD-K81418486", "pert_type": "trt_cp", "cell": "MCF7",
                          "dose_um": 10.0, "time_h": 24.0, "qc_pass": True, "nsample": 3,
                          "z": [3.0, -2.0, -0.5, 1.5]}  # ascending Entrez: 10, 4193, 5720, 7416
    assert sigs["S2"]["dose_um"] == 10.0 and sigs["S2"]["time_h"] == 24.0
    assert sigs["S3"]["dose_um"] == 10.0 and sigs["S3"]["time_h"] == 6.0 and sigs["S3"]["qc_pass"] is False
    assert sigs["S4"]["dose_um"] == pytest.approx(0.5) and sigs["S4"]["time_h"] == 6.0
    assert "dose_um" not in sigs["S5"] and sigs["S5"]["pert_type"] == "trt_sh"
    assert sigs["S5"]["z"] == [15.0, -10.0, -2.5, 7.5]
    assert rels(batches, RelType.OF_COMPOUND) == [
        {"start": "S1", "end": "BRD-K81418486", "props": {}}, {"start": "S2", "end": "BRD-K81418486", "props": {}},
        {"start": "S3", "end": "BRD-K95435023", "props": {}}, {"start": "S4", "end": "BRD-K95435023", "props": {}}]
    assert [r["end"] for r in rels(batches, RelType.IN_CELL)] == ["MCF7", "A375", "A375", "PC3", "PC3"]
    up = [r for r in rels(batches, RelType.UPREGULATES) if r["start"] == "S1"]
    down = [r for r in rels(batches, RelType.DOWNREGULATES) if r["start"] == "S1"]
    assert up == [{"start": "S1", "end": 10, "props": {"z": 3.0, "rank": 1}},
                  {"start": "S1", "end": 7416, "props": {"z": 1.5, "rank": 2}}]
    assert down == [{"start": "S1", "end": 4193, "props": {"z": -2.0, "rank": 1}},
                    {"start": "S1", "end": 5720, "props": {"z": -0.5, "rank": 2}}]
    assert report.repaired == [
        f"{tmp_path / 'siginfo.txt'}: signature S4: pert_itime '6 h & 4 h' lists several times; time_h = 6",
        f"{tmp_path / 'siginfo.txt'}: signature S5: dose '1 ul' is not a molar concentration; dose_um left out"]
    assert report.dropped == []


def test_top_k_only_positive_up_and_negative_down(tmp_path):
    batches, _ = run(SignaturesSource(), demo_set(tmp_path), top_k=50)
    up = [r for r in rels(batches, RelType.UPREGULATES) if r["start"] == "S1"]
    down = [r for r in rels(batches, RelType.DOWNREGULATES) if r["start"] == "S1"]
    assert [r["end"] for r in up] == [10, 7416] and [r["end"] for r in down] == [4193, 5720]
    none, _ = run(SignaturesSource(), demo_set(tmp_path), top_k=0)
    assert counts(none)["UPREGULATES"] == 0 and counts(none)["Signature"] == 5


def test_qc_only(tmp_path):
    batches, report = run(SignaturesSource(), demo_set(tmp_path), qc_only=True)
    assert sorted(s["sig_id"] for s in nodes(batches, NodeLabel.SIGNATURE)) == ["S1", "S2", "S4", "S5"]
    assert report.dropped == [
        f"{tmp_path / 'level5.gctx'}: qc_only: 1 signatures without qc_pass == 1 skipped (qc_only)"]


def test_qc_only_needs_qc_pass(tmp_path):
    gctx = write_gctx(tmp_path / "level5.gctx", ROWS, ["S1"], matrix_values(1))
    info = write(tmp_path / "sig_info.txt",
                 tsv(("sig_id", "pert_id", "pert_iname", "cell_id"), ("S1", "BRD-K1", "x", "A375")))
    with pytest.raises(InputDataError, match="qc_only needs a qc_pass column"):
        run(SignaturesSource(), [gctx, info], qc_only=True)


def test_slices_are_bounded_and_lazy(tmp_path, monkeypatch):
    reads: list[tuple[int, int]] = []
    original = readers.Gctx.block

    def spy(self, start, stop):
        reads.append((start, stop))
        return original(self, start, stop)

    monkeypatch.setattr(readers.Gctx, "block", spy)
    paths = demo_set(tmp_path)
    for lenient, checked in ((True, []), (False, [(0, 2), (2, 4), (4, 5)])):
        # strict: one validation pass over the slices (NaN/inf) before the first write; lenient skips it
        reads.clear()
        options = LoadOptions.from_values(chunk_signatures=2, batch_size=1, lenient=lenient)
        stream = SignaturesSource().read(paths, options, SourceReport("signatures"))
        for batch in stream:
            if getattr(batch, "label", None) is NodeLabel.SIGNATURE:
                break
        assert reads == checked + [(0, 2)]  # the first signature batch came after reading one slice only
        list(stream)
        assert reads == checked + [(0, 2), (2, 4), (4, 5)]


def test_streaming_keeps_memory_bounded(tmp_path):
    n_sigs, n_genes = 1500, 978
    rows = [str(i + 1) for i in range(n_genes)]
    path = tmp_path / "big.gctx"
    with h5py.File(path, "w") as f:
        data = f.create_dataset("/0/DATA/0/matrix", shape=(n_sigs, n_genes), dtype=np.float32, chunks=(100, n_genes))
        rng = np.random.default_rng(0)
        for start in range(0, n_sigs, 500):
            data[start:start + 500] = rng.standard_normal((500, n_genes), dtype=np.float32)
        f.create_dataset("/0/META/COL/id", data=np.array([f"SIG{i}".encode() for i in range(n_sigs)]))
        f.create_dataset("/0/META/ROW/id", data=np.array([r.encode() for r in rows]))
        for name, value in (("pert_id", "BRD-K00000001"), ("cell_id", "A375"), ("pert_idose", "10 uM")):
            f.create_dataset(f"/0/META/COL/{name}", data=np.array([value.encode()] * n_sigs))
    tracemalloc.start()
    try:
        n = 0
        options = LoadOptions.from_values(chunk_signatures=100, top_k=5)
        for batch in SignaturesSource().read([path], options, SourceReport("s")):
            n += len(batch.rows) if getattr(batch, "label", None) is NodeLabel.SIGNATURE else 0
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert n == n_sigs
    # all 1,500 z vectors as Python lists would take ~57 MB; a slice of 100 takes ~4 MB
    assert peak < 16 * 2**20, f"peak {peak / 2**20:.1f} MiB"


def test_gctx_written_by_cmappy(tmp_path):
    import pandas as pd
    from cmapPy.pandasGEXpress.GCToo import GCToo
    from cmapPy.pandasGEXpress.write_gctx import write as write_gctx_cmappy

    df = pd.DataFrame(matrix_values().T, index=ROWS, columns=[s[0] for s in SIGS])
    write_gctx_cmappy(GCToo(data_df=df), str(tmp_path / "level5.gctx"))
    ours = write_gctx(tmp_path / "ours.gctx", ROWS, [s[0] for s in SIGS], matrix_values())
    a, _ = run(SignaturesSource(), [tmp_path / "level5.gctx", siginfo(tmp_path), geneinfo(tmp_path)])
    b, _ = run(SignaturesSource(), [ours, siginfo(tmp_path), geneinfo(tmp_path)])
    assert a == b


def test_probe_rows_mapped_through_gene_table(tmp_path):
    probes = ["217140_s_at", "200814_at"]
    gctx = write_gctx(tmp_path / "p.gctx", probes, ["S1"], np.array([[1.0, -1.0]]))
    info = siginfo(tmp_path, sigs=SIGS[:1])
    genes = write(tmp_path / "landmarks.tsv", tsv(("pr_gene_id", "pr_gene_symbol", "pr_id", "pr_is_lmark"),
                                                 (7416, "VDAC1", "217140_s_at", 1), (5720, "PSME1", "200814_at", 1)))
    batches, _ = run(SignaturesSource(), [gctx, info, genes])
    assert nodes(batches, NodeLabel.SIGNATURE)[0]["z"] == [-1.0, 1.0]
    with pytest.raises(InputDataError) as err:
        run(SignaturesSource(), [gctx, info])
    assert str(err.value).startswith(f"{gctx}: row 1 (217140_s_at): row id is not an Entrez id and has no pr_gene_id")


def test_embedded_gctx_column_metadata(tmp_path):
    gctx = write_gctx(tmp_path / "e.gctx", ROWS, ["A", "B"], matrix_values(2),
                      col_meta={"pert_id": ["BRD-K00000001-001-01-1", "BRD-K00000002"], "pert_iname": ["x", "y"],
                                "cell_id": ["mcf7", "pc3"], "pert_idose": ["10 uM", "-666"],
                                "pert_itime": ["24 h", "6 h"]})
    batches, _ = run(SignaturesSource(), [gctx, geneinfo(tmp_path)])
    sigs = nodes(batches, NodeLabel.SIGNATURE)
    assert [(s["sig_id"], s["pert_id"], s["cell"], s.get("dose_um"), s["time_h"]) for s in sigs] == [
        ("A", "BRD-K00000001", "MCF7", 10.0, 24.0), ("B", "BRD-K00000002", "PC3", None, 6.0)]
    bare = write_gctx(tmp_path / "bare.gctx", ROWS, ["A"], matrix_values(1))
    with pytest.raises(InputDataError, match="no GCTX or GCT matrix|siginfo"):
        run(SignaturesSource(), [bare, geneinfo(tmp_path)])


def test_names_with_quotes_backticks_braces_verbatim(tmp_path):
    odd = ('say "hi"', "`X`", "{N: 1}", "'); MATCH (N) DETACH DELETE N //")
    sigs = [(f"S{i}", f"BRD-K0000000{i}", name, "trt_cp", name, "10", "uM", "24", "h", "10 uM", "24 h", 1)
            for i, name in enumerate(odd)]
    sig_ids = [s[0] for s in sigs]
    gctx = write_gctx(tmp_path / "level5.gctx", ROWS, sig_ids, matrix_values(len(sigs)))
    batches, _ = run(SignaturesSource(), [gctx, siginfo(tmp_path, sigs=sigs), geneinfo(tmp_path)])
    assert [c["name"] for c in nodes(batches, NodeLabel.COMPOUND)] == list(odd)
    assert sorted(c["name"] for c in nodes(batches, NodeLabel.CELL_LINE)) == sorted(n.upper() for n in odd)


def test_same_files_twice_same_batches(tmp_path):
    paths = demo_set(tmp_path)
    assert run(SignaturesSource(), paths, top_k=2)[0] == run(SignaturesSource(), paths, top_k=2)[0]


# -- malformed input ------------------------------------------------------------------------------


def test_matrix_ids_absent_from_metadata(tmp_path):
    paths = demo_set(tmp_path, sigs=SIGS[:3])
    with pytest.raises(InputDataError) as err:
        run(SignaturesSource(), paths)
    assert str(err.value) == (  # all of them counted and named in one line
        f"{paths[0]}: columns: 2 of 5 column ids are not in the signature metadata (siginfo.txt): S4 (column 4), "
        "S5 (column 5); fix: pass the siginfo file that belongs to this matrix (or load with --lenient to skip "
        "those signatures)")
    batches, report = run(SignaturesSource(), paths, lenient=True)
    assert [s["sig_id"] for s in nodes(batches, NodeLabel.SIGNATURE)] == ["S1", "S2", "S3"]
    assert len(report.dropped) == 2 and report.dropped[0].startswith(f"{paths[0]}: column 4 (S4): sig id 'S4'")


def test_duplicate_sig_ids_in_matrix(tmp_path):
    gctx = write_gctx(tmp_path / "level5.gctx", ROWS, ["S1", "S2", "S1"], matrix_values(3))
    paths = [gctx, siginfo(tmp_path), geneinfo(tmp_path)]
    with pytest.raises(InputDataError) as err:
        run(SignaturesSource(), paths)
    assert str(err.value).startswith(f"{gctx}: column 3 (S1): duplicate sig id 'S1': also column 1 of level5.gctx")
    batches, report = run(SignaturesSource(), paths, lenient=True)
    assert [s["sig_id"] for s in nodes(batches, NodeLabel.SIGNATURE)] == ["S1", "S2"]
    assert report.dropped[0].endswith("skipped (lenient)")


def test_duplicate_sig_ids_in_siginfo(tmp_path):
    paths = demo_set(tmp_path, sigs=SIGS + [SIGS[1]])
    with pytest.raises(InputDataError) as err:
        run(SignaturesSource(), paths)
    assert str(err.value).startswith(f"{paths[1]}: line 7: duplicate sig_id 'S2': also on siginfo.txt line 3")
    batches, report = run(SignaturesSource(), paths, lenient=True)
    assert counts(batches)["Signature"] == 5 and len(report.dropped) == 1


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_and_inf(tmp_path, bad):
    values = matrix_values()
    values[2, 3] = bad  # S3, row "10"
    gctx = write_gctx(tmp_path / "level5.gctx", ROWS, [s[0] for s in SIGS], values)
    paths = [gctx, siginfo(tmp_path), geneinfo(tmp_path)]
    with pytest.raises(InputDataError) as err:
        run(SignaturesSource(), paths)
    assert str(err.value).startswith(f"{gctx}: signature S3 (column 3): 1 NaN/inf landmark values (first at gene "
                                     "10); 1 signature of 5 has NaN/inf values; found before anything was written")
    batches, report = run(SignaturesSource(), paths, lenient=True)
    assert [s["sig_id"] for s in nodes(batches, NodeLabel.SIGNATURE)] == ["S1", "S2", "S4", "S5"]
    assert report.dropped == [f"{gctx}: signature S3: 1 NaN/inf values (first at gene 10); skipped (lenient)"]


def test_nan_in_a_non_landmark_row_is_ignored(tmp_path):
    values = matrix_values()
    values[:, 2] = np.nan  # row 55847 is not a landmark
    gctx = write_gctx(tmp_path / "level5.gctx", ROWS, [s[0] for s in SIGS], values)
    batches, _ = run(SignaturesSource(), [gctx, siginfo(tmp_path), geneinfo(tmp_path)])
    assert counts(batches)["Signature"] == 5


@pytest.mark.parametrize("keep", [0.5, 0.02])
def test_truncated_hdf5(tmp_path, keep):
    big = np.random.default_rng(1).standard_normal((400, 5)).astype(np.float32)
    gctx = write_gctx(tmp_path / "level5.gctx", ROWS, [f"S{i}" for i in range(400)], big)
    data = gctx.read_bytes()
    gctx.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(InputDataError) as err:
        run(SignaturesSource(), [gctx, geneinfo(tmp_path)])
    msg = str(err.value)
    assert msg.startswith(f"{gctx}: ") and "not a readable GCTX/HDF5 file" in msg and "\n" not in msg


def test_hdf5_without_gctx_layout(tmp_path):
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("assay", data=np.zeros((2, 2)))
    with pytest.raises(InputDataError, match=r"not a GCTX file: no /0/DATA/0/matrix dataset"):
        run(SignaturesSource(), [path])


def test_broken_gct(tmp_path):
    path = write(tmp_path / "x.gct", "#1.3\n3\t2\t0\t0\nid\tA\tB\n1\t0.1\n")
    with pytest.raises(InputDataError, match=r"x.gct: file: not a readable GCT file"):
        run(SignaturesSource(), [path])


def test_siginfo_problems(tmp_path):
    gctx = write_gctx(tmp_path / "level5.gctx", ROWS, ["S1"], matrix_values(1))
    no_pert = write(tmp_path / "a.txt", tsv(("sig_id", "cell_iname"), ("S1", "A375")))
    with pytest.raises(InputDataError, match=r"a.txt: header: missing required column 'pert_id'"):
        run(SignaturesSource(), [gctx, no_pert])
    short = write(tmp_path / "b.txt", tsv(SIGINFO_HEADER) + "S1\tBRD-K1\n")
    with pytest.raises(InputDataError, match=r"b.txt: line 2: 2 tab-separated columns where the header has 13"):
        run(SignaturesSource(), [gctx, short])
    latin = tmp_path / "c.txt"
    row = "\t".join(["S1", "BRD-K1", "caf\xe9"] + ["x"] * 10)
    latin.write_bytes(tsv(SIGINFO_HEADER).encode() + row.encode("latin-1") + b"\n")
    with pytest.raises(InputDataError, match=r"c.txt: line 2: byte 0xe9 at column 14 is not valid UTF-8"):
        run(SignaturesSource(), [gctx, latin])
    rows = [(f"X{i}", "BRD-K1", "n", "trt_cp", "A375", 10, "uM", 24, "h", "10 uM", "24 h", 1, 3) for i in range(20000)]
    cut = truncated_gzip(tmp_path / "d.txt.gz", tsv(SIGINFO_HEADER, *rows))
    with pytest.raises(InputDataError, match=r"d.txt.gz: line \d+: the gzip data is truncated or corrupt"):
        run(SignaturesSource(), [gctx, cut])


def test_unknown_file_and_no_matrix(tmp_path):
    other = write(tmp_path / "x.tsv", tsv(("a", "b"), (1, 2)))
    with pytest.raises(InputDataError, match="not a GCTX/GCT matrix, siginfo or gene table"):
        run(SignaturesSource(), [other])
    with pytest.raises(InputDataError, match="no GCTX or GCT matrix among the paths"):
        run(SignaturesSource(), [siginfo(tmp_path)])


# -- real files ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cmapr():
    return run(SignaturesSource(), [L1000 / "cmapR_ds_level5_modz_n272x978.gct"], chunk_signatures=100)


@real
@pytest.mark.shared_data
def test_real_cmapr_level5_gct(cmapr):
    from cmapPy.pandasGEXpress.parse_gct import parse

    batches, report = cmapr
    sigs = nodes(batches, NodeLabel.SIGNATURE)
    genes = nodes(batches, NodeLabel.GENE)
    assert len(sigs) == 272 and len(genes) == 978  # SOURCES.md: 978 genes x 272 signatures
    assert {c["name"] for c in nodes(batches, NodeLabel.COMPOUND)} == {"vemurafenib", "atorvastatin", "venlafaxine"}
    assert len(nodes(batches, NodeLabel.CELL_LINE)) == 65
    assert all(len(s["z"]) == 978 for s in sigs)
    assert {s.get("dose_um") for s in sigs} == {10.0, 3.0, 1.0, 0.5, 0.1}
    assert {s["time_h"] for s in sigs} == {6.0, 24.0}
    assert sum("lists several times" in line for line in report.repaired) == 2  # '6 h & 4 h', '24 h & 4 h'
    # z follows ascending Entrez order of the landmark rows
    with pytest.warns(FutureWarning):
        gct = parse(str(L1000 / "cmapR_ds_level5_modz_n272x978.gct"))
    order = gct.row_metadata_df.sort_values("pr_gene_id").index
    first = gct.data_df.columns[0]
    assert sigs[0]["sig_id"] == first
    assert sigs[0]["z"] == pytest.approx(gct.data_df.loc[order, first].astype(float).tolist())
    assert [g["entrez_id"] for g in genes] == sorted(gct.row_metadata_df["pr_gene_id"].tolist())
    up = [r for r in rels(batches, RelType.UPREGULATES) if r["start"] == first]
    assert len(up) == 50 and up[0]["props"]["rank"] == 1 and up[0]["props"]["z"] == max(sigs[0]["z"])


@real
@pytest.mark.shared_data
def test_real_cmapr_with_a_siginfo_table(cmapr, tmp_path):
    # the staged column table uses 'cid' for the signature id: rename it, load it as sig_info
    lines = (L1000 / "cmapR_ds_columns_moa.tsv").read_text().splitlines()
    info = write(tmp_path / "sig_info.txt", "\n".join(["sig_id" + lines[0][3:]] + lines[1:]) + "\n")
    landmarks = SHARED / "l1000_landmarks" / "landmark_genes_978.tsv"
    batches, _ = run(SignaturesSource(), [L1000 / "cmapR_ds_level5_modz_n272x978.gct", info, landmarks],
                     chunk_signatures=100)
    strip = [{k: v for k, v in s.items() if k in ("sig_id", "pert_id", "cell", "dose_um", "time_h", "z")}
             for s in nodes(batches, NodeLabel.SIGNATURE)]
    embedded = [{k: v for k, v in s.items() if k in ("sig_id", "pert_id", "cell", "dose_um", "time_h", "z")}
                for s in nodes(cmapr[0], NodeLabel.SIGNATURE)]
    assert strip == embedded


@real
@pytest.mark.shared_data
def test_real_level3_plates_upper_case_meta():
    batches, _ = run(SignaturesSource(), [L1000 / "cmapM_gctv13_01_CPC006_A375_6H_level3_n371x978.gct"])
    sigs = nodes(batches, NodeLabel.SIGNATURE)
    assert len(sigs) == 371 and {s["pert_type"] for s in sigs} == {"trt_cp", "ctl_vehicle"}
    assert {s["cell"] for s in sigs} == {"A375"} and {s["time_h"] for s in sigs} == {6.0}
    assert sum(s.get("dose_um") == 10.0 for s in sigs) > 150  # exp_pert_dose 10 with unit 'UM'


@real
@pytest.mark.shared_data
def test_real_file_read_twice_gives_same_batches(cmapr):
    again, report = run(SignaturesSource(), [L1000 / "cmapR_ds_level5_modz_n272x978.gct"], chunk_signatures=100)
    assert again == cmapr[0] and report == cmapr[1]


def test_registers_itself():
    registered = []
    signatures_module.kgtool_register_sources(register=registered.append)
    assert [s.name for s in registered] == ["signatures"]


def test_a_gctx_without_columns_is_an_error_and_under_lenient_0_records(tmp_path):
    empty = write_gctx(tmp_path / "level5.gctx", ROWS, [], np.zeros((0, len(ROWS)), dtype=np.float32))
    paths = [empty, siginfo(tmp_path), geneinfo(tmp_path)]
    with pytest.raises(InputDataError) as err:
        run(SignaturesSource(), paths)
    assert str(err.value).startswith(f"{empty}: columns: 0 signatures: the matrix has no columns (5 rows); fix: ")
    batches, report = run(SignaturesSource(), paths, lenient=True)
    assert batches == []  # not even the genes
    assert report.dropped_by_reason == {"0 records": 1}
    assert report.dropped == [f"{empty}: file: 0 signatures: the matrix has no columns (5 rows) (0 records); "
                              "nothing loaded from it (lenient)"]


def test_aggregate_drops_count_rows(tmp_path):
    sigs = [*SIGS, *[(f"Q{i}", "BRD-K95435023", "gefitinib", "trt_cp", "PC3", "-666", "-666", "-666", "-666",
                      "10 uM", "6 h", 0) for i in range(3)]]
    gctx = write_gctx(tmp_path / "level5.gctx", ROWS, [s[0] for s in sigs], matrix_values(len(sigs)))
    _, report = run(SignaturesSource(), [gctx, siginfo(tmp_path, sigs), geneinfo(tmp_path)], qc_only=True)
    assert report.dropped_by_reason == {"qc_only": 4}  # one report line, four signatures
    assert report.n_dropped == 4 and len(report.dropped) == 1
