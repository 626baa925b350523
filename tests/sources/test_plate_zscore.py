"""Level 3 plates z-scored by the signatures source (``LoadOptions.zscore`` / ``--zscore``), on the
real LJP005 and CPC006 plates (``../shared/data/l1000_signatures``), checked against numpy
computations done here from cmapPy's parse of the raw GCT."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from kgtool_plugins.sources.signatures import readers
from kgtool_plugins.sources.signatures import SignaturesSource
from toolkit.errors import ConfigError, InputDataError
from toolkit.schema import NodeLabel, RelType

from ._util import SHARED, nodes, rels, run, spy_column_reads

pytestmark = [pytest.mark.shared_data]

L1000 = SHARED / "l1000_signatures"
LJP005 = L1000 / "cmapPy_test_l1000_LJP005_A375_24H_level3_n377x978.gct"
CPC006 = L1000 / "cmapM_gctv13_01_CPC006_A375_6H_level3_n371x978.gct"


def parse(path: Path):
    from cmapPy.pandasGEXpress.parse_gct import parse as parse_gct

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return parse_gct(str(path))


def raw(path: Path) -> tuple[np.ndarray, list[str], object]:
    """(signatures x landmarks in ascending Entrez order, sig ids, column metadata) from cmapPy."""
    gct = parse(path)
    order = gct.row_metadata_df.sort_values("pr_gene_id").index
    data = gct.data_df.loc[order]
    return data.to_numpy(dtype=np.float64).T, [str(c) for c in data.columns], gct.col_metadata_df


def robust_z(x: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """The expected transform, written out independently of the source."""
    med = np.median(ref, axis=0)
    mad = np.median(np.abs(ref - med), axis=0)
    return np.clip((x - med) / (1.4826 * np.maximum(mad, 0.1)), -10, 10)


def z_matrix(batches) -> tuple[np.ndarray, list[dict]]:
    sigs = nodes(batches, NodeLabel.SIGNATURE)
    return np.array([s["z"] for s in sigs]), sigs


@pytest.fixture(scope="module")
def ljp005_raw():
    return raw(LJP005)


@pytest.fixture(scope="module")
def ljp005_plate():
    return run(SignaturesSource(), [LJP005], zscore="plate", chunk_signatures=100)


def test_plate_mode_centres_every_gene_on_the_plate(ljp005_plate):
    batches, report = ljp005_plate
    z, sigs = z_matrix(batches)
    assert z.shape == (377, 978)
    assert np.abs(np.median(z, axis=0)).max() < 1e-9  # each gene's median over the plate's wells
    assert np.abs(z).max() <= 10.0 and (np.abs(z) == 10.0).any()  # clipped like CMap
    assert {(s["zscore"], s["plate"]) for s in sigs} == {("plate", "LJP005_A375_24H_X1_B19")}  # det_plate
    # the spread is that of z-scores now, not of log2 expression (3.2-15)
    assert 0.5 < np.median(np.abs(z)) < 1.5
    assert not report.dropped


def test_plate_mode_matches_an_independent_numpy_computation(ljp005_plate, ljp005_raw):
    x, sig_ids, _ = ljp005_raw
    z, sigs = z_matrix(ljp005_plate[0])
    assert [s["sig_id"] for s in sigs] == sig_ids
    expected = robust_z(x, x)
    assert z == pytest.approx(expected, abs=1e-9)
    # one value spelled out: first well, gene of lowest Entrez id
    col = x[:, 0]
    med = np.median(col)
    mad = max(np.median(np.abs(col - med)), 0.1)
    assert sigs[0]["z"][0] == pytest.approx(float(np.clip((x[0, 0] - med) / (1.4826 * mad), -10, 10)), abs=1e-9)


def test_plate_mode_agrees_with_cmappy_robust_zscore(ljp005_plate):
    from cmapPy.math.robust_zscore import robust_zscore

    gct = parse(LJP005)
    order = gct.row_metadata_df.sort_values("pr_gene_id").index
    expected = robust_zscore(gct.data_df.loc[order].astype(np.float64)).clip(-10, 10).to_numpy().T
    z, _ = z_matrix(ljp005_plate[0])
    assert z == pytest.approx(expected, abs=1e-4)  # cmapPy rounds to 4 decimals


def test_top_k_genes_follow_the_z_scores(ljp005_plate):
    batches, _ = ljp005_plate
    z, sigs = z_matrix(batches)
    first = sigs[0]["sig_id"]
    up = sorted((r for r in rels(batches, RelType.UPREGULATES) if r["start"] == first),
                key=lambda r: r["props"]["rank"])
    down = sorted((r for r in rels(batches, RelType.DOWNREGULATES) if r["start"] == first),
                  key=lambda r: r["props"]["rank"])
    assert len(up) == 50 and len(down) == 50
    assert up[0]["props"]["z"] == z[0].max() and down[0]["props"]["z"] == z[0].min()


@pytest.mark.parametrize("path", [LJP005, CPC006], ids=["LJP005", "CPC006"])
def test_vehicle_mode_centres_the_dmso_wells(path):
    x, sig_ids, meta = raw(path)
    vehicle = meta.loc[sig_ids, "pert_type"].str.lower().eq("ctl_vehicle").to_numpy()  # CPC006: CTL_VEHICLE
    assert vehicle.sum() in (26, 16)
    batches, _ = run(SignaturesSource(), [path], zscore="vehicle")
    z, sigs = z_matrix(batches)
    assert [s["sig_id"] for s in sigs] == sig_ids
    assert np.abs(np.median(z[vehicle], axis=0)).max() < 1e-9
    assert z == pytest.approx(robust_z(x, x[vehicle]), abs=1e-9)
    assert {s["zscore"] for s in sigs} == {"vehicle"}
    # treated wells are not centred on the vehicle: compounds move genes on average
    assert np.abs(np.median(z[~vehicle], axis=0)).max() > 0.5


def _subset_gct(tmp_path: Path, keep_vehicle: int) -> Path:
    """The real LJP005 plate with only its first ``keep_vehicle`` DMSO wells, written by cmapPy."""
    from cmapPy.pandasGEXpress.GCToo import GCToo
    from cmapPy.pandasGEXpress.write_gct import write

    gct = parse(LJP005)
    meta = gct.col_metadata_df
    dmso = [c for c in meta.index if meta.loc[c, "pert_type"] == "ctl_vehicle"]
    cols = [c for c in gct.data_df.columns if c not in dmso[keep_vehicle:]]
    out = tmp_path / "ljp005_few_dmso.gct"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        write(GCToo(data_df=gct.data_df[cols], row_metadata_df=gct.row_metadata_df,
                    col_metadata_df=meta.loc[cols]), str(out))
    return out


def test_vehicle_mode_needs_three_vehicle_wells(tmp_path):
    path = _subset_gct(tmp_path, keep_vehicle=2)
    with pytest.raises(InputDataError) as err:
        run(SignaturesSource(), [path], zscore="vehicle")
    message = str(err.value)
    assert "\n" not in message
    assert str(path) in message and "plate LJP005_A375_24H_X1_B19" in message
    assert "2 vehicle-control wells" in message and "--zscore plate" in message
    batches, _ = run(SignaturesSource(), [path], zscore="plate")  # the suggested fix works
    assert len(nodes(batches, NodeLabel.SIGNATURE)) == 377 - 24


def test_default_leaves_values_unchanged(ljp005_raw):
    x, _, _ = ljp005_raw
    batches, _ = run(SignaturesSource(), [LJP005])
    z, sigs = z_matrix(batches)
    assert z == pytest.approx(x.astype(np.float32).astype(np.float64), abs=0)
    assert not any("zscore" in s or "plate" in s for s in sigs)


def test_unknown_mode_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown zscore mode 'robust'"):
        run(SignaturesSource(), [LJP005], zscore="robust")


def _gctx_from(path: Path, tmp_path: Path, plates: list[str] | None) -> tuple[Path, np.ndarray, list[str], object]:
    """The plate as a GCTX (cmapPy layout) with ``det_plate`` rewritten to ``plates`` (cycled over
    the columns, so each plate's columns are not contiguous), or without plate metadata."""
    import h5py

    gct = parse(path)
    meta = gct.col_metadata_df
    cols = [str(c) for c in gct.data_df.columns]
    out = tmp_path / f"{path.stem}.gctx"
    with h5py.File(out, "w") as f:
        f.create_dataset("/0/DATA/0/matrix", data=gct.data_df.to_numpy(dtype=np.float32).T)
        f.create_dataset("/0/META/COL/id", data=np.array([c.encode() for c in cols]))
        f.create_dataset("/0/META/ROW/id", data=np.array([str(r).encode() for r in gct.data_df.index]))
        f.create_dataset("/0/META/ROW/pr_gene_id",
                         data=np.array([str(v).encode() for v in gct.row_metadata_df["pr_gene_id"]]))
        for name in ("pert_id", "pert_iname", "pert_desc", "pert_type", "cell_id"):
            if name not in meta.columns:
                continue
            f.create_dataset(f"/0/META/COL/{name}", data=np.array([str(v).encode() for v in meta[name]]))
        if plates:
            f.create_dataset("/0/META/COL/det_plate",
                             data=np.array([plates[j % len(plates)].encode() for j in range(len(cols))]))
    x, sig_ids, _ = raw(path)
    return out, x, sig_ids, meta


def test_gctx_plates_grouped_by_det_plate_reading_one_plate_at_a_time(tmp_path, monkeypatch):
    path, x, sig_ids, _ = _gctx_from(LJP005, tmp_path, ["P1", "P2", "P3"])
    reads = spy_column_reads(monkeypatch, readers.Gctx)
    batches, _ = run(SignaturesSource(), [path], zscore="plate", chunk_signatures=50)
    assert reads == [126, 126, 125]  # one read per plate, its own columns only
    z, sigs = z_matrix(batches)
    assert [s["sig_id"] for s in sigs] == sig_ids
    plate_of = np.arange(len(sig_ids)) % 3
    for p in range(3):
        rows = plate_of == p
        assert z[rows] == pytest.approx(robust_z(x[rows], x[rows]), abs=1e-9)
        assert {s["plate"] for s, r in zip(sigs, rows) if r} == {f"P{p + 1}"}


def test_gctx_without_plate_metadata_is_one_plate(tmp_path):
    path, x, sig_ids, _ = _gctx_from(CPC006, tmp_path, None)
    batches, _ = run(SignaturesSource(), [path], zscore="vehicle")
    z, sigs = z_matrix(batches)
    vehicle = np.array([s["pert_type"] == "ctl_vehicle" for s in sigs])
    assert vehicle.sum() == 16
    assert z == pytest.approx(robust_z(x, x[vehicle]), abs=1e-9)
    assert {s["plate"] for s in sigs} == {path.name}


def test_cli_has_the_flag():
    from click.testing import CliRunner

    from toolkit.cli.load import command

    result = CliRunner().invoke(command, ["--help"])
    assert result.exit_code == 0 and "--zscore [none|plate|vehicle]" in result.output
    bad = CliRunner().invoke(command, ["signatures", str(LJP005), "--zscore", "robust"])
    assert bad.exit_code == 2 and "robust" in bad.output
