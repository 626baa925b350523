"""The realistic presets: sizes, confounders written in the real formats, and a load into Neo4j."""

from __future__ import annotations

import filecmp
import json
from collections import Counter, defaultdict
from pathlib import Path

import h5py
import numpy as np
import pytest
from rdkit import Chem

from tests.helpers import counts
from toolkit.demo import DemoFiles, DemoSpec, GroundTruth, generate_demo, load_ground_truth
from toolkit.demo.spec import PRESETS
from toolkit.errors import ConfigError
from tests.demo._files import gctx_matrix, tsv_rows
from tests.inline_cypher import raw_session

# the realistic preset, smaller: 6 MoAs x 6 drugs, 3 cells, 2 doses, 2 times, 2 replicates = 864 signatures
SMALL = dict(n_moas=6, n_cells=3, seed=2)
QC_COLUMNS = ("det_plate", "bead_batch", "cc_q75", "pct_self_rank_q25", "is_exemplar_sig", "qc_pass", "nsample")




@pytest.fixture(scope="module")
def spec() -> DemoSpec:
    return DemoSpec.preset("realistic", **SMALL)


@pytest.fixture(scope="module")
def files(spec: DemoSpec, tmp_path_factory: pytest.TempPathFactory) -> DemoFiles:
    return generate_demo(tmp_path_factory.mktemp("realistic"), spec)


@pytest.fixture(scope="module")
def truth(files: DemoFiles) -> GroundTruth:
    return load_ground_truth(files.ground_truth)


@pytest.fixture(scope="module")
def sigs(files: DemoFiles) -> list[dict[str, str]]:
    return tsv_rows(files.siginfo)


# --- presets -----------------------------------------------------------------------------------


def test_presets_and_their_sizes() -> None:
    assert set(PRESETS) == {"demo", "realistic", "realistic10x"}
    assert DemoSpec.preset("demo") == DemoSpec()
    real = DemoSpec.preset("realistic")
    assert (real.n_moas, real.n_compounds, real.n_cells, real.doses, real.times, real.replicates) == (
        16, 96, 6, (1.0, 10.0), (6.0, 24.0), 2)
    assert real.n_signatures == 4608 and real.preset_name == "realistic"
    big = DemoSpec.preset("realistic10x")
    assert big.n_compounds == 960 and big.n_signatures == 46080
    assert DemoSpec.preset("realistic", seed=5).seed == 5


def test_unknown_preset_or_setting_is_one_line_error() -> None:
    with pytest.raises(ConfigError) as err:
        DemoSpec.preset("huge")
    assert "demo, realistic, realistic10x" in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(ConfigError, match="n_drugs"):
        DemoSpec.preset("realistic", n_drugs=3)
    with pytest.raises(ConfigError, match="realistic=True"):
        DemoSpec(times=(6.0, 24.0)).validate(16)


def test_old_ground_truth_without_the_new_fields_still_loads(tmp_path: Path, truth: GroundTruth) -> None:
    old = generate_demo(tmp_path / "old", DemoSpec(n_genes=200, n_moas=2, compounds_per_moa=3, pathway_size=10,
                                                   n_background_terms=4))
    data = json.loads(old.ground_truth.read_text())
    assert "realism" not in data and "preset_name" not in data["spec"] and "times" not in data["spec"]
    assert all("go_entrez" not in m for m in data["moas"])
    back = load_ground_truth(old.ground_truth)
    assert back.realism is None and back.spec.times == (24.0,) and back.moas[0].go_genes == back.moas[0].pathway_entrez
    assert truth.realism is not None and truth.realism.preset == "realistic"
    assert truth.spec == DemoSpec.preset("realistic", **SMALL)


