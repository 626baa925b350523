"""Anchor-drug selection for a new cell line (issue 15, AnchorDrug): the acquisition contract
(:mod:`toolkit.anchors.strategy`) and the pure active-learning simulation
(:mod:`toolkit.anchors.simulate`). The strategies themselves are plugins registered through
``kgtool_register_acquisitions`` (built-ins in ``kgtool_plugins.acquisitions``)."""

from toolkit.anchors.strategy import AcquisitionStrategy, ActiveModel, Pool, candidate_conditions

__all__ = ["AcquisitionStrategy", "ActiveModel", "Pool", "candidate_conditions"]
