"""``kgtool load signatures`` options against the real server and the real cmapR Level 5 GCT:
``--min-cc-q75``, ``--exemplar-only`` and ``--consensus modz|mean``.

Expected values are computed here from the file with cmapPy/pandas and ``toolkit.consensus``,
independently of the loader."""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from kgtool_plugins.sources.signatures import SignaturesSource
from tests.helpers import canonical_dump, server_env
from toolkit.consensus import consensus
from toolkit.errors import InputDataError
from toolkit.load import load
from toolkit.schema import NodeLabel
from toolkit.sources import LoadOptions

from ._util import SHARED, nodes, run, spy_column_reads, tsv, write

L1000 = SHARED / "l1000_signatures"
GCT = L1000 / "cmapR_ds_level5_modz_n272x978.gct"
LEVEL3 = L1000 / "cmapM_gctv13_01_CPC006_A375_6H_level3_n371x978.gct"

pytestmark = [
    pytest.mark.shared_data,
]

SIGINFO_BETA = ("sig_id", "pert_id", "cmap_name", "cell_iname", "pert_type", "pert_dose", "pert_dose_unit",
                "pert_time", "pert_time_unit", "qc_pass", "cc_q75", "is_exemplar_sig")


@pytest.fixture(scope="module")
def gct() -> Any:
    """The file as cmapPy reads it: data_df (genes x signatures) and col_metadata_df."""
    from cmapPy.pandasGEXpress.parse_gct import parse

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # cmapPy's to_numeric(errors="ignore")
        return parse(str(GCT))


@pytest.fixture(scope="module")
def z_by_sig(gct) -> pd.DataFrame:
    """Signatures x landmark genes in ascending Entrez order (the loader's ``z`` layout)."""
    order = gct.row_metadata_df.sort_values("pr_gene_id").index
    return gct.data_df.loc[order].T.astype(np.float64)


def signatures(graph) -> dict[str, dict[str, Any]]:
    """Signature nodes by sig_id (list properties as tuples)."""
    return {dict(props)["sig_id"]: dict(props) for kind, labels, props in
            (r[:3] for r in canonical_dump(graph) if r[0] == "node") if NodeLabel.SIGNATURE.value in labels}


def links(graph, rel_type: str) -> dict[str, list[tuple[Any, dict[str, Any]]]]:
    """Relationships of one type from Signature nodes: sig_id -> [(end key, props)]."""
    out: dict[str, list[tuple[Any, dict[str, Any]]]] = {}
    for r in canonical_dump(graph):
        if r[0] == "rel" and r[1] == "Signature" and r[3] == rel_type:
            out.setdefault(r[2], []).append((r[5], dict(r[6])))
    return out


def groups(meta: pd.DataFrame) -> dict[tuple[str, str], list[str]]:
    """(pert_id, cell) -> member sig ids, as the loader keys them (13-character pert_id, cell upper-cased)."""
    keys = zip(meta["pert_id"].str[:13], meta["cell_id"].str.upper())
    out: dict[tuple[str, str], list[str]] = {}
    for key, sig_id in zip(keys, meta.index):
        out.setdefault(key, []).append(sig_id)
    return out


def siginfo_beta(tmp_path: Path, gct, cc_q75: dict[str, str], exemplar: dict[str, int],
                 extra: tuple[tuple[Any, ...], ...] = ()) -> Path:
    meta = gct.col_metadata_df
    rows = [(sig, meta.at[sig, "pert_id"], meta.at[sig, "pert_iname"], meta.at[sig, "cell_id"], "trt_cp", "10",
             "uM", "24", "h", 1, cc_q75[sig], exemplar[sig]) for sig in meta.index]
    return write(tmp_path / "siginfo_beta.txt", tsv(SIGINFO_BETA, *rows, *extra))


# -- quality filters -----------------------------------------------------------------------------


