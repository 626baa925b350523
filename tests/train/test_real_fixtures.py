"""``kgtool train`` end to end on REAL fixtures in the real test server: the LJP005 Level 3 plate
(z-scored per plate by the signatures source) and the cmapR Level 5 matrix, labelled with the Drug
Repurposing Hub 2020 (MoA joined by the 13-character BRD pert_id), with the STRING landmark edges and
the GO landmark annotations as graph context.

What the data allow (see ``bench/train_real.py`` for the numbers):

* LJP005: 55 kinase inhibitors x 6 doses + DMSO and positive controls, one cell line (A375); 40
  compounds have Hub MoAs (30 classes, 18 of them on one compound only, 8 compounds with several
  MoAs). ``cold_compound`` and ``scaffold`` work: a class with one compound stays in training (the
  split can only hold out compounds of classes that have 2+), and the test side is the 8 compounds
  of the shared classes. ``cold_cell`` has one cell line and is refused before any run is recorded.
* cmapR: 3 drugs under 6 BRD ids; only 2 BRD ids have Hub MoAs (RAF, HMGCR inhibitor), one each,
  so ``cold_compound`` has nothing to test on and ``random`` is the split (65 cell lines also make
  ``cold_cell`` feasible).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from tests.helpers import SHARED_DATA
from toolkit import cypher, runs
from toolkit.errors import ConfigError
from toolkit.models import TrainConfig
from toolkit.settings import Settings
from toolkit.train.export import export_signatures
from toolkit.train.pipeline import train
from toolkit.train.splits import make_split, shared_groups
from tests.inline_cypher import raw_session

def real(test):
    return pytest.mark.shared_data(test)


L1000 = SHARED_DATA / "l1000_signatures"
HUB = SHARED_DATA / "drug_repurposing_hub"
LJP005 = L1000 / "cmapPy_test_l1000_LJP005_A375_24H_level3_n377x978.gct"
CMAPR = L1000 / "cmapR_ds_level5_modz_n272x978.gct"
FAST = TrainConfig(epochs=6, patience=3, seed=0, device="cpu")
UNIT_METRICS = ("macro_f1", "micro_f1", "auroc", "auprc", "top1_accuracy", "top3_accuracy")


def real_loads(signatures: Path, zscore: str, context: bool) -> list[tuple[str, list[Path], dict]]:
    """(source, files, LoadOptions fields) as a user types them with ``kgtool load``."""
    loads = []
    if context:
        loads += [
            ("string", [SHARED_DATA / "string" / "string_v12_landmark978_edges.tsv"], {}),
            ("go", [SHARED_DATA / "gene_ontology" / "go-basic_releases-2021-12-15.obo.gz",
                    SHARED_DATA / "gene_ontology" / "landmark978_gene2go_direct_expev.tsv"], {}),
        ]
    loads += [
        ("compounds", [HUB / "repurposing_drugs_20200324.txt", HUB / "repurposing_samples_20200324.txt"], {}),
        ("signatures", [signatures], {"zscore": zscore}),
    ]
    return loads


FIXTURES = {"ljp005": (LJP005, "plate", True), "cmapr": (CMAPR, "none", False)}


@dataclass(frozen=True)
class RealGraph:
    graph: object
    settings: Settings
    name: str


@pytest.fixture(scope="module")
def _state(tmp_path_factory) -> dict:
    return {"name": None, "fingerprint": None, "home": tmp_path_factory.mktemp("real-train-home")}


def _real_graph(name: str, session_graph, settings: Settings, state: dict) -> RealGraph:
    """The graph holding fixture ``name`` (loaded again only when something else was loaded since)."""
    from toolkit.load import load
    from toolkit.sources import LoadOptions
    from toolkit.train.cache import graph_fingerprint

    if state["name"] != name or graph_fingerprint(session_graph) != state["fingerprint"]:
        session_graph.delete_everything()
        for source, paths, options in real_loads(*FIXTURES[name]):
            load(session_graph, settings, source, paths, LoadOptions.from_values(**options))
        state["name"], state["fingerprint"] = name, graph_fingerprint(session_graph)
    return RealGraph(session_graph, replace(settings, home=state["home"]), name)


@pytest.fixture
def ljp005(session_graph, settings, _state) -> RealGraph:
    return _real_graph("ljp005", session_graph, settings, _state)


@pytest.fixture
def cmapr(session_graph, settings, _state) -> RealGraph:
    return _real_graph("cmapr", session_graph, settings, _state)


def _scalar(graph, query: str, **params):
    with raw_session(graph) as s:
        return s.run(query, params).single()[0]


def check_run(real: RealGraph, run: runs.RunRecord, split: str) -> dict:
    """The run is complete with metrics in [0, 1] on its node, predictions in the graph and a manifest."""
    graph = real.graph
    node = graph.read(cypher.load("export/run"), run_id=run.run_id)[0]["run"]
    assert node["status"] == "completed" and node["kind"] == "train"
    for level in ("signature", "compound"):
        for name in UNIT_METRICS:
            value = node[f"metric_test_{level}_{name}"]
            assert isinstance(value, float) and 0.0 <= value <= 1.0, (level, name, value)
        assert node[f"metric_test_{level}_n"] >= 1
        assert math.isfinite(node[f"metric_test_{level}_log_loss"])
    # (:Run)-[:PREDICTED]->(:Prediction)-[:FOR]->(:Compound), (:Prediction)-[:OF_MOA]->(:MoA)
    rows = graph.read(cypher.load("export/run_predictions"), run_id=run.run_id, rank=None)
    compounds = _scalar(graph, "MATCH (:Signature)-[:OF_COMPOUND]->(c:Compound) RETURN count(DISTINCT c)")
    top = min(3, len(run.config["classes"]))
    assert len(rows) == top * compounds  # the top 3 MoAs (or all of them) per compound with signatures
    assert {r["rank"] for r in rows} == set(range(1, top + 1)) and all(0.0 <= r["score"] <= 1.0 for r in rows)
    by_compound: dict[str, set[str]] = {}
    for r in rows:
        by_compound.setdefault(r["pert_id"], set()).add(r["split"])
    assert all(len(sides) == 1 for sides in by_compound.values())
    sides = {next(iter(s)) for s in by_compound.values()}
    # a compound partly in training is "train": under random splits no compound is wholly held out
    assert {"train", "unlabelled"} <= sides and ("test" in sides) == (split != "random")
    assert _scalar(graph, "MATCH (:Run {run_id: $r})-[:PREDICTED]->(p:Prediction) WHERE NOT (p)-[:OF_MOA]->(:MoA) "
                          "OR NOT (p)-[:FOR]->(:Compound) RETURN count(p)", r=run.run_id) == 0
    correct = _scalar(graph, "MATCH (:Run {run_id: $r})-[:PREDICTED]->(p:Prediction) WHERE p.correct IS NOT NULL "
                             "RETURN count(p)", r=run.run_id)
    assert 0 < correct < len(rows)  # labelled compounds are scored, unlabelled ones (DMSO, ...) are not
    manifest = runs.read_manifest(real.settings.runs_dir, run.run_id)
    assert runs.manifest_path(real.settings.runs_dir, run.run_id).is_file()
    assert manifest["config"]["split"] == split and manifest["data_hash"] == node["data_hash"]
    assert "test_compound" in manifest["per_class"]
    assert (runs.manifest_path(real.settings.runs_dir, run.run_id).parent / "model.pt").is_file()
    return node


# -- LJP005 Level 3 plate, z-scored --------------------------------------------------------------


@real
def test_ljp005_graph_holds_plate_z_scores_and_hub_labels(ljp005):
    graph = ljp005.graph
    assert _scalar(graph, "MATCH (s:Signature) WHERE s.zscore = 'plate' AND size(s.z) = 978 RETURN count(s)") == 377
    data = export_signatures(graph)
    assert data.x.shape == (377, 978) and abs(float(data.x.mean())) < 0.5  # z-scores, not log2 expression
    labelled = {c for c, ok in zip(data.compound_ids, data.labelled) if ok}
    assert len(labelled) == 40 and int(data.labelled.sum()) == 238  # SOURCES.md: 40 compounds, 238 columns
    assert "MEK inhibitor" in data.classes and "EGFR inhibitor" in data.classes
    assert (data.y.sum(axis=1) > 1).any()  # multi-label compounds


@real
@pytest.mark.parametrize("model, split", [("logistic", "cold_compound"), ("mlp", "cold_compound"),
                                          ("logistic", "scaffold")])
def test_train_on_ljp005(ljp005, model, split):
    run = train(ljp005.graph, ljp005.settings, model, FAST, split)
    check_run(ljp005, run, split)
    data = export_signatures(ljp005.graph, with_context=split == "scaffold")
    held_out = make_split(data, split, seed=FAST.seed)
    assert not shared_groups(data, held_out, split)["train&test"]
    assert run.metrics["test_compound_n"] == len({data.compound_ids[i] for i in held_out.test})
    if split == "scaffold":  # context came from the real STRING/GO/Hub loads
        assert run.config["context"] is True
        assert sum(1 for s in data.context.compound_scaffold.values() if s) >= 30


@real
def test_cold_cell_on_one_cell_line_is_refused_before_a_run(ljp005):
    before = _scalar(ljp005.graph, "MATCH (r:Run {kind: 'train'}) RETURN count(r)")
    with pytest.raises(ConfigError, match="1 cell line.*another --split"):
        train(ljp005.graph, ljp005.settings, "logistic", FAST, "cold_cell")
    assert _scalar(ljp005.graph, "MATCH (r:Run {kind: 'train'}) RETURN count(r)") == before


# -- cmapR Level 5 -------------------------------------------------------------------------------


@real
def test_cmapr_level5_trains_with_a_random_split(cmapr):
    data = export_signatures(cmapr.graph)
    assert data.x.shape == (272, 978) and set(data.classes) == {"RAF inhibitor", "HMGCR inhibitor"}
    for model in ("logistic", "mlp"):
        run = train(cmapr.graph, cmapr.settings, model, FAST, "random")
        check_run(cmapr, run, "random")
    with pytest.raises(ConfigError, match="cold_compound split has no labelled rows to test on"):
        train(cmapr.graph, cmapr.settings, "logistic", FAST, "cold_compound")  # 1 labelled compound per MoA


def test_cmapr_expression_cold_cell_and_an_anchor_simulation(cmapr):
    """The real cold-cell test of the expression task: whole cell lines of the cmapR Level 5 matrix
    held out (no STRING/GO loaded: the models run without gene knowledge), then anchors simulated
    in the cell line with the most profiled compounds."""
    from toolkit.anchors.pipeline import AnchorOptions, select_anchors
    from toolkit.expression.pipeline import ExpressionRunOptions, train_expression

    for model in ("cell_mean", "ridge_ecfp", "anchordrug"):
        run = train_expression(cmapr.graph, cmapr.settings, model, FAST,
                               ExpressionRunOptions(split="cold_cell", predict="samples"))
        assert run.status == "completed" and run.config["no_structure_dropped"] >= 0
        assert math.isfinite(run.metrics["test_pearson"]) and run.metrics["test_n"] >= 1
        test_cells = set(run.config["train_cells"])
        assert test_cells and len(test_cells) < 65  # cold_cell: some cell lines are test-only
    counts = _scalar(cmapr.graph, "MATCH (s:Signature)-[:IN_CELL]->(c:CellLine) WITH c, count(DISTINCT s) AS n "
                     "RETURN c.name ORDER BY n DESC, c.name LIMIT 1")
    anchors = select_anchors(cmapr.graph, cmapr.settings,
                             AnchorOptions(cell=counts, budget=2, batch=1, simulate=True, seeds=1,
                                           strategies=("random", "margin"), fine_tune_epochs=2),
                             FAST)
    assert anchors.status == "completed" and anchors.metrics["anchors_written"] == 4
    assert 0 <= anchors.metrics["margin.macro_f1_at_0"] <= 1


# -- the split refuses to run with nothing to test on (no server) --------------------------------


@pytest.mark.parametrize("kind, kwargs, why", [
    ("cold_cell", dict(cells=("A375",)), "1 cell line"),
    ("cold_compound", dict(n_compounds=4, n_classes=4, unlabelled=0, multi_label=0),
     "none of the 4 labelled compounds"),
    ("scaffold", dict(n_compounds=4, n_classes=4, unlabelled=0, multi_label=0, no_scaffold=4), "scaffolds"),
])
def test_a_split_without_test_rows_is_a_config_error(kind, kwargs, why):
    from tests.train.data import synthetic

    with pytest.raises(ConfigError, match=f"{kind} split has no labelled rows to test on: .*{why}"):
        make_split(synthetic(**kwargs), kind)
    assert len(make_split(synthetic(**kwargs), "random").test)  # several signatures per compound
