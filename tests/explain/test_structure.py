"""Fingerprint bits → atoms → substructures (pure RDKit), and a structure model of our own."""

import numpy as np
import pytest

from tests.explain._support import TinyFusion, fit_module
from toolkit.explain.substructures import bits_to_atoms, environment_atoms, substructure_scores
from toolkit.models import is_structure_model
from toolkit.structure import FingerprintSpec, morgan_fingerprint

NITRILE, ACID = "C#N", "[CX3](=O)[OX2H1]"
SMILES = "N#Cc1ccc(CC(=O)O)cc1"  # 4-cyanophenylacetic acid: a nitrile and a carboxylic acid
SPEC = FingerprintSpec(radius=2, n_bits=1024)


def test_fingerprint_bits_and_bit_info_agree():
    bits, info = morgan_fingerprint(SMILES, SPEC)
    assert bits.shape == (1024,) and set(np.flatnonzero(bits)) == set(info)
    assert all(0 <= r <= 2 for envs in info.values() for _, r in envs)


def test_bad_smiles_is_a_clear_error():
    with pytest.raises(ValueError, match="cannot parse"):
        morgan_fingerprint("C1CC(", SPEC)


def test_environment_of_radius_one_is_the_atom_and_its_neighbours():
    from rdkit import Chem

    mol = Chem.MolFromSmiles(SMILES)
    assert environment_atoms(mol, 0, 0) == (0,)
    assert environment_atoms(mol, 1, 1) == (0, 1, 2)  # N#C-c: the nitrile carbon and its neighbours


def test_bit_attribution_is_conserved_on_atoms():
    bits, info = morgan_fingerprint(SMILES, SPEC)
    attr = np.random.default_rng(0).normal(size=1024)
    atoms = bits_to_atoms(SMILES, info, attr)
    assert atoms.sum() == pytest.approx(attr[list(info)].sum())


def test_attribution_on_the_nitrile_environments_ranks_the_nitrile_first():
    from rdkit import Chem

    mol = Chem.MolFromSmiles(SMILES)
    nitrile_atoms = set(mol.GetSubstructMatch(Chem.MolFromSmarts(NITRILE)))
    bits, info = morgan_fingerprint(SMILES, SPEC)
    attr = np.zeros(1024)
    for bit, envs in info.items():
        if all(set(environment_atoms(mol, a, r)) <= nitrile_atoms for a, r in envs):
            attr[bit] = 1.0
    ranked = substructure_scores(SMILES, bits_to_atoms(SMILES, info, attr), [ACID, NITRILE, "c1ccccc1", "S(=O)(=O)N"])
    assert ranked[0].smarts == NITRILE
    assert ranked[0].atoms == tuple(sorted(nitrile_atoms))
    assert "S(=O)(=O)N" not in {s.smarts for s in ranked}  # not contained: no score


def test_sum_aggregation_and_bad_aggregate():
    atoms = np.arange(12, dtype=float)
    (acid,) = substructure_scores(SMILES, atoms, [ACID], aggregate="sum")
    assert acid.score == pytest.approx(sum(acid.atoms))
    with pytest.raises(ValueError):
        substructure_scores(SMILES, atoms, [ACID], aggregate="max")


def test_a_structure_model_is_explained_down_to_its_planted_substructure():
    """Our own StructureModel learns MoA from fingerprints only; the planted fragment comes first."""
    import torch

    from toolkit.demo.molecules import FRAGMENTS, make_molecules
    from toolkit.explain.compute import CompoundStructure, PredictionInfo, explain_arrays
    from tests.explain._support import explainer

    rng = np.random.default_rng(0)
    groups = make_molecules([14, 14, 14], rng)
    smiles = [m.smiles for g in groups for m in g]
    labels = np.repeat(np.arange(3), 14)
    spec = FingerprintSpec(radius=2, n_bits=512)
    fps = np.stack([morgan_fingerprint(s, spec)[0] for s in smiles])
    n_genes = 10
    genes = rng.normal(size=(len(smiles), n_genes)).astype(np.float32)  # no signal in the genes
    model = TinyFusion(n_genes, 3, {"n_bits": 512})
    assert is_structure_model(model)
    train = np.arange(len(smiles)) % 7 != 0
    y = np.eye(3)[labels]
    fit_module(model.net, genes[train], y[train], epochs=60, lr=0.05,
               forward=lambda g: model.net(g, torch.as_tensor(fps[train])))
    held_out = np.flatnonzero(~train)
    predictions = [PredictionInfo(f"p{i}", f"c{i}", f"moa{labels[i]}", int(labels[i]), (int(i),)) for i in held_out]
    candidates = tuple(f.smarts for f in FRAGMENTS[:3]) + ("c1ccccc1", "[#6]")
    structures = {f"c{i}": CompoundStructure(smiles[i], candidates) for i in held_out}
    out = explain_arrays(explainer("integrated_gradients"), model, genes, tuple(range(n_genes)), predictions,
                         structures=structures, interactions=False)
    hits = [out.substructures[p.prediction_id][0].smarts == FRAGMENTS[p.target].smarts for p in predictions]
    assert np.mean(hits) >= 0.8
    assert out.attributions.shape == (len(predictions), n_genes)


def test_gene_explainers_see_a_structure_model_through_its_bound_view():
    from tests.explain._support import explainer
    from toolkit.explain.pipeline import explained_view

    model = TinyFusion(4, 2, {"n_bits": 64})
    assert model.torch_module() is None  # the multimodal module needs fingerprints too
    view = explained_view(model)
    assert type(explainer("integrated_gradients")).supports(view)
    import torch

    assert view(torch.zeros(3, 4)).shape == (3, 2)  # a forward function of the signature alone