def test_min_cc_q75_keeps_exactly_the_columns_at_or_above(graph, settings, gct):
    meta = gct.col_metadata_df
    threshold = 0.3
    expected = set(meta.index[meta["distil_cc_q75"] >= threshold])
    below = int((meta["distil_cc_q75"] < threshold).sum())
    missing = list(meta.index[meta["distil_cc_q75"].isna()])
    assert expected and below and missing  # the file has all three cases

    report = load(graph, settings, "signatures", [GCT], LoadOptions.from_values(min_cc_q75=threshold))
    sigs = signatures(graph)
    assert set(sigs) == expected
    assert all(sigs[s]["cc_q75"] == pytest.approx(meta.at[s, "distil_cc_q75"]) for s in expected)
    assert report.rows_read == len(expected)
    assert f"{GCT}: min_cc_q75: {below} signatures without cc_q75 >= 0.3 skipped (min_cc_q75)" in report.dropped
    no_value = [line for line in report.dropped if "no cc_q75 value" in line]
    assert sorted(no_value) == sorted(
        f"{GCT}: signature {s}: no cc_q75 value (cc_q75/distil_cc_q75 missing or not a number); skipped (min_cc_q75)"
        for s in missing)


def test_exemplar_only_keeps_exactly_is_gold(graph, settings, gct):
    meta = gct.col_metadata_df
    expected = set(meta.index[meta["is_gold"] == 1])
    report = load(graph, settings, "signatures", [GCT], LoadOptions.from_values(exemplar_only=True))
    sigs = signatures(graph)
    assert set(sigs) == expected
    assert {sigs[s]["is_exemplar"] for s in expected} == {True}
    assert report.dropped == [
        f"{GCT}: exemplar_only: {len(meta) - len(expected)} signatures without is_exemplar == 1 skipped "
        "(exemplar_only)"]


def test_without_a_filter_the_quality_fields_are_stored(graph, settings, gct):
    meta = gct.col_metadata_df
    load(graph, settings, "signatures", [GCT], LoadOptions())
    sigs = signatures(graph)
    assert len(sigs) == len(meta)
    for s in meta.index:
        assert sigs[s]["is_exemplar"] is bool(meta.at[s, "is_gold"])
        cc = meta.at[s, "distil_cc_q75"]
        assert sigs[s].get("cc_q75") == (None if math.isnan(cc) else pytest.approx(cc))


@pytest.mark.parametrize(("flag", "option", "columns"), [
    (["--min-cc-q75", "0.2"], "min_cc_q75", "cc_q75 or distil_cc_q75"),
    (["--exemplar-only"], "exemplar_only", "is_exemplar_sig or is_gold"),
])
def test_a_filter_without_its_column_is_a_one_line_error(graph, flag, option, columns):
    from toolkit.cli import cli

    # the Level 3 plate's column metadata has neither replicate correlations nor exemplar flags
    result = CliRunner().invoke(cli, ["load", "signatures", str(LEVEL3), *flag], env=server_env())
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1
    assert errors[0].startswith(f"Error: {LEVEL3}: column metadata: {option} needs a {columns} column; fix: pass ")
    assert signatures(graph) == {}


def test_a_siginfo_without_the_column_names_the_siginfo(tmp_path, gct):
    meta = gct.col_metadata_df
    rows = [(s, meta.at[s, "pert_id"], meta.at[s, "cell_id"]) for s in meta.index]
    info = write(tmp_path / "sig_info.txt", tsv(("sig_id", "pert_id", "cell_id"), *rows))
    with pytest.raises(InputDataError) as err:
        run(SignaturesSource(), [GCT, info], exemplar_only=True)
    assert str(err.value) == (
        f"{info}: header: exemplar_only needs a is_exemplar_sig or is_gold column; fix: pass the 2020 siginfo_beta "
        "(is_exemplar_sig) or 2017 metadata with is_gold, or load without --exemplar-only")


