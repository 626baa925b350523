"""Loading: source plugins' batches into the graph, recorded as load runs.

``pipeline`` (:func:`load`, ``kgtool load``: one transaction a batch, failures marked) · ``rules``
(contested properties, MoA spellings, targets linked later: any load order gives one graph) ·
``run_status`` (the Run node; runs a gone process left ``running`` marked ``interrupted``) ·
``report`` (:class:`LoadReport`) · ``bulk`` (``kgtool load --bulk``: first loads through
neo4j-admin, the server taken offline through :mod:`toolkit.server.offline`) · ``manifest`` and
``build`` (``kgtool build MANIFEST``: every source of a TOML manifest in one neo4j-admin import).
"""

from toolkit.load.bulk import BulkReport, bulk_import, bulk_load
from toolkit.load.pipeline import LoadTerminated, load
from toolkit.load.report import LoadReport
from toolkit.load.rules import PRECEDENCE, MoaNames, better_spelling, link_unresolved_targets
from toolkit.load.run_status import HOST, INTERRUPTED, mark_interrupted_loads, start_load_run

__all__ = ["HOST", "INTERRUPTED", "PRECEDENCE", "BulkReport", "LoadReport", "LoadTerminated", "MoaNames",
           "better_spelling", "bulk_import", "bulk_load", "link_unresolved_targets", "load",
           "mark_interrupted_loads", "start_load_run"]
