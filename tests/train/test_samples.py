"""Sample preparation (toolkit.train.samples): QC filter, per-cell-line centering, aggregation, in
that order; run configs old and new. No server."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from tests.train.data import synthetic
from toolkit.errors import ConfigError, RunError
from toolkit.train.aggregate import aggregate
from toolkit.train.choices import CONTROL_NAMES, DEFAULT_AGGREGATE
from toolkit.train.export import QC_FAIL, QC_PASS, QC_UNKNOWN, SignatureQuality, data_hash
from toolkit.train.samples import SampleOptions, center_by_cell, prepare

PLAIN = SampleOptions(qc="none", center="none", aggregate="none")


def _quality(n: int, fail: list[int], unknown: list[int] = ()) -> SignatureQuality:
    codes = np.full(n, QC_PASS, dtype=np.int8)
    codes[list(fail)] = QC_FAIL
    codes[list(unknown)] = QC_UNKNOWN
    return SignatureQuality(codes, np.linspace(0.1, 0.9, n).astype(np.float32))


def test_qc_auto_drops_exactly_the_flagged_rows():
    data = synthetic()
    fail = [0, 5, 17, 40]
    prepared = prepare(data, replace(PLAIN, qc="auto"), _quality(len(data.sample_ids), fail, unknown=[3]))
    kept = [s for i, s in enumerate(data.sample_ids) if i not in fail]
    assert prepared.data.sample_ids == tuple(kept)  # unknown qc_pass (row 3) is kept by auto
    assert prepared.report.qc_dropped == len(fail) and prepared.report.qc_unknown == 1
    assert np.array_equal(prepared.data.x, data.x[[i for i in range(len(data.sample_ids)) if i not in fail]])
    assert prepared.signature_compound_ids == tuple(data.compound_ids[i] for i in range(len(data.sample_ids))
                                                    if i not in fail)


def test_qc_pass_requires_the_property_and_none_keeps_all():
    data = synthetic()
    n = len(data.sample_ids)
    strict = prepare(data, replace(PLAIN, qc="pass"), _quality(n, [1], unknown=[2]))
    assert strict.report.qc_dropped == 2 and data.sample_ids[2] not in strict.data.sample_ids
    assert prepare(data, replace(PLAIN, qc="auto"), SignatureQuality.unknown(n)).report.qc_dropped == 0
    assert prepare(data, PLAIN, _quality(n, [1, 2])).data.sample_ids == data.sample_ids
    with pytest.raises(RunError, match="--qc pass needs the signatures' qc_pass"):
        prepare(data, replace(PLAIN, qc="pass"), SignatureQuality.unknown(n))
    with pytest.raises(RunError, match="drops all"):
        prepare(data, replace(PLAIN, qc="auto"), _quality(n, list(range(n))))


def test_centering_makes_each_cell_lines_per_gene_median_zero():
    data = synthetic()
    shifted = replace(data, x=data.x + np.array([{"A": 3.0, "B": -2.0, "C": 0.5, "D": 9.0}[c] for c in data.cell_ids],
                                                dtype=np.float32)[:, None])
    prepared = prepare(shifted, replace(PLAIN, center="cell"))
    x, cells = prepared.data.x, np.array(prepared.data.cell_ids)
    for cell in "ABCD":
        assert np.allclose(np.median(x[cells == cell], axis=0), 0.0, atol=1e-5), cell
    assert prepared.report.centered_cells == 4 and prepared.report.uncentered == 0
    assert not np.allclose(x, shifted.x)
    # signatures without a cell line are left as loaded
    blank = replace(shifted, cell_ids=("",) * 3 + shifted.cell_ids[3:])
    centered, n_cells, uncentered = center_by_cell(blank)
    assert uncentered == 3 and np.array_equal(centered.x[:3], blank.x[:3])


def test_order_is_qc_then_center_then_aggregate():
    data = synthetic()
    n = len(data.sample_ids)
    outliers = [i for i, c in enumerate(data.cell_ids) if c == "A"][:3]
    x = data.x.copy()
    x[outliers] += 50.0  # flagged by QC: they must not move cell A's median
    data = replace(data, x=x)
    quality = _quality(n, outliers)
    prepared = prepare(data, SampleOptions(qc="auto", center="cell", aggregate="compound_cell"), quality)
    kept = data.subset([i for i in range(n) if i not in outliers])
    expected = aggregate(center_by_cell(kept)[0], "compound_cell", "modz")
    assert prepared.data.sample_ids == expected.sample_ids
    assert np.allclose(prepared.data.x, expected.x, atol=1e-5)
    centered_first = aggregate(center_by_cell(data)[0].subset([i for i in range(n) if i not in outliers]),
                               "compound_cell", "modz")
    assert not np.allclose(prepared.data.x, centered_first.x, atol=1e-3)  # the order matters, and is this one
    assert prepared.report.samples == len(expected.sample_ids) < len(kept.sample_ids)


def test_options_round_trip_and_old_configs_mean_what_those_runs_did():
    options = SampleOptions(signatures="consensus", qc="pass", center="none", aggregate="compound",
                            consensus="mean", with_context=True, go_min_genes=5, go_max_genes=50)
    assert SampleOptions.from_config(options.to_config()) == options
    assert options.to_config()["context"] is True
    old = {"epochs": 10, "split": "cold_compound", "context": False, "go_min_genes": 3, "go_max_genes": 300,
           "signatures": "auto", "samples": 96}  # a run from before --aggregate, --qc and --center
    assert SampleOptions.from_config(old) == SampleOptions(qc="none", center="none", aggregate="none")
    aggregated = dict(old, aggregate="compound", consensus="modz")
    assert SampleOptions.from_config(aggregated).aggregate == "compound"
    assert SampleOptions().aggregate == DEFAULT_AGGREGATE == "compound_cell"
    with pytest.raises(ConfigError, match="qc must be one of"):
        SampleOptions(qc="strict")


def test_quality_enters_the_hash_only_when_present():
    data = synthetic()
    n = len(data.sample_ids)
    assert data_hash(data, SignatureQuality.unknown(n)) == data_hash(data)  # old snapshots keep their hash
    assert data_hash(data, _quality(n, [1])) != data_hash(data, _quality(n, [2]))


def test_control_names_match_the_controls_module():
    from toolkit.train.controls import CONTROLS

    assert CONTROL_NAMES == CONTROLS
