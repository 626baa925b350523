"""Typed batches that source plugins yield and the graph writer consumes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

from toolkit.schema import ENDPOINTS, NodeLabel, RelType


@dataclass(frozen=True)
class NodeBatch:
    """Nodes of one label. Each row is a dict of properties that includes the label's key."""

    label: NodeLabel
    rows: tuple[dict[str, Any], ...]

    def __post_init__(self) -> None:
        key = self.label.key
        for row in self.rows:
            if row.get(key) is None:
                raise ValueError(f"{self.label.value} row without key {key!r}: {row!r}")


@dataclass(frozen=True)
class RelBatch:
    """Relationships of one type between two labels.

    Each row is ``{"start": <start key>, "end": <end key>, "props": {...}}``. Endpoints are
    MERGEd by key, so loading sources in any order gives the same graph.
    """

    rel_type: RelType
    start: NodeLabel
    end: NodeLabel
    rows: tuple[dict[str, Any], ...]

    def __post_init__(self) -> None:
        if (self.start, self.end) not in ENDPOINTS[self.rel_type]:
            raise ValueError(f"{self.rel_type.value} cannot connect {self.start.value} to {self.end.value}")
        for row in self.rows:
            if row.get("start") is None or row.get("end") is None:
                raise ValueError(f"{self.rel_type.value} row without start/end: {row!r}")


Batch = Union[NodeBatch, RelBatch]


@dataclass
class SourceReport:
    """What a source read and what it dropped or repaired, row by row."""

    source: str
    rows_read: int = 0
    dropped: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)
