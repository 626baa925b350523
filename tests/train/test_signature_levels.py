"""Training on loaded or consensus signatures (``kgtool train --signatures``), against the real
server with the real cmapR Level 5 matrix loaded twice: as it is, and with ``--consensus modz``
(one Signature per compound and cell line)."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest

from tests.helpers import SHARED_DATA
from toolkit.errors import ConfigError, RunError
from toolkit.models import TrainConfig
from toolkit.train.export import export_signatures
from toolkit.train.pipeline import train
from toolkit.train.samples import training_samples
from tests.inline_cypher import raw_session

pytestmark = [pytest.mark.shared_data]

CMAPR = SHARED_DATA / "l1000_signatures" / "cmapR_ds_level5_modz_n272x978.gct"
HUB = SHARED_DATA / "drug_repurposing_hub"
FAST = TrainConfig(epochs=4, patience=2, seed=0, device="cpu")


def _load(graph, settings, consensus: str) -> None:
    from toolkit.load import load
    from toolkit.sources import LoadOptions

    load(graph, settings, "signatures", [CMAPR], LoadOptions.from_values(consensus=consensus))


def _count(graph, query: str) -> int:
    with raw_session(graph) as s:
        return s.run(query).single()[0]


@pytest.fixture(scope="module")
def both(session_graph, settings):
    """The graph with the loaded and the consensus signatures of cmapR and the Hub's compounds."""
    from toolkit.load import load
    from toolkit.sources import LoadOptions

    session_graph.delete_everything()
    load(session_graph, settings, "compounds", [HUB / "repurposing_drugs_20200324.txt",
                                                HUB / "repurposing_samples_20200324.txt"], LoadOptions())
    _load(session_graph, settings, "none")
    _load(session_graph, settings, "modz")
    return session_graph


LOADED = "MATCH (s:Signature)-[:OF_COMPOUND]->() WHERE s.level IS NULL RETURN count(s)"
CONSENSUS = "MATCH (s:Signature {level: 'consensus'})-[:OF_COMPOUND]->() RETURN count(s)"


def test_each_level_exports_only_its_own_signatures(both, caplog):
    n_loaded, n_consensus = _count(both, LOADED), _count(both, CONSENSUS)
    assert n_loaded == 272 and 0 < n_consensus < n_loaded
    loaded = export_signatures(both, level="signature")
    consensus = export_signatures(both, level="consensus")
    assert len(loaded.sample_ids) == n_loaded and not any(s.startswith("consensus:") for s in loaded.sample_ids)
    assert len(consensus.sample_ids) == n_consensus and all(s.startswith("consensus:") for s in consensus.sample_ids)
    # one consensus sample per (compound, cell line) of the loaded samples
    assert len(set(zip(loaded.compound_ids, loaded.cell_ids))) == n_consensus
    with caplog.at_level(logging.WARNING, logger="toolkit.train.export"):
        auto = export_signatures(both)
    assert auto.sample_ids == loaded.sample_ids  # auto: the loaded ones when both are there, and says so
    assert "loaded and consensus signatures" in caplog.text


def test_a_bad_or_absent_level_is_a_one_line_error(both, session_graph, settings):
    with pytest.raises(ConfigError, match="auto, signature, consensus"):
        export_signatures(both, level="modz")
    session_graph.delete_everything()
    _load(session_graph, settings, "mean")
    with pytest.raises(RunError, match="no signature signatures.*--signatures consensus"):
        export_signatures(session_graph, level="signature")
    only = export_signatures(session_graph)  # auto with one kind: that kind
    assert all(s.startswith("consensus:") for s in only.sample_ids)


def test_train_records_the_level_and_explain_sees_the_same_samples(session_graph, settings, tmp_path):
    from toolkit.load import load
    from toolkit.sources import LoadOptions

    session_graph.delete_everything()
    load(session_graph, settings, "compounds", [HUB / "repurposing_drugs_20200324.txt",
                                                HUB / "repurposing_samples_20200324.txt"], LoadOptions())
    _load(session_graph, settings, "none")
    _load(session_graph, settings, "modz")
    home = replace(settings, home=tmp_path)
    run = train(session_graph, home, "logistic", FAST, "random", signatures="consensus", use_cache=False,
                aggregate="none")
    assert run.config["signatures"] == "consensus"
    assert run.config["samples"] == _count(session_graph, CONSENSUS)
    again = training_samples(session_graph, run.config, home, use_cache=False)  # what explain and predict read
    assert all(s.startswith("consensus:") for s in again.data.sample_ids) and again.data_hash == run.data_hash
