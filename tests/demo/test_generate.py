"""The demo generator: determinism, real file formats, and the planted signal."""

from __future__ import annotations

import filecmp
import json
import math
import re
import warnings
from dataclasses import replace
from pathlib import Path

import h5py
import networkx as nx
import numpy as np
import obonet
import pytest
from cmapPy.pandasGEXpress.parse import parse as cmap_parse
from rdkit import Chem

from toolkit.demo import DemoFiles, DemoSpec, GroundTruth, generate_demo, load_ground_truth
from toolkit.demo.gctx import block_size
from toolkit.errors import ConfigError
from tests.demo._files import gctx_matrix, tsv_rows

SPEC = DemoSpec()




def _cmap(path: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # cmapPy 4.0.1 on pandas 2
        return cmap_parse(str(path))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoFiles:
    return generate_demo(tmp_path_factory.mktemp("demo_a"), SPEC)


@pytest.fixture(scope="module")
def truth(demo: DemoFiles) -> GroundTruth:
    return load_ground_truth(demo.ground_truth)


# --- determinism -------------------------------------------------------------------------------


def test_same_spec_gives_identical_files(demo: DemoFiles, tmp_path: Path) -> None:
    again = generate_demo(tmp_path / "b", SPEC)
    for name in ("string_edges", "go_obo", "gaf", "compounds", "siginfo", "geneinfo", "ground_truth", "gctx"):
        assert filecmp.cmp(getattr(demo, name), getattr(again, name), shallow=False), name
    np.testing.assert_array_equal(gctx_matrix(demo.gctx), gctx_matrix(again.gctx))


def test_other_seed_gives_other_data(demo: DemoFiles, tmp_path: Path) -> None:
    other = generate_demo(tmp_path / "c", replace(SPEC, seed=1))
    for name in ("string_edges", "gaf", "compounds", "siginfo", "ground_truth"):
        assert not filecmp.cmp(getattr(demo, name), getattr(other, name), shallow=False), name
    a, b = gctx_matrix(demo.gctx), gctx_matrix(other.gctx)
    assert a.shape == b.shape and not np.array_equal(a, b)


def test_extra_signatures_leave_treated_data_unchanged(demo: DemoFiles, tmp_path: Path) -> None:
    more = generate_demo(tmp_path / "d", replace(SPEC, extra_signatures=500))
    a, b = gctx_matrix(demo.gctx), gctx_matrix(more.gctx)
    np.testing.assert_array_equal(a, b[: a.shape[0]])
    assert filecmp.cmp(demo.compounds, more.compounds, shallow=False)


# --- GCTX --------------------------------------------------------------------------------------


def test_gctx_reads_with_cmappy(demo: DemoFiles, truth: GroundTruth) -> None:
    g = _cmap(demo.gctx)
    genes = tsv_rows(demo.geneinfo)
    sigs = tsv_rows(demo.siginfo)
    assert g.data_df.shape == (SPEC.n_genes, SPEC.n_treated_signatures)
    assert list(g.data_df.index) == [r["gene_id"] for r in genes]
    assert list(g.data_df.columns) == [r["sig_id"] for r in sigs]
    assert g.data_df.dtypes.iloc[0] == np.float32
    values = g.data_df.to_numpy()
    assert np.abs(values).max() <= 10.0
    assert truth.n_signatures == values.shape[1]


def test_gctx_layout_matches_cmappy_writer(demo: DemoFiles) -> None:
    with h5py.File(demo.gctx, "r") as h5:
        assert h5.attrs["version"] == b"GCTX1.0"
        assert h5.attrs["src"] == "level5.gctx"
        data = h5["/0/DATA/0/matrix"]
        assert data.dtype == np.float32 and data.shape == (SPEC.n_treated_signatures, SPEC.n_genes)
        assert data.chunks == (268, 978)
        for node in ("/0/META/ROW/id", "/0/META/COL/id"):
            assert h5[node].dtype.kind == "S"
        assert set(h5["/0/META/ROW"]) == {"id"} and set(h5["/0/META/COL"]) == {"id"}


def test_planted_signal_is_in_the_matrix(demo: DemoFiles, truth: GroundTruth) -> None:
    g = _cmap(demo.gctx)
    sig_pert = {r["sig_id"]: r["pert_id"] for r in tsv_rows(demo.siginfo)}
    row = {int(e): i for i, e in enumerate(g.data_df.index)}
    values = g.data_df.to_numpy()
    all_pathway = {e for m in truth.moas for e in m.pathway_entrez}
    background = [i for e, i in row.items() if e not in all_pathway]
    for moa in truth.moas:
        cols = [j for j, s in enumerate(g.data_df.columns) if truth.true_moa_of(sig_pert[s]) == moa.name]
        n_hidden = sum(1 for u in truth.unlabelled if u.true_moa == moa.name)
        assert len(moa.compounds) + n_hidden == SPEC.compounds_per_moa
        assert len(cols) == SPEC.compounds_per_moa * SPEC.n_cells * len(SPEC.doses)
        sub = values[:, cols]
        target_mean = sub[[row[e] for e in moa.target_entrez]].mean()
        background_mean = sub[background].mean()
        assert target_mean < -1.5, moa.name
        assert abs(background_mean) < 0.2, moa.name
        # the other pathway genes follow the planted sign pattern
        rest = [(row[e], w) for e, w in zip(moa.pathway_entrez, moa.pathway_weights) if e not in moa.target_entrez]
        means = np.array([sub[i].mean() for i, _ in rest])
        weights = np.array([w for _, w in rest])
        assert np.all(np.sign(means) == np.sign(weights)), moa.name
        # and other MoAs' compounds leave this pathway alone
        others = [j for j in range(values.shape[1]) if j not in set(cols)]
        assert abs(values[[row[e] for e in moa.target_entrez]][:, others].mean()) < 0.3


def test_higher_dose_gives_stronger_signal(demo: DemoFiles, truth: GroundTruth) -> None:
    g = _cmap(demo.gctx)
    sigs = tsv_rows(demo.siginfo)
    row = {int(e): i for i, e in enumerate(g.data_df.index)}
    targets = [row[e] for m in truth.moas for e in m.target_entrez]
    values = g.data_df.to_numpy()
    by_dose = {}
    for dose in SPEC.doses:
        cols = [j for j, r in enumerate(sigs) if float(r["pert_dose"]) == dose]
        by_dose[dose] = values[targets][:, cols].mean()
    assert by_dose[10.0] < by_dose[1.0] < 0


def test_noise_free_background_depends_on_cell_only(tmp_path: Path) -> None:
    files = generate_demo(tmp_path / "q", replace(SPEC, noise=0.0, compounds_per_moa=2))
    truth = load_ground_truth(files.ground_truth)
    sigs = tsv_rows(files.siginfo)
    m = gctx_matrix(files.gctx)
    pathway = {e - 900001 for moa in truth.moas for e in moa.pathway_entrez}
    bg = np.array([i for i in range(SPEC.n_genes) if i not in pathway])
    for cell in truth.cells:
        rows = [j for j, r in enumerate(sigs) if r["cell_iname"] == cell]
        block = m[rows][:, bg]
        assert np.all(block == block[0])


# --- ontology ----------------------------------------------------------------------------------


def test_obo_parses_and_pathways_reach_root(demo: DemoFiles, truth: GroundTruth) -> None:
    text = demo.go_obo.read_text(encoding="utf-8")
    assert text.splitlines()[:3] == ["format-version: 1.2", f"data-version: kgtool-demo/{SPEC.seed}", "ontology: go"]
    graph = obonet.read_obo(str(demo.go_obo))
    assert truth.go_root in graph
    for moa in truth.moas:
        assert graph.nodes[moa.pathway_go_id]["name"] == moa.pathway_name
        assert nx.has_path(graph, moa.pathway_go_id, truth.go_root)
    for node in graph.nodes:
        assert nx.has_path(graph, node, truth.go_root), node
    assert nx.is_directed_acyclic_graph(graph)
    relations = {k for _, _, k in graph.edges(keys=True)}
    assert relations == {"is_a", "part_of"}
    n_terms = 1 + 6 + SPEC.n_moas + SPEC.n_background_terms
    assert graph.number_of_nodes() == n_terms  # obsolete term dropped by obonet
    assert text.count("[Term]") == n_terms + 1
    assert "is_obsolete: true" in text and "replaced_by: GO:99" in text and "alt_id: GO:99" in text
    assert all(re.fullmatch(r"GO:99\d{5}", n) for n in graph.nodes)


def test_gaf_format_and_pathway_annotations(demo: DemoFiles, truth: GroundTruth) -> None:
    lines = demo.gaf.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "!gaf-version: 2.2"
    data = [line.split("\t") for line in lines if not line.startswith("!")]
    assert data and all(len(cols) == 17 for cols in data)
    for cols in data:
        assert cols[0] == "NCBIGene" and cols[3] == "involved_in" and cols[6] == "IDA" and cols[8] == "P"
        assert cols[12] == "taxon:9606" and cols[11] == "protein" and re.fullmatch(r"\d{8}", cols[13])
    by_term: dict[str, set[int]] = {}
    for cols in data:
        by_term.setdefault(cols[4], set()).add(int(cols[1]))
    graph = obonet.read_obo(str(demo.go_obo))
    assert set(by_term) <= set(graph.nodes)
    for moa in truth.moas:
        assert by_term[moa.pathway_go_id] == set(moa.pathway_entrez)
    assert len(by_term) == SPEC.n_moas + SPEC.n_background_terms


# --- compounds ---------------------------------------------------------------------------------


def test_compounds_table_and_planted_substructures(demo: DemoFiles, truth: GroundTruth) -> None:
    rows = tsv_rows(demo.compounds)
    header = ["pert_id", "cmap_name", "target", "moa", "canonical_smiles", "inchi_key", "compound_aliases"]
    assert list(rows[0]) == header
    smiles = {}
    for r in rows:
        assert re.fullmatch(r"BRD-K\d{8}", r["pert_id"])
        mol = Chem.MolFromSmiles(r["canonical_smiles"])
        assert mol is not None
        assert Chem.MolToSmiles(mol) == r["canonical_smiles"]
        assert Chem.MolToInchiKey(mol) == r["inchi_key"]
        smiles[r["pert_id"]] = mol
    assert len(smiles) == SPEC.n_compounds
    assert len({Chem.MolToSmiles(m) for m in smiles.values()}) == SPEC.n_compounds
    for moa in truth.moas:
        pattern = Chem.MolFromSmarts(moa.substructure_smarts)
        carriers = {p for p, mol in smiles.items() if mol.HasSubstructMatch(pattern)}
        assert carriers == {p for p in smiles if truth.true_moa_of(p) == moa.name}, moa.name
    unlabelled = {r["pert_id"] for r in rows if r["moa"] == ""}
    assert unlabelled == {u.pert_id for u in truth.unlabelled}
    assert len(unlabelled) == SPEC.n_compounds // 12
    for r in rows:
        if r["moa"]:
            moa = truth.moa(r["moa"])
            assert r["target"] in moa.target_symbols and r["pert_id"] in moa.compounds
            assert r["cmap_name"].startswith(f"demo-{moa.slug}-")
        else:
            assert r["target"] == ""


# --- STRING, siginfo, geneinfo -----------------------------------------------------------------


def test_string_edges(demo: DemoFiles, truth: GroundTruth) -> None:
    rows = tsv_rows(demo.string_edges)
    assert list(rows[0]) == ["entrez_a", "symbol_a", "entrez_b", "symbol_b", "combined_score"]
    genes = {int(r["gene_id"]): r["gene_symbol"] for r in tsv_rows(demo.geneinfo)}
    pairs = set()
    degree: dict[int, int] = {}
    score: dict[frozenset[int], int] = {}
    for r in rows:
        a, b, s = int(r["entrez_a"]), int(r["entrez_b"]), int(r["combined_score"])
        assert a != b and 150 <= s <= 999
        assert genes[a] == r["symbol_a"] and genes[b] == r["symbol_b"]
        key = frozenset((a, b))
        assert key not in pairs
        pairs.add(key)
        score[key] = s
        degree[a] = degree.get(a, 0) + 1
        degree[b] = degree.get(b, 0) + 1
    mean_degree = 2 * len(pairs) / len(genes)
    assert SPEC.string_degree <= mean_degree <= SPEC.string_degree + 3
    median = float(np.median([degree.get(g, 0) for g in genes]))
    for moa in truth.moas:
        p = moa.pathway_entrez
        inner = [score.get(frozenset((x, y))) for i, x in enumerate(p) for y in p[i + 1 :]]
        present = [s for s in inner if s is not None]
        assert len(present) >= 0.5 * len(inner) and min(present) >= 700
        assert all(degree[t] >= 2 * median for t in moa.target_entrez)


def test_siginfo_and_geneinfo(demo: DemoFiles, truth: GroundTruth) -> None:
    sigs = tsv_rows(demo.siginfo)
    assert list(sigs[0]) == [
        "sig_id", "pert_id", "cmap_name", "pert_type", "cell_iname", "pert_dose", "pert_dose_unit",
        "pert_time", "pert_time_unit", "pert_idose", "pert_itime", "qc_pass", "nsample",
    ]  # fmt: skip
    assert len(sigs) == SPEC.n_treated_signatures == len({r["sig_id"] for r in sigs})
    compounds = {r["pert_id"]: r["cmap_name"] for r in tsv_rows(demo.compounds)}
    for r in sigs:
        assert r["pert_type"] == "trt_cp" and compounds[r["pert_id"]] == r["cmap_name"]
        assert r["cell_iname"] in truth.cells
        assert r["sig_id"] == f"DEMO001_{r['cell_iname']}_24H:{r['pert_id']}:{r['pert_dose']}"
        assert r["pert_idose"] == f"{r['pert_dose']} uM" and r["pert_itime"] == "24 h"
        assert r["qc_pass"] in {"0", "1"} and int(r["nsample"]) >= 2
    assert {float(r["pert_dose"]) for r in sigs} == set(SPEC.doses)
    genes = tsv_rows(demo.geneinfo)
    header = ["gene_id", "gene_symbol", "ensembl_id", "gene_title", "gene_type", "src", "feature_space"]
    assert list(genes[0]) == header
    assert len(genes) == SPEC.n_genes and genes[0]["gene_id"] == "900001" and genes[0]["gene_symbol"] == "DG0001"
    assert all(g["feature_space"] == "landmark" for g in genes)


# --- ground truth ------------------------------------------------------------------------------


def test_ground_truth_round_trips(demo: DemoFiles, truth: GroundTruth) -> None:
    assert truth.spec == SPEC
    assert truth.generator_version.startswith("kgtool-demo/")
    assert json.loads(demo.ground_truth.read_text()) == truth.to_json()
    assert load_ground_truth(demo.ground_truth) == truth
    assert len(truth.moas) == SPEC.n_moas and len(truth.cells) == SPEC.n_cells
    seen: set[int] = set()
    for moa in truth.moas:
        assert len(moa.pathway_entrez) == SPEC.pathway_size and len(moa.target_entrez) == SPEC.targets_per_moa
        assert moa.pathway_entrez[: SPEC.targets_per_moa] == moa.target_entrez
        assert not seen & set(moa.pathway_entrez)
        seen |= set(moa.pathway_entrez)
        assert all(w == -1.0 for w in moa.pathway_weights[: SPEC.targets_per_moa])
        assert all(0.5 <= abs(w) <= 0.8 for w in moa.pathway_weights[SPEC.targets_per_moa :])
    assert len({m.substructure_smarts for m in truth.moas}) == SPEC.n_moas
    for u in truth.unlabelled:
        assert truth.true_moa_of(u.pert_id) == u.true_moa
        assert u.true_moa in {m.name for m in truth.moas}


def test_bad_spec_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        generate_demo(tmp_path, replace(SPEC, n_moas=60))
    with pytest.raises(ConfigError):
        generate_demo(tmp_path, replace(SPEC, pathway_size=500))
    with pytest.raises(ConfigError):
        generate_demo(tmp_path, replace(SPEC, doses=()))


# --- scale -------------------------------------------------------------------------------------


def test_scale_writes_in_chunks_with_progress(tmp_path: Path) -> None:
    spec = replace(SPEC, extra_signatures=20_000)
    calls: list[tuple[int, int]] = []
    files = generate_demo(tmp_path / "big", spec, progress=lambda done, total: calls.append((done, total)))
    n = spec.n_signatures
    assert n == 20_432
    assert len(calls) == math.ceil(n / block_size(spec.n_genes)) > 1
    assert calls[-1] == (n, n) and all(t == n for _, t in calls)
    assert [d for d, _ in calls] == sorted({d for d, _ in calls})
    with h5py.File(files.gctx, "r") as h5:
        assert h5["/0/DATA/0/matrix"].shape == (n, spec.n_genes)
        assert h5["/0/META/COL/id"].shape == (n,)
        filler = h5["/0/DATA/0/matrix"][-1000:]
    assert abs(float(filler.mean())) < 0.05  # DMSO-like: no planted signal
    sigs = tsv_rows(files.siginfo)
    assert len(sigs) == n and sum(r["pert_type"] == "ctl_vehicle" for r in sigs) == 20_000
    g = _cmap(files.gctx)
    assert g.data_df.shape == (spec.n_genes, n)