def test_2020_siginfo_beta_drives_both_filters(graph, settings, gct, tmp_path):
    meta = gct.col_metadata_df
    # values that differ from the embedded ones, so the test sees which metadata was read
    cc = {s: ("-666" if math.isnan(v) else f"{1 - v:.2f}") for s, v in meta["distil_cc_q75"].items()}
    unparseable = meta.index[0]
    cc[unparseable] = "n/a?"
    exemplar = {s: 1 - int(v) for s, v in meta["is_gold"].items()}
    info = siginfo_beta(tmp_path, gct, cc, exemplar)
    threshold = 0.75
    expected = {s for s in meta.index
                if cc[s] not in ("-666", "n/a?") and float(cc[s]) >= threshold and exemplar[s] == 1}
    assert expected

    with pytest.raises(InputDataError) as err:  # a value that is not a number is an error naming line and column
        load(graph, settings, "signatures", [GCT, info],
             LoadOptions.from_values(min_cc_q75=threshold, exemplar_only=True))
    assert str(err.value).startswith(f"{info}: signature {unparseable} (line 2), column cc_q75: cc_q75 = 'n/a?' "
                                     "is not a number; fix:")
    assert signatures(graph) == {}
    report = load(graph, settings, "signatures", [GCT, info],
                  LoadOptions.from_values(min_cc_q75=threshold, exemplar_only=True, lenient=True))
    sigs = signatures(graph)
    assert set(sigs) == expected
    assert all(sigs[s]["cc_q75"] == pytest.approx(float(cc[s])) and sigs[s]["is_exemplar"] is True
               for s in expected)
    assert f"{GCT}: signature {unparseable}: no cc_q75 value (cc_q75/distil_cc_q75 missing or not a number); " \
           "skipped (min_cc_q75)" in report.dropped
    assert f"{info}: signature {unparseable} (line 2), column cc_q75: cc_q75 = 'n/a?' is not a number; the value " \
           "is left out (lenient)" in report.dropped
    has_cc = [s for s in meta.index if cc[s] not in ("-666", "n/a?")]
    n_low = sum(float(cc[s]) < threshold for s in has_cc)
    n_not_exemplar = sum(exemplar[s] != 1 for s in has_cc if float(cc[s]) >= threshold)
    assert f"{GCT}: min_cc_q75: {n_low} signatures without cc_q75 >= 0.75 skipped (min_cc_q75)" in report.dropped
    assert (f"{GCT}: exemplar_only: {n_not_exemplar} signatures without is_exemplar == 1 skipped (exemplar_only)"
            in report.dropped)
    assert report.rows_read == len(meta) + len(expected)  # the siginfo rows, then the signatures loaded


# -- consensus -----------------------------------------------------------------------------------


def test_modz_consensus_one_node_per_compound_and_cell(graph, settings, gct, z_by_sig):
    meta = gct.col_metadata_df
    expected_groups = groups(meta)
    assert len(expected_groups) == meta.groupby(["pert_id", "cell_id"]).ngroups

    report = load(graph, settings, "signatures", [GCT], LoadOptions.from_values(consensus="modz", top_k=10))
    sigs = signatures(graph)
    assert len(sigs) == len(expected_groups)
    assert set(sigs) == {f"consensus:{p}:{c}" for p, c in expected_groups}
    assert {s["level"] for s in sigs.values()} == {"consensus"}
    assert report.rows_read == len(meta)

    (pert, cell), members = max(expected_groups.items(), key=lambda kv: (len(kv[1]), kv[0]))
    assert len(members) >= 3
    node = sigs[f"consensus:{pert}:{cell}"]
    assert node["n_members"] == len(members) and sorted(node["member_sig_ids"]) == sorted(members)
    block = z_by_sig.loc[members].to_numpy()
    modz = consensus(block, "modz")
    assert np.allclose(node["z"], modz, atol=1e-5)
    assert not np.allclose(modz, block.mean(axis=0), atol=1e-3)  # the weights are not uniform here
    # the same links as a per-signature node
    sig_id = node["sig_id"]
    assert links(graph, "OF_COMPOUND")[sig_id] == [(pert, {})]
    assert links(graph, "IN_CELL")[sig_id] == [(cell, {})]
    up = sorted(links(graph, "UPREGULATES")[sig_id], key=lambda r: r[1]["rank"])
    entrez = z_by_sig.columns.map(gct.row_metadata_df["pr_gene_id"]).to_numpy()
    assert len(up) == 10 and up[0][0] == int(entrez[np.argmax(modz)])
    assert up[0][1]["z"] == pytest.approx(modz.max())


