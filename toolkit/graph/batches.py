"""Typed batches that source plugins yield and the graph writer consumes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Union

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


@dataclass(frozen=True)
class LookupBatch:
    """A read a source needs from the graph during its load (e.g. the genes a target symbol names).

    The writer runs the stored read ``statement`` (a name below ``cypher/``, parameters only) with
    ``params`` and hands its records to ``answer`` before the source resumes; nothing is written.
    Where there is no graph to ask (a source read on its own, a bulk import into an empty or
    replaced database) ``answer`` gets ``[]``.
    """

    statement: str
    params: Mapping[str, Any]
    answer: Callable[[list[dict[str, Any]]], None]


Batch = Union[NodeBatch, RelBatch, LookupBatch]


@dataclass
class SourceReport:
    """What a source read and what it dropped or repaired.

    ``dropped`` / ``repaired`` are report lines (capped per file and reason by the source);
    ``dropped_by_reason`` / ``repaired_by_reason`` are the exact row counts per reason, never
    capped, and ``read_by_file`` the data rows read per file (files read as delimited tables).
    """

    source: str
    rows_read: int = 0
    dropped: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)
    dropped_by_reason: dict[str, int] = field(default_factory=dict)
    repaired_by_reason: dict[str, int] = field(default_factory=dict)
    read_by_file: dict[str, int] = field(default_factory=dict)

    @property
    def n_dropped(self) -> int:
        """Rows dropped (exact; the number of report lines for a source that keeps no counts)."""
        return sum(self.dropped_by_reason.values()) if self.dropped_by_reason else len(self.dropped)

    @property
    def n_repaired(self) -> int:
        """Rows repaired (exact; the number of report lines for a source that keeps no counts)."""
        return sum(self.repaired_by_reason.values()) if self.repaired_by_reason else len(self.repaired)
