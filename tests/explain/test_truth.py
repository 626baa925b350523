"""The truth file (toolkit.explain.truth): the demo's ground_truth.json, a minimal hand-written
file, and one test per malformed case (a one-line error naming the file, the record and the fix)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from toolkit.errors import InputDataError
from toolkit.explain.truth import load_truth

MINIMAL = {"moas": [{"name": "HDAC inhibitor", "target_entrez": [3065], "pathway_entrez": [3065, 10013, 51564],
                     "pathway_go_id": "GO:0016575", "compounds": ["BRD-A", "BRD-B"]},
                    {"name": "EGFR inhibitor", "target_entrez": [], "pathway_entrez": ["1956", 2064],
                     "pathway_go_id": ["GO:0007173", "GO:0038127"], "substructure_smarts": "c1ncncc1",
                     "compounds": []}],
           "unlabelled": [{"pert_id": "BRD-Z", "true_moa": "EGFR inhibitor"}]}


def _write(tmp_path: Path, data: object, name: str = "truth.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def test_the_demo_ground_truth_is_a_truth_file(tmp_path):
    from toolkit.demo import DemoSpec, generate_demo, load_ground_truth

    files = generate_demo(tmp_path, DemoSpec(seed=1, n_genes=200, n_moas=3, compounds_per_moa=4, n_cells=2,
                                             pathway_size=10, n_background_terms=10))
    demo = load_ground_truth(files.ground_truth)
    truth = load_truth(files.ground_truth)
    assert [m.name for m in truth.moas] == [m.name for m in demo.moas]
    for ours, theirs in zip(truth.moas, demo.moas):
        assert ours.pathway_entrez == theirs.pathway_entrez and ours.target_entrez == theirs.target_entrez
        assert ours.pathway_go_ids == (theirs.pathway_go_id,) and ours.compounds == theirs.compounds
        assert ours.substructure_smarts == theirs.substructure_smarts
    assert demo.unlabelled, "the demo hides some compounds' MoA"
    for u in demo.unlabelled:
        assert truth.true_moa_of(u.pert_id) == u.true_moa
    assert truth.true_moa_of("no-such-compound") is None


def test_a_minimal_hand_written_file(tmp_path):
    truth = load_truth(_write(tmp_path, MINIMAL))
    hdac, egfr = truth.moas
    assert hdac.pathway_go_ids == ("GO:0016575",) and hdac.substructure_smarts is None
    assert egfr.pathway_entrez == (1956, 2064) and egfr.pathway_go_ids == ("GO:0007173", "GO:0038127")
    assert truth.true_moa_of("BRD-B") == "HDAC inhibitor" and truth.true_moa_of("BRD-Z") == "EGFR inhibitor"
    assert truth.moa("EGFR inhibitor") is egfr


def _moa(**changes):
    record = dict(MINIMAL["moas"][0])
    record.update(changes)
    return {k: v for k, v in record.items() if v is not ...}


MALFORMED = [
    ("{not json", "line 1", "not valid JSON"),
    ([1, 2], "top level", "not an object"),
    ({"moa": []}, "moas", "missing"),
    ({"moas": []}, "moas", "non-empty list"),
    ({"moas": ["x"]}, "moas[0]", "not an object"),
    ({"moas": [_moa(name=...)]}, "moas[0]", 'no "name"'),
    ({"moas": [_moa(pathway_go_id="0016575")]}, "moas[0] ('HDAC inhibitor').pathway_go_id", "not a GO id"),
    ({"moas": [_moa(pathway_go_id=...)]}, "moas[0] ('HDAC inhibitor').pathway_go_id", "not a GO id"),
    ({"moas": [_moa(pathway_entrez=[])]}, "moas[0] ('HDAC inhibitor').pathway_entrez", "non-empty list"),
    ({"moas": [_moa(pathway_entrez=[3065, "TP53"])]}, "moas[0] ('HDAC inhibitor').pathway_entrez[1]",
     "not an Entrez gene id"),
    ({"moas": [_moa(pathway_entrez=[3065, 3065])]}, "moas[0] ('HDAC inhibitor').pathway_entrez", "repeats a gene"),
    ({"moas": [_moa(target_entrez=...)]}, "moas[0] ('HDAC inhibitor').target_entrez", "list of Entrez"),
    ({"moas": [_moa(target_entrez=[True])]}, "moas[0] ('HDAC inhibitor').target_entrez[0]", "not an Entrez"),
    ({"moas": [_moa(substructure_smarts=5)]}, "moas[0] ('HDAC inhibitor').substructure_smarts", "not a SMARTS"),
    ({"moas": [_moa(compounds="BRD-A")]}, "moas[0] ('HDAC inhibitor').compounds", "not a list of pert_ids"),
    ({"moas": [_moa(), _moa()]}, "moas[1] ('HDAC inhibitor')", "repeats an earlier MoA name"),
    ({"moas": [_moa(), _moa(name="other")]}, "moas[1] ('other').compounds", "already a compound of"),
    ({"moas": [_moa()], "unlabelled": {"BRD-Z": "x"}}, "unlabelled", "not a list"),
    ({"moas": [_moa()], "unlabelled": [{"pert_id": "BRD-Z"}]}, "unlabelled[0]", "true_moa"),
    ({"moas": [_moa()], "unlabelled": [{"pert_id": "BRD-Z", "true_moa": "nope"}]}, "unlabelled[0] ('BRD-Z').true_moa",
     "not a MoA"),
    ({"moas": [_moa()], "unlabelled": [{"pert_id": "BRD-A", "true_moa": "HDAC inhibitor"}]},
     "unlabelled[0] ('BRD-A')", "already listed"),
]


@pytest.mark.parametrize("data, record, problem", MALFORMED, ids=[m[1] + ":" + m[2] for m in MALFORMED])
def test_a_malformed_file_names_the_file_the_record_and_the_fix(tmp_path, data, record, problem):
    path = _write(tmp_path, data)
    with pytest.raises(InputDataError) as info:
        load_truth(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: {record}: ") and problem in message and "; fix: " in message


def test_a_missing_or_undecodable_file(tmp_path):
    with pytest.raises(InputDataError, match="cannot be read"):
        load_truth(tmp_path / "absent.json")
    path = tmp_path / "latin1.json"
    path.write_bytes(b'{"moas": "\xe9"}')
    with pytest.raises(InputDataError, match=r"latin1\.json: file: cannot be read"):
        load_truth(path)


def test_the_explain_layer_does_not_import_the_demo():
    import ast

    import toolkit.explain

    offenders = []
    for path in Path(toolkit.explain.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            offenders += [f"{path.name}: {n}" for n in names if n == "toolkit.demo" or n.startswith("toolkit.demo.")]
    assert offenders == []