def test_modz_of_one_or_two_members_is_the_member_or_their_mean(graph, settings, gct, z_by_sig):
    load(graph, settings, "signatures", [GCT], LoadOptions.from_values(consensus="modz", top_k=0))
    sigs = signatures(graph)
    by_size = {}
    for key, members in sorted(groups(gct.col_metadata_df).items()):
        by_size.setdefault(len(members), (key, members))
    for size in (1, 2):
        (pert, cell), members = by_size[size]
        expected = z_by_sig.loc[members].to_numpy().mean(axis=0)
        assert np.allclose(sigs[f"consensus:{pert}:{cell}"]["z"], expected, atol=1e-5)


def test_mean_consensus_is_the_plain_mean_of_every_group(graph, settings, gct, z_by_sig):
    load(graph, settings, "signatures", [GCT], LoadOptions.from_values(consensus="mean", top_k=0))
    sigs = signatures(graph)
    expected_groups = groups(gct.col_metadata_df)
    assert len(sigs) == len(expected_groups)
    for (pert, cell), members in expected_groups.items():
        node = sigs[f"consensus:{pert}:{cell}"]
        assert node["consensus"] == "mean" and node["n_members"] == len(members)
        assert np.allclose(node["z"], z_by_sig.loc[members].to_numpy().mean(axis=0), atol=1e-5)


def test_consensus_after_a_filter_loading_twice_changes_nothing(graph, settings, gct, z_by_sig):
    meta = gct.col_metadata_df
    options = LoadOptions.from_values(consensus="modz", min_cc_q75=0.2, top_k=5)
    first = load(graph, settings, "signatures", [GCT], options)
    dump = canonical_dump(graph)
    second = load(graph, settings, "signatures", [GCT], options)
    assert canonical_dump(graph) == dump
    assert second.counts.nodes_created == 0 and second.counts.relationships_created == 0
    assert first.dropped == second.dropped

    kept = meta[meta["distil_cc_q75"] >= 0.2]
    sigs = signatures(graph)
    assert len(sigs) == len(groups(kept))
    assert sum(s["n_members"] for s in sigs.values()) == len(kept) == first.rows_read
    n_low = int((meta["distil_cc_q75"] < 0.2).sum())
    assert f"{GCT}: min_cc_q75: {n_low} signatures without cc_q75 >= 0.2 skipped (min_cc_q75)" in first.dropped


def test_consensus_drops_signatures_without_a_group(graph, settings, gct, tmp_path):
    meta = gct.col_metadata_df
    cc = {s: "0.5" for s in meta.index}
    info = siginfo_beta(tmp_path, gct, cc, {s: 1 for s in meta.index})
    lines = info.read_text().splitlines()
    control, no_cell = meta.index[0], meta.index[1]
    lines = [line.replace("\ttrt_cp\t", "\tctl_vehicle\t") if line.startswith(control + "\t") else line
             for line in lines]
    lines = [line.replace(f"\t{meta.at[no_cell, 'cell_id']}\t", "\t-666\t") if line.startswith(no_cell + "\t")
             else line for line in lines]
    write(info, "\n".join(lines) + "\n")

    report = load(graph, settings, "signatures", [GCT, info], LoadOptions.from_values(consensus="mean", top_k=0))
    assert sorted(line for line in report.dropped if "(consensus)" in line) == sorted([
        f"{GCT}: signature {control}: control signature (pert_type ctl_vehicle): in no (pert_id, cell) group; "
        "skipped (consensus)",
        f"{GCT}: signature {no_cell}: no cell line: in no (pert_id, cell) group; skipped (consensus)"])
    kept = meta.drop(index=[control, no_cell])
    sigs = signatures(graph)
    assert len(sigs) == len(groups(kept))
    assert sum(s["n_members"] for s in sigs.values()) == len(kept) == report.rows_read - len(meta)  # - siginfo rows
    assert {s["dose_um"] for s in sigs.values()} == {10.0}  # all members agree, so the dose is kept


