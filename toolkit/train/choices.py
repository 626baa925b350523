"""The vocabularies and defaults of sample preparation and training runs, in one light module
(no numpy) so the CLI can show them without importing the training stack.

``DEFAULT_AGGREGATE`` is THE default sample level of ``kgtool train`` (and of
:class:`toolkit.train.samples.SampleOptions`): one MODZ consensus per compound and cell line.
"""

from __future__ import annotations

AGGREGATE_LEVELS = ("none", "compound", "compound_cell")
DEFAULT_AGGREGATE = "compound_cell"
CONSENSUS_METHODS = ("modz", "mean")

# QC filter on the signatures' qc_pass (loader metadata): auto = drop qc_pass == false when the
# graph has qc_pass, none = keep all, pass = keep qc_pass == true only (the property is required).
QC_MODES = ("auto", "none", "pass")
DEFAULT_QC = "auto"

# Per-cell-line centering: cell = subtract each cell line's per-gene median, none = leave as loaded.
CENTER_MODES = ("cell", "none")
DEFAULT_CENTER = "cell"

# Knowledge controls (toolkit.train.controls.CONTROLS; a test keeps the two equal).
CONTROL_NAMES = ("none", "string_permuted", "go_shuffled", "labels_shuffled")
DEFAULT_CONTROL = "none"
# Controls of the expression task (toolkit.expression.pipeline): structures permuted among the
# training compounds, training targets permuted among training samples, and the two knowledge ones.
EXPRESSION_CONTROL_NAMES = ("none", "drug_shuffled", "labels_shuffled", "string_permuted", "go_shuffled")
# Which (compound, cell line) pairs an expression run predicts and writes: every compound with a
# structure in every training cell line (grid), the measured pairs only (samples), none, or auto:
# the grid while it has at most GRID_LIMIT pairs, else the measured pairs (full LINCS: 30k
# compounds x 200 cell lines would be 6 million 978-float vectors).
EXPRESSION_PREDICT = ("auto", "grid", "samples", "none")
GRID_LIMIT = 100_000
