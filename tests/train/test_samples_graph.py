"""Sample preparation, split files, controls and context needs through ``train()``, ``predict`` and
the CLI, against the real server on a demo graph loaded WITHOUT Gene Ontology and with some
signatures flagged ``qc_pass = false``."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import ClassVar

import pytest
from click.testing import CliRunner

from tests.helpers import registered_plugin, server_env
from toolkit import cypher
from toolkit.cli import cli
from toolkit.errors import RunError
from toolkit.hookspecs import hookimpl
from toolkit.models import TrainConfig, context_error
from toolkit.train.pipeline import train
from toolkit.train.samples import training_samples
from tests.inline_cypher import raw_session

pytestmark = [pytest.mark.neo4j]

FAST = TrainConfig(epochs=3, seed=2, device="cpu")
N_FLAGGED = 6
COUNT = cypher.Statement("t", "MATCH (s:Signature)-[:OF_COMPOUND]->() WHERE s.z IS NOT NULL RETURN count(s) AS n", "")
RUNS = cypher.Statement("t", "MATCH (r:Run {kind: 'train'}) RETURN count(r) AS n", "")


@dataclass(frozen=True)
class NoGo:
    graph: object
    settings: object
    flagged: tuple[str, ...]


@pytest.fixture(scope="module")
def no_go(demo_graph, _demo_state) -> NoGo:
    """The demo without its GO load; the first signatures flagged qc_pass = false, the rest true."""
    from toolkit.demo.workflow import demo_loads
    from toolkit.load import load

    graph, settings = demo_graph.graph, demo_graph.settings
    graph.delete_everything()
    _demo_state["fingerprint"] = None  # later modules load the full demo again
    for source, paths in demo_loads(demo_graph.data_dir):
        if source != "go":
            load(graph, settings, source, paths)
    with raw_session(graph) as s:
        s.run("MATCH (s:Signature) SET s.qc_pass = true").consume()
        flagged = s.run("MATCH (s:Signature) WITH s ORDER BY s.sig_id LIMIT $n SET s.qc_pass = false "
                        "RETURN collect(s.sig_id) AS ids", n=N_FLAGGED).single()["ids"]
    return NoGo(graph, settings, tuple(flagged))


class GoProbe:
    """Registers a model that declares it cannot work without GO annotations."""

    @hookimpl
    def kgtool_register_models(self, register):
        from kgtool_plugins.models.mlp import MLPModel

        class NeedsGo(MLPModel):
            name = "needs_go_probe"
            requires_context = True
            context_needs: ClassVar[tuple[str, ...]] = ("go",)

        register(NeedsGo)


@pytest.fixture
def go_model():
    with registered_plugin(GoProbe(), "go-probe"):
        yield "needs_go_probe"


def test_a_model_needing_go_stops_before_a_run_on_a_graph_without_go(no_go, go_model):
    before = no_go.graph.read(RUNS)[0]["n"]
    with pytest.raises(RunError) as err:
        train(no_go.graph, no_go.settings, go_model, FAST)
    assert str(err.value) == context_error(go_model, ["go"]) and "kgtool load go" in str(err.value)
    assert no_go.graph.read(RUNS)[0]["n"] == before  # no run written


def test_qc_drops_the_flagged_signatures_and_training_samples_match_the_run(no_go):
    graph, settings = no_go.graph, no_go.settings
    n = graph.read(COUNT)[0]["n"]
    run = train(graph, settings, "logistic", FAST, aggregate="none", center="none")
    assert run.config["qc"] == "auto" and run.config["qc_dropped"] == N_FLAGGED == run.metrics["qc_dropped"]
    assert run.config["samples"] == n - N_FLAGGED and run.config["center"] == "none"
    samples = training_samples(graph, run.config, settings)
    assert samples.data_hash == run.data_hash and len(samples.data.sample_ids) == run.config["samples"]
    assert not set(no_go.flagged) & set(samples.data.sample_ids)
    kept = train(graph, settings, "logistic", FAST, aggregate="none", center="none", qc="none")
    assert kept.config["samples"] == n and kept.config["qc_dropped"] == 0 and kept.data_hash == run.data_hash
    # the defaults: QC, per-cell centering, one consensus per compound x cell line
    default = train(graph, settings, "logistic", FAST)
    cfg = default.config
    assert (cfg["qc"], cfg["center"], cfg["aggregate"], cfg["control"]) == ("auto", "cell", "compound_cell", "none")
    prepared = training_samples(graph, cfg, settings)
    pairs = {(c, cell) for c, cell in zip(prepared.data.compound_ids, prepared.data.cell_ids)}
    assert cfg["samples"] == len(prepared.data.sample_ids) == len(pairs) < n - N_FLAGGED
    assert prepared.data_hash == default.data_hash == run.data_hash  # the snapshot's hash, before preparation


def _invoke(args):
    env = {"NEO4J_URI": None, "NEO4J_PASSWORD": None, "NEO4J_USERNAME": None, "KGTOOL_PLUGINS": None, **server_env()}
    result = CliRunner().invoke(cli, args, env=env)
    return result.exit_code, result.output


def test_cli_flags_are_recorded_and_bad_input_is_one_line(no_go, tmp_path):
    graph = no_go.graph
    labelled = sorted(r["c"] for r in graph.read(cypher.Statement(
        "t", "MATCH (:Signature)-[:OF_COMPOUND]->(c:Compound)-[:HAS_MOA]->() RETURN DISTINCT c.pert_id AS c", "")))
    sides = ["train"] * (len(labelled) - 8) + ["valid", "valid", "test", "test", "test", "test"]
    split_file = tmp_path / "split.tsv"
    split_file.write_text("pert_id\tsplit\n" + "".join(f"{c}\t{s}\n" for c, s in zip(labelled, sides)))
    code, out = _invoke(["train", "logistic", "--epochs", "2", "--seed", "3", "--qc", "none", "--center", "none",
                         "--aggregate", "compound", "--split-file", str(split_file), "--control", "labels_shuffled"])
    assert code == 0, out
    run_id = [line.split()[-1] for line in out.splitlines() if line.startswith("run:")][-1]
    node = graph.read(cypher.load("export/run"), run_id=run_id)[0]["run"]
    config = json.loads(node["config"])
    assert (config["qc"], config["center"], config["aggregate"], config["control"]) == \
           ("none", "none", "compound", "labels_shuffled")
    assert config["split_file"] == str(split_file.resolve())
    assert config["split_file_sha256"] == hashlib.sha256(split_file.read_bytes()).hexdigest()
    assert node["metric_test_compound_n"] == 4.0  # exactly the four test compounds of the file
    rows = graph.read(cypher.load("export/run_predictions"), run_id=run_id, rank=1)
    by_split = {}
    for r in rows:
        by_split.setdefault(r["split"], set()).add(r["pert_id"])
    test = set(labelled[len(labelled) - 6:len(labelled) - 2])
    assert by_split["test"] == test and set(labelled[len(sides):]) <= by_split["unlabelled"]  # unlisted
    assert not by_split["unlabelled"] & set(labelled[:len(sides)])

    split_file.write_text("pert_id\tsplit\n" + f"{labelled[0]}\ttrain\nBRD-NOPE\ttest\n")
    code, out = _invoke(["train", "logistic", "--split-file", str(split_file)])
    assert code != 0 and f"{split_file}: line 3: BRD-NOPE has no samples" in out and "fix:" in out
    code, out = _invoke(["train", "logistic", "--predict-level", "both"])
    assert code != 0 and "signature-level predictions need signature samples" in out
    assert "pass --aggregate none" in out
    code, out = _invoke(["train", "logistic", "--qc", "pass", "--epochs", "1", "--aggregate", "none",
                         "--predict-level", "both", "--center", "none", "--no-cache"])
    assert code == 0, out  # the graph has qc_pass: pass keeps the passing ones