def test_consensus_reads_bounded_chunks_and_does_not_depend_on_them(gct, monkeypatch):
    from kgtool_plugins.sources.signatures import readers

    sizes = spy_column_reads(monkeypatch, readers.Gct)
    small, _ = run(SignaturesSource(), [GCT], consensus="modz", chunk_signatures=10)
    largest = max(len(m) for m in groups(gct.col_metadata_df).values())
    assert len(sizes) > 10 and max(sizes) <= max(10, largest) and sum(sizes) == len(gct.col_metadata_df)
    whole, _ = run(SignaturesSource(), [GCT], consensus="modz", chunk_signatures=5000)
    assert nodes(small, NodeLabel.SIGNATURE) == nodes(whole, NodeLabel.SIGNATURE)


def test_consensus_from_a_shuffled_gctx_equals_the_gct(gct, tmp_path):
    from .test_signatures import write_gctx

    order = np.random.default_rng(7).permutation(gct.data_df.shape[1])
    cols = [gct.data_df.columns[i] for i in order]
    meta = gct.col_metadata_df.loc[cols]
    rows = gct.row_metadata_df
    path = write_gctx(tmp_path / "shuffled.gctx", list(gct.data_df.index), cols, gct.data_df[cols].T.to_numpy(),
                      row_meta={"pr_gene_id": rows["pr_gene_id"].tolist(), "is_lm": rows["is_lm"].tolist()},
                      col_meta={k: meta[k].tolist()
                                for k in ("pert_id", "cell_id", "pert_type", "pert_idose", "pert_itime")})
    shuffled, _ = run(SignaturesSource(), [path], consensus="modz", chunk_signatures=7)
    plain, _ = run(SignaturesSource(), [GCT], consensus="modz")
    assert nodes(shuffled, NodeLabel.SIGNATURE) == nodes(plain, NodeLabel.SIGNATURE)
    assert len(nodes(plain, NodeLabel.SIGNATURE)) == len(groups(gct.col_metadata_df))


def test_consensus_of_level3_keeps_the_vehicle_wells_for_the_z_scores():
    batches, report = run(SignaturesSource(), [LEVEL3], consensus="modz", zscore="vehicle")
    sigs = nodes(batches, NodeLabel.SIGNATURE)
    controls = [line for line in report.dropped if "control signature (pert_type ctl_vehicle)" in line]
    assert controls and all(s["zscore"] == "vehicle" and s["level"] == "consensus" for s in sigs)
    assert sum(s["n_members"] for s in sigs) == report.rows_read
    assert all(abs(v) <= 10 for s in sigs for v in s["z"])


def test_cli_flags_reach_the_loader(graph, gct):
    from toolkit.cli import cli

    result = CliRunner().invoke(cli, ["load", "signatures", str(GCT), "--exemplar-only", "--consensus", "mean",
                                      "--top-k", "3"], env=server_env())
    assert result.exit_code == 0, result.output
    assert "dropped: " in result.output and "exemplar_only" in result.output
    gold = gct.col_metadata_df[gct.col_metadata_df["is_gold"] == 1]
    sigs = signatures(graph)
    assert len(sigs) == len(groups(gold)) and {s["consensus"] for s in sigs.values()} == {"mean"}