def test_cli_generates_a_preset_and_refuses_an_unknown_one(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from toolkit.cli import cli

    out = tmp_path / "cli"
    args = ["--home", str(tmp_path / "home"), "demo", "--generate-only", "--out", str(out)]
    result = CliRunner().invoke(cli, [*args, "--preset", "realistic", "--moas", "3", "--compounds-per-moa", "4"])
    assert result.exit_code == 0, result.output
    truth = load_ground_truth(out / "ground_truth.json")
    assert truth.realism is not None and truth.realism.preset == "realistic"
    assert (truth.spec.n_moas, truth.spec.compounds_per_moa, truth.spec.n_cells) == (3, 4, 6)
    assert truth.n_signatures == len(tsv_rows(out / "siginfo.txt")) == 3 * 4 * 6 * 2 * 2 * 2
    bad = CliRunner().invoke(cli, [*args, "--preset", "huge"])
    assert bad.exit_code != 0
    assert "Error: unknown demo preset 'huge'; use one of demo, realistic, realistic10x" in bad.output


# --- determinism -------------------------------------------------------------------------------


def test_same_spec_gives_identical_files(files: DemoFiles, spec: DemoSpec, tmp_path: Path) -> None:
    again = generate_demo(tmp_path / "again", spec)
    for name in ("string_edges", "go_obo", "gaf", "compounds", "siginfo", "geneinfo", "ground_truth", "gctx"):
        assert filecmp.cmp(getattr(files, name), getattr(again, name), shallow=False), name
    other = generate_demo(tmp_path / "other", DemoSpec.preset("realistic", **{**SMALL, "seed": 3}))
    assert not filecmp.cmp(files.siginfo, other.siginfo, shallow=False)
    assert not np.array_equal(gctx_matrix(files.gctx), gctx_matrix(other.gctx))


# --- siginfo: plates, bead batches, QC, noise ---------------------------------------------------


def test_siginfo_columns_and_layout(files: DemoFiles, spec: DemoSpec, sigs: list[dict[str, str]]) -> None:
    assert all(c in sigs[0] for c in QC_COLUMNS)
    assert len(sigs) == spec.n_signatures == len({r["sig_id"] for r in sigs})
    with h5py.File(files.gctx, "r") as h5:
        assert h5["/0/DATA/0/matrix"].shape == (spec.n_signatures, spec.n_genes)
        assert [s.decode() for s in h5["/0/META/COL/id"][:]] == [r["sig_id"] for r in sigs]
    for r in sigs:
        assert r["sig_id"].split(":")[0] == r["det_plate"] and r["det_plate"].endswith("_B" + r["bead_batch"][1:])
        assert f"_{r['cell_iname']}_{r['pert_time']}H_X" in r["det_plate"]
    assert {r["pert_itime"] for r in sigs} == {"6 h", "24 h"}
    # the replicates of one condition sit on different plates
    plates = defaultdict(set)
    for r in sigs:
        plates[(r["pert_id"], r["cell_iname"], r["pert_dose"], r["pert_time"])].add(r["det_plate"])
    assert all(len(p) == spec.replicates for p in plates.values())
    # one exemplar per compound x cell
    exemplars = Counter((r["pert_id"], r["cell_iname"]) for r in sigs if r["is_exemplar_sig"] == "1")
    assert set(exemplars.values()) == {1} and len(exemplars) == spec.n_compounds * spec.n_cells
    assert len({r["bead_batch"] for r in sigs}) > 1


def test_noise_signatures_and_their_qc(sigs: list[dict[str, str]], truth: GroundTruth) -> None:
    real = truth.realism
    noise = set(real.noise_sig_ids)
    assert 0.10 <= len(noise) / len(sigs) <= 0.15
    failed = [r for r in sigs if r["det_plate"] == real.failed_plate]
    assert failed and all(r["sig_id"] in noise and float(r["cc_q75"]) < 0.15 and r["qc_pass"] == "0" for r in failed)
    bad, good = [r for r in sigs if r["sig_id"] in noise], [r for r in sigs if r["sig_id"] not in noise]
    assert all(-0.1 <= float(r["cc_q75"]) <= 0.2 for r in bad) and all(0.3 <= float(r["cc_q75"]) <= 0.8 for r in good)
    assert min(float(r["pct_self_rank_q25"]) for r in bad) > max(float(r["pct_self_rank_q25"]) for r in good)
    bad_pass = sum(r["qc_pass"] == "1" for r in bad)
    good_fail = sum(r["qc_pass"] == "0" for r in good)
    assert 0 < bad_pass < 0.3 * len(bad) and 0 < good_fail < 0.1 * len(good)
    assert real.bad_bead_batch in {r["bead_batch"] for r in sigs}


def test_matrix_carries_the_confounders(files: DemoFiles, sigs: list[dict[str, str]], truth: GroundTruth) -> None:
    m = gctx_matrix(files.gctx).astype(np.float64)
    real = truth.realism
    noise = np.array([r["sig_id"] in set(real.noise_sig_ids) for r in sigs])
    index = {e: i for i, e in enumerate(int(r["gene_id"]) for r in tsv_rows(files.geneinfo))}
    cell = np.array([r["cell_iname"] for r in sigs])
    centred = m - np.stack([m[cell == c].mean(axis=0) for c in cell])
    # the bad bead batch: replicate pairs (same condition, other plates) differ more when one is read with it
    first = defaultdict(list)
    for i, r in enumerate(sigs):
        if not noise[i]:
            first[(r["pert_id"], r["cell_iname"], r["pert_dose"], r["pert_time"])].append(i)
    spread: dict[bool, list[float]] = {True: [], False: []}
    for pair in first.values():
        if len(pair) == 2:
            bad = real.bad_bead_batch in {sigs[i]["bead_batch"] for i in pair}
            spread[bad].append(float(np.std(m[pair[0]] - m[pair[1]])))
    assert np.mean(spread[True]) > 1.3 * np.mean(spread[False])
    # drug signal along the planted genes' weights: strong at 24 h and 10 uM in responsive cells,
    # weaker at 6 h (and partly another profile), none in the noise signatures; targets go down
    moa_of = np.array([truth.true_moa_of(r["pert_id"]) for r in sigs])
    time = np.array([r["pert_time"] for r in sigs])
    dose = np.array([r["pert_dose"] for r in sigs])
    responsive = np.array([real.responsiveness[r["cell_iname"]][truth.true_moa_of(r["pert_id"])] > 0.4 for r in sigs])
    flat, lates = [], []
    for moa in truth.moas:
        genes = [index[e] for e in moa.pathway_entrez]
        w = np.array(moa.pathway_weights) / np.linalg.norm(moa.pathway_weights)
        sel = (moa_of == moa.name) & responsive & (dose == "10")
        late = (centred[sel & ~noise & (time == "24")][:, genes] @ w).mean()
        early = (centred[sel & ~noise & (time == "6")][:, genes] @ w).mean()
        flat.append((centred[(moa_of == moa.name) & noise][:, genes] @ w).mean())
        lates.append(late)
        assert late > early > 0, moa.name
        assert centred[sel & ~noise & (time == "24")][:, genes[: len(moa.target_entrez)]].mean() < -0.2, moa.name
    assert abs(np.mean(flat)) < 0.25 * np.mean(lates)


# --- compounds, structures, GO, STRING ----------------------------------------------------------


def test_off_targets_in_the_compound_table(files: DemoFiles, truth: GroundTruth) -> None:
    rows = tsv_rows(files.compounds)
    targets = defaultdict(set)
    for r in rows:
        targets[r["pert_id"]].add(r["target"])
    offs = truth.realism.off_targets
    assert offs
    target_moa = {s: m.name for m in truth.moas for s in m.target_symbols}
    for o in offs:
        assert o.moa != truth.true_moa_of(o.pert_id) and target_moa[o.target_symbol] == o.moa
        if truth.true_moa_of(o.pert_id) in {m.name for m in truth.moas if o.pert_id in m.compounds}:
            assert o.target_symbol in targets[o.pert_id]
            assert next(r["moa"] for r in rows if r["pert_id"] == o.pert_id) == truth.true_moa_of(o.pert_id)


def test_fragments_are_shared_across_moas(files: DemoFiles, spec: DemoSpec, truth: GroundTruth) -> None:
    mols = {r["pert_id"]: Chem.MolFromSmiles(r["canonical_smiles"]) for r in tsv_rows(files.compounds)}
    elsewhere = 0
    for moa in truth.moas:
        pattern = Chem.MolFromSmarts(moa.substructure_smarts)
        own = [p for p in mols if truth.true_moa_of(p) == moa.name]
        carriers = [p for p in own if mols[p].HasSubstructMatch(pattern)]
        assert len(carriers) == round(spec.fragment_share * spec.compounds_per_moa) < len(own)
        elsewhere += sum(mols[p].HasSubstructMatch(pattern) for p in mols if truth.true_moa_of(p) != moa.name)
        for p in own:
            assert (moa.substructure_name in truth.realism.fragments[p]) == (p in carriers)
    assert elsewhere > 0


def test_planted_go_term_is_annotated_to_the_planted_genes(files: DemoFiles, spec: DemoSpec,
                                                           truth: GroundTruth) -> None:
    by_term = defaultdict(set)
    for line in files.gaf.read_text().splitlines():
        if not line.startswith("!"):
            cols = line.split("\t")
            by_term[cols[4]].add(int(cols[1]))
    edges = {frozenset((int(r["entrez_a"]), int(r["entrez_b"]))): int(r["combined_score"])
             for r in tsv_rows(files.string_edges)}
    for moa in truth.moas:
        go = by_term[moa.pathway_go_id]
        assert go == set(moa.go_entrez) and len(go) == spec.go_module_size
        assert set(moa.target_entrez) <= go and moa.pathway_entrez[: spec.targets_per_moa] == moa.target_entrez
        assert len(moa.pathway_entrez) == spec.pathway_size
        assert len(go & set(moa.pathway_entrez)) >= spec.go_module_size // 2
        pairs = [frozenset((a, b)) for a in go for b in go if a < b]
        assert sum(p in edges for p in pairs) >= 0.5 * len(pairs) and min(edges[p] for p in pairs if p in edges) >= 700


# --- into Neo4j ----------------------------------------------------------------------------------


def test_realistic_preset_loads_through_the_real_loaders(graph, settings, files: DemoFiles, spec: DemoSpec,
                                                         truth: GroundTruth, sigs: list[dict[str, str]]) -> None:
    from toolkit.demo.workflow import demo_loads
    from toolkit.load import load
    from toolkit.sources import LoadOptions

    for source, paths in demo_loads(files.root):
        report = load(graph, settings, source, paths, LoadOptions())
        assert not report.dropped, report.summary()
    c = counts(graph)
    assert c[("node", "Signature")] == spec.n_signatures
    assert c[("node", "Compound")] == spec.n_compounds
    assert c[("node", "CellLine")] == spec.n_cells
    assert c[("node", "MoA")] == spec.n_moas
    n_targets = len({(r["pert_id"], r["target"]) for r in tsv_rows(files.compounds) if r["target"]})
    assert c[("rel", "TARGETS")] == n_targets
    with raw_session(graph) as s:
        row = s.run("MATCH (s:Signature) WHERE s.sig_id IN $ids RETURN max(s.cc_q75) AS cc, "
                    "collect(DISTINCT s.qc_pass) AS qc, count(s) AS n",
                    ids=[r["sig_id"] for r in sigs if r["det_plate"] == truth.realism.failed_plate]).single()
        exemplars = s.run("MATCH (s:Signature {is_exemplar: true}) RETURN count(s) AS n").single()["n"]
    assert row["n"] > 0 and row["cc"] < 0.15 and row["qc"] == [False]
    assert exemplars == spec.n_compounds * spec.n_cells
