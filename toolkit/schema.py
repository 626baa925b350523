"""The graph schema as enums: the only place labels, keys and relationship types come from.

Cypher cannot take labels or relationship types as parameters, so query templates are filled
from these enums (never from input); every value is checked to be a plain identifier.
"""

from __future__ import annotations

import re
from enum import Enum

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class NodeLabel(str, Enum):
    """Node labels, each with the property that uniquely identifies a node."""

    GENE = "Gene"
    GO_TERM = "GOTerm"
    COMPOUND = "Compound"
    SUBSTRUCTURE = "Substructure"
    MOA = "MoA"
    CELL_LINE = "CellLine"
    SIGNATURE = "Signature"
    RUN = "Run"
    PREDICTION = "Prediction"
    EXPRESSION_PREDICTION = "ExpressionPrediction"  # an expression run's predicted vector for (compound, cell)

    @property
    def key(self) -> str:
        return _NODE_KEYS[self]


_NODE_KEYS: dict[NodeLabel, str] = {
    NodeLabel.GENE: "entrez_id",
    NodeLabel.GO_TERM: "go_id",
    NodeLabel.COMPOUND: "pert_id",
    NodeLabel.SUBSTRUCTURE: "smarts",
    NodeLabel.MOA: "name",
    NodeLabel.CELL_LINE: "name",
    NodeLabel.SIGNATURE: "sig_id",
    NodeLabel.RUN: "run_id",
    NodeLabel.PREDICTION: "prediction_id",
    NodeLabel.EXPRESSION_PREDICTION: "prediction_id",
}


class RelType(str, Enum):
    """Relationship types with the labels at their two ends."""

    INTERACTS_WITH = "INTERACTS_WITH"
    ANNOTATED_WITH = "ANNOTATED_WITH"
    IS_A = "IS_A"
    PART_OF = "PART_OF"
    HAS_MOA = "HAS_MOA"
    TARGETS = "TARGETS"
    HAS_SUBSTRUCTURE = "HAS_SUBSTRUCTURE"
    OF_COMPOUND = "OF_COMPOUND"
    IN_CELL = "IN_CELL"
    UPREGULATES = "UPREGULATES"
    DOWNREGULATES = "DOWNREGULATES"
    PREDICTED = "PREDICTED"
    FOR = "FOR"
    OF_MOA = "OF_MOA"
    EXPLAINS = "EXPLAINS"
    INTERACTS_IN_EXPLANATION = "INTERACTS_IN_EXPLANATION"  # gene pair with a joint (non-additive) effect
    EXPLAINS_EDGE = "EXPLAINS_EDGE"  # attribution of a STRING edge to a prediction
    PREDICTED_EFFECT = "PREDICTED_EFFECT"  # an expression run's predicted change of a gene by a compound in a cell
    ANCHOR_FOR = "ANCHOR_FOR"  # a compound chosen as an anchor drug for a cell line by an anchors run

    @property
    def undirected(self) -> bool:
        """One relationship per unordered pair (stored from the smaller key to the larger)."""
        return self is RelType.INTERACTS_WITH


# (start label, end label) pairs each relationship type may connect.
ENDPOINTS: dict[RelType, tuple[tuple[NodeLabel, NodeLabel], ...]] = {
    RelType.INTERACTS_WITH: ((NodeLabel.GENE, NodeLabel.GENE),),
    RelType.ANNOTATED_WITH: ((NodeLabel.GENE, NodeLabel.GO_TERM),),
    RelType.IS_A: ((NodeLabel.GO_TERM, NodeLabel.GO_TERM),),
    RelType.PART_OF: ((NodeLabel.GO_TERM, NodeLabel.GO_TERM),),
    RelType.HAS_MOA: ((NodeLabel.COMPOUND, NodeLabel.MOA),),
    RelType.TARGETS: ((NodeLabel.COMPOUND, NodeLabel.GENE),),
    RelType.HAS_SUBSTRUCTURE: ((NodeLabel.COMPOUND, NodeLabel.SUBSTRUCTURE),),
    RelType.OF_COMPOUND: ((NodeLabel.SIGNATURE, NodeLabel.COMPOUND),),
    RelType.IN_CELL: ((NodeLabel.SIGNATURE, NodeLabel.CELL_LINE), (NodeLabel.EXPRESSION_PREDICTION, NodeLabel.CELL_LINE)),
    RelType.UPREGULATES: ((NodeLabel.SIGNATURE, NodeLabel.GENE),),
    RelType.DOWNREGULATES: ((NodeLabel.SIGNATURE, NodeLabel.GENE),),
    RelType.PREDICTED: ((NodeLabel.RUN, NodeLabel.PREDICTION), (NodeLabel.RUN, NodeLabel.EXPRESSION_PREDICTION)),
    RelType.FOR: ((NodeLabel.PREDICTION, NodeLabel.COMPOUND), (NodeLabel.PREDICTION, NodeLabel.SIGNATURE),
                  (NodeLabel.EXPRESSION_PREDICTION, NodeLabel.COMPOUND)),
    RelType.OF_MOA: ((NodeLabel.PREDICTION, NodeLabel.MOA),),
    RelType.EXPLAINS: (
        (NodeLabel.GENE, NodeLabel.PREDICTION),
        (NodeLabel.GO_TERM, NodeLabel.PREDICTION),
        (NodeLabel.SUBSTRUCTURE, NodeLabel.PREDICTION),
        (NodeLabel.SUBSTRUCTURE, NodeLabel.EXPRESSION_PREDICTION),
    ),
    RelType.INTERACTS_IN_EXPLANATION: ((NodeLabel.GENE, NodeLabel.GENE),),
    RelType.EXPLAINS_EDGE: ((NodeLabel.GENE, NodeLabel.GENE),),
    RelType.PREDICTED_EFFECT: ((NodeLabel.COMPOUND, NodeLabel.GENE),),
    RelType.ANCHOR_FOR: ((NodeLabel.COMPOUND, NodeLabel.CELL_LINE),),
}


# What runs derive (predictions, explanations) as opposed to loaded data.
DERIVED_LABELS: frozenset[NodeLabel] = frozenset({NodeLabel.RUN, NodeLabel.PREDICTION,
                                                   NodeLabel.EXPRESSION_PREDICTION})
DERIVED_RELS: frozenset[RelType] = frozenset({
    RelType.PREDICTED, RelType.FOR, RelType.OF_MOA, RelType.EXPLAINS,
    RelType.INTERACTS_IN_EXPLANATION, RelType.EXPLAINS_EDGE, RelType.PREDICTED_EFFECT, RelType.ANCHOR_FOR,
})


def identifier(value: str) -> str:
    """Return ``value`` if it is a plain Cypher identifier, else raise (guards template filling)."""
    if not _IDENT.match(value):
        raise ValueError(f"not a plain identifier: {value!r}")
    return value
